"""Corroboration (docs/rules.md section 9): a compliant verdict resting only on the party's word."""

from __future__ import annotations

from engine.evaluate.verdict import Verdict, reason
from engine.rules.compile import CompiledRule


def corroborate(cr: CompiledRule, v: Verdict) -> Verdict:
    """Apply the rule's ``corroboration`` to a verdict.

    A ``compliant`` verdict whose records all come only from the party's own reports gets the
    flag ``uncorroborated`` (``flag``), or becomes ``gap(uncorroborated)`` (``required``).
    """
    corr = cr.rule.corroboration
    if (
        v.status != "compliant"
        or corr == "none"
        or not v.records
        or not all(r.self_only for r in v.records)
    ):
        return v
    flags = v.flags | {"uncorroborated"}
    if corr == "required":
        why = reason("uncorroborated_required", inner=v.reason)
        return Verdict("gap", flags, why, v.values, v.counterfactual, v.records, v.event)
    return Verdict(v.status, flags, v.reason, v.values, v.counterfactual, v.records, v.event)
