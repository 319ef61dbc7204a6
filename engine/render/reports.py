"""Reports: findings rendered for people and for CI (``treaty report``).

Formats: ``text``, ``json``, ``md``, ``html``, ``csv``, ``sarif``, ``junit`` (see
``docs/reports.md``). Every renderer is a pure function of a ``ReportContext`` and returns text;
identical inputs give byte-identical output (no clock, no hash-ordered iteration).

Report content comes from governments that may be adversaries: every renderer escapes for its
own format (HTML entities, Markdown punctuation, XML, spreadsheet formulas in CSV).

Baselines: ``compute_delta`` compares the findings with an earlier findings document, keyed by
the stable fingerprint ``party|commitment|subject``. The delta is its own JSON document
(``FindingsDelta``, ``treaty-engine.findings-delta/v1``); the plain findings JSON is unchanged.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Literal

from engine.load import DEFAULT_LIMITS, Bundle, Limits, load_paths, sha256_bytes
from engine.model.base import Doc
from engine.model.findings import STATUS_ORDER, Finding, FindingsDocument, InputDigest, Summary

FORMATS: tuple[str, ...] = ("text", "json", "md", "html", "csv", "sarif", "junit")
"""Every report format, in the order the docs list them."""

EXTENSIONS: tuple[tuple[str, str], ...] = (
    (".junit.xml", "junit"),
    (".sarif.json", "sarif"),
    (".sarif", "sarif"),
    (".json", "json"),
    (".md", "md"),
    (".markdown", "md"),
    (".html", "html"),
    (".htm", "html"),
    (".csv", "csv"),
    (".xml", "junit"),
    (".txt", "text"),
)
"""Output-file suffixes and the format each implies; the longest matching suffix wins."""

STATUS_WORD: dict[str, str] = {
    "breach": "breach",
    "gap": "gap",
    "compliant": "compliant",
    "not_applicable": "not applicable",
}
STATUSES: tuple[str, ...] = ("breach", "gap", "compliant", "not_applicable")
"""Worst first."""

CHANGE_FIELDS: tuple[str, ...] = ("status", "flags", "severity", "evidence")
"""What makes a finding *changed* against the baseline. Explanation wording is not compared: it
quotes the as-of date, so two runs on different dates would otherwise always differ."""


def format_for_path(path: str | Path) -> str | None:
    """The format implied by an output file's name, or None if the suffix is not known."""
    name = Path(path).name.lower()
    for suffix, fmt in EXTENSIONS:
        if name.endswith(suffix):
            return fmt
    return None


def plan_outputs(formats: Sequence[str], outputs: Sequence[Path]) -> list[tuple[str, Path | None]]:
    """Pair ``--format`` and ``--output`` values: ``[(format, path or None for stdout)]``.

    * The Nth ``--format`` goes to the Nth ``--output``.
    * An ``--output`` without a ``--format`` at its position takes the format of its extension.
    * ``--format`` values beyond the outputs go to stdout: at most one.
    * Neither given: ``text`` to stdout.

    Raises ``ValueError`` with a message for the user.
    """
    for f in formats:
        if f not in FORMATS:
            raise ValueError(f"--format {f!r} is not one of: {', '.join(FORMATS)}")
    if not formats and not outputs:
        return [("text", None)]
    plan: list[tuple[str, Path | None]] = []
    seen: dict[str, Path] = {}
    for i, out in enumerate(outputs):
        fmt = formats[i] if i < len(formats) else format_for_path(out)
        if fmt is None:
            known = " ".join(s for s, _ in EXTENSIONS)
            raise ValueError(
                f"--output {out}: cannot tell the format from the name; add --format, "
                f"or end the name with one of {known}"
            )
        key = str(out.resolve()) if out.parent.exists() else str(out)
        if key in seen:
            raise ValueError(f"--output {out} is given twice")
        seen[key] = out
        plan.append((fmt, out))
    extra = list(formats[len(outputs) :])
    if len(extra) > 1:
        raise ValueError(
            f"only one format can go to stdout, but {', '.join(extra)} have no --output: "
            "give an --output for each"
        )
    plan.extend((f, None) for f in extra)
    return plan


def worst(statuses: Iterable[str]) -> str | None:
    """The worst status (breach > gap > compliant > not_applicable), None if there is none."""
    ranked = sorted(statuses, key=lambda s: STATUS_ORDER[s])
    return ranked[0] if ranked else None


