"""``periodic`` rules (docs/rules.md section 8): a submission is due on a schedule.

Due dates run from the party's entry into force (a fixed day each year, or every N months), up
to the first one on or after the as-of date and never on or after withdrawal. Each due date is a
subject ``cycle:<date>`` with its own verdict.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from datetime import date
from typing import Any

from engine.errors import EngineFault
from engine.evaluate.corroboration import corroborate
from engine.evaluate.merge import MergedRecord, Version
from engine.evaluate.party import PartyRun
from engine.evaluate.verdict import Verdict, reason, records_of
from engine.model.commitment import Commitment
from engine.model.rules import PeriodicRule
from engine.rules.compile import CompiledRule, offset_amount
from engine.rules.time import add_months, after_due_day, as_date, clamped_date, seconds_of

MAX_READINGS = 4096
"""Most combinations of disputed submissions' readings judged for one rule."""

_Candidate = tuple[MergedRecord, list[tuple[Version, str, bool]]]
_Chosen = tuple[MergedRecord, Version, str]


def due_dates(run: PartyRun, rule: PeriodicRule, c: Commitment) -> list[date]:
    """The due dates owed up to the first one on or after the as-of date."""
    eif = run.tl.eif
    assert eif is not None
    sch = rule.schedule
    if sch.every == "year":
        assert sch.month is not None and sch.day is not None
        month, day = sch.month, sch.day
        candidates = (clamped_date(y, month, day) for y in itertools.count(eif.year))
        return _owed((d for d in candidates if d >= eif), run)
    months = offset_amount(
        sch.months if sch.months is not None else 0, c.parameters, run.ctx.treaty, eif
    )
    if not months or months <= 0:
        return []
    return _owed(_every(add_months(eif, months), months), run)


def _every(first: date, months: int) -> Iterator[date]:
    """``first``, then each previous due date plus ``months`` (never from the filing date)."""
    d = first
    while True:
        yield d
        d = add_months(d, months)


def _owed(candidates: Iterable[date], run: PartyRun) -> list[date]:
    out: list[date] = []
    for d in candidates:
        if run.tl.withdrawal is not None and d >= run.tl.withdrawal:
            break
        out.append(d)
        if d >= run.ctx.as_of or len(out) > 400:
            break
    return out


def run_periodic(run: PartyRun, cr: CompiledRule) -> dict[str | None, list[Verdict]]:
    """One verdict per due date.

    A submission whose sources disagree is judged in every combination of its readings; a cycle
    whose verdict differs between combinations is gap(contradictory).
    """
    rule = cr.rule
    assert isinstance(rule, PeriodicRule)
    dues = due_dates(run, rule, cr.commitment)
    per_cycle: dict[date, list[Verdict]] = {d: [] for d in dues}
    submitted: dict[date, list[bool]] = {d: [] for d in dues}
    for chosen in _readings(run, cr, rule):
        for i, due in enumerate(dues):
            got = _assigned(rule, chosen, i, due)
            submitted[due].append(got is not None)
            per_cycle[due].append(_cycle_verdict(run, cr, rule, due, got))
    results: dict[str | None, list[Verdict]] = {}
    for due in dues:
        verdicts = per_cycle[due]
        if not verdicts:  # no candidate at all: one reading with nothing submitted
            verdicts = [_cycle_verdict(run, cr, rule, due, None)]
            submitted[due] = [False]
        run.cycle_readings[(rule.id, due)] = (list(verdicts), list(submitted[due]))
        results[f"cycle:{due.isoformat()}"] = [corroborate(cr, _agree(rule, due, verdicts))]
    return results


def _readings(run: PartyRun, cr: CompiledRule, rule: PeriodicRule) -> list[list[_Chosen]]:
    """Every combination of the submissions' readings: the submissions present in it, by time."""
    candidates: list[_Candidate] = []
    for mr, versions in run.selected(cr, all_versions=True):
        readings = []
        for v, fid in versions:
            ok = run.truth(cr.where, fid) and getattr(v.record, rule.at, None) is not None
            readings.append((v, fid, ok))
        candidates.append((mr, readings))
    out: list[list[_Chosen]] = []
    for n, choice in enumerate(itertools.product(*[range(len(r)) for _, r in candidates])):
        if n >= MAX_READINGS:
            raise EngineFault(f"{rule.id}: too many disputed submissions to judge every reading")
        chosen = [
            (mr, readings[i][0], readings[i][1])
            for (mr, readings), i in zip(candidates, choice, strict=True)
            if readings[i][2]
        ]
        chosen.sort(key=lambda x: (seconds_of(getattr(x[1].record, rule.at)), x[0].id))
        out.append(chosen)
    return out


