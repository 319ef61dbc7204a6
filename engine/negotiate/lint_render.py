"""Lint findings as text, JSON and SARIF 2.1.0 (``treaty lint``)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from engine import __version__
from engine.negotiate.lint import CHECKS, DOCS_PAGE, LintFinding

# ------------------------------------------------------------------------------------------
# Output


def counts(findings: Sequence[LintFinding]) -> dict[str, int]:
    out = {"error": 0, "warning": 0, "info": 0}
    for f in findings:
        out[f.severity] += 1
    return out


def summary_line(findings: Sequence[LintFinding], n_commitments: int) -> str:
    c = counts(findings)
    return (
        f"lint: {c['error']} error(s), {c['warning']} warning(s), {c['info']} info "
        f"in {n_commitments} commitment(s)"
    )


def render_text(findings: Sequence[LintFinding], n_commitments: int) -> str:
    lines = [f.render() for f in findings]
    lines.append(summary_line(findings, n_commitments))
    return "\n".join(lines) + "\n"


def render_json(findings: Sequence[LintFinding], n_commitments: int) -> str:
    data = {
        "format": "treaty-engine.lint/v1",
        "engine_version": __version__,
        "summary": {**counts(findings), "commitments": n_commitments},
        "findings": [f.as_dict() for f in findings],
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


_SARIF_LEVEL = {"error": "error", "warning": "warning", "info": "note"}


def render_sarif(findings: Sequence[LintFinding]) -> str:
    """SARIF 2.1.0: one run, one rule per check code, one result per finding."""
    codes = sorted(CHECKS)
    rules = [
        {
            "id": code,
            "name": CHECKS[code].name,
            "shortDescription": {"text": CHECKS[code].summary},
            "fullDescription": {"text": CHECKS[code].summary},
            "help": {"text": f"{CHECKS[code].summary} See {DOCS_PAGE}#{code.lower()}."},
            "defaultConfiguration": {"level": _SARIF_LEVEL[CHECKS[code].severity]},
        }
        for code in codes
    ]
    results = []
    for f in findings:
        loc: dict[str, Any] = {"artifactLocation": {"uri": Path(f.file).as_posix()}}
        if f.line is not None:
            loc["region"] = {"startLine": f.line}
        res: dict[str, Any] = {
            "ruleId": f.code,
            "ruleIndex": codes.index(f.code),
            "level": _SARIF_LEVEL[f.severity],
            "message": {"text": f.message + (f" ({f.fix})" if f.fix else "")},
            "locations": [{"physicalLocation": loc}],
        }
        if f.commitment or f.pointer:
            res["properties"] = {"commitment": f.commitment, "pointer": f.pointer or "/"}
        results.append(res)
    doc = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "treaty-engine lint",
                        "version": __version__,
                        "rules": rules,
                    }
                },
                "results": results,
            }
        ],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