def id_key(cid: str) -> tuple[str, int, str]:
    """Sort key for commitment ids: ``CB-2`` before ``CB-10``."""
    prefix, _, rest = cid.partition("-")
    digits = "".join(ch for ch in rest if ch.isdigit())
    return (prefix, int(digits or 0), rest)


# --------------------------------------------------------------------------------------------
# Baselines


class BaselineRef(Doc):
    """The earlier findings document a delta is computed against."""

    path: str
    """Path of the baseline file as given."""
    sha256: str
    """sha256 of the baseline file's bytes."""
    run_id: str
    """Run id recorded in the baseline."""
    as_of: date
    """As-of date of the baseline."""
    engine_version: str
    """Engine version that produced the baseline."""


class ChangedFinding(Doc):
    """A finding present in both runs whose status, flags, severity or evidence differ."""

    fingerprint: str
    """Stable fingerprint ``party|commitment|subject`` (``-`` for no subject)."""
    changes: list[str]
    """Which of status, flags, severity, evidence differ."""
    direction: Literal["worse", "better", "same"]
    """Whether the status got worse, better or stayed the same."""
    before: Finding
    """The finding in the baseline."""
    after: Finding
    """The finding now."""


class DeltaSummary(Doc):
    """Counts of the delta."""

    new: int = 0
    """Fingerprints not in the baseline."""
    resolved: int = 0
    """Fingerprints in the baseline that are gone."""
    changed: int = 0
    """Fingerprints in both whose finding changed."""
    unchanged: int = 0
    """Fingerprints in both whose finding did not change (not listed)."""


class FindingsDelta(Doc):
    """The output of ``treaty report --format json --baseline PREVIOUS.json``."""

    document: Literal["findings-delta"] = "findings-delta"
    """Document type tag; always ``findings-delta``."""
    format: Literal["treaty-engine.findings-delta/v1"] = "treaty-engine.findings-delta/v1"
    """Format version."""
    engine_version: str
    """Version of treaty-engine that produced it."""
    as_of: date
    """Evaluation date of the current run."""
    run_id: str
    """Run id of the current run (as in its findings document)."""
    treaty: str | None = None
    """Treaty id and version evaluated."""
    filters: dict[str, list[str]] = {}
    """Filters applied to the current run, and to the baseline before comparing."""
    inputs: list[InputDigest]
    """Every input document of the current run with its sha256."""
    baseline: BaselineRef
    """The baseline compared against."""
    current_summary: Summary
    """Counts per status of every current finding (not only the delta)."""
    summary: DeltaSummary
    """Counts of the delta."""
    new: list[Finding]
    """Findings whose fingerprint is not in the baseline, sorted by fingerprint."""
    resolved: list[Finding]
    """Baseline findings whose fingerprint is gone, as they were in the baseline."""
    changed: list[ChangedFinding]
    """Findings whose status, flags, severity or evidence changed."""


def _evidence_key(f: Finding) -> list[tuple[str, str, str]]:
    return sorted((e.record, e.report, e.sha256) for e in f.evidence)


def _differences(a: Finding, b: Finding) -> list[str]:
    out = []
    if a.status != b.status:
        out.append("status")
    if sorted(a.flags) != sorted(b.flags):
        out.append("flags")
    if a.severity != b.severity:
        out.append("severity")
    if _evidence_key(a) != _evidence_key(b):
        out.append("evidence")
    return out


def _in_filters(f: Finding, filters: Mapping[str, Sequence[str]]) -> bool:
    for key, attr in (("party", f.party), ("commitment", f.commitment), ("status", f.status)):
        wanted = filters.get(key) or []
        if wanted and attr not in wanted:
            return False
    return True


