"""Verdicts on one reading of one record (docs/rules.md sections 5, 6, 7 and 9): placing it in
time, ``classify`` and ``deadline`` rules, combining readings, corroboration and sanctions. Every
verdict names its reason code (section 13)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from engine.model.commitment import Commitment, TreatyState
from engine.model.rules import (
    ClassifyRule,
    DeadlineRule,
    ParamRef,
    Scope,
)
from tests.reference.conditions import Ctx, PartyInfo, derive, holds, transition_months
from tests.reference.records import Rec, Version
from tests.reference.values import (
    ABSENT,
    SEVERITY,
    add_months,
    add_working_days,
    day_of,
    end_of_day,
    equal,
    instant_of,
    is_number,
    is_temporal,
    start_of_day,
    utc_seconds,
)

# ----------------------------------------------------------------------------------------------
# Applicability in time (section 5)
# ----------------------------------------------------------------------------------------------


@dataclass
class Reach:
    kind: str  # "in", "na" or "gap"
    flags: frozenset[str] = frozenset()
    transition: bool = False
    reason: str = ""  # section 13: why the record is out of reach ("na") or cannot be placed


def event_field(scope: Scope | None) -> str | None:
    if scope is None:
        return None
    return scope.event or scope.start  # READING: with both, the act dating (event) is used


def event_date_of(rule: Any, fields: dict[str, Any], as_of: date) -> date | None:
    """The record's event date for parameters; None if the scope field is not stated."""
    name = event_field(rule.scope)
    if name is None:
        return as_of
    v = fields.get(name, ABSENT)
    if v is ABSENT or not is_temporal(v):
        return None
    return day_of(v)


def reach(rule: Any, fields: dict[str, Any], party: PartyInfo, as_of: date, t_months: int) -> Reach:
    scope = rule.scope
    eif, w = party.eif, party.withdrawal
    if scope is None or (scope.event is None and scope.start is None):
        return Reach("in")
    if scope.event is not None:
        v = fields.get(scope.event, ABSENT)
        if v is ABSENT or not is_temporal(v):
            # READING: an act that cannot be dated cannot be placed in time
            return Reach("gap", reason="undated")
        d = day_of(v)
        if d < eif:
            return Reach(
                "na", frozenset({"before_entry_into_force"}), reason="act_before_entry_into_force"
            )
        if w is not None and d >= w:
            return Reach("na", frozenset({"after_withdrawal"}), reason="act_after_withdrawal")
        # the lead's ruling (docs/rules.md section 5): only classify rules treat a future act as
        # not yet due; a deadline rule judges it by its due point (notice owed before a start)
        if d > as_of and not isinstance(rule, DeadlineRule):
            return Reach("na", frozenset({"not_yet_due"}), reason="act_after_as_of")
        return Reach("in")
    v = fields.get(scope.start, ABSENT)
    if v is ABSENT or not is_temporal(v):
        return Reach("gap", reason="undated")
    start = day_of(v)
    end = None
    if scope.end is not None:
        e = fields.get(scope.end, ABSENT)
        if e is not ABSENT and is_temporal(e):
            end = day_of(e)
    lo = max(start, eif)
    hi = min(d for d in (end, w, as_of + timedelta(days=1)) if d is not None)
    if lo >= hi:
        # READING: the empty window carries the flag of the bound that emptied it, like acts.
        # Section 13 names the same bounds, tested in the order of its table: ended on or before
        # entry into force, began on or after withdrawal, begins after the as-of date, other.
        if end is not None and end <= eif:
            return Reach(
                "na",
                frozenset({"before_entry_into_force"}),
                reason="situation_ended_before_entry_into_force",
            )
        if w is not None and start >= w:
            return Reach("na", frozenset({"after_withdrawal"}), reason="situation_after_withdrawal")
        if start > as_of:
            return Reach("na", frozenset({"not_yet_due"}), reason="situation_after_as_of")
        return Reach("na", reason="situation_outside_window")
    transition = start < eif and hi <= add_months(eif, t_months)
    return Reach("in", transition=transition)


# ----------------------------------------------------------------------------------------------
# Per-version results and their combination (section 9)
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VR:
    status: str
    flags: frozenset[str] = frozenset()
    event: date | None = None
    relied: frozenset[tuple[str, str, str]] = frozenset()  # records a compliant result rests on
    reason: str = ""  # the reason code of docs/rules.md section 13


