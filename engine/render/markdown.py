"""The Markdown report, for notes and pull requests: summary, trend, delta, matrix, findings.

Every value that can come from an input document goes through ``md_escape``: report content may
come from adversaries, and must not inject links, HTML or table cells.
"""

from __future__ import annotations

from engine.model.findings import Finding
from engine.render.common import (
    STATUS_WORD,
    STATUSES,
    count,
    evidence_text,
    flags_text,
    subject_label,
    total,
    values_text,
    worst,
)
from engine.render.context import ReportContext

_MD_SPECIAL = set("\\`*_{}[]()#+!|~>")
_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


def md_escape(value: object) -> str:
    """Inline-safe Markdown: HTML and Markdown punctuation neutralised, newlines folded."""
    text = " ".join(str(value).split())
    return "".join(
        _HTML[ch] if ch in _HTML else "\\" + ch if ch in _MD_SPECIAL else ch for ch in text
    )


def _status(status: str) -> str:
    word = STATUS_WORD[status]
    return f"**{word.upper()}**" if status in ("breach", "gap") else word


def _head(ctx: ReportContext) -> list[str]:
    doc = ctx.doc
    lines = [
        f"# Compliance report: {md_escape(ctx.treaty_title or doc.treaty or 'treaty')}",
        "",
        f"As of **{doc.as_of.isoformat()}** · engine {md_escape(doc.engine_version)} · "
        f"run `{doc.run_id}`",
    ]
    if doc.filters:
        filters = "; ".join(f"{k} = {md_escape(', '.join(v))}" for k, v in doc.filters.items())
        lines += ["", "Filters: " + filters]
    return lines


def _summary(ctx: ReportContext) -> list[str]:
    s = ctx.doc.summary
    lines = ["", "## Summary", "", "| Status | Findings |", "|---|---:|"]
    lines += [f"| {STATUS_WORD[st]} | {count(s, st)} |" for st in STATUSES]
    lines.append(f"| total | {total(s)} |")
    return lines


def _trend(ctx: ReportContext) -> list[str]:
    lines = [
        "",
        "## Trend",
        "",
        "| As of | breach | gap | compliant | not applicable |",
        "|---|---:|---:|---:|---:|",
    ]
    for t in ctx.trend:
        ts = t.summary
        lines.append(
            f"| {t.as_of.isoformat()} | {ts.breach} | {ts.gap} | {ts.compliant} | "
            f"{ts.not_applicable} |"
        )
    return lines


def _delta(ctx: ReportContext) -> list[str]:
    d = ctx.delta
    assert d is not None
    lines = [
        "",
        "## Changes since the baseline",
        "",
        f"Baseline: {md_escape(d.baseline.path)} (as of {d.baseline.as_of.isoformat()}, "
        f"run `{d.baseline.run_id}`). "
        f"**{d.summary.new} new**, **{d.summary.changed} changed**, "
        f"{d.summary.resolved} resolved, "
        f"{d.summary.unchanged} unchanged (not listed).",
        "",
        "| Change | Finding | Before | Now | What changed |",
        "|---|---|---|---|---|",
    ]
    for f in d.new:
        lines.append(f"| new | {md_escape(f.fingerprint())} | — | {_status(f.status)} | |")
    for ch in d.changed:
        lines.append(
            f"| changed ({ch.direction}) | {md_escape(ch.fingerprint)} | "
            f"{_status(ch.before.status)} | "
            f"{_status(ch.after.status)} | {md_escape(', '.join(ch.changes))} |"
        )
    for f in d.resolved:
        lines.append(
            f"| resolved | {md_escape(f.fingerprint())} | {_status(f.status)} | — | "
            "no longer reported |"
        )
    return lines


def _matrix(ctx: ReportContext, grouped: dict[str, dict[str, list[Finding]]]) -> list[str]:
    cols, rows = ctx.columns(), ctx.rows()
    only = ", new and changed findings only" if ctx.delta is not None else ""
    lines = [
        "",
        "## Matrix",
        "",
        f"Worst status per party and commitment (breach > gap > compliant > not applicable){only}.",
        "",
    ]
    if not (cols and rows):
        return [*lines, "_No findings._"]
    lines.append("| Party | " + " | ".join(md_escape(c) for c in cols) + " |")
    lines.append("|---|" + "---|" * len(cols))
    for p in rows:
        cells = []
        for cid in cols:
            items = grouped.get(p, {}).get(cid, [])
            w = worst(f.status for f in items)
            cells.append(f"{_status(w)} ({len(items)})" if w else "·")
        lines.append(f"| {md_escape(ctx.party_label(p))} | " + " | ".join(cells) + " |")
    return lines


def _finding(ctx: ReportContext, f: Finding) -> list[str]:
    change = ctx.change_of(f)
    flags = f" [{md_escape(flags_text(f))}]" if f.flags else ""
    prefix = f"({change}) " if change else ""
    ex = f.explanation
    lines = [
        f"- {prefix}{_status(f.status)} {md_escape(subject_label(f))}{flags}: "
        f"{md_escape(ex.summary)}"
    ]
    if ex.values:
        lines.append(f"  - Values: {md_escape(values_text(f))}")
    if ex.counterfactual:
        lines.append(f"  - Counterfactual: {md_escape(ex.counterfactual)}")
    if f.evidence:
        lines.append(f"  - Evidence: {md_escape(evidence_text(f, ctx.report_paths))}")
    lines.append(f"  - Clause: {md_escape(ex.clause)}")
    return lines


def _findings(ctx: ReportContext, grouped: dict[str, dict[str, list[Finding]]]) -> list[str]:
    lines = ["", "## Findings by party"]
    for p, by_c in grouped.items():
        lines += ["", f"### {md_escape(ctx.party_label(p))}"]
        for cid, items in by_c.items():
            lines += ["", f"#### {md_escape(cid)} {md_escape(ctx.title_of(cid))}".rstrip(), ""]
            for f in items:
                lines += _finding(ctx, f)
    return lines


def _provenance(ctx: ReportContext) -> list[str]:
    doc = ctx.doc
    lines = [
        "",
        "## Provenance",
        "",
        f"As of {doc.as_of.isoformat()}, treaty-engine {md_escape(doc.engine_version)}, "
        f"run `{doc.run_id}`.",
        "",
        "| Input | Document | sha256 |",
        "|---|---|---|",
    ]
    lines += [
        f"| {md_escape(i.path)} | {md_escape(i.document)} | `{i.sha256}` |" for i in doc.inputs
    ]
    return lines


def render_report(ctx: ReportContext) -> str:
    """Markdown for notes and pull requests: summary, trend, delta, matrix, findings by party."""
    grouped = ctx.grouped()
    lines = _head(ctx) + _summary(ctx)
    if ctx.trend:
        lines += _trend(ctx)
    if ctx.delta is not None:
        lines += _delta(ctx)
    lines += _matrix(ctx, grouped) + _findings(ctx, grouped) + _provenance(ctx)
    return "\n".join(lines) + "\n"
