"""Independent reference evaluator of the rule language (the differential oracle).

Written only from ``docs/rules.md`` and the document models. It imports nothing of the engine
but ``engine.model`` (never ``engine.evaluate``, ``engine.explain``, ``engine.rules`` nor
``engine.render``; a test checks it): its own small calendar helpers and comparisons are in
``tests/reference/``, so a bug in the production helpers is caught too. Speed does not matter
here; every step is spelled out in the order of the specification. The steps live in
``tests/reference/`` (values, records, conditions, verdicts, periodic); this module combines the
rules of each commitment for each party (section 10).

Entry point: :func:`oracle_evaluate`. It returns, for every finding, the tuple
``(party, commitment_id, subject, status, flags, reason)`` (a :class:`Finding`) with ``flags`` a
sorted tuple and ``reason`` the finding's reason code (docs/rules.md section 13), sorted by party,
commitment and subject (a party-level finding has subject ``None`` and sorts first).

The reason codes are derived here from the text of section 13 alone: each verdict below names
its code where it is made, and the combinations (readings of a disputed record, rules of one
commitment) keep the code of the verdict whose status wins.

Readings of the specification where it is silent or ambiguous are marked ``READING:`` below.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import NamedTuple

from engine.model.commitment import Commitment, TreatyState
from engine.model.records import Report
from engine.model.rules import PeriodicRule
from tests.reference.conditions import PartyInfo, withdrawal_date
from tests.reference.periodic import periodic_cycles, periodic_findings
from tests.reference.records import build_records
from tests.reference.values import STATUSES, add_months, add_working_days
from tests.reference.verdicts import ENGINE_ISSUES, VR, Env, gap, subject_findings, worse

__all__ = [
    "ENGINE_ISSUES",
    "STATUSES",
    "Finding",
    "add_months",
    "add_working_days",
    "oracle_evaluate",
]


class Finding(NamedTuple):
    """One finding of the oracle: what the differential test compares."""

    party: str
    commitment: str
    subject: str | None
    status: str
    flags: tuple[str, ...]
    reason: str


# ----------------------------------------------------------------------------------------------
# Commitments and parties (section 10)
# ----------------------------------------------------------------------------------------------


def binds(c: Commitment, code: str) -> bool:
    parties = c.applicability.parties
    return parties == "all" or code in parties


def party_level(c: Commitment, env: Env, party: PartyInfo) -> VR:
    """The finding for a bound party with no subject finding: absence of evidence is never
    compliance."""
    sources = list(c.verification.evidence_from)
    if not sources:
        return gap("unverifiable", "absence_unverifiable")
    any_due = False
    unknown = False
    missing = False
    for cid in sources:
        # READING: only evidence commitments in force and binding the party are looked at.
        if cid not in env.treaty.commitments or cid not in env.commitments:
            continue
        ec = env.commitments[cid]
        if not binds(ec, party.code):
            continue
        for rule in ec.rules:
            if not isinstance(rule, PeriodicRule):
                continue
            cycles = periodic_cycles(rule, ec, env, party)
            if cycles is None:
                unknown = True
                continue
            for cyc in cycles:
                if cyc.due >= env.as_of:
                    continue
                any_due = True
                # READING: a due date counts as submitted only if it is in every combination
                # of versions; a parameter gap leaves it unknown.
                if any(r.flags == frozenset({"insufficient_detail"}) for r in cyc.results):
                    unknown = True
                elif not all(cyc.submitted):
                    missing = True
    if missing:
        return gap("missing_report", "absence_missing_report")
    if unknown or not any_due:
        # READING: a commitment that names evidence_from commitments none of which is in force,
        # binds the party or has a periodic rule gets ``absence_not_yet_due`` too: section 13
        # keeps ``absence_unverifiable`` for one that names none.
        return gap("unverifiable", "absence_not_yet_due")
    return VR("compliant", reason="absence_compliant")


def oracle_evaluate(
    treaty: TreatyState,
    commitments: Mapping[str, Commitment],
    reports: Sequence[Report],
    as_of: date,
    *,
    engine_issues: frozenset[str] = frozenset(),
) -> list[Finding]:
    """The findings docs/rules.md gives for these inputs (see the module docstring).

    ``engine_issues`` (names from ``ENGINE_ISSUES``) makes the oracle mimic the engine where it
    is known to depart from the docs; only the differential test asks for it.
    """
    unknown = engine_issues - ENGINE_ISSUES
    assert not unknown, f"no such engine issue: {sorted(unknown)}"
    records = build_records(treaty, reports, as_of)
    self_only = {
        rec.key: rec.self_only for kinds in records.values() for rs in kinds.values() for rec in rs
    }
    env = Env(treaty, commitments, records, as_of, self_only, engine_issues)
    findings: list[Finding] = []

    for p in treaty.parties:
        bound = p.entry_into_force is not None and p.entry_into_force <= as_of
        info = (
            PartyInfo(p.code, p.entry_into_force, withdrawal_date(treaty, p), frozenset(p.holidays))
            if bound and p.entry_into_force is not None
            else None
        )
        for cid in treaty.commitments:
            if cid not in commitments:
                continue
            c = commitments[cid]
            if not c.rules:
                continue  # docs/rules.md section 5: a commitment with no rules has no findings
            if info is None or not binds(c, p.code):
                # READING: a party that is not bound is ``not_bound`` even where the commitment
                # does not list it either (section 10 decides unbound parties first).
                reason = "not_bound" if info is None else "not_binding_on_party"
                findings.append(Finding(p.code, cid, None, "not_applicable", (), reason))
                continue
            by_subject: dict[str | None, VR] = {}
            for rule in c.rules:
                if isinstance(rule, PeriodicRule):
                    found: Mapping[str | None, VR] = periodic_findings(rule, c, env, info)
                else:
                    found = subject_findings(rule, c, env, info)
                for subject, vr in found.items():
                    by_subject[subject] = (
                        worse(by_subject[subject], vr) if subject in by_subject else vr
                    )
            periodic = [r for r in c.rules if isinstance(r, PeriodicRule)]
            if (
                not by_subject
                and periodic
                and all(not (periodic_cycles(r, c, env, info) or []) for r in periodic)
            ):
                # docs/rules.md section 10: no report was ever owed (withdrawal before the
                # first due date)
                flags = ("after_withdrawal",) if info.withdrawal is not None else ()
                findings.append(Finding(p.code, cid, None, "not_applicable", flags, "nothing_owed"))
                continue
            if not by_subject:
                by_subject[None] = party_level(c, env, info)
            for subject, vr in by_subject.items():
                findings.append(
                    Finding(p.code, cid, subject, vr.status, tuple(sorted(vr.flags)), vr.reason)
                )

    findings.sort(key=lambda f: (f[0], f[1], f[2] or ""))
    return findings
