"""``deadline`` rules (docs/rules.md section 7): a trigger needs a fulfilment by its due point.

Each applicable deadline of a trigger gives a due point; the strictest (earliest) wins. An
excusing record decides first; then a fulfilment on time in every version complies, one on time
in some versions only is contradictory, a late one is ``on_late``, and none is either not yet due
or ``on_missing``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from engine.evaluate.merge import MergedRecord, Version
from engine.evaluate.party import PartyRun
from engine.evaluate.verdict import Elapsed, Reason, Verdict, reason
from engine.model.rules import DeadlineRule
from engine.rules.compile import CompiledRule, DeadlinePlan, offset_amount
from engine.rules.time import (
    as_date,
    due_after,
    due_seconds,
    end_of_day,
    epoch_seconds,
    meets_due,
    working_days_between,
)


@dataclass
class _Trigger:
    """What every outcome of one trigger reading refers to."""

    cr: CompiledRule
    rule: DeadlineRule
    mr: MergedRecord
    fid: str
    values: dict[str, Any]
    shown: dict[str, Any]
    applicable: list[tuple[int, DeadlinePlan, Any]]
    plan: DeadlinePlan
    """The strictest applicable deadline."""
    due: Any
    """Its due point."""

    def about(self, **args: Any) -> dict[str, Any]:
        """The arguments every deadline reason carries, plus ``args``."""
        return {
            "what": self.rule.fulfil.kind,
            "kind": self.mr.kind,
            "record": self.mr.id,
            "anchor": self.plan.anchor,
            "anchor_value": self.values.get(self.plan.anchor),
            "due": self.due,
            **args,
        }


def deadline(
    run: PartyRun, cr: CompiledRule, rule: DeadlineRule, mr: MergedRecord, v: Version, fid: str
) -> Verdict | None:
    """The verdict on one reading of a trigger; None when no deadline applies to it."""
    applicable: list[tuple[int, DeadlinePlan, Any]] = []
    undetermined: list[str] = []
    for k, dl in enumerate(cr.deadlines):
        if not run.truth(dl.when, fid):
            continue
        if (rule.id, fid, k) not in run.dues:
            undetermined.append(dl.anchor)
            continue
        applicable.append((k, dl, run.dues[(rule.id, fid, k)]))
    shown: dict[str, Any] = {"_sources": ", ".join(v.sources)}
    if undetermined:  # the strictest applicable deadline cannot be known
        why = reason(
            "deadline_anchor_missing", kind=mr.kind, record=mr.id, fields=sorted(set(undetermined))
        )
        return Verdict("gap", {"insufficient_detail"}, why, shown)
    if not applicable:
        return None
    _, plan, due = min(applicable, key=lambda x: due_seconds(x[2]))
    values = run.values(cr, v, fid)
    shown[plan.anchor] = values.get(plan.anchor)
    shown["due"] = due
    if plan.label:
        shown["deadline"] = plan.label
    t = _Trigger(cr, rule, mr, fid, values, shown, applicable, plan, due)
    if cr.excuse_rule is not None and rule.excused_by is not None:
        excused = _excuse(run, t)
        if excused is not None:
            return excused
    return _fulfilments(run, t)


def _fulfilments(run: PartyRun, t: _Trigger) -> Verdict:
    by_record: dict[str, dict[int, bool]] = defaultdict(dict)
    records: dict[str, MergedRecord] = {}
    for f in run.pairs[t.cr.join_rule or ""].get(t.fid, []):
        if not run.truth(t.cr.fulfil_where, f):
            continue
        fmr, fv = run.fact_of[f]
        records[fmr.id] = fmr
        at = getattr(fv.record, t.rule.fulfil.at)
        by_record[fmr.id][fv.index] = at is not None and all(
            meets_due(at, due, dl.unit) for _, dl, due in t.applicable
        )
    robust = sorted(
        rid
        for rid, vs in by_record.items()
        if len(vs) == len(records[rid].versions) and all(vs.values())
    )
    if robust:
        return _met(run, t, [records[r] for r in robust])
    possible = sorted(rid for rid, vs in by_record.items() if any(vs.values()))
    if possible:
        frec = records[possible[0]]
        why = Reason("deadline_disputed", t.about(fulfilment=frec.id))
        return Verdict("gap", {"contradictory"}, why, t.shown, None, [frec])
    if by_record:
        return _late(run, t, records)
    return _none(run, t)


def _relation(run: PartyRun, t: _Trigger) -> dict[str, Any]:
    amount = offset_amount(
        t.plan.amount, t.cr.commitment.parameters, run.ctx.treaty, run.event_day(t.cr, t.values)
    )
    return {
        "amount": "?" if amount is None else amount,
        "unit": t.plan.unit,
        "direction": t.plan.direction,
    }


def _met(run: PartyRun, t: _Trigger, on_time: list[MergedRecord]) -> Verdict:
    frec = on_time[0]
    at = getattr(frec.versions[0].record, t.rule.fulfil.at)
    t.shown[f"{t.rule.fulfil.kind.replace('_', ' ')} {t.rule.fulfil.at}"] = at
    args = t.about(fulfilment=frec.id, at=at, elapsed=_elapsed(run, t, at), **_relation(run, t))
    # corroboration rests on every on-time fulfilment (docs/rules.md section 12)
    return Verdict("compliant", set(), Reason("deadline_met", args), t.shown, None, on_time)


def _late(run: PartyRun, t: _Trigger, records: dict[str, MergedRecord]) -> Verdict:
    frec = min(
        records.values(),
        key=lambda r: (due_seconds(getattr(r.versions[0].record, t.rule.fulfil.at)), r.id),
    )
    at = getattr(frec.versions[0].record, t.rule.fulfil.at)
    t.shown[f"{t.rule.fulfil.kind.replace('_', ' ')} {t.rule.fulfil.at}"] = at
    o = t.rule.on_late
    args = t.about(
        fulfilment=frec.id,
        at=at,
        elapsed=_elapsed(run, t, at),
        text=o.explain,
        values=t.values,
        **_relation(run, t),
    )
    cf = reason("would_comply_by", what=t.rule.fulfil.kind, due=t.due)
    return Verdict(o.status, set(o.flags), Reason("deadline_late", args), t.shown, cf, [frec])


def _none(run: PartyRun, t: _Trigger) -> Verdict:
    if due_after(t.due, run.ctx.as_of):
        why = Reason("deadline_not_yet_due", t.about(as_of=run.ctx.as_of))
        return Verdict("not_applicable", {"not_yet_due"}, why, t.shown)
    o = t.rule.on_missing
    why = Reason("deadline_missing", t.about(text=o.explain, values=t.values))
    cf = reason("would_comply_by", what=t.rule.fulfil.kind, due=t.due)
    return Verdict(o.status, set(o.flags), why, t.shown, cf)


def _excuse(run: PartyRun, t: _Trigger) -> Verdict | None:
    """docs/rules.md section 7: a record that excuses the trigger decides before fulfilments.

    Excused in every version of some excusing record: the excuse's outcome; in some versions
    only: gap(contradictory); otherwise None (judged on its fulfilments).
    """
    ex = t.rule.excused_by
    assert ex is not None and t.cr.excuse_rule is not None
    matched: dict[str, set[int]] = defaultdict(set)
    records: dict[str, MergedRecord] = {}
    for x in run.pairs[t.cr.excuse_rule].get(t.fid, []):
        if not run.truth(t.cr.excuse_where, x):
            continue
        xmr, xv = run.fact_of[x]
        records[xmr.id] = xmr
        matched[xmr.id].add(xv.index)
    if not matched:
        return None
    robust = sorted(r for r, vs in matched.items() if len(vs) == len(records[r].versions))
    if not robust:
        first = sorted(matched)[0]
        why = Reason("excuse_disputed", t.about(excuse_kind=ex.kind, excuse=first))
        return Verdict("gap", {"contradictory"}, why, t.shown, None, [records[first]])
    o = ex.outcome
    args = t.about(excuse_kind=ex.kind, excuses=robust, text=o.explain, values=t.values)
    return Verdict(
        o.status, set(o.flags), Reason("excused", args), t.shown, None, [records[r] for r in robust]
    )


def _elapsed(run: PartyRun, t: _Trigger, at: Any) -> Elapsed | None:
    """Time from the anchor to the fulfilment, as the explanation states it."""
    anchor = t.values.get(t.plan.anchor)
    if anchor is None or at is None:
        return None
    after = t.plan.direction == "after"
    if t.plan.unit == "hours":
        a = anchor if isinstance(anchor, datetime) else end_of_day(anchor)
        b = at if isinstance(at, datetime) else end_of_day(at)
        secs = epoch_seconds(b) - epoch_seconds(a)
        return Elapsed(secs if after else -secs, "seconds", "after" if after else "before")
    a_day, b_day = as_date(anchor), as_date(at)
    if t.plan.unit == "working_days":
        start, end = (a_day, b_day) if after else (b_day, a_day)
        n = working_days_between(start, end, run.tl.holidays)
        return Elapsed(n, "working_days", "after" if after else "before")
    days = (b_day - a_day).days if after else (a_day - b_day).days
    return Elapsed(abs(days), "days", "after" if after == (days >= 0) else "before")
