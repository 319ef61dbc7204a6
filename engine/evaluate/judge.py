"""Judging one rule: every reading of every subject it selects, then one verdict per subject.

A record whose sources disagree is judged once per version (reading). Readings that agree on the
status give that status; readings that disagree give gap(contradictory) (docs/rules.md section
9). A reading the rule does not select, or to which no deadline applies, owes nothing.
"""

from __future__ import annotations

from engine.evaluate.classify import classify
from engine.evaluate.corroboration import corroborate
from engine.evaluate.deadline import deadline
from engine.evaluate.merge import MergedRecord, Version
from engine.evaluate.party import PartyRun, missing_required
from engine.evaluate.periodic import run_periodic
from engine.evaluate.scope import place
from engine.evaluate.timeline import transition_end
from engine.evaluate.verdict import Verdict, reason, records_of
from engine.model.rules import ClassifyRule, DeadlineRule, PeriodicRule
from engine.rules.compile import CompiledRule


def run_rule(run: PartyRun, cr: CompiledRule) -> dict[str | None, list[Verdict]]:
    """Subject -> the rule's verdict (one) on it; subjects owed nothing are left out."""
    if isinstance(cr.rule, PeriodicRule):
        return run_periodic(run, cr)
    results: dict[str | None, list[Verdict]] = {}
    for mr, versions in run.selected(cr, all_versions=True):
        verdicts = []
        owed = False  # some reading selects the record and owes something under the rule
        for v, fid in versions:
            verdict, owes = _reading(run, cr, mr, v, fid)
            owed = owed or owes
            verdicts.append(verdict)
        if owed:
            results[mr.id] = [corroborate(cr, combine_readings(verdicts, mr))]
    return results


def _reading(
    run: PartyRun, cr: CompiledRule, mr: MergedRecord, v: Version, fid: str
) -> tuple[Verdict, bool]:
    """The verdict on one reading, and whether the reading owes anything under the rule."""
    placed = place(run, cr, v, fid)
    sources = ", ".join(v.sources)
    outside = Verdict(
        "not_applicable",
        set(),
        reason("outside_rule", kind=mr.kind, record=mr.id),
        {"_sources": sources},
    )
    verdict: Verdict | None
    if not run.truth(cr.where, fid) and not run.where_undecidable(cr, fid):
        verdict = outside
    elif placed.verdict is not None:
        verdict = placed.verdict
    elif names := run.missing_before_cases(cr, fid):
        why = reason("parameter_not_in_force", names=names)
        verdict = Verdict("gap", {"insufficient_detail"}, why)
    elif isinstance(cr.rule, ClassifyRule):
        verdict = classify(run, cr, cr.rule, mr, v, fid)
    elif absent := run.absent_required(cr, v, fid):
        verdict = missing_required(mr.kind, mr.id, absent, sources)
    else:
        assert isinstance(cr.rule, DeadlineRule)
        verdict = deadline(run, cr, cr.rule, mr, v, fid) or outside  # None: no deadline applies
    owes = verdict is not outside
    verdict.event = placed.event
    if placed.in_transition and verdict.status == "breach":
        verdict = _in_transition(run, cr, verdict)
    verdict.records = [mr] + [r for r in verdict.records if r is not mr]
    return verdict, owes


def _in_transition(run: PartyRun, cr: CompiledRule, breach: Verdict) -> Verdict:
    """A breach by a pre-existing situation within its transition period is compliant."""
    assert run.tl.eif is not None
    until = transition_end(cr.commitment, run.ctx.treaty, run.tl.eif)
    why = reason("transition", until=until, inner=breach.reason)
    return Verdict(
        "compliant", {"transition"}, why, breach.values, None, breach.records, breach.event
    )


def combine_readings(verdicts: list[Verdict], mr: MergedRecord) -> Verdict:
    """One verdict from the verdicts on each reading of a record."""
    if len(verdicts) == 1:
        return verdicts[0]
    statuses = {v.status for v in verdicts}
    if len(statuses) == 1:
        base = verdicts[0]
        flags = set().union(*(v.flags for v in verdicts))
        events = [v.event for v in verdicts if v.event is not None]
        return Verdict(
            base.status,
            flags,
            base.reason,
            base.values,
            base.counterfactual,
            records_of(verdicts),
            min(events) if events else None,
        )
    readings = [(v.values.get("_sources", "a source"), v.status) for v in verdicts]
    why = reason("readings_disagree", disputed=list(mr.disputed), readings=readings)
    first = verdicts[0]
    return Verdict("gap", {"contradictory"}, why, first.values, None, first.records, first.event)
