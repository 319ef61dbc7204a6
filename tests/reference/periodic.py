"""``periodic`` rules (docs/rules.md section 8): due dates, submissions, their assignment to
cycles and the verdict on each cycle in every combination of readings."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date
from typing import Any

from engine.model.commitment import Commitment
from engine.model.rules import ParamRef, PeriodicRule
from tests.reference.conditions import Ctx, PartyInfo, derive, holds
from tests.reference.records import Rec
from tests.reference.values import (
    ABSENT,
    add_months,
    day_of,
    days_in_month,
    equal,
    instant_of,
    is_number,
    is_temporal,
)
from tests.reference.verdicts import VR, Env, combine_versions, event_date_of, finalise, gap


def due_dates(
    rule: PeriodicRule, party: PartyInfo, interval: int | None, as_of: date
) -> list[date]:
    """Owed due dates before A, then the next one on or after A (if owed)."""
    s = rule.schedule
    out: list[date] = []
    w = party.withdrawal
    if s.every == "year":
        assert s.month is not None and s.day is not None

        def on(year: int) -> date:
            # READING: a day beyond the month's end (31 April, 29 February) is clamped.
            assert s.month is not None and s.day is not None
            return date(year, s.month, min(s.day, days_in_month(year, s.month)))

        year = party.eif.year
        if on(year) < party.eif:
            year += 1
        while True:
            d = on(year)
            if w is not None and d >= w:
                break
            out.append(d)
            if d >= as_of:
                break
            year += 1
        return out
    assert interval is not None and interval > 0
    # READING (literal): each due date is the previous due date plus N months, so a clamped
    # day stays clamped (31 Jan + 1 month = 28 Feb, then 28 Mar).
    d = add_months(party.eif, interval)
    while True:
        if w is not None and d >= w:
            break
        out.append(d)
        if d >= as_of:
            break
        d = add_months(d, interval)
    return out


@dataclass(frozen=True)
class SubInfo:
    ok: bool
    at: Any
    cycle: Any
    complete: bool  # every field in ``requires`` is stated


@dataclass
class Cycle:
    due: date
    results: list[VR]  # one per world
    submitted: list[bool]  # per world: some submission was assigned


Chosen = tuple[Rec, SubInfo]
"""A submission as one combination of readings sees it."""


def schedule_interval(
    rule: PeriodicRule, c: Commitment, env: Env, records: dict[str, list[Rec]]
) -> tuple[bool, int | None]:
    """(computable, N) for ``every: months`` with interval N; (True, None) for ``every: year``."""
    if rule.schedule.every != "months":
        return True, None
    m: Any = rule.schedule.months
    if isinstance(m, ParamRef):
        # READING: the interval parameter is taken as in force on the as-of date.
        m = Ctx(env.treaty, c, rule, records, env.as_of, env.as_of).param(m.param)[0]
    if not is_number(m) or int(m) != m or int(m) <= 0:
        return False, None
    return True, int(m)


def submission_candidates(
    rule: PeriodicRule, c: Commitment, env: Env, records: dict[str, list[Rec]]
) -> tuple[list[tuple[Rec, list[SubInfo]]], bool]:
    """Section 8, submissions: each record selected in some version, with what each of its
    distinct versions says; and whether the selector needed a parameter not in force."""
    candidates: list[tuple[Rec, list[SubInfo]]] = []
    missed = False
    for r in records.get(rule.submission.kind, []):
        infos: list[SubInfo] = []
        for v in r.versions:
            ev = event_date_of(rule, v.fields, env.as_of) or env.as_of
            ctx = Ctx(env.treaty, c, rule, records, ev, env.as_of)
            ff = derive(v.fields, rule, ctx)
            ok = True if rule.submission.where is None else holds(rule.submission.where, ff, ctx)
            missed = missed or bool(ctx.misses)
            at = ff.get(rule.at, ABSENT)
            # READING: a submission whose ``at`` is not stated cannot be placed and is ignored.
            ok = ok and at is not ABSENT and is_temporal(at)
            cyc = ff.get(rule.cycle_field, ABSENT) if rule.cycle_field else ABSENT
            # the lead's ruling (section 12): an empty list counts as not reported for requires
            complete = all(n in ff and ff[n] != [] for n in rule.requires)
            info = SubInfo(ok, at, cyc, complete)
            if info not in infos:
                infos.append(info)
        if any(i.ok for i in infos):
            candidates.append((r, infos))
    return candidates, missed


def assign(rule: PeriodicRule, dues: list[date], chosen: list[Chosen]) -> list[Chosen | None]:
    """Section 8, assignment: the submission that counts for each due date (or None)."""
    chosen = sorted(chosen, key=lambda ri: (instant_of(ri[1].at), ri[0].id))
    if not rule.cycle_field:
        return [chosen[i] if i < len(chosen) else None for i in range(len(dues))]
    assigned: list[Chosen | None] = []
    for d in dues:
        hits = [
            ri
            for ri in chosen
            if ri[1].cycle is not ABSENT and equal(ri[1].cycle, d.year + rule.cycle_offset)
        ]
        # READING: with a months schedule two due dates of one year share a submission.
        assigned.append(hits[0] if hits else None)
    return assigned


def cycle_result(rule: PeriodicRule, d: date, got: Chosen | None, as_of: date) -> VR:
    """Section 8, outcome per due date, in one combination of readings."""
    if got is None:
        if d < as_of:
            o = rule.on_missing
            return VR(o.status, frozenset(o.flags), d, reason="cycle_missing")
        return VR("not_applicable", frozenset({"not_yet_due"}), d, reason="cycle_not_yet_due")
    r, info = got
    if not info.complete:
        return gap("insufficient_detail", "cycle_missing_required", d)
    if day_of(info.at) <= d:
        return VR("compliant", frozenset(), d, frozenset({r.key}), "cycle_met")
    o = rule.on_late
    return VR(o.status, frozenset(o.flags), d, frozenset({r.key}), "cycle_late")


def periodic_cycles(
    rule: PeriodicRule, c: Commitment, env: Env, party: PartyInfo
) -> list[Cycle] | None:
    """The listed cycles, each judged in every combination of submission versions.

    Returns None when the rule cannot be applied (its parameters are not in force).
    """
    records = env.party_records(party.code)
    computable, interval = schedule_interval(rule, c, env, records)
    if not computable:
        return None
    dues = due_dates(rule, party, interval, env.as_of)
    candidates, missed = submission_candidates(rule, c, env, records)
    if missed:
        # READING: a parameter not in force in the submission selector makes every cycle
        # gap(insufficient_detail).
        return [
            Cycle(d, [gap("insufficient_detail", "parameter_not_in_force", d)], [False])
            for d in dues
        ]
    cycles = [Cycle(d, [], []) for d in dues]
    for choice in itertools.product(*[range(len(infos)) for _, infos in candidates]):
        chosen = [
            (r, infos[i]) for (r, infos), i in zip(candidates, choice, strict=True) if infos[i].ok
        ]
        for cyc, got in zip(cycles, assign(rule, dues, chosen), strict=True):
            cyc.results.append(cycle_result(rule, cyc.due, got, env.as_of))
            cyc.submitted.append(got is not None)
    return cycles


def periodic_findings(
    rule: PeriodicRule, c: Commitment, env: Env, party: PartyInfo
) -> dict[str | None, VR]:
    cycles = periodic_cycles(rule, c, env, party)
    if cycles is None:
        # READING: a schedule that cannot be computed gives one finding without subject.
        return {None: gap("insufficient_detail", "parameter_not_in_force")}
    out: dict[str | None, VR] = {}
    for cyc in cycles:
        combined = combine_versions(list(cyc.results), "cycle_disputed")
        assert combined is not None
        out[f"cycle:{cyc.due.isoformat()}"] = finalise(combined, rule, c, env.self_only)
    return out