def compute_delta(
    baseline: FindingsDocument, current: FindingsDocument, *, path: str, sha256: str
) -> FindingsDelta:
    """New, resolved and changed findings of ``current`` against ``baseline``.

    The current run's filters are applied to the baseline's findings first, so that a run
    restricted to one party does not report every other party's findings as resolved.
    """
    before = {f.fingerprint(): f for f in baseline.findings if _in_filters(f, current.filters)}
    after = {f.fingerprint(): f for f in current.findings}
    new = [after[k] for k in sorted(after) if k not in before]
    resolved = [before[k] for k in sorted(before) if k not in after]
    changed: list[ChangedFinding] = []
    unchanged = 0
    for k in sorted(after):
        if k not in before:
            continue
        diff = _differences(before[k], after[k])
        if not diff:
            unchanged += 1
            continue
        rb, ra = STATUS_ORDER[before[k].status], STATUS_ORDER[after[k].status]
        direction: Literal["worse", "better", "same"] = (
            "worse" if ra < rb else "better" if ra > rb else "same"
        )
        changed.append(
            ChangedFinding(
                fingerprint=k, changes=diff, direction=direction, before=before[k], after=after[k]
            )
        )
    return FindingsDelta(
        engine_version=current.engine_version,
        as_of=current.as_of,
        run_id=current.run_id,
        treaty=current.treaty,
        filters=current.filters,
        inputs=current.inputs,
        baseline=BaselineRef(
            path=path,
            sha256=sha256,
            run_id=baseline.run_id,
            as_of=baseline.as_of,
            engine_version=baseline.engine_version,
        ),
        current_summary=current.summary,
        summary=DeltaSummary(
            new=len(new), resolved=len(resolved), changed=len(changed), unchanged=unchanged
        ),
        new=new,
        resolved=resolved,
        changed=changed,
    )


def load_findings(
    path: str | Path, limits: Limits = DEFAULT_LIMITS
) -> tuple[FindingsDocument, str, str]:
    """Load one findings document with the safe loader: (document, display path, sha256).

    Raises ``InputError`` if the file is not exactly one valid findings document.
    """
    from engine.errors import InputError, Problem

    b = load_paths([path], limits)
    if len(b.findings) != 1 or b.reports or b.commitments or b.treaties:
        raise InputError(
            [
                Problem(
                    str(path),
                    "not a findings document",
                    "pass the JSON written by 'treaty check --format json' or "
                    "'treaty report --format json'",
                    code="not-findings",
                )
            ]
        )
    doc, display = b.findings[0]
    digest = next(
        (i.sha256 for i in b.inputs if i.path == display), sha256_bytes(Path(path).read_bytes())
    )
    return doc, display, digest


# --------------------------------------------------------------------------------------------
# Context


@dataclass(frozen=True)
class CommitmentInfo:
    """What a report shows about a commitment."""

    id: str
    title: str
    severity: str
    category: str
    text: str


@dataclass(frozen=True)
class TrendPoint:
    """Counts per status on one as-of date."""

    as_of: date
    summary: Summary
    run_id: str


@dataclass(frozen=True)
class ReportContext:
    """Everything a renderer needs. ``doc`` is the run of the latest as-of date."""

    doc: FindingsDocument
    treaty_title: str = ""
    party_names: Mapping[str, str] = field(default_factory=dict)
    parties: Sequence[str] = ()
    commitments: Mapping[str, CommitmentInfo] = field(default_factory=dict)
    commitment_order: Sequence[str] = ()
    report_paths: Mapping[str, str] = field(default_factory=dict)
    treaty_path: str | None = None
    trend: Sequence[TrendPoint] = ()
    delta: FindingsDelta | None = None

    @property
    def shown(self) -> list[Finding]:
        """The findings listed: all of them, or with a baseline the new and changed ones."""
        if self.delta is None:
            return list(self.doc.findings)
        items = list(self.delta.new) + [c.after for c in self.delta.changed]
        return sorted(items, key=lambda f: (f.party, id_key(f.commitment), f.subject or ""))

    def change_of(self, f: Finding) -> str:
        """``new`` or ``changed`` for a finding shown with a baseline, else ""."""
        if self.delta is None:
            return ""
        return "new" if f.fingerprint() in self._new_fingerprints else "changed"

    @cached_property
    def _new_fingerprints(self) -> frozenset[str]:
        return frozenset(n.fingerprint() for n in self.delta.new) if self.delta else frozenset()

    def party_label(self, code: str) -> str:
        name = self.party_names.get(code, "")
        return f"{code} {name}".strip()

    def title_of(self, cid: str) -> str:
        info = self.commitments.get(cid)
        return info.title if info else ""

    def report_path(self, f: Finding) -> str | None:
        """File of the report that carried the finding's first evidence record."""
        for e in f.evidence:
            p = self.report_paths.get(e.report)
            if p:
                return p
        return None

    def columns(self, findings: Sequence[Finding] | None = None) -> list[str]:
        """Commitment columns of the matrix: those in force (treaty order) plus any in findings."""
        items = self.shown if findings is None else findings
        seen = list(self.commitment_order)
        wanted = self.doc.filters.get("commitment") or []
        if wanted:
            seen = [c for c in seen if c in wanted]
        extra = sorted({f.commitment for f in items} - set(seen), key=id_key)
        return seen + extra

    def rows(self, findings: Sequence[Finding] | None = None) -> list[str]:
        """Party rows of the matrix: the parties evaluated plus any in findings, by code."""
        items = self.shown if findings is None else findings
        codes = set(self.parties) | {f.party for f in items}
        wanted = self.doc.filters.get("party") or []
        if wanted:
            codes &= set(wanted) | {f.party for f in items}
        return sorted(codes)

    def grouped(
        self, findings: Sequence[Finding] | None = None
    ) -> dict[str, dict[str, list[Finding]]]:
        """party -> commitment -> findings, in row and column order."""
        items = self.shown if findings is None else findings
        out: dict[str, dict[str, list[Finding]]] = {}
        for f in items:
            out.setdefault(f.party, {}).setdefault(f.commitment, []).append(f)
        order = {c: i for i, c in enumerate(self.columns(items))}
        return {
            p: {
                c: out[p][c]
                for c in sorted(out[p], key=lambda c: (order.get(c, len(order)), id_key(c)))
            }
            for p in sorted(out)
        }


