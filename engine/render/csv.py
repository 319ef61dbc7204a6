"""The CSV report: one row per finding, for spreadsheets and scripts.

RFC 4180 (CRLF line ends, quotes doubled); the columns never change order, new ones are only
appended. Cells that a spreadsheet would run as a formula are defused (``csv_cell``).
"""

from __future__ import annotations

import csv
import io

from engine.model.findings import Finding
from engine.render.common import values_text
from engine.render.context import ReportContext

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


def render_report(ctx: ReportContext) -> str:
    """One row per finding, stable columns, RFC 4180 (CRLF, quotes doubled), formula-guarded."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    w.writerow(CSV_COLUMNS)
    for f, change in ctx.listed():
        w.writerow([csv_cell(v) for v in _csv_row(ctx, f, change)])
    return buf.getvalue()
