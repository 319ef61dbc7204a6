"""Rendering findings as text and JSON (other formats: ``engine.render.reports``)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence

from engine.model.commitment import Commitment, TreatyState
from engine.model.findings import Finding, FindingsDocument

LABEL = {"breach": "BREACH", "gap": "GAP", "compliant": "ok", "not_applicable": "n/a"}


def render_json(doc: FindingsDocument) -> str:
    """Deterministic JSON: model field order, sorted findings and values, two-space indent."""
    return doc.model_dump_json(indent=2) + "\n"


def summary_line(doc: FindingsDocument) -> str:
    s = doc.summary
    total = s.breach + s.gap + s.compliant + s.not_applicable
    return (
        f"Summary: {s.breach} breach, {s.gap} gap, {s.compliant} compliant, "
        f"{s.not_applicable} not applicable ({total} findings) as of {doc.as_of.isoformat()}"
    )


def render_text(
    doc: FindingsDocument,
    treaty: TreatyState | None = None,
    commitments: dict[str, Commitment] | None = None,
) -> str:
    """Findings grouped by party, then commitment, with the summary line last."""
    by_party: dict[str, list[Finding]] = defaultdict(list)
    for f in doc.findings:
        by_party[f.party].append(f)
    parts = [text_party(by_party[p], treaty, commitments) for p in sorted(by_party)]
    return text_head(doc) + "".join(parts) + text_tail(doc)


def text_head(doc: FindingsDocument) -> str:
    """The first line of the text output (nothing in it depends on the findings)."""
    return (
        f"treaty check: as of {doc.as_of.isoformat()} | {doc.treaty or ''} | engine "
        f"{doc.engine_version} | run {doc.run_id}\n"
    )


def text_tail(doc: FindingsDocument) -> str:
    return "\n" + summary_line(doc) + "\n"


def text_party(
    findings: Sequence[Finding],
    treaty: TreatyState | None = None,
    commitments: dict[str, Commitment] | None = None,
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
            flags = f" [{', '.join(f.flags)}]" if f.flags else ""
            subject = f.subject or "(commitment as a whole)"
            lines.append(f"    {LABEL[f.status]:<6} {subject}{flags}")
            lines.append(f"           {f.explanation.summary}")
            if f.explanation.counterfactual:
                lines.append(f"           -> {f.explanation.counterfactual}")
    return "\n".join(lines) + "\n"


def json_party(findings: Sequence[Finding]) -> str:
    """One party's findings as they appear inside the ``findings`` list of ``render_json``
    (indented for that depth, separated by commas, no trailing separator)."""
    return ",\n".join(
        "\n".join("    " + ln for ln in f.model_dump_json(indent=2).split("\n")) for f in findings
    )


def json_stream(head: FindingsDocument, parts: Iterable[str]) -> Iterator[str]:
    """``render_json`` of ``head`` with the findings given as ``json_party`` chunks (``head``'s
    own findings list must be empty): the same bytes, without holding every finding."""
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
