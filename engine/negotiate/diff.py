"""Clause-by-clause diff of two drafts of the commitments (``treaty diff OLD NEW``).

Commitments are matched by their stable id, never by file name or position, so moving a
commitment to another file or renumbering the files does not break the diff. Rules are matched
by rule id, parameters by name, definitions by term and texts by language. Text changes are
shown word by word: ``[-removed-]{+added+}``.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from engine.model.commitment import Commitment, TreatyState

ChangeKind = Literal["added", "removed", "changed"]
WORD_CONTEXT = 6
"""Words of unchanged text shown around each change in a word diff."""


@dataclass(frozen=True)
class FieldChange:
    """One changed value, at a readable path such as ``parameters.notice_days.value``."""

    path: str
    kind: ChangeKind
    old: Any = None
    new: Any = None

    @property
    def is_text(self) -> bool:
        """Whether the change is to prose (diffed word by word) rather than to data."""
        return (
            isinstance(self.old, str)
            and isinstance(self.new, str)
            and (" " in self.old.strip() or " " in self.new.strip())
        )

    def render(self) -> str:
        """The change on one line, words marked ``[-old-]{+new+}``."""
        if self.kind == "added":
            return f"{self.path}: added {_show(self.new)}"
        if self.kind == "removed":
            return f"{self.path}: removed (was {_show(self.old)})"
        if self.is_text:
            return f"{self.path}: {word_diff(self.old, self.new)}"
        return f"{self.path}: {_show(self.old)} -> {_show(self.new)}"

    def as_dict(self) -> dict[str, Any]:
        """The change as a JSON object."""
        out: dict[str, Any] = {
            "path": self.path,
            "change": self.kind,
            "old": self.old,
            "new": self.new,
        }
        if self.kind == "changed" and self.is_text:
            out["word_diff"] = word_diff(self.old, self.new, context=None)
        return out


@dataclass
class CommitmentDiff:
    """How one commitment (matched by id) differs between the two drafts."""

    id: str
    status: Literal["added", "removed", "changed", "unchanged"]
    title: str
    old_file: str | None = None
    new_file: str | None = None
    changes: list[FieldChange] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """The commitment's changes as a JSON object."""
        return {
            "id": self.id,
            "status": self.status,
            "title": self.title,
            "old_file": self.old_file,
            "new_file": self.new_file,
            "changes": [c.as_dict() for c in self.changes],
        }


@dataclass
class DiffResult:
    """The comparison of two drafts: commitments changed, added, removed and unchanged."""

    commitments: list[CommitmentDiff]
    treaty: list[FieldChange] = field(default_factory=list)

    @property
    def has_changes(self) -> bool:
        """Whether anything was added, removed or changed."""
        return bool(self.treaty) or any(d.status != "unchanged" for d in self.commitments)

    def counts(self) -> dict[str, int]:
        """How many commitments were changed, added, removed and left unchanged."""
        out = dict.fromkeys(("changed", "added", "removed", "unchanged"), 0)
        for d in self.commitments:
            out[d.status] += 1
        return out


# ------------------------------------------------------------------------------------------
# Word diff


_TOKEN = re.compile(r"\S+")


def word_diff(old: str, new: str, context: int | None = WORD_CONTEXT) -> str:
    """``old`` -> ``new`` word by word: ``[-removed-]{+added+}``.

    With ``context``, unchanged stretches longer than twice that many words are shortened to
    ``…`` between the changes.
    """
    a, b = _TOKEN.findall(old), _TOKEN.findall(new)
    parts: list[tuple[str, list[str]]] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op == "equal":
            parts.append(("=", a[i1:i2]))
            continue
        if op in ("delete", "replace"):
            parts.append(("-", a[i1:i2]))
        if op in ("insert", "replace"):
            parts.append(("+", b[j1:j2]))
    out: list[str] = []
    for k, (mark, words) in enumerate(parts):
        if mark == "-":
            out.append("[-" + " ".join(words) + "-]")
        elif mark == "+":
            out.append("{+" + " ".join(words) + "+}")
        else:
            first, last = k == 0, k == len(parts) - 1
            if context is None or len(words) <= 2 * context:
                keep = words
                if context is not None and first and len(words) > context:
                    keep = ["…", *words[-context:]]
                elif context is not None and last and len(words) > context:
                    keep = [*words[:context], "…"]
                out.append(" ".join(keep))
            elif first:
                out.append(" ".join(["…", *words[-context:]]))
            elif last:
                out.append(" ".join([*words[:context], "…"]))
            else:
                out.append(" ".join([*words[:context], "…", *words[-context:]]))
    text = " ".join(x for x in out if x)
    return text.replace("-] {+", "-]{+")


# ------------------------------------------------------------------------------------------
# Structural diff


def _show(v: Any) -> str:
    if isinstance(v, str):
        return v if len(v) <= 80 else v[:77] + "..."
    text = json.dumps(v, ensure_ascii=False, default=str, sort_keys=True)
    return text if len(text) <= 100 else text[:97] + "..."


def _key_path(prefix: str, key: str) -> str:
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key):
        return f"{prefix}.{key}" if prefix else key
    return f"{prefix}[{json.dumps(key, ensure_ascii=False)}]"


