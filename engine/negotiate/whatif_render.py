"""What-if results as text and JSON (``treaty whatif``).

What-if results are negotiate-level data, so their renderers live here, beside the logic; they
use render's shared pieces (the status labels, the JSON layout) so that they read like the
outputs of ``treaty check``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping

from engine.model.findings import Finding
from engine.model.vocabulary import STATUSES
from engine.negotiate.whatif import (
    Change,
    SweepResult,
    WhatIfResult,
    change_counts,
    status_counts,
)
from engine.render.common import LABEL, WHOLE, dump_json

_KIND_TEXT = {
    "new_breach": "new breach",
    "resolved_breach": "resolved breach",
    "status_change": "status change",
    "flags_change": "flags change",
}


def _side(f: Finding | None) -> str:
    if f is None:
        return "(no finding)"
    flags = f" [{', '.join(f.flags)}]" if f.flags else ""
    return f"{LABEL[f.status]}{flags}"


def summary_line(result: WhatIfResult) -> str:
    """The last line: changes by kind, unchanged findings, what was evaluated again."""
    c = change_counts(result.changes)
    again = ", ".join(sorted(result.draft_evaluated)) or "none"
    return (
        f"Summary: {c['new_breach']} new breach(es), {c['resolved_breach']} resolved breach(es), "
        f"{c['status_change']} other status change(s), {c['flags_change']} flag change(s); "
        f"{result.unchanged} finding(s) unchanged; commitments changed: "
        f"{', '.join(result.changed_commitments) or 'none'}; re-evaluated for the draft: {again} "
        f"({len(result.base_evaluated)} evaluated for the base)"
    )


def render_text(
    result: WhatIfResult,
    titles: Mapping[str, str] | None = None,
    names: Mapping[str, str] | None = None,
) -> str:
    """The changed findings by party and commitment (``titles`` and party ``names`` label them)."""
    titles = titles or {}
    names = names or {}
    lines = [
        f"treaty whatif: as of {result.as_of.isoformat()} | base {result.base_label} -> "
        f"draft {result.draft_label}",
    ]
    grouped: dict[str, dict[str, list[Change]]] = defaultdict(lambda: defaultdict(list))
    for ch in result.changes:
        grouped[ch.party][ch.commitment].append(ch)
    order = list(_KIND_TEXT)
    for party in sorted(grouped):
        lines.append("")
        lines.append(f"{party}  {names.get(party, '')}".rstrip())
        for cid in sorted(grouped[party]):
            lines.append(f"  {cid}  {titles.get(cid, '')}".rstrip())
            items = sorted(
                grouped[party][cid], key=lambda c: (order.index(c.kind), c.subject or "")
            )
            for ch in items:
                subject = ch.subject or WHOLE
                lines.append(
                    f"    {_KIND_TEXT[ch.kind]:<16} {subject}: {_side(ch.before)} -> "
                    f"{_side(ch.after)}"
                )
                if ch.after is not None:
                    lines.append(f"        now: {ch.after.explanation.summary}")
                    if ch.after.explanation.counterfactual:
                        lines.append(f"             -> {ch.after.explanation.counterfactual}")
                elif ch.before is not None:
                    lines.append(f"        was: {ch.before.explanation.summary}")
    if not result.changes:
        lines.append("")
        lines.append("No finding changes.")
    lines.append("")
    lines.append(summary_line(result))
    return "\n".join(lines) + "\n"


def render_json(result: WhatIfResult) -> str:
    """``treaty-engine.whatif/v1``: both sides' counts, what was evaluated, every change."""
    data = {
        "format": "treaty-engine.whatif/v1",
        "as_of": result.as_of.isoformat(),
        "base": {"label": result.base_label, "summary": status_counts(result.base)},
        "draft": {"label": result.draft_label, "summary": status_counts(result.draft)},
        "changed_commitments": result.changed_commitments,
        "evaluated": {
            "base": sorted(result.base_evaluated),
            "draft": sorted(result.draft_evaluated),
        },
        "summary": {**change_counts(result.changes), "unchanged": result.unchanged},
        "changes": [c.as_dict() for c in result.changes],
    }
    return dump_json(data)


def render_sweep_text(result: SweepResult) -> str:
    """A table of counts per status for each value swept, change from the base in brackets."""
    what = ", ".join(s.label for s in result.settings)
    lines = [f"treaty whatif sweep of {what}: as of {result.as_of.isoformat()}", ""]
    width = max([len(r.label) for r in result.rows] + [len("base"), 10])
    head = f"{'value':<{width}}  " + "  ".join(f"{s:>14}" for s in STATUSES)
    lines.append(head)
    lines.append(
        f"{'base':<{width}}  " + "  ".join(f"{result.base_counts[s]:>14}" for s in STATUSES)
    )
    for r in result.rows:
        cells = []
        for s in STATUSES:
            d = r.counts[s] - result.base_counts[s]
            delta = f"({d:+d})" if d else ""
            cells.append(f"{str(r.counts[s]) + delta:>14}")
        mark = " (current)" if r.is_base else ""
        lines.append(f"{r.label:<{width}}  " + "  ".join(cells) + mark)
    lines.append("")
    lines.append(
        f"Summary: {len(result.rows)} value(s) of {what}; counts per status, change from the base "
        f"in brackets; {len(result.stats.evaluated)} commitment evaluation(s), "
        f"{result.stats.reused} answered from the cache"
    )
    return "\n".join(lines) + "\n"


def render_sweep_json(result: SweepResult) -> str:
    """``treaty-engine.whatif-sweep/v1``: the settings, the base counts and one row per value."""
    data = {
        "format": "treaty-engine.whatif-sweep/v1",
        "as_of": result.as_of.isoformat(),
        "settings": [
            {"commitment": s.commitment, "parameter": s.parameter, "values": list(s.values)}
            for s in result.settings
        ],
        "base": result.base_counts,
        "rows": [
            {"values": r.values, "counts": r.counts, "current": r.is_base} for r in result.rows
        ],
        "evaluations": len(result.stats.evaluated),
        "reused": result.stats.reused,
    }
    return dump_json(data)
