"""What every renderer shares: status words and order, and the fragments of a finding as text.

Nothing here knows a format: the format modules (``text``, ``json``, ``markdown``, ``csv``,
``html``, ``sarif``, ``junit``) escape these fragments for their own syntax.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from engine.model.findings import STATUS_ORDER, Evidence, Finding, Summary

STATUSES: tuple[str, ...] = tuple(sorted(STATUS_ORDER, key=STATUS_ORDER.__getitem__))
"""Every status, worst first: breach, gap, compliant, not_applicable."""

STATUS_WORD: dict[str, str] = {
    "breach": "breach",
    "gap": "gap",
    "compliant": "compliant",
    "not_applicable": "not applicable",
}
"""A status in words, for reports read by people."""

LABEL: dict[str, str] = {
    "breach": "BREACH",
    "gap": "GAP",
    "compliant": "ok",
    "not_applicable": "n/a",
}
"""The short status label of the text outputs (check, report, what-if)."""

WHOLE = "(commitment as a whole)"
"""The subject shown for a finding about the commitment rather than one record."""


def dump_json(data: Any) -> str:
    """JSON as every ``--format json`` output writes it: two-space indent, UTF-8 kept, newline."""
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def worst(statuses: Iterable[str]) -> str | None:
    """The worst status (breach > gap > compliant > not_applicable), None if there is none."""
    ranked = sorted(statuses, key=lambda s: STATUS_ORDER[s])
    return ranked[0] if ranked else None


def id_key(cid: str) -> tuple[str, int, str]:
    """Sort key for commitment ids: ``CB-2`` before ``CB-10``."""
    prefix, _, rest = cid.partition("-")
    digits = "".join(ch for ch in rest if ch.isdigit())
    return (prefix, int(digits or 0), rest)


def total(s: Summary) -> int:
    """Findings of every status in ``s``."""
    return s.breach + s.gap + s.compliant + s.not_applicable


def count(s: Summary, status: str) -> int:
    """Findings of ``status`` in ``s``."""
    value: int = getattr(s, status)
    return value


def cell_counts(findings: Sequence[Finding]) -> dict[str, int]:
    """Findings per status (every status present, worst first)."""
    out = dict.fromkeys(STATUSES, 0)
    for f in findings:
        out[f.status] += 1
    return out


def subject_label(f: Finding) -> str:
    """The finding's subject record, or ``(commitment as a whole)``."""
    return f.subject or WHOLE


def flags_text(f: Finding) -> str:
    """The finding's flags, comma separated."""
    return ", ".join(f.flags)


def values_text(f: Finding) -> str:
    """The explanation's values as ``name = value; ...``."""
    return "; ".join(f"{k} = {v}" for k, v in f.explanation.values.items())


def signed_text(e: Evidence) -> str:
    """Who signed the report of ``e``: ``signed by ARC (key 0123456789abcdef)``.

    ``admitted unsigned`` for a report admitted by ``--allow-unsigned``; "" when the treaty has
    no key registry.
    """
    if e.key_id is not None:
        return f"signed by {e.signer} (key {e.key_id})"
    return "admitted unsigned" if e.admitted_unsigned else ""


def evidence_text(f: Finding, paths: Mapping[str, str]) -> str:
    """Each evidence record: its report, source, file (from ``paths``), signer, short sha256."""
    parts = []
    for e in f.evidence:
        where = paths.get(e.report)
        loc = f"{e.report}, {e.source}" + (f", {where}" if where else "")
        signed = signed_text(e)
        loc += f", {signed}" if signed else ""
        parts.append(f"{e.record} ({e.kind}) in {loc}, sha256 {e.sha256[:12]}")
    return "; ".join(parts)
