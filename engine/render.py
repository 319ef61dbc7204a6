"""Rendering findings as text and JSON (other formats: ``engine.reports``)."""

from __future__ import annotations

from collections import defaultdict

from engine.commitment import Commitment, TreatyState
from engine.findings import Finding, FindingsDocument

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
    names = {p.code: p.name for p in treaty.parties} if treaty else {}
    titles = {cid: c.title for cid, c in (commitments or {}).items()}
    lines = [
        f"treaty check: as of {doc.as_of.isoformat()} | {doc.treaty or ''} | engine {doc.engine_version} | run {doc.run_id}"
    ]
    grouped: dict[str, dict[str, list[Finding]]] = defaultdict(lambda: defaultdict(list))
    for f in doc.findings:
        grouped[f.party][f.commitment].append(f)
    for party in sorted(grouped):
        lines.append("")
        lines.append(f"{party}  {names.get(party, '')}".rstrip())
        for cid in sorted(grouped[party]):
            lines.append(f"  {cid}  {titles.get(cid, '')}".rstrip())
            for f in grouped[party][cid]:
                flags = f" [{', '.join(f.flags)}]" if f.flags else ""
                subject = f.subject or "(commitment as a whole)"
                lines.append(f"    {LABEL[f.status]:<6} {subject}{flags}")
                lines.append(f"           {f.explanation.summary}")
                if f.explanation.counterfactual:
                    lines.append(f"           -> {f.explanation.counterfactual}")
    lines.append("")
    lines.append(summary_line(doc))
    return "\n".join(lines) + "\n"
