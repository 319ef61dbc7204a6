"""The text format: findings for a terminal (``check``, ``report``), lint findings, verify outcomes.

``treaty check`` streams it party by party: ``text_head``, then one ``text_party`` chunk per
party, then ``text_tail`` (``text_stream`` puts them together); ``render_text`` is the same bytes
for a whole findings document.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence

from engine.model.commitment import Commitment, TreatyState
from engine.model.findings import Finding, FindingsDocument
from engine.model.lint import LintReport
from engine.render.common import LABEL, WHOLE, total
from engine.render.context import ReportContext
from engine.render.verify import FindingDiff, VerifyResult

# --------------------------------------------------------------------------------------------
# treaty check (streamed per party)


def summary_line(doc: FindingsDocument) -> str:
    """``Summary: N breach, N gap, ... as of DATE``: the last line, also printed on stderr."""
    s = doc.summary
    return (
        f"Summary: {s.breach} breach, {s.gap} gap, {s.compliant} compliant, "
        f"{s.not_applicable} not applicable ({total(s)} findings) as of {doc.as_of.isoformat()}"
    )


def text_head(doc: FindingsDocument) -> str:
    """The first line of the text output (nothing in it depends on the findings)."""
    return (
        f"treaty check: as of {doc.as_of.isoformat()} | {doc.treaty or ''} | engine "
        f"{doc.engine_version} | run {doc.run_id}\n"
    )


def text_tail(doc: FindingsDocument) -> str:
    """The end of the text output: a blank line and the summary line."""
    return "\n" + summary_line(doc) + "\n"


def _finding_lines(f: Finding) -> list[str]:
    """A finding under its commitment: label, subject, flags; its summary; its counterfactual."""
    flags = f" [{', '.join(f.flags)}]" if f.flags else ""
    lines = [
        f"    {LABEL[f.status]:<6} {f.subject or WHOLE}{flags}",
        f"           {f.explanation.summary}",
    ]
    if f.explanation.counterfactual:
        lines.append(f"           -> {f.explanation.counterfactual}")
    return lines


def text_party(
    findings: Sequence[Finding],
    treaty: TreatyState | None = None,
    commitments: Mapping[str, Commitment] | None = None,
) -> str:
    """The text block of one party's findings (sorted, all of one party), grouped by commitment."""
    if not findings:
        return ""
    party = findings[0].party
    name = next((p.name for p in treaty.parties if p.code == party), "") if treaty else ""
    titles = {cid: c.title for cid, c in (commitments or {}).items()}
    lines = ["", f"{party}  {name}".rstrip()]
    grouped: dict[str, list[Finding]] = defaultdict(list)
    for f in findings:
        grouped[f.commitment].append(f)
    for cid in sorted(grouped):
        lines.append(f"  {cid}  {titles.get(cid, '')}".rstrip())
        for f in grouped[cid]:
            lines.extend(_finding_lines(f))
    return "\n".join(lines) + "\n"


def text_stream(head: FindingsDocument, parts: Iterable[str]) -> Iterator[str]:
    """The text output of ``head`` with the findings given as ``text_party`` chunks.

    Only ``head``'s header fields and summary are read, not its findings.
    """
    yield text_head(head)
    yield from parts
    yield text_tail(head)


def render_text(
    doc: FindingsDocument,
    treaty: TreatyState | None = None,
    commitments: Mapping[str, Commitment] | None = None,
) -> str:
    """Findings grouped by party, then commitment, with the summary line last."""
    by_party: dict[str, list[Finding]] = defaultdict(list)
    for f in doc.findings:
        by_party[f.party].append(f)
    parts = [text_party(by_party[p], treaty, commitments) for p in sorted(by_party)]
    return "".join(text_stream(doc, parts))


# --------------------------------------------------------------------------------------------
# treaty report


def _report_header(doc: FindingsDocument) -> str:
    return (
        f"treaty report: as of {doc.as_of.isoformat()} | {doc.treaty or ''} | "
        f"engine {doc.engine_version} | run {doc.run_id}"
    )


