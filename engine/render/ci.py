"""Reports for CI systems: SARIF 2.1.0 (code-scanning tools) and JUnit XML (test dashboards)."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any
from urllib.parse import quote

from engine.model.findings import Finding
from engine.render.reports import (
    STATUS_WORD,
    ReportContext,
    cell_counts,
    evidence_text,
    flags_text,
    subject_label,
    values_text,
)

SARIF_SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
FINGERPRINT_KEY = "treatyFinding/v1"
"""partialFingerprints key holding ``party|commitment|subject``."""

SEVERITY_LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note"}
"""A rule's defaultConfiguration.level from the commitment's severity."""

RESULT_KIND_LEVEL = {
    "breach": ("fail", "error"),
    "gap": ("fail", "warning"),
    "compliant": ("pass", "none"),
    "not_applicable": ("notApplicable", "none"),
}
"""SARIF (kind, level) of a result from the finding's status."""

BASELINE_STATE = {"new": "new", "changed": "updated", "resolved": "absent"}


def artifact_uri(path: str) -> str:
    """A SARIF ``uri-reference`` for a path as the loader displays it."""
    if PurePosixPath(path).is_absolute():
        return "file://" + quote(path, safe="/")
    if PureWindowsPath(path).is_absolute():
        return "file:///" + quote(PureWindowsPath(path).as_posix(), safe="/:")
    return quote(path.replace("\\", "/"), safe="/")


def _message(f: Finding) -> str:
    text = f.explanation.summary
    if f.explanation.counterfactual:
        text += f" Counterfactual: {f.explanation.counterfactual}."
    return text


def _result(
    ctx: ReportContext,
    f: Finding,
    rule_index: dict[str, int],
    artifact_index: dict[str, int],
    change: str,
) -> dict[str, Any]:
    kind, level = RESULT_KIND_LEVEL[f.status]
    res: dict[str, Any] = {"ruleId": f.commitment}
    if f.commitment in rule_index:
        res["ruleIndex"] = rule_index[f.commitment]
    res["kind"] = kind
    res["level"] = level
    res["message"] = {"text": _message(f)}
    path = ctx.report_path(f) or ctx.treaty_path
    location: dict[str, Any] = {}
    if path:
        art: dict[str, Any] = {"uri": artifact_uri(path)}
        if path in artifact_index:
            art["index"] = artifact_index[path]
        location["physicalLocation"] = {"artifactLocation": art}
    logical = [{"name": f.party, "fullyQualifiedName": f.party, "kind": "party"}]
    if f.subject:
        logical.append(
            {"name": f.subject, "fullyQualifiedName": f"{f.party}/{f.subject}", "kind": "record"}
        )
    location["logicalLocations"] = logical
    res["locations"] = [location]
    res["partialFingerprints"] = {FINGERPRINT_KEY: f.fingerprint()}
    if change:
        res["baselineState"] = BASELINE_STATE[change]
    props: dict[str, Any] = {
        "party": f.party,
        "commitment": f.commitment,
        "subject": f.subject,
        "status": f.status,
        "severity": f.severity,
        "flags": list(f.flags),
        "rule": f.explanation.rule,
        "clause": f.explanation.clause,
        "values": dict(f.explanation.values),
        "counterfactual": f.explanation.counterfactual,
        "evidence": [e.model_dump(mode="json") for e in f.evidence],
        "asOf": f.as_of.isoformat(),
    }
    res["properties"] = props
    return res


def sarif_document(ctx: ReportContext) -> dict[str, Any]:
    """The SARIF log as a dict (one run)."""
    doc = ctx.doc
    rule_ids = ctx.columns(ctx.doc.findings)
    for f in ctx.shown + (list(ctx.delta.resolved) if ctx.delta else []):
        if f.commitment not in rule_ids:
            rule_ids.append(f.commitment)
    rules = []
    for cid in rule_ids:
        info = ctx.commitments.get(cid)
        rule: dict[str, Any] = {"id": cid}
        if info:
            rule["name"] = info.title
            rule["shortDescription"] = {"text": info.title}
            rule["fullDescription"] = {"text": info.text}
            rule["defaultConfiguration"] = {"level": SEVERITY_LEVEL.get(info.severity, "warning")}
            rule["properties"] = {
                "severity": info.severity,
                "category": info.category,
                "tags": [info.category, info.severity],
            }
        else:
            rule["shortDescription"] = {"text": cid}
        rules.append(rule)
    rule_index = {cid: i for i, cid in enumerate(rule_ids)}
    artifacts = []
    artifact_index: dict[str, int] = {}
    for i, inp in enumerate(doc.inputs):
        artifact_index[inp.path] = i
        roles = (
            ["analysisTarget"]
            if "report" in inp.document.split("+")
            else ["referencedOnCommandLine"]
        )
        artifacts.append(
            {
                "location": {"uri": artifact_uri(inp.path)},
                "roles": roles,
                "hashes": {"sha-256": inp.sha256},
                "properties": {"document": inp.document},
            }
        )
    if ctx.delta is None:
        pairs = [(f, "") for f in doc.findings]
    else:
        pairs = [(f, ctx.change_of(f)) for f in ctx.shown] + [
            (f, "resolved") for f in ctx.delta.resolved
        ]
    results = [_result(ctx, f, rule_index, artifact_index, change) for f, change in pairs]
    run_props: dict[str, Any] = {
        "asOf": doc.as_of.isoformat(),
        "runId": doc.run_id,
        "engineVersion": doc.engine_version,
        "treaty": doc.treaty,
        "filters": doc.filters,
        "summary": doc.summary.model_dump(mode="json"),
    }
    if ctx.delta is not None:
        run_props["baseline"] = ctx.delta.baseline.model_dump(mode="json")
        run_props["delta"] = ctx.delta.summary.model_dump(mode="json")
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "treaty-engine",
                "version": doc.engine_version,
                "semanticVersion": doc.engine_version,
                "rules": rules,
            }
        },
        "automationDetails": {"id": f"treaty-engine/{doc.as_of.isoformat()}/{doc.run_id}"},
        "invocations": [{"executionSuccessful": True}],
        "artifacts": artifacts,
        "results": results,
        "properties": run_props,
    }
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}


