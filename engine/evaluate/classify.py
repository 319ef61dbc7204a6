"""``classify`` rules (docs/rules.md section 6): the first case whose condition holds decides."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from engine.evaluate.merge import MergedRecord, Version
from engine.evaluate.party import PartyRun, missing_required
from engine.evaluate.verdict import Reason, Verdict, reason
from engine.model.rules import ClassifyRule, Outcome
from engine.rules.compile import CompiledRule
from engine.rules.semantics import BoolTree


def classify(
    run: PartyRun, cr: CompiledRule, rule: ClassifyRule, mr: MergedRecord, v: Version, fid: str
) -> Verdict:
    """The verdict of a classify rule on one reading of one subject record."""
    values = run.values(cr, v, fid)
    shown: dict[str, Any] = {"_sources": ", ".join(v.sources)}
    absent = [r for r in rule.requires if values.get(r) in (None, [])]
    if absent:
        return missing_required(mr.kind, mr.id, absent, shown["_sources"])
    counts = _counts(run, cr, fid, shown)
    outcome: Outcome = rule.otherwise
    tree: BoolTree | None = None
    which = "otherwise"
    missing_here = set(run.param_missing.get((rule.id, fid), ()))
    for i, (case, tr) in enumerate(zip(rule.cases, cr.cases, strict=True)):
        if missing_here & cr.case_params[i]:
            names = sorted(missing_here & cr.case_params[i])
            why = reason("parameter_not_in_force", names=names)
            return Verdict("gap", {"insufficient_detail"}, why, shown)
        if run.truth(tr, fid, counts):
            outcome, tree, which = case, tr, str(i + 1)
            break
    why = Reason(
        "classify_case",
        {
            "case": which,
            "status": outcome.status,
            "kind": mr.kind,
            "record": mr.id,
            "text": outcome.explain,
            "values": values,
        },
    )
    if tree is not None and (seen := run.indicators(tree, fid, counts)):
        shown["indicators"] = "; ".join(seen)
        why = why.noted(reason("indicators_present", indicators=seen))
    refs = run.ctx.referenced.get(rule.id)
    if refs is None:
        refs = run.ctx.referenced[rule.id] = referenced_fields(rule)
    for name in refs:
        if name in values and values[name] is not None:
            shown[name] = values[name]
    return Verdict(outcome.status, set(outcome.flags), why, shown)


def _counts(run: PartyRun, cr: CompiledRule, fid: str, shown: dict[str, Any]) -> dict[str, int]:
    """The rule's counts for the subject: distinct related record ids (docs/rules.md 6)."""
    counts: dict[str, int] = {}
    for cj in cr.counts:
        ids = set()
        for cf in run.pairs[cj.rule_name].get(fid, []):
            if cj.before is not None and not run.earlier(cr, cf, cj.before[0], fid, cj.before[1]):
                continue
            if run.truth(cj.where, cf):
                ids.add(run.fact_of[cf][0].id)
        counts[cj.name] = len(ids)
        shown[f"count {cj.name}"] = len(ids)
    return counts


def referenced_fields(rule: ClassifyRule) -> list[str]:
    """The fields a classify rule's subject and cases read, once each, in order of mention."""
    names: list[str] = []

    def walk(x: Any) -> None:
        if isinstance(x, list):
            for y in x:
                walk(y)
            return
        if isinstance(x, BaseModel):
            f = getattr(x, "field", None)
            if isinstance(f, str):
                names.append(f)
            for n in type(x).model_fields:
                walk(getattr(x, n))

    walk(rule.subject)
    for c in rule.cases:
        walk(c.when)
    return list(dict.fromkeys(names))
