"""Draft comparisons as text and JSON (``treaty diff``).

A diff is negotiate-level data, so its renderers live here, beside the logic; the JSON is laid
out by render's ``dump_json`` like every other ``--format json`` output.
"""

from __future__ import annotations

import re

from engine.negotiate.diff import DiffResult
from engine.render.common import dump_json

_MARK = {"changed": "~", "added": "+", "removed": "-", "unchanged": "="}


def summary_line(result: DiffResult) -> str:
    """The last line: commitments changed, added, removed, unchanged; treaty-state changes."""
    c = result.counts()
    treaty = f"; treaty state: {len(result.treaty)} change(s)" if result.treaty else ""
    return (
        f"Summary: {c['changed']} changed, {c['added']} added, {c['removed']} removed, "
        f"{c['unchanged']} unchanged commitment(s){treaty}"
    )


def render_text(
    result: DiffResult, old_label: str, new_label: str, *, show_unchanged: bool = False
) -> str:
    """Each changed (added, removed; with ``show_unchanged`` every) commitment and its changes."""
    lines = [f"treaty diff: {old_label} -> {new_label} (commitments matched by id)"]
    for d in result.commitments:
        if d.status == "unchanged" and not show_unchanged:
            continue
        lines.append("")
        where = ""
        if d.status == "added":
            where = f"  (in {d.new_file})" if d.new_file else ""
        elif d.status == "removed":
            where = f"  (was in {d.old_file})" if d.old_file else ""
        elif (
            d.old_file
            and d.new_file
            and d.old_file != d.new_file
            and _base(d.old_file) != _base(d.new_file)
        ):
            where = f"  (moved: {d.old_file} -> {d.new_file})"
        lines.append(f"{_MARK[d.status]} {d.id}  {d.title}{where}")
        for ch in d.changes:
            lines.append(f"    {ch.render()}")
    if result.treaty:
        lines.append("")
        lines.append("~ treaty state")
        for ch in result.treaty:
            lines.append(f"    {ch.render()}")
    lines.append("")
    lines.append(summary_line(result))
    return "\n".join(lines) + "\n"


def _base(path: str) -> str:
    return re.split(r"[\\/]", path)[-1]


def render_json(result: DiffResult, old_label: str, new_label: str) -> str:
    """``treaty-engine.diff/v1``: the counts, the changed commitments, the treaty-state changes."""
    data = {
        "format": "treaty-engine.diff/v1",
        "old": old_label,
        "new": new_label,
        "summary": {**result.counts(), "treaty_changes": len(result.treaty)},
        "commitments": [d.as_dict() for d in result.commitments if d.status != "unchanged"],
        "unchanged": [d.id for d in result.commitments if d.status == "unchanged"],
        "treaty": [c.as_dict() for c in result.treaty],
    }
    return dump_json(data)
