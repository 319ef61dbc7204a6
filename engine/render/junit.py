"""JUnit XML, for test dashboards: a testsuite per party, a testcase per finding.

breach -> ``<failure type="breach">``; gap -> ``<error type="gap">`` (the conduct could not be
judged: missing or insufficient evidence, or a pending determination); not_applicable ->
``<skipped>``; compliant -> a passing testcase. Every value goes through ``xml_text``.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence

from engine.model.findings import Finding
from engine.render.common import (
    STATUS_WORD,
    cell_counts,
    evidence_text,
    flags_text,
    subject_label,
    values_text,
)
from engine.render.context import ReportContext

_XML_BAD = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_COUNTS = ("tests", "failures", "errors", "skipped")


def xml_text(value: object) -> str:
    """Text XML 1.0 can carry: characters it forbids (control characters) become U+FFFD."""
    return _XML_BAD.sub("\ufffd", "" if value is None else str(value))


def _details(ctx: ReportContext, f: Finding) -> str:
    lines = [f.explanation.summary]
    if f.flags:
        lines.append(f"Flags: {flags_text(f)}")
    if f.explanation.values:
        lines.append(f"Values: {values_text(f)}")
    if f.explanation.counterfactual:
        lines.append(f"Counterfactual: {f.explanation.counterfactual}")
    if f.evidence:
        lines.append(f"Evidence: {evidence_text(f, ctx.report_paths)}")
    lines.append(f"Clause: {f.explanation.clause}")
    lines.append(f"Fingerprint: {f.fingerprint()}")
    return "\n".join(lines)


def _el(
    parent: ET.Element, tag: str, attrs: dict[str, str] | None = None, text: str | None = None
) -> ET.Element:
    e = ET.SubElement(parent, tag, {k: xml_text(v) for k, v in (attrs or {}).items()})
    if text is not None:
        e.text = xml_text(text)
    return e


def _properties(suite: ET.Element, ctx: ReportContext) -> None:
    doc = ctx.doc
    props = _el(suite, "properties")
    for name, value in (
        ("as_of", doc.as_of.isoformat()),
        ("run_id", doc.run_id),
        ("engine_version", doc.engine_version),
        ("treaty", doc.treaty or ""),
    ):
        _el(props, "property", {"name": name, "value": value})
    if ctx.delta is not None:
        b = ctx.delta.baseline
        _el(props, "property", {"name": "baseline", "value": f"{b.path} ({b.run_id})"})
    for inp in doc.inputs:
        _el(props, "property", {"name": f"input:{inp.path}", "value": f"sha256:{inp.sha256}"})


def _case(suite: ET.Element, ctx: ReportContext, f: Finding, change: str) -> None:
    case = _el(
        suite,
        "testcase",
        {
            "classname": f"{f.party}.{f.commitment}",
            "name": f"{f.commitment} {subject_label(f)}",
            "time": "0",
        },
    )
    details = _details(ctx, f)
    if change == "resolved":
        was = f"Resolved since the baseline (was {STATUS_WORD[f.status]}).\n"
        _el(case, "system-out", text=was + details)
        return
    if change:
        details = f"{change.capitalize()} since the baseline.\n" + details
    message = f.explanation.summary
    if f.status == "breach":
        _el(case, "failure", {"type": "breach", "message": message}, details)
    elif f.status == "gap":
        _el(case, "error", {"type": "gap", "message": message}, details)
    else:
        if f.status == "not_applicable":
            _el(case, "skipped", {"message": message})
        _el(case, "system-out", text=details)


def _suite(
    root: ET.Element, ctx: ReportContext, party: str, items: Sequence[tuple[Finding, str]]
) -> dict[str, int]:
    """The party's testsuite; returns its counts."""
    counts = cell_counts([f for f, change in items if change != "resolved"])
    n = {
        "tests": len(items),
        "failures": counts["breach"],
        "errors": counts["gap"],
        "skipped": counts["not_applicable"],
    }
    attrs = {"name": ctx.party_label(party), "package": party}
    suite = _el(root, "testsuite", attrs | {k: str(v) for k, v in n.items()} | {"time": "0"})
    _properties(suite, ctx)
    for f, change in items:
        _case(suite, ctx, f, change)
    return n


def render_report(ctx: ReportContext) -> str:
    """JUnit XML: a testsuite per party, a testcase per finding (see the module docstring)."""
    by_party: dict[str, list[tuple[Finding, str]]] = {}
    for f, change in ctx.listed():
        by_party.setdefault(f.party, []).append((f, change))
    name = xml_text(f"treaty-engine {ctx.doc.treaty or ''}".strip())
    root = ET.Element("testsuites", {"name": name})
    totals = dict.fromkeys(_COUNTS, 0)
    for party in sorted(by_party):
        for k, v in _suite(root, ctx, party, by_party[party]).items():
            totals[k] += v
    # Attribute order: name first, then the counts (ElementTree keeps insertion order).
    root.attrib.update({k: str(v) for k, v in totals.items()} | {"time": "0"})
    ET.indent(root, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