def _assigned(rule: PeriodicRule, chosen: list[_Chosen], i: int, due: date) -> _Chosen | None:
    """The submission that counts for the ``i``-th due date in one combination of readings."""
    if rule.cycle_field:
        want = due.year + rule.cycle_offset
        return next((x for x in chosen if getattr(x[1].record, rule.cycle_field) == want), None)
    return chosen[i] if i < len(chosen) else None


def _agree(rule: PeriodicRule, due: date, verdicts: list[Verdict]) -> Verdict:
    """One verdict for a cycle from its readings': the same status, or gap(contradictory)."""
    statuses = {v.status for v in verdicts}
    if len(statuses) > 1:
        v0 = next((v for v in verdicts if v.records), verdicts[0])
        why = reason(
            "cycle_disputed", what=rule.submission.kind, due=due, statuses=sorted(statuses)
        )
        return Verdict("gap", {"contradictory"}, why, {"due": due}, None, v0.records, due)
    verdict = verdicts[0]
    verdict.flags = set().union(*(v.flags for v in verdicts))
    verdict.records = records_of(verdicts)
    return verdict


def _cycle_verdict(
    run: PartyRun, cr: CompiledRule, rule: PeriodicRule, due: date, got: _Chosen | None
) -> Verdict:
    what = rule.submission.kind
    shown: dict[str, Any] = {"due": due}
    if got is None:
        if due < run.ctx.as_of:
            o = rule.on_missing
            why = reason("cycle_missing", what=what, due=due)
            cf = reason("would_comply_if_submitted_by", due=due)
            return Verdict(o.status, set(o.flags), why, shown, cf, [], due)
        why = reason("cycle_not_yet_due", what=what, due=due, as_of=run.ctx.as_of)
        return Verdict("not_applicable", {"not_yet_due"}, why, shown, None, [], due)
    mr, v, fid = got
    if absent := run.absent_required(cr, v, fid):
        why = reason("cycle_missing_required", what=what, record=mr.id, fields=absent)
        return Verdict("gap", {"insufficient_detail"}, why, shown, None, [mr], due)
    at = getattr(v.record, rule.at)
    shown[f"{what.replace('_', ' ')} {rule.at}"] = at
    if not after_due_day(at, due):
        why = reason("cycle_met", what=what, record=mr.id, at=at, due=due)
        return Verdict("compliant", set(), why, shown, None, [mr], due)
    o = rule.on_late
    late_days = (as_date(at) - due).days
    why = reason("cycle_late", what=what, record=mr.id, at=at, due=due, late_days=late_days)
    cf = reason("would_comply_if_submitted_by", due=due)
    return Verdict(o.status, set(o.flags), why, shown, cf, [mr], due)


def periodic_status(run: PartyRun, c: Commitment) -> list[str]:
    """``missing``, ``submitted`` or ``unknown`` for each past-due cycle of a commitment's
    periodic rules (what the absence of conduct is judged on, docs/rules.md section 10).
    """
    out = []
    for cr in run.ctx.rules_of.get(c.id, []):
        if not isinstance(cr.rule, PeriodicRule):
            continue
        for subject in run_periodic(run, cr):
            due = date.fromisoformat(str(subject).removeprefix("cycle:"))
            if due >= run.ctx.as_of:
                continue
            readings, submitted = run.cycle_readings[(cr.rule.id, due)]
            # A cycle counts as submitted only if it is in every reading of the submissions
            # (docs/rules.md section 12); a reading that cannot be judged leaves it unknown.
            if any(v.flags == {"insufficient_detail"} for v in readings):
                out.append("unknown")
            else:
                out.append("submitted" if all(submitted) else "missing")
    return out