def build_context(
    bundle: Bundle,
    docs: Sequence[FindingsDocument],
    delta: FindingsDelta | None = None,
) -> ReportContext:
    """A context for the latest of ``docs`` (one per as-of date), with trend and delta."""
    if not docs:
        raise ValueError("build_context needs at least one findings document")
    ordered = sorted(docs, key=lambda d: d.as_of)
    latest = ordered[-1]
    treaty = bundle.treaty
    in_force = list(treaty.commitments) if treaty else []
    infos = {
        cid: CommitmentInfo(
            id=cid, title=c.title, severity=c.severity, category=c.category, text=c.authentic_text()
        )
        for cid, c in bundle.commitments.items()
    }
    wanted = latest.filters.get("party") or []
    parties = (
        sorted(p.code for p in treaty.parties if not wanted or p.code in wanted) if treaty else []
    )
    return ReportContext(
        doc=latest,
        treaty_title=f"{treaty.title} {treaty.version}" if treaty else (latest.treaty or ""),
        party_names={p.code: p.name for p in treaty.parties} if treaty else {},
        parties=parties,
        commitments=infos,
        commitment_order=[c for c in in_force if c in infos],
        report_paths={
            **{sr.id: sr.path for sr in bundle.streamed},
            **{lr.report.id: lr.path for lr in bundle.reports},
        },
        treaty_path=bundle.treaty_path,
        trend=[TrendPoint(d.as_of, d.summary, d.run_id) for d in ordered]
        if len(ordered) > 1
        else [],
        delta=delta,
    )


def context_from_document(doc: FindingsDocument) -> ReportContext:
    """A minimal context when only a findings document is at hand (no names, no clause texts)."""
    return ReportContext(
        doc=doc,
        treaty_title=doc.treaty or "",
        parties=sorted({f.party for f in doc.findings}),
        commitment_order=sorted({f.commitment for f in doc.findings}, key=id_key),
    )


# --------------------------------------------------------------------------------------------
# Helpers shared by the renderers


def total(s: Summary) -> int:
    return s.breach + s.gap + s.compliant + s.not_applicable


def count(s: Summary, status: str) -> int:
    value: int = getattr(s, status)
    return value


def cell_counts(findings: Sequence[Finding]) -> dict[str, int]:
    out = dict.fromkeys(STATUSES, 0)
    for f in findings:
        out[f.status] += 1
    return out


def subject_label(f: Finding) -> str:
    return f.subject or "(commitment as a whole)"


def flags_text(f: Finding) -> str:
    return ", ".join(f.flags)


def values_text(f: Finding) -> str:
    return "; ".join(f"{k} = {v}" for k, v in f.explanation.values.items())