def diff_values(old: Any, new: Any, path: str) -> list[FieldChange]:
    """Changes between two JSON values: mappings by key, lists of mappings by index, leaves
    compared whole.
    """
    if old == new:
        return []
    if isinstance(old, dict) and isinstance(new, dict):
        out: list[FieldChange] = []
        for k in list(old) + [k for k in new if k not in old]:
            p = _key_path(path, str(k))
            if k not in new:
                out.append(FieldChange(p, "removed", old=old[k]))
            elif k not in old:
                out.append(FieldChange(p, "added", new=new[k]))
            else:
                out.extend(diff_values(old[k], new[k], p))
        return out
    if (
        isinstance(old, list)
        and isinstance(new, list)
        and any(isinstance(x, dict) for x in old + new)
    ):
        out = []
        for i in range(max(len(old), len(new))):
            p = f"{path}[{i}]"
            if i >= len(new):
                out.append(FieldChange(p, "removed", old=old[i]))
            elif i >= len(old):
                out.append(FieldChange(p, "added", new=new[i]))
            else:
                out.extend(diff_values(old[i], new[i], p))
        return out
    return [FieldChange(path, "changed", old=old, new=new)]


def _dump(model: Any) -> Any:
    return model.model_dump(mode="json", by_alias=True)


def _keyed(items: Sequence[dict[str, Any]], key: str) -> dict[str, dict[str, Any]]:
    return {str(x.get(key)): {k: v for k, v in x.items() if k != key} for x in items}


def diff_commitment(old: Commitment, new: Commitment) -> list[FieldChange]:
    """Changes section by section: header fields, text by language, parameters by name,
    definitions by term, rules by rule id, then applicability, verification, enforcement,
    machine_checkable and notes.
    """
    a, b = _dump(old), _dump(new)
    out: list[FieldChange] = []
    for name in ("title", "category", "modality", "severity"):
        out += diff_values(a[name], b[name], name)
    ta = {t["lang"]: t for t in a["text"]}
    tb = {t["lang"]: t for t in b["text"]}
    for lang in list(ta) + [x for x in tb if x not in ta]:
        p = f"text[{lang}]"
        if lang not in tb:
            out.append(FieldChange(p, "removed", old=ta[lang]["text"]))
        elif lang not in ta:
            out.append(FieldChange(p, "added", new=tb[lang]["text"]))
        else:
            out += diff_values(ta[lang]["text"], tb[lang]["text"], p)
            out += diff_values(ta[lang]["authentic"], tb[lang]["authentic"], f"{p}.authentic")
    out += diff_values(a["parameters"], b["parameters"], "parameters")
    out += diff_values(a["definitions"], b["definitions"], "definitions")
    out += diff_values(_keyed(a["rules"], "id"), _keyed(b["rules"], "id"), "rules")
    for name in ("applicability", "verification", "enforcement", "machine_checkable", "notes"):
        out += diff_values(a[name], b[name], name)
    return out


def diff_treaty(old: TreatyState, new: TreatyState) -> list[FieldChange]:
    """The changes between two treaty states, field by field."""
    a, b = _dump(old), _dump(new)
    out: list[FieldChange] = []
    for name in ("id", "title", "version"):
        out += diff_values(a[name], b[name], f"treaty.{name}")
    ca, cb = a["commitments"], b["commitments"]
    out += [FieldChange(f"treaty.commitments[{c}]", "removed", old=c) for c in ca if c not in cb]
    out += [FieldChange(f"treaty.commitments[{c}]", "added", new=c) for c in cb if c not in ca]
    for name in ("parameters", "settling_evidence", "vague_terms", "mission_pillars"):
        out += diff_values(a[name], b[name], f"treaty.{name}")
    pa = _keyed(a["parties"], "code")
    pb = _keyed(b["parties"], "code")
    out += diff_values(pa, pb, "treaty.parties")
    return out


def diff_sets(
    old: Mapping[str, Commitment],
    new: Mapping[str, Commitment],
    *,
    old_paths: Mapping[str, str] | None = None,
    new_paths: Mapping[str, str] | None = None,
    old_treaty: TreatyState | None = None,
    new_treaty: TreatyState | None = None,
) -> DiffResult:
    """Diff two sets of commitments, matched by id (files and order do not matter)."""
    op, np_ = old_paths or {}, new_paths or {}
    out: list[CommitmentDiff] = []
    for cid in sorted(set(old) | set(new), key=_id_key):
        if cid not in new:
            out.append(CommitmentDiff(cid, "removed", old[cid].title, op.get(cid), None))
        elif cid not in old:
            out.append(CommitmentDiff(cid, "added", new[cid].title, None, np_.get(cid)))
        else:
            changes = diff_commitment(old[cid], new[cid])
            out.append(
                CommitmentDiff(
                    cid,
                    "changed" if changes else "unchanged",
                    new[cid].title,
                    op.get(cid),
                    np_.get(cid),
                    changes,
                )
            )
    treaty: list[FieldChange] = []
    if old_treaty is not None and new_treaty is not None:
        treaty = diff_treaty(old_treaty, new_treaty)
    return DiffResult(out, treaty)


def _id_key(cid: str) -> tuple[str, int, str]:
    prefix, _, rest = cid.partition("-")
    digits = "".join(ch for ch in rest if ch.isdigit())
    return (prefix, int(digits or 0), rest)


__all__ = [
    "CommitmentDiff",
    "DiffResult",
    "FieldChange",
    "diff_commitment",
    "diff_sets",
    "diff_treaty",
    "word_diff",
]