def gap(flag: str, reason: str, event: date | None = None) -> VR:
    return VR("gap", frozenset({flag}), event, reason=reason)


def combine_versions(results: list[VR | None], disagree: str = "readings_disagree") -> VR | None:
    """All versions agree on the status: it stands (flags merged); else gap(contradictory).

    READING: a version in which the record is not selected (its ``where`` is false) counts as
    ``not_applicable``: a source saying the rule does not apply at all disagrees with a source
    implying a breach. If no version is selected there is no finding.

    Reason codes (section 13): such a reading is ``outside_rule``; readings that disagree give
    ``disagree`` (``readings_disagree``, for a cycle ``cycle_disputed``). READING: readings that
    agree on the status keep the code of the first reading, in the order of the versions (the
    disagreeing sources by name, section 2), as rules do in section 13.
    """
    if all(r is None for r in results):
        return None
    rs = [r if r is not None else VR("not_applicable", reason="outside_rule") for r in results]
    statuses = {r.status for r in rs}
    relied = frozenset().union(*(r.relied for r in rs))
    events = [r.event for r in rs if r.event is not None]
    event = min(events) if events else None
    if len(statuses) == 1:
        flags = frozenset().union(*(r.flags for r in rs))
        return VR(statuses.pop(), flags, event, relied, rs[0].reason)
    # READING: a contradictory finding carries only the flag contradictory.
    return VR("gap", frozenset({"contradictory"}), event, relied, disagree)


def finalise(
    vr: VR, rule: Any, c: Commitment, self_only: Mapping[tuple[str, str, str], bool]
) -> VR:
    """Corroboration (section 9) and sanctions (section 10) on a combined rule finding."""
    status, flags, reason = vr.status, set(vr.flags), vr.reason
    if (
        status == "compliant"
        and rule.corroboration != "none"
        and vr.relied
        and all(self_only[k] for k in vr.relied)
    ):
        flags.add("uncorroborated")
        if rule.corroboration == "required":
            status = "gap"  # READING: the compliant outcome's other flags are kept
            # section 13: the gap carries this code whatever the compliant verdict it wraps
            reason = "uncorroborated_required"
    if status == "breach":
        enf = c.enforcement
        # READING: the event of a breach is the subject's scope date (for a cycle, its due
        # date; without a scope, the as-of date); among versions the earliest is used.
        if not enf.sanction_available or (
            enf.sanction_from is not None and vr.event is not None and vr.event < enf.sanction_from
        ):
            flags.add("no_sanction_available")
    return VR(status, frozenset(flags), vr.event, vr.relied, reason)


# ----------------------------------------------------------------------------------------------
# Rules
# ----------------------------------------------------------------------------------------------


ENGINE_ISSUES = frozenset({"requires_after_deadline_when", "late_fulfilment_corroborates"})
"""Known points where the engine departs from docs/rules.md, each with a strict xfail test in
tests/evaluate/test_engine_issues.py. Asked to, the oracle mimics the engine at exactly that point
(marked ``ENGINE ISSUE:``), so that the differential test keeps looking for new disagreements."""


@dataclass
class Env:
    """Everything one evaluation reads: the documents, the records, the as-of date."""

    treaty: TreatyState
    commitments: Mapping[str, Commitment]
    records: dict[str, dict[str, list[Rec]]]
    as_of: date
    self_only: dict[tuple[str, str, str], bool]
    engine_issues: frozenset[str] = frozenset()  # of ENGINE_ISSUES: mimic the engine there

    def party_records(self, code: str) -> dict[str, list[Rec]]:
        """The party's records by kind."""
        return self.records.get(code, {})


def missing_required(rule: Any, fields: dict[str, Any], event: date) -> VR | None:
    """gap(missing_required) if a field in ``requires`` is not reported, else None."""
    # the lead's ruling: an empty list counts as not reported for ``requires``
    if any(name not in fields or fields[name] == [] for name in rule.requires):
        return gap("insufficient_detail", "missing_required", event)
    return None


