"""The JSON format: the findings document, the baseline delta, lint findings, verify outcomes.

Deterministic: model field order, sorted findings and values, two-space indent. ``treaty check``
streams the findings document party by party (``json_party`` chunks put together by
``json_stream``), byte for byte ``render_json`` of the whole document.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence

from engine.model.base import ENGINE_VERSION as __version__
from engine.model.commitment import Commitment, TreatyState
from engine.model.findings import Finding, FindingsDocument
from engine.model.lint import LintReport
from engine.render.common import dump_json
from engine.render.context import ReportContext
from engine.render.verify import VerifyResult

# --------------------------------------------------------------------------------------------
# treaty check (streamed per party)


def render_json(doc: FindingsDocument) -> str:
    """Deterministic JSON: model field order, sorted findings and values, two-space indent."""
    return doc.model_dump_json(indent=2) + "\n"


def json_party(
    findings: Sequence[Finding],
    _treaty: TreatyState | None = None,
    _commitments: Mapping[str, Commitment] | None = None,
) -> str:
    """One party's findings as they appear inside the ``findings`` list of ``render_json``.

    Indented for that depth, separated by commas, no trailing separator. The treaty and the
    commitments are not used: the JSON names parties and commitments by their ids only.
    """
    return ",\n".join(
        "\n".join("    " + ln for ln in f.model_dump_json(indent=2).split("\n")) for f in findings
    )


def json_stream(head: FindingsDocument, parts: Iterable[str]) -> Iterator[str]:
    """``render_json`` of ``head`` with the findings given as ``json_party`` chunks.

    ``head``'s own findings list must be empty. The same bytes, without holding every finding.
    """
    text = render_json(head)
    tail = '  "findings": []\n}\n'
    assert not head.findings and text.endswith(tail), "head must have no findings"
    yield text[: -len(tail)]
    first = True
    for part in parts:
        if not part:
            continue
        yield ('  "findings": [\n' if first else ",\n") + part
        first = False
    yield '  "findings": []\n}\n' if first else "\n  ]\n}\n"


# --------------------------------------------------------------------------------------------
# treaty report, lint, verify


def render_report(ctx: ReportContext) -> str:
    """The findings document (as ``check --format json``), or the delta document with a baseline."""
    if ctx.delta is not None:
        return ctx.delta.model_dump_json(indent=2) + "\n"
    return render_json(ctx.doc)


def render_lint(report: LintReport) -> str:
    """``treaty-engine.lint/v1``: the counts per severity and every finding."""
    data = {
        "format": "treaty-engine.lint/v1",
        "engine_version": __version__,
        "summary": {**report.counts(), "commitments": report.commitments},
        "findings": [f.as_dict() for f in report.findings],
    }
    return dump_json(data)


def verify_as_dict(result: VerifyResult, name: str) -> dict[str, object]:
    """The outcome of ``treaty verify`` as data (what ``--format json`` writes)."""
    return {
        "verified": result.ok,
        "document": name,
        "inputs": [
            {
                "path": i.path,
                "document": i.document,
                "state": i.state,
                "expected": i.expected,
                "actual": i.actual,
            }
            for i in result.inputs
        ],
        "findings": [
            {
                "fingerprint": d.fingerprint,
                "difference": d.kind,
                "fields": list(d.fields),
                "recorded_status": d.recorded.status if d.recorded else None,
                "recomputed_status": d.recomputed.status if d.recomputed else None,
            }
            for d in result.findings
        ],
        "signatures": result.signatures,
        "registered_keys": result.keys,
        "problems": list(result.problems),
        "notes": list(result.notes),
    }


def render_verify(result: VerifyResult, name: str) -> str:
    """Machine-readable outcome for ``treaty verify --format json``."""
    return dump_json(verify_as_dict(result, name))