def render_sarif(ctx: ReportContext) -> str:
    """SARIF 2.1.0: rules are the commitments; results are the findings (see docs/reports.md)."""
    return json.dumps(sarif_document(ctx), indent=2, ensure_ascii=False) + "\n"


# --------------------------------------------------------------------------------------------
# JUnit

_XML_BAD = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


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


def render_junit(ctx: ReportContext) -> str:
    """JUnit XML: a testsuite per party, a testcase per finding.

    breach -> ``<failure type="breach">``; gap -> ``<error type="gap">`` (the conduct could not be
    judged: missing or insufficient evidence, or a pending determination); not_applicable ->
    ``<skipped>``; compliant -> a passing testcase.
    """
    doc = ctx.doc
    if ctx.delta is None:
        pairs = [(f, "") for f in doc.findings]
    else:
        pairs = [(f, ctx.change_of(f)) for f in ctx.shown] + [
            (f, "resolved") for f in ctx.delta.resolved
        ]
    by_party: dict[str, list[tuple[Finding, str]]] = {}
    for f, change in pairs:
        by_party.setdefault(f.party, []).append((f, change))
    root = ET.Element("testsuites", {"name": xml_text(f"treaty-engine {doc.treaty or ''}".strip())})
    totals = dict.fromkeys(("tests", "failures", "errors", "skipped"), 0)
    for party in sorted(by_party):
        items = by_party[party]
        live = [f for f, change in items if change != "resolved"]
        counts = cell_counts(live)
        n = {
            "tests": len(items),
            "failures": counts["breach"],
            "errors": counts["gap"],
            "skipped": counts["not_applicable"],
        }
        for k, v in n.items():
            totals[k] += v
        suite = _el(
            root,
            "testsuite",
            {
                "name": ctx.party_label(party),
                "package": party,
                **{k: str(v) for k, v in n.items()},
                "time": "0",
            },
        )
        props = _el(suite, "properties")
        for name, value in (
            ("as_of", doc.as_of.isoformat()),
            ("run_id", doc.run_id),
            ("engine_version", doc.engine_version),
            ("treaty", doc.treaty or ""),
        ):
            _el(props, "property", {"name": name, "value": value})
        if ctx.delta is not None:
            _el(
                props,
                "property",
                {
                    "name": "baseline",
                    "value": f"{ctx.delta.baseline.path} ({ctx.delta.baseline.run_id})",
                },
            )
        for inp in doc.inputs:
            _el(props, "property", {"name": f"input:{inp.path}", "value": f"sha256:{inp.sha256}"})
        for f, change in items:
            case = _el(
                suite,
                "testcase",
                {
                    "classname": f"{f.party}.{f.commitment}",
                    "name": f"{f.commitment} {subject_label(f)}",
                    "time": "0",
                },
            )
            if change == "resolved":
                _el(
                    case,
                    "system-out",
                    text=f"Resolved since the baseline (was {STATUS_WORD[f.status]}).\n"
                    + _details(ctx, f),
                )
                continue
            details = _details(ctx, f)
            if change:
                details = f"{change.capitalize()} since the baseline.\n" + details
            if f.status == "breach":
                _el(case, "failure", {"type": "breach", "message": f.explanation.summary}, details)
            elif f.status == "gap":
                _el(case, "error", {"type": "gap", "message": f.explanation.summary}, details)
            elif f.status == "not_applicable":
                _el(case, "skipped", {"message": f.explanation.summary})
                _el(case, "system-out", text=details)
            else:
                _el(case, "system-out", text=details)
    for k, v in totals.items():
        root.set(k, str(v))
    root.set("time", "0")
    # Attribute order: name first, then the counts (ElementTree keeps insertion order).
    ordered = {"name": root.get("name", "")} | {
        k: root.get(k, "") for k in ("tests", "failures", "errors", "skipped", "time")
    }
    root.attrib.clear()
    root.attrib.update(ordered)
    ET.indent(root, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


__all__ = ["render_junit", "render_sarif", "sarif_document"]