def _subject_preamble(
    rule: Any, selector: Any, c: Commitment, env: Env, party: PartyInfo, version: Version
) -> tuple[VR | None, Ctx, dict[str, Any], Reach, date] | VR | None:
    """Common start of classify and deadline: event date, derive, where, scope, requires.

    Returns a final per-version result (or None = not selected), or the material to go on.
    """
    raw = version.fields
    ev = event_date_of(rule, raw, env.as_of)
    ctx = Ctx(env.treaty, c, rule, env.party_records(party.code), ev or env.as_of, env.as_of)
    fields = derive(raw, rule, ctx)
    if ev is None:
        ev = event_date_of(rule, fields, env.as_of)  # the scope may name a derived date
        if ev is not None:
            ctx = ctx.on(ev)
            fields = derive(raw, rule, ctx)
    event = ev or env.as_of
    derive_missed = bool(ctx.misses)
    ctx.misses.clear()
    selected = True if selector.where is None else holds(selector.where, fields, ctx)
    # the lead's ruling: a record the selector rejects without needing a missing parameter is
    # simply not selected; a missing parameter in derive matters only for selected records
    missed = bool(ctx.misses)
    if not selected and not missed:
        return None
    missed = missed or derive_missed
    r = reach(rule, fields, party, env.as_of, transition_months(env.treaty, c, party.eif))
    if r.kind == "na":
        # READING: being out of reach is decided before parameter gaps and missing details.
        return VR("not_applicable", r.flags, event, reason=r.reason)
    if r.kind == "gap":
        # READING: an undated record is ``undated`` even if a parameter is also missing (its
        # parameters are read on a date the record does not give).
        return gap("insufficient_detail", "undated", event)
    if missed:
        return gap("insufficient_detail", "parameter_not_in_force", event)
    # ENGINE ISSUE requires_after_deadline_when: the engine reads every deadline's ``when``
    # before ``requires`` (deadline_version checks ``requires`` then)
    later = isinstance(rule, DeadlineRule) and "requires_after_deadline_when" in env.engine_issues
    if not later and (missed_field := missing_required(rule, fields, event)) is not None:
        return missed_field
    ctx.subject = fields
    return (None, ctx, fields, r, event)


def _transition(
    status: str, flags: frozenset[str], r: Reach, reason: str
) -> tuple[str, frozenset[str], str]:
    """A breach within the transition period is compliant(transition), code ``transition``."""
    if status == "breach" and r.transition:
        # READING: the breach's own flags are replaced by the single flag transition.
        return "compliant", frozenset({"transition"}), "transition"
    return status, flags, reason


def classify_version(
    rule: ClassifyRule, c: Commitment, env: Env, party: PartyInfo, rec: Rec, version: Version
) -> VR | None:
    pre = _subject_preamble(rule, rule.subject, c, env, party, version)
    if pre is None or isinstance(pre, VR):
        return pre
    _, ctx, fields, r, event = pre
    outcome = rule.otherwise
    for case in rule.cases:
        held = holds(case.when, fields, ctx)
        if ctx.misses:
            return gap("insufficient_detail", "parameter_not_in_force", event)
        if held:
            outcome = case
            break
    status, flags, reason = _transition(
        outcome.status, frozenset(outcome.flags), r, "classify_case"
    )
    return VR(status, flags, event, frozenset({rec.key}), reason)


@dataclass(frozen=True)
class Due:
    kind: str  # "day" (met by anything on or before that UTC day) or "instant"
    day: date | None = None
    instant: datetime | None = None

    @property
    def key(self) -> datetime:
        if self.kind == "day":
            assert self.day is not None
            return end_of_day(self.day)
        assert self.instant is not None
        return self.instant

    def met_by(self, at: Any) -> bool:
        if not is_temporal(at):
            return False
        if self.kind == "day":
            assert self.day is not None
            return day_of(at) <= self.day
        assert self.instant is not None
        if isinstance(at, datetime):
            return utc_seconds(at) <= self.instant
        return bool(at <= self.instant.date())  # a date is taken as its UTC day


def due_point(
    anchor: Any, amount: int, unit: str, direction: str, holidays: frozenset[date]
) -> Due:
    sign = 1 if direction == "after" else -1
    if unit == "hours":
        base = utc_seconds(anchor) if isinstance(anchor, datetime) else start_of_day(anchor)
        return Due("instant", instant=base + timedelta(hours=sign * amount))
    d = day_of(anchor)
    if unit == "days":
        return Due("day", day=d + timedelta(days=sign * amount))
    if unit == "working_days":
        return Due("day", day=add_working_days(d, sign * amount, holidays))
    if unit == "months":
        return Due("day", day=add_months(d, sign * amount))
    raise ValueError(unit)


