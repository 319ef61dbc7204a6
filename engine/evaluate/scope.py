"""Placing a subject in time (GEN-1, docs/rules.md section 5): acts and continuing situations.

An act dated before entry into force, or on or after withdrawal, is not applicable; a continuing
situation is judged over its window inside the period the treaty binds the party, and one that
pre-dates entry into force is in transition until the transition period ends.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from engine.evaluate.merge import Version
from engine.evaluate.party import PartyRun
from engine.evaluate.timeline import transition_end
from engine.evaluate.verdict import Reason, Verdict, reason
from engine.model.rules import DeadlineRule, Scope
from engine.rules.compile import CompiledRule
from engine.rules.time import to_utc


@dataclass(frozen=True)
class Placement:
    """Where a reading falls in time."""

    verdict: Verdict | None
    """A not-applicable (or undated) verdict that decides the reading, or None."""
    in_transition: bool = False
    """A pre-existing situation inside its transition period."""
    event: date | None = None
    """The date that dates the reading."""


def place(run: PartyRun, cr: CompiledRule, v: Version, fid: str) -> Placement:
    """Where one reading of a subject falls relative to entry into force, withdrawal and the
    as-of date.
    """
    scope = cr.rule.scope
    if scope is None:
        return Placement(None, False, run.ctx.as_of)
    if scope.event is not None:
        return _place_act(run, cr, scope, v, fid)
    return _place_situation(run, cr, scope, v, fid)


def _day(run: PartyRun, cr: CompiledRule, name: str | None, v: Version, fid: str) -> date | None:
    if name is None:
        return None
    x = getattr(v.record, name, None)
    if x is None:
        x = run.derived.get((cr.rule.id, fid), {}).get(name)
    if x is None:
        x = run.virtual_of[fid].get(name)
    if isinstance(x, datetime):
        return to_utc(x).date()
    return x if isinstance(x, date) else None


def _undated(field: str | None) -> Placement:
    return Placement(Verdict("gap", {"insufficient_detail"}, reason("undated", field=field)))


def _na(flags: set[str], why: Reason, event: date) -> Placement:
    return Placement(Verdict("not_applicable", flags, why), False, event)


def _place_act(run: PartyRun, cr: CompiledRule, scope: Scope, v: Version, fid: str) -> Placement:
    ev_day = _day(run, cr, scope.event, v, fid)
    if ev_day is None:
        return _undated(scope.event)
    eif, w, as_of, party = run.tl.eif, run.tl.withdrawal, run.ctx.as_of, run.tl.party.code
    assert eif is not None
    if ev_day < eif:
        why = reason("act_before_entry_into_force", day=ev_day, party=party, eif=eif)
        return _na({"before_entry_into_force"}, why, ev_day)
    if w is not None and ev_day >= w:
        why = reason("act_after_withdrawal", day=ev_day, party=party, withdrawal=w)
        return _na({"after_withdrawal"}, why, ev_day)
    if ev_day > as_of and not isinstance(cr.rule, DeadlineRule):
        return _na({"not_yet_due"}, reason("act_after_as_of", day=ev_day, as_of=as_of), ev_day)
    return Placement(None, False, ev_day)


def _place_situation(
    run: PartyRun, cr: CompiledRule, scope: Scope, v: Version, fid: str
) -> Placement:
    start = _day(run, cr, scope.start, v, fid)
    end = _day(run, cr, scope.end, v, fid)
    if start is None:
        return _undated(scope.start)
    eif, w, as_of = run.tl.eif, run.tl.withdrawal, run.ctx.as_of
    assert eif is not None
    lo = max(start, eif)
    hi = min(d for d in (as_of + timedelta(days=1), end, w) if d is not None)
    if lo >= hi:
        return _outside_window(run, start, end)
    in_transition = start < eif and hi <= transition_end(cr.commitment, run.ctx.treaty, eif)
    return Placement(None, in_transition, start)


def _outside_window(run: PartyRun, start: date, end: date | None) -> Placement:
    eif, w, as_of = run.tl.eif, run.tl.withdrawal, run.ctx.as_of
    assert eif is not None
    if end is not None and end <= eif:
        why = reason("situation_ended_before_entry_into_force", end=end, eif=eif)
        return _na({"before_entry_into_force"}, why, start)
    if w is not None and start >= w:
        why = reason("situation_after_withdrawal", start=start, withdrawal=w)
        return _na({"after_withdrawal"}, why, start)
    if start > as_of:
        return _na(
            {"not_yet_due"}, reason("situation_after_as_of", start=start, as_of=as_of), start
        )
    why = reason("situation_outside_window", start=start, end=end, party=run.tl.party.code)
    return _na(set(), why, start)
