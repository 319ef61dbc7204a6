"""SARIF 2.1.0, for code-scanning tools: findings (``treaty report``) and lint findings (``treaty lint``).

Both are built from the same blocks (``sarif_rule``, ``sarif_location``, ``sarif_result``,
``sarif_run``, ``sarif_log``): for findings the rules are the commitments and the results the
findings; for lint the rules are the lint checks and the results the lint findings.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any
from urllib.parse import quote

from engine.model.base import ENGINE_VERSION as __version__
from engine.model.findings import Finding, FindingsDocument
from engine.model.lint import CHECKS, DOCS_PAGE, LintFinding, LintReport
from engine.render.common import dump_json
from engine.render.context import ReportContext

SARIF_SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
LINT_SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
"""The ``$schema`` lint's SARIF has always named (the same schema, another copy)."""

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
"""SARIF baselineState from a finding's change against the baseline."""

LINT_LEVEL = {"error": "error", "warning": "warning", "info": "note"}
"""SARIF level of a lint finding from its severity."""


# --------------------------------------------------------------------------------------------
# Building blocks (SARIF property order, absent values left out)


def _present(fields: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in fields.items() if v is not None}


def _text(text: str | None) -> dict[str, str] | None:
    return None if text is None else {"text": text}


def sarif_rule(
    rule_id: str,
    *,
    short: str,
    name: str | None = None,
    full: str | None = None,
    help_text: str | None = None,
    level: str | None = None,
    properties: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A ``reportingDescriptor``: what one rule checks."""
    return _present(
        {
            "id": rule_id,
            "name": name,
            "shortDescription": _text(short),
            "fullDescription": _text(full),
            "help": _text(help_text),
            "defaultConfiguration": None if level is None else {"level": level},
            "properties": properties,
        }
    )


def sarif_location(
    uri: str | None = None,
    *,
    index: int | None = None,
    line: int | None = None,
    logical: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    """A ``location``: a file (its index among the artifacts, a line), logical locations."""
    physical = None
    if uri is not None:
        artifact = _present({"uri": uri, "index": index})
        region = None if line is None else {"startLine": line}
        physical = _present({"artifactLocation": artifact, "region": region})
    return _present({"physicalLocation": physical, "logicalLocations": logical})


def sarif_result(
    rule_id: str,
    rule_index: int | None,
    *,
    level: str,
    message: str,
    locations: list[dict[str, Any]],
    kind: str | None = None,
    fingerprint: str | None = None,
    baseline_state: str | None = None,
    properties: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A ``result``: one finding of a rule, where it is and how it compares to the baseline."""
    return _present(
        {
            "ruleId": rule_id,
            "ruleIndex": rule_index,
            "kind": kind,
            "level": level,
            "message": _text(message),
            "locations": locations,
            "partialFingerprints": None if fingerprint is None else {FINGERPRINT_KEY: fingerprint},
            "baselineState": baseline_state,
            "properties": properties,
        }
    )


def sarif_run(
    driver: dict[str, Any],
    results: list[dict[str, Any]],
    *,
    automation_id: str | None = None,
    successful: bool | None = None,
    artifacts: list[dict[str, Any]] | None = None,
    properties: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A ``run`` of the tool ``driver`` (see ``sarif_driver``) with its results."""
    return _present(
        {
            "tool": {"driver": driver},
            "automationDetails": None if automation_id is None else {"id": automation_id},
            "invocations": None if successful is None else [{"executionSuccessful": successful}],
            "artifacts": artifacts,
            "results": results,
            "properties": properties,
        }
    )


def sarif_driver(
    name: str, version: str, rules: list[dict[str, Any]], *, semantic: bool = False
) -> dict[str, Any]:
    """The ``toolComponent`` that made a run: its name, version and rules."""
    return _present(
        {
            "name": name,
            "version": version,
            "semanticVersion": version if semantic else None,
            "rules": rules,
        }
    )


def sarif_log(run: dict[str, Any], schema: str = SARIF_SCHEMA) -> str:
    """The SARIF log of one run, as JSON text."""
    return dump_json({"$schema": schema, "version": "2.1.0", "runs": [run]})


def artifact_uri(path: str) -> str:
    """A SARIF ``uri-reference`` for a path as the loader displays it."""
    if PurePosixPath(path).is_absolute():
        return "file://" + quote(path, safe="/")
    if PureWindowsPath(path).is_absolute():
        return "file:///" + quote(PureWindowsPath(path).as_posix(), safe="/:")
    return quote(path.replace("\\", "/"), safe="/")


# --------------------------------------------------------------------------------------------
# Findings (treaty report)


def _commitment_rules(ctx: ReportContext) -> list[dict[str, Any]]:
    """One rule per commitment with a finding (matrix column order, then any others)."""
    rule_ids = ctx.columns(ctx.doc.findings)
    for f, _ in ctx.listed():
        if f.commitment not in rule_ids:
            rule_ids.append(f.commitment)
    rules = []
    for cid in rule_ids:
        info = ctx.commitments.get(cid)
        if info is None:
            rules.append(sarif_rule(cid, short=cid))
            continue
        props = {
            "severity": info.severity,
            "category": info.category,
            "tags": [info.category, info.severity],
        }
        level = SEVERITY_LEVEL.get(info.severity, "warning")
        rules.append(
            sarif_rule(
                cid,
                name=info.title,
                short=info.title,
                full=info.text,
                level=level,
                properties=props,
            )
        )
    return rules


def _artifacts(doc: FindingsDocument) -> list[dict[str, Any]]:
    """Every input of the run, reports as analysis targets."""
    return [
        {
            "location": {"uri": artifact_uri(inp.path)},
            "roles": (
                ["analysisTarget"]
                if "report" in inp.document.split("+")
                else ["referencedOnCommandLine"]
            ),
            "hashes": {"sha-256": inp.sha256},
            "properties": {"document": inp.document},
        }
        for inp in doc.inputs
    ]


def _finding_properties(f: Finding) -> dict[str, Any]:
    return {
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


def _finding_result(
    ctx: ReportContext,
    f: Finding,
    change: str,
    rule_index: dict[str, int],
    artifact_index: dict[str, int],
) -> dict[str, Any]:
    kind, level = RESULT_KIND_LEVEL[f.status]
    message = f.explanation.summary
    if f.explanation.counterfactual:
        message += f" Counterfactual: {f.explanation.counterfactual}."
    path = ctx.report_path(f) or ctx.treaty_path
    logical = [{"name": f.party, "fullyQualifiedName": f.party, "kind": "party"}]
    if f.subject:
        logical.append(
            {"name": f.subject, "fullyQualifiedName": f"{f.party}/{f.subject}", "kind": "record"}
        )
    location = sarif_location(
        artifact_uri(path) if path else None,
        index=artifact_index.get(path) if path else None,
        logical=logical,
    )
    return sarif_result(
        f.commitment,
        rule_index.get(f.commitment),
        kind=kind,
        level=level,
        message=message,
        locations=[location],
        fingerprint=f.fingerprint(),
        baseline_state=BASELINE_STATE[change] if change else None,
        properties=_finding_properties(f),
    )


def _run_properties(ctx: ReportContext) -> dict[str, Any]:
    doc = ctx.doc
    props: dict[str, Any] = {
        "asOf": doc.as_of.isoformat(),
        "runId": doc.run_id,
        "engineVersion": doc.engine_version,
        "treaty": doc.treaty,
        "filters": doc.filters,
        "summary": doc.summary.model_dump(mode="json"),
    }
    if ctx.delta is not None:
        props["baseline"] = ctx.delta.baseline.model_dump(mode="json")
        props["delta"] = ctx.delta.summary.model_dump(mode="json")
    return props


def render_report(ctx: ReportContext) -> str:
    """SARIF 2.1.0: rules are the commitments; results are the findings (see docs/reports.md)."""
    doc = ctx.doc
    rules = _commitment_rules(ctx)
    rule_index = {r["id"]: i for i, r in enumerate(rules)}
    artifact_index = {inp.path: i for i, inp in enumerate(doc.inputs)}
    results = [
        _finding_result(ctx, f, change, rule_index, artifact_index) for f, change in ctx.listed()
    ]
    driver = sarif_driver("treaty-engine", doc.engine_version, rules, semantic=True)
    run = sarif_run(
        driver,
        results,
        automation_id=f"treaty-engine/{doc.as_of.isoformat()}/{doc.run_id}",
        successful=True,
        artifacts=_artifacts(doc),
        properties=_run_properties(ctx),
    )
    return sarif_log(run)


# --------------------------------------------------------------------------------------------
# Lint findings (treaty lint)


def _lint_result(f: LintFinding, rule_index: int) -> dict[str, Any]:
    properties = None
    if f.commitment or f.pointer:
        properties = {"commitment": f.commitment, "pointer": f.pointer or "/"}
    return sarif_result(
        f.code,
        rule_index,
        level=LINT_LEVEL[f.severity],
        message=f.message + (f" ({f.fix})" if f.fix else ""),
        locations=[sarif_location(Path(f.file).as_posix(), line=f.line)],
        properties=properties,
    )


def render_lint(report: LintReport) -> str:
    """SARIF 2.1.0: one run, one rule per check code, one result per lint finding."""
    codes = sorted(CHECKS)
    rules = []
    for code in codes:
        check = CHECKS[code]
        rules.append(
            sarif_rule(
                code,
                name=check.name,
                short=check.summary,
                full=check.summary,
                help_text=f"{check.summary} See {DOCS_PAGE}#{code.lower()}.",
                level=LINT_LEVEL[check.severity],
            )
        )
    results = [_lint_result(f, codes.index(f.code)) for f in report.findings]
    run = sarif_run(sarif_driver("treaty-engine lint", __version__, rules), results)
    return sarif_log(run, LINT_SARIF_SCHEMA)