def excuse(
    rule: DeadlineRule, ctx: Ctx, fields: dict[str, Any], rec: Rec, r: Reach, event: date
) -> VR | None:
    """Section 7, excuses: once the due point is known, a record of ``excused_by.kind`` whose
    ``where`` holds and whose ``match`` fields equal the trigger's releases the trigger.

    A record that matches in every one of its versions gives the excuse's outcome; one that
    matches in some versions only leaves it open: gap(contradictory). None: not excused.
    """
    ex = rule.excused_by
    assert ex is not None
    # as for fulfilments and counts, parameters in the excuse's where are read on the as-of date
    wctx = ctx.on(ctx.as_of)
    always: list[tuple[str, str, str]] = []
    sometimes = False
    for x in ctx.records.get(ex.kind, []):
        hits = []
        for xv in x.versions:
            ok = True if ex.where is None else holds(ex.where, xv.fields, wctx)
            for x_field, t_field in ex.match.items():
                ok = (
                    ok
                    and x_field in xv.fields
                    and t_field in fields
                    and equal(xv.fields[x_field], fields[t_field])
                )
            hits.append(ok)
        if all(hits):
            always.append(x.key)
        elif any(hits):
            sometimes = True
    if always:
        status, flags, reason = _transition(
            ex.outcome.status, frozenset(ex.outcome.flags), r, "excused"
        )
        return VR(status, flags, event, frozenset({rec.key, *always}), reason)
    if sometimes:
        return VR("gap", frozenset({"contradictory"}), event, reason="excuse_disputed")
    return None


def strictest_due(
    rule: DeadlineRule, ctx: Ctx, fields: dict[str, Any], party: PartyInfo, event: date
) -> Due | VR | None:
    """Section 7, deadlines: the earliest due point of the deadlines whose ``when`` holds.

    A gap when one cannot be told (a parameter not in force, a deadline that cannot be
    computed); None when no deadline applies.
    """
    dues: list[Due] = []
    undetermined = False
    for d in rule.deadlines:
        applies = True if d.when is None else holds(d.when, fields, ctx)
        if not applies:
            continue
        amount = d.offset.amount
        if isinstance(amount, ParamRef):
            # read apart from ``ctx``, whose misses are those of the deadlines' ``when``
            offset_ctx = ctx.on(ctx.event_date)
            amount = offset_ctx.param(amount.param)[0]
        anchor = fields.get(d.anchor, ABSENT)
        # READING: an applicable deadline that cannot be computed (anchor not stated, offset
        # parameter not in force: section 13 says ``deadline_anchor_missing`` for both) leaves
        # the strictest deadline unknown: gap(insufficient_detail).
        if is_number(amount) and int(amount) == amount and is_temporal(anchor):
            dues.append(due_point(anchor, int(amount), d.offset.unit, d.direction, party.holidays))
        else:
            undetermined = True
    if ctx.misses:
        # READING: a parameter read by a deadline's ``when`` is ``parameter_not_in_force``, and
        # it wins over a deadline that cannot be computed: which deadlines apply is unknown.
        return gap("insufficient_detail", "parameter_not_in_force", event)
    if undetermined:
        return gap("insufficient_detail", "deadline_anchor_missing", event)
    if not dues:
        # READING: a trigger for which no deadline applies owes nothing: as if not selected.
        return None
    return min(dues, key=lambda x: x.key)  # the strictest (earliest) due point wins


@dataclass
class Fulfilled:
    """What the fulfilments of one trigger show against its due point."""

    on_time_all: list[tuple[str, str, str]]  # fulfilments on time in every version
    on_time_some: bool  # a fulfilment on time in some versions only
    exists: bool  # some fulfilment matches (on time or not)
    first: tuple[datetime, str, tuple[str, str, str]] | None = None
    """The matching fulfilment the engine cites when late: earliest ``at`` of its first
    version, then id (ENGINE ISSUE late_fulfilment_corroborates)."""