def _report_findings(ctx: ReportContext) -> list[str]:
    lines = []
    for party, by_c in ctx.grouped().items():
        lines.append("")
        lines.append(ctx.party_label(party))
        for cid, items in by_c.items():
            lines.append(f"  {cid}  {ctx.title_of(cid)}".rstrip())
            for f in items:
                lines.extend(_finding_lines(f))
    return lines


def _report_delta(ctx: ReportContext) -> list[str]:
    d = ctx.delta
    assert d is not None
    lines = [
        f"baseline: {d.baseline.path} (as of {d.baseline.as_of.isoformat()}, "
        f"run {d.baseline.run_id})",
        f"Delta: {d.summary.new} new, {d.summary.changed} changed, "
        f"{d.summary.resolved} resolved, {d.summary.unchanged} unchanged",
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
    return lines


def _report_trend(ctx: ReportContext) -> list[str]:
    lines = ["", "Trend (findings per status per as-of date)"]
    lines.append(f"  {'as of':<10}  {'breach':>6}  {'gap':>6}  {'compliant':>9}  {'n/a':>6}")
    for t in ctx.trend:
        s = t.summary
        lines.append(
            f"  {t.as_of.isoformat():<10}  {s.breach:>6}  {s.gap:>6}  "
            f"{s.compliant:>9}  {s.not_applicable:>6}"
        )
    return lines


def render_report(ctx: ReportContext) -> str:
    """The ``check`` text layout, with the trend and the baseline delta when present."""
    body = _report_findings(ctx) if ctx.delta is None else _report_delta(ctx)
    lines = [_report_header(ctx.doc), *body, "", summary_line(ctx.doc)]
    if ctx.trend:
        lines += _report_trend(ctx)
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------------------------
# treaty lint


def lint_summary_line(report: LintReport) -> str:
    """``lint: N error(s), N warning(s), N info in N commitment(s)``."""
    c = report.counts()
    return (
        f"lint: {c['error']} error(s), {c['warning']} warning(s), {c['info']} info "
        f"in {report.commitments} commitment(s)"
    )


def render_lint(report: LintReport) -> str:
    """One line per lint finding, then the summary line."""
    lines = [f.render() for f in report.findings]
    lines.append(lint_summary_line(report))
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------------------------
# treaty verify


def _verify_finding(d: FindingDiff) -> str:
    if d.kind == "added":
        st = d.recomputed.status if d.recomputed else "?"
        return f"finding added: {d.fingerprint} ({st}) is not in the document"
    if d.kind == "removed":
        st = d.recorded.status if d.recorded else "?"
        return f"finding removed: {d.fingerprint} ({st}) is no longer found"
    detail = ", ".join(d.fields)
    if d.recorded and d.recomputed and d.recorded.status != d.recomputed.status:
        detail = f"{d.recorded.status} -> {d.recomputed.status}; {detail}"
    return f"finding differs: {d.fingerprint} ({detail})"


def render_verify(result: VerifyResult, name: str) -> str:
    """Plain-text outcome, one line per problem; the first line says verified or not."""
    lines: list[str] = []
    if result.ok:
        n = len(result.inputs)
        f = len(result.recomputed.findings) if result.recomputed else 0
        signed = (
            f", {result.signatures} signature(s) valid under {result.keys} registered key(s)"
            if result.keys
            else ""
        )
        lines.append(
            f"verified: {name}: {n} input(s) unchanged{signed}, {f} finding(s) identical on "
            "re-evaluation"
        )
    else:
        lines.append(f"NOT verified: {name}")
    for i in result.inputs:
        if i.state == "missing":
            lines.append(f"  input missing: {i.path} (recorded sha256 {i.expected})")
        elif i.state == "changed":
            lines.append(
                f"  input changed: {i.path} (sha256 {i.expected} recorded, {i.actual} now)"
            )
    lines += [f"  {_verify_finding(d)}" for d in result.findings]
    lines += [f"  {p}" for p in result.problems]
    lines += [f"  note: {note}" for note in result.notes]
    return "\n".join(lines) + "\n"