def evidence_text(f: Finding, paths: Mapping[str, str]) -> str:
    parts = []
    for e in f.evidence:
        where = paths.get(e.report)
        loc = f"{e.report}, {e.source}" + (f", {where}" if where else "")
        parts.append(f"{e.record} ({e.kind}) in {loc}, sha256 {e.sha256[:12]}")
    return "; ".join(parts)


# --------------------------------------------------------------------------------------------
# Text and JSON


def _header(doc: FindingsDocument) -> str:
    return (
        f"treaty report: as of {doc.as_of.isoformat()} | {doc.treaty or ''} | "
        f"engine {doc.engine_version} | run {doc.run_id}"
    )


def render_text_report(ctx: ReportContext) -> str:
    """The ``check`` text layout, with the trend and the baseline delta when present."""
    from engine.render.text import LABEL, summary_line

    doc = ctx.doc
    if ctx.delta is None:
        text = _text_from_context(ctx)
    else:
        d = ctx.delta
        lines = [
            _header(doc),
            f"baseline: {d.baseline.path} (as of {d.baseline.as_of.isoformat()}, "
            f"run {d.baseline.run_id})",
            f"Delta: {d.summary.new} new, {d.summary.changed} changed, "
            f"{d.summary.resolved} resolved, "
            f"{d.summary.unchanged} unchanged",
        ]
        for title, items in (("New", d.new), ("Resolved", d.resolved)):
            lines.append("")
            lines.append(f"{title} ({len(items)})")
            for f in items:
                lines.append(f"  {LABEL[f.status]:<6} {f.fingerprint()}")
                lines.append(f"         {f.explanation.summary}")
        lines.append("")
        lines.append(f"Changed ({len(d.changed)})")
        for c in d.changed:
            lines.append(
                f"  {LABEL[c.before.status]} -> {LABEL[c.after.status]}  {c.fingerprint} "
                f"({', '.join(c.changes)}; {c.direction})"
            )
            lines.append(f"         {c.after.explanation.summary}")
        lines.append("")
        lines.append(summary_line(doc))
        text = "\n".join(lines) + "\n"
    if ctx.trend:
        trend = ["", "Trend (findings per status per as-of date)"]
        trend.append(f"  {'as of':<10}  {'breach':>6}  {'gap':>6}  {'compliant':>9}  {'n/a':>6}")
        for t in ctx.trend:
            s = t.summary
            trend.append(
                f"  {t.as_of.isoformat():<10}  {s.breach:>6}  {s.gap:>6}  "
                f"{s.compliant:>9}  {s.not_applicable:>6}"
            )
        text += "\n".join(trend) + "\n"
    return text


def _text_from_context(ctx: ReportContext) -> str:
    from engine.render.text import LABEL, summary_line

    doc = ctx.doc
    lines = [_header(doc)]
    for party, by_c in ctx.grouped().items():
        lines.append("")
        lines.append(ctx.party_label(party))
        for cid, items in by_c.items():
            lines.append(f"  {cid}  {ctx.title_of(cid)}".rstrip())
            for f in items:
                flags = f" [{flags_text(f)}]" if f.flags else ""
                lines.append(f"    {LABEL[f.status]:<6} {subject_label(f)}{flags}")
                lines.append(f"           {f.explanation.summary}")
                if f.explanation.counterfactual:
                    lines.append(f"           -> {f.explanation.counterfactual}")
    lines.append("")
    lines.append(summary_line(doc))
    return "\n".join(lines) + "\n"


def render_json_report(ctx: ReportContext) -> str:
    """The findings document (as ``check --format json``), or the delta document with a baseline."""
    from engine.render.text import render_json

    if ctx.delta is not None:
        return ctx.delta.model_dump_json(indent=2) + "\n"
    return render_json(ctx.doc)


# --------------------------------------------------------------------------------------------
# Markdown

_MD_SPECIAL = set("\\`*_{}[]()#+!|~>")


def md_escape(value: object) -> str:
    """Inline-safe Markdown: HTML and Markdown punctuation neutralised, newlines folded."""
    text = " ".join(str(value).split())
    out = []
    for ch in text:
        if ch == "&":
            out.append("&amp;")
        elif ch == "<":
            out.append("&lt;")
        elif ch == ">":
            out.append("&gt;")
        elif ch in _MD_SPECIAL:
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)