def fulfilments(rule: DeadlineRule, ctx: Ctx, fields: dict[str, Any], due: Due) -> Fulfilled:
    """Section 7, fulfilments: records of ``fulfil.kind`` that match the trigger, and when."""
    out = Fulfilled([], False, False)
    wctx = ctx.on(ctx.as_of)
    for f in ctx.records.get(rule.fulfil.kind, []):
        per_version = []
        for fv in f.versions:
            ff = derive(fv.fields, rule, ctx)
            ok = True if rule.fulfil.where is None else holds(rule.fulfil.where, ff, wctx)
            for f_field, t_field in rule.fulfil.match.items():
                ok = (
                    ok
                    and f_field in ff
                    and t_field in fields
                    and equal(ff[f_field], fields[t_field])
                )
            # READING: a matching fulfilment whose ``at`` is not stated is not on time (every
            # comparison with an absent field is false), so it counts as late.
            on = ok and rule.fulfil.at in ff and due.met_by(ff[rule.fulfil.at])
            per_version.append((ok, on))
        if any(ok for ok, _ in per_version):
            out.exists = True
            at = f.versions[0].fields.get(rule.fulfil.at, ABSENT)
            if is_temporal(at) and (out.first is None or (instant_of(at), f.id) < out.first[:2]):
                out.first = (instant_of(at), f.id, f.key)
        if all(on for _, on in per_version):
            out.on_time_all.append(f.key)
        elif any(on for _, on in per_version):
            out.on_time_some = True
    return out


def deadline_version(
    rule: DeadlineRule, c: Commitment, env: Env, party: PartyInfo, rec: Rec, version: Version
) -> VR | None:
    pre = _subject_preamble(rule, rule.trigger, c, env, party, version)
    if pre is None or isinstance(pre, VR):
        return pre
    _, ctx, fields, r, event = pre
    due = strictest_due(rule, ctx, fields, party, event)
    if "requires_after_deadline_when" in env.engine_issues:
        # ENGINE ISSUE requires_after_deadline_when: ``requires`` read after the ``when``s
        if isinstance(due, VR) and due.reason == "parameter_not_in_force":
            return due
        if (missed_field := missing_required(rule, fields, event)) is not None:
            return missed_field
    if not isinstance(due, Due):
        return due
    if rule.excused_by is not None:
        excused = excuse(rule, ctx, fields, rec, r, event)
        if excused is not None:
            return excused
    seen = fulfilments(rule, ctx, fields, due)
    relied_late = frozenset({rec.key})
    if "late_fulfilment_corroborates" in env.engine_issues and seen.first is not None:
        # ENGINE ISSUE late_fulfilment_corroborates: a late verdict rests on the trigger and
        # the fulfilment it cites; section 12 has it rest on the subject and on-time ones only
        relied_late = relied_late | {seen.first[2]}
    if ctx.misses:
        return gap("insufficient_detail", "parameter_not_in_force", event)
    if seen.on_time_all:
        relied = frozenset({rec.key, *seen.on_time_all})
        return VR("compliant", frozenset(), event, relied, "deadline_met")
    if seen.on_time_some:
        return VR("gap", frozenset({"contradictory"}), event, reason="deadline_disputed")
    relied = frozenset({rec.key})
    if seen.exists:
        o, reason = rule.on_late, "deadline_late"
        relied = relied_late
    elif due.key > end_of_day(env.as_of):
        return VR(
            "not_applicable", frozenset({"not_yet_due"}), event, reason="deadline_not_yet_due"
        )
    else:
        o, reason = rule.on_missing, "deadline_missing"
    status, flags, reason = _transition(o.status, frozenset(o.flags), r, reason)
    return VR(status, flags, event, relied, reason)


def subject_findings(
    rule: ClassifyRule | DeadlineRule, c: Commitment, env: Env, party: PartyInfo
) -> dict[str | None, VR]:
    selector = rule.subject if isinstance(rule, ClassifyRule) else rule.trigger
    per_version = classify_version if isinstance(rule, ClassifyRule) else deadline_version
    out: dict[str | None, VR] = {}
    for rec in env.party_records(party.code).get(selector.kind, []):
        results = [per_version(rule, c, env, party, rec, v) for v in rec.versions]  # type: ignore[arg-type]
        combined = combine_versions(results)
        if combined is None:
            continue
        vr = finalise(combined, rule, c, env.self_only)
        out[rec.id] = worse(out[rec.id], vr) if rec.id in out else vr
    return out


def worse(a: VR, b: VR) -> VR:
    """Worst status wins, with its flags (merged when both have that status).

    ``a`` is the verdict of the earlier rule: with equal statuses its reason code stands
    (section 13: the code of the first verdict of the worst status, in the order of the rules).
    """
    if a.status == b.status:
        return VR(a.status, a.flags | b.flags, a.event, a.relied | b.relied, a.reason)
    top = a if SEVERITY[a.status] >= SEVERITY[b.status] else b
    return VR(top.status, top.flags, top.event, top.relied, top.reason)
