"""Checks of a document's structure: rules, verification, enforcement, references, the treaty.

TE101-TE103 (a commitment without rules), TE110/TE111 (a rule reads records nobody must
report), TE120 (a reporting duty without deadline or frequency), TE201-TE203 (enforcement),
TE601 (a mission pillar without commitment), TE900 (TODO markers) and TE901 (references to
commitments that do not exist). Each check yields its findings.
"""

from __future__ import annotations

from collections.abc import Iterator

from engine.model.commitment import Commitment
from engine.model.records import RECORD_MODELS
from engine.negotiate.lint.catalogue import LintFinding
from engine.negotiate.lint.inputs import LintDoc, LintInput
from engine.negotiate.lint.rule_facts import rule_kinds


def rules_exist(doc: LintDoc, c: Commitment) -> Iterator[LintFinding]:
    """TE101-TE103: a commitment without rules, by what it claims about itself."""
    if c.rules:
        return
    if c.category == "general":
        yield doc.finding(
            "TE103",
            "/rules",
            f"{c.id} is a general provision with no rule of its own; the engine applies "
            "it to every rule (docs/rules.md section 5), so lint cannot check it",
            "nothing to do if the engine implements it; otherwise add rules",
        )
    elif c.machine_checkable == "none":
        yield doc.finding(
            "TE102",
            "/machine_checkable",
            f"{c.id} has no rule and declares machine_checkable: none; no finding will "
            "ever say whether it is kept",
            "add a rule for the part that can be checked, or keep it under review",
        )
    else:
        yield doc.finding(
            "TE101",
            "/rules",
            f"{c.id} has no machine rule although machine_checkable is "
            f"{c.machine_checkable}: it is unverifiable",
            "add a rule (see docs/rules.md), or set machine_checkable: none",
        )


def observable(inp: LintInput, doc: LintDoc, c: Commitment) -> Iterator[LintFinding]:
    """TE110/TE111: each record kind a rule reads, and who is obliged to report it."""
    own = {k for d in c.verification.reports for k in d.kinds}
    elsewhere: dict[str, list[str]] = {}
    for oid, other in sorted(inp.context.items()):
        if oid == c.id:
            continue
        for d in other.verification.reports:
            for k in d.kinds:
                elsewhere.setdefault(k, []).append(oid)
    seen: set[str] = set()
    for i, rule in enumerate(c.rules):
        for kind, suffix in rule_kinds(rule):
            if kind in own or kind in seen or kind not in RECORD_MODELS:
                continue
            seen.add(kind)
            ptr = f"/rules/{i}{suffix}"
            if kind in elsewhere:
                who = ", ".join(dict.fromkeys(elsewhere[kind]))
                yield doc.finding(
                    "TE111",
                    ptr,
                    f"{rule.id} reads {kind} records, which only the verification "
                    f"clauses of {who} oblige the parties to report",
                    f"list {kind} under verification.reports[].kinds if this "
                    "commitment needs it reported on its own terms",
                )
            else:
                yield doc.finding(
                    "TE110",
                    ptr,
                    f"{rule.id} reads {kind} records, but no verification clause "
                    f"obliges anyone to report {kind}: the rule can never see data",
                    f"add a reporting duty with kinds: [{kind}] under verification",
                )


def reporting(doc: LintDoc, c: Commitment) -> Iterator[LintFinding]:
    """TE120: a reporting duty without a deadline or a frequency."""
    for j, d in enumerate(c.verification.reports):
        missing = [
            n for n, v in (("deadline", d.deadline), ("frequency", d.frequency)) if v is None
        ]
        if missing:
            yield doc.finding(
                "TE120",
                f"/verification/reports/{j}",
                f"reporting duty {j + 1} ({', '.join(d.kinds) or d.what[:40]}) has no "
                f"{' and no '.join(missing)}",
                "say when the data is due and how often (deadline, frequency)",
            )


def enforcement(doc: LintDoc, c: Commitment) -> Iterator[LintFinding]:
    """TE201-TE203: no mechanism, no response deadline, no sanction for a grave breach."""
    e = c.enforcement
    if not (e.mechanism or "").strip():
        yield doc.finding(
            "TE201",
            "/enforcement",
            f"{c.id} names no enforcement mechanism: nothing happens on breach",
            "add enforcement.mechanism (e.g. consultation, referral to the Conference "
            "of the Parties)",
        )
    elif e.response_deadline_days is None:
        yield doc.finding(
            "TE202",
            "/enforcement/mechanism",
            f"the enforcement mechanism of {c.id} has no response deadline",
            "add enforcement.response_deadline_days",
        )
    if c.severity in ("high", "critical") and not e.sanction_available and c.rules:
        yield doc.finding(
            "TE203",
            "/enforcement/sanction_available",
            f"{c.id} is of {c.severity} severity but a breach carries no sanction",
            "set enforcement.sanction_available (and sanction_from) if one is intended",
        )


def evidence_from(inp: LintInput, doc: LintDoc, c: Commitment) -> Iterator[LintFinding]:
    """TE901: an evidence_from clause naming a commitment no document defines."""
    for j, ref in enumerate(c.verification.evidence_from):
        if ref not in inp.context:
            yield doc.finding(
                "TE901",
                f"/verification/evidence_from/{j}",
                f"evidence_from names {ref}, which no document defines",
                "name an existing commitment, or add its document",
            )


def treaty(inp: LintInput) -> Iterator[LintFinding]:
    """TE601 and TE901 of a treaty document given: pillars and commitments in force."""
    doc = inp.treaty
    t = inp.treaty_model
    if doc is None or t is None or not inp.treaty_given:
        return
    cats = {c.category for c in inp.context.values()}
    for j, pillar in enumerate(t.mission_pillars):
        if pillar not in cats:
            yield doc.finding(
                "TE601",
                f"/mission_pillars/{j}",
                f"the mission pillar {pillar!r} has no commitment",
                f"add a commitment with category: {pillar}, or remove the pillar",
            )
    for j, cid in enumerate(t.commitments):
        if cid not in inp.context:
            yield doc.finding(
                "TE901",
                f"/commitments/{j}",
                f"the treaty lists {cid} as in force, but no document defines it",
                "add its commitment document, or remove it from the list",
            )


def todos(inp: LintInput) -> Iterator[LintFinding]:
    """TE900: every line of a given file with a TODO marker, under the document it is in."""
    given_files = {d.file for d in inp.commitments.values()}
    if inp.treaty is not None and inp.treaty_given:
        given_files.add(inp.treaty.file)
    for file in sorted(given_files):
        text = inp.file_texts.get(file, "")
        starts = inp.doc_starts.get(file, [])
        for n, line in enumerate(text.splitlines(), start=1):
            if "TODO" not in line:
                continue
            cid = starts[0][1] if starts else None
            for first, owner in starts:
                if first <= n:
                    cid = owner
            what = line.strip().lstrip("#- ").strip()
            yield LintFinding(
                "TE900",
                f"TODO left in the document: {what[:90]}",
                file,
                n,
                "",
                cid,
                "fill in the value and delete the TODO marker",
            )