def _md_status(status: str) -> str:
    return (
        f"**{STATUS_WORD[status].upper()}**" if status in ("breach", "gap") else STATUS_WORD[status]
    )


def render_markdown(ctx: ReportContext) -> str:
    """Markdown for notes and pull requests: summary, trend, delta, matrix, findings by party."""
    doc = ctx.doc
    s = doc.summary
    L: list[str] = []
    title = md_escape(ctx.treaty_title or doc.treaty or "treaty")
    L.append(f"# Compliance report: {title}")
    L.append("")
    L.append(
        f"As of **{doc.as_of.isoformat()}** · engine {md_escape(doc.engine_version)} · "
        f"run `{doc.run_id}`"
    )
    if doc.filters:
        L.append("")
        L.append(
            "Filters: "
            + "; ".join(f"{k} = {md_escape(', '.join(v))}" for k, v in doc.filters.items())
        )
    L.append("")
    L.append("## Summary")
    L.append("")
    L.append("| Status | Findings |")
    L.append("|---|---:|")
    for st in STATUSES:
        L.append(f"| {STATUS_WORD[st]} | {count(s, st)} |")
    L.append(f"| total | {total(s)} |")
    if ctx.trend:
        L.append("")
        L.append("## Trend")
        L.append("")
        L.append("| As of | breach | gap | compliant | not applicable |")
        L.append("|---|---:|---:|---:|---:|")
        for t in ctx.trend:
            ts = t.summary
            L.append(
                f"| {t.as_of.isoformat()} | {ts.breach} | {ts.gap} | {ts.compliant} | "
                f"{ts.not_applicable} |"
            )
    if ctx.delta is not None:
        d = ctx.delta
        L.append("")
        L.append("## Changes since the baseline")
        L.append("")
        L.append(
            f"Baseline: {md_escape(d.baseline.path)} (as of {d.baseline.as_of.isoformat()}, "
            f"run `{d.baseline.run_id}`). "
            f"**{d.summary.new} new**, **{d.summary.changed} changed**, "
            f"{d.summary.resolved} resolved, "
            f"{d.summary.unchanged} unchanged (not listed)."
        )
        L.append("")
        L.append("| Change | Finding | Before | Now | What changed |")
        L.append("|---|---|---|---|---|")
        for f in d.new:
            L.append(f"| new | {md_escape(f.fingerprint())} | — | {_md_status(f.status)} | |")
        for ch in d.changed:
            L.append(
                f"| changed ({ch.direction}) | {md_escape(ch.fingerprint)} | "
                f"{_md_status(ch.before.status)} | "
                f"{_md_status(ch.after.status)} | {md_escape(', '.join(ch.changes))} |"
            )
        for f in d.resolved:
            L.append(
                f"| resolved | {md_escape(f.fingerprint())} | {_md_status(f.status)} | — | "
                "no longer reported |"
            )
    cols = ctx.columns()
    rows = ctx.rows()
    grouped = ctx.grouped()
    L.append("")
    L.append("## Matrix")
    L.append("")
    L.append(
        "Worst status per party and commitment (breach > gap > compliant > not applicable)"
        + (", new and changed findings only" if ctx.delta is not None else "")
        + "."
    )
    L.append("")
    if cols and rows:
        L.append("| Party | " + " | ".join(md_escape(c) for c in cols) + " |")
        L.append("|---|" + "---|" * len(cols))
        for p in rows:
            cells = []
            for cid in cols:
                items = grouped.get(p, {}).get(cid, [])
                w = worst(f.status for f in items)
                cells.append(f"{_md_status(w)} ({len(items)})" if w else "·")
            L.append(f"| {md_escape(ctx.party_label(p))} | " + " | ".join(cells) + " |")
    else:
        L.append("_No findings._")
    L.append("")
    L.append("## Findings by party")
    for p, by_c in grouped.items():
        L.append("")
        L.append(f"### {md_escape(ctx.party_label(p))}")
        for cid, items in by_c.items():
            L.append("")
            L.append(f"#### {md_escape(cid)} {md_escape(ctx.title_of(cid))}".rstrip())
            L.append("")
            for f in items:
                change = ctx.change_of(f)
                flags = f" [{md_escape(flags_text(f))}]" if f.flags else ""
                prefix = f"({change}) " if change else ""
                L.append(
                    f"- {prefix}{_md_status(f.status)} {md_escape(subject_label(f))}{flags}: "
                    f"{md_escape(f.explanation.summary)}"
                )
                if f.explanation.values:
                    L.append(f"  - Values: {md_escape(values_text(f))}")
                if f.explanation.counterfactual:
                    L.append(f"  - Counterfactual: {md_escape(f.explanation.counterfactual)}")
                if f.evidence:
                    L.append(f"  - Evidence: {md_escape(evidence_text(f, ctx.report_paths))}")
                L.append(f"  - Clause: {md_escape(f.explanation.clause)}")
    L.append("")
    L.append("## Provenance")
    L.append("")
    L.append(
        f"As of {doc.as_of.isoformat()}, treaty-engine {md_escape(doc.engine_version)}, "
        f"run `{doc.run_id}`."
    )
    L.append("")
    L.append("| Input | Document | sha256 |")
    L.append("|---|---|---|")
    for i in doc.inputs:
        L.append(f"| {md_escape(i.path)} | {md_escape(i.document)} | `{i.sha256}` |")
    return "\n".join(L) + "\n"


# --------------------------------------------------------------------------------------------
# CSV

CSV_COLUMNS: tuple[str, ...] = (
    "party",
    "party_name",
    "commitment",
    "commitment_title",
    "severity",
    "subject",
    "status",
    "flags",
    "summary",
    "values",
    "counterfactual",
    "clause",
    "evidence_records",
    "evidence_reports",
    "evidence_sources",
    "evidence_sha256",
    "report_file",
    "fingerprint",
    "change",
    "as_of",
    "run_id",
)
"""The CSV columns, in order. New columns are only ever appended."""

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> str:
    """A cell a spreadsheet will not run: text starting with = + - @ (or tab, CR) gets a quote."""
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text


def _csv_row(ctx: ReportContext, f: Finding, change: str) -> list[str]:
    return [
        f.party,
        ctx.party_names.get(f.party, ""),
        f.commitment,
        ctx.title_of(f.commitment),
        f.severity,
        f.subject or "",
        f.status,
        " ".join(f.flags),
        f.explanation.summary,
        values_text(f),
        f.explanation.counterfactual or "",
        f.explanation.clause,
        " ".join(e.record for e in f.evidence),
        " ".join(e.report for e in f.evidence),
        " ".join(e.source for e in f.evidence),
        " ".join(e.sha256 for e in f.evidence),
        ctx.report_path(f) or "",
        f.fingerprint(),
        change,
        f.as_of.isoformat(),
        ctx.doc.run_id,
    ]


def render_csv(ctx: ReportContext) -> str:
    """One row per finding, stable columns, RFC 4180 (CRLF, quotes doubled), formula-guarded."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    w.writerow(CSV_COLUMNS)
    rows: list[tuple[Finding, str]]
    if ctx.delta is None:
        rows = [(f, "") for f in ctx.doc.findings]
    else:
        rows = [(f, ctx.change_of(f)) for f in ctx.shown] + [
            (f, "resolved") for f in ctx.delta.resolved
        ]
    for f, change in rows:
        w.writerow([csv_cell(v) for v in _csv_row(ctx, f, change)])
    return buf.getvalue()


# --------------------------------------------------------------------------------------------
# Dispatch


def renderers() -> dict[str, Callable[[ReportContext], str]]:
    from engine.render.ci import render_junit, render_sarif
    from engine.render.html import render_html

    return {
        "text": render_text_report,
        "json": render_json_report,
        "md": render_markdown,
        "html": render_html,
        "csv": render_csv,
        "sarif": render_sarif,
        "junit": render_junit,
    }


def render(fmt: str, ctx: ReportContext) -> str:
    """Render ``ctx`` in ``fmt`` (one of ``FORMATS``)."""
    table = renderers()
    if fmt not in table:
        raise ValueError(f"unknown report format {fmt!r}: use one of {', '.join(FORMATS)}")
    return table[fmt](ctx)


def failing_count(ctx: ReportContext, fail_on: str) -> int:
    """Findings that make the exit code 1: breaches (and gaps with ``fail_on='gap'``).

    With a baseline only the new and changed findings count.
    """
    bad = {"breach"} | ({"gap"} if fail_on == "gap" else set())
    items = ctx.shown if ctx.delta is not None else ctx.doc.findings
    return sum(1 for f in items if f.status in bad)
