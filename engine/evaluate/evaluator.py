"""Evaluation: reports in, explained findings out. Semantics: ``docs/rules.md``.

The flow for one as-of date:

1. keep the reports submitted on or before the as-of date;
2. per party, merge every record's sources into versions (corroborated, settled or disputed);
3. turn each version into a flat fact (dates as day numbers, times as seconds, parameters in
   force on the event date, deadlines already computed) and let durable_rules match all atoms
   and joins (``engine.rules.backend``);
4. once all facts are in, fold the firings into one status per (party, commitment, subject).

Nothing here reads the clock: the as-of date is a parameter.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from pydantic import BaseModel, ValidationError

from engine import __version__
from engine.errors import EngineFault
from engine.load.gcpause import paused_gc
from engine.model.commitment import Commitment, Party, TreatyState
from engine.model.findings import (
    STATUS_ORDER,
    Evidence,
    Explanation,
    Finding,
    FindingsDocument,
    InputDigest,
    Summary,
)
from engine.model.records import EVIDENCE_RANK, RECORD_MODELS, RecordBase, Report
from engine.model.rules import (
    ClassifyRule,
    DeadlineRule,
    Outcome,
    PeriodicRule,
)
from engine.rules.compile import (
    CompiledRule,
    DeadlinePlan,
    Program,
    compile_program,
    fact_name,
    field_types,
    offset_amount,
)
from engine.rules.semantics import BoolTree, arith, fold, indicators_seen
from engine.rules.time import (
    add_months,
    add_working_days,
    day_number,
    end_of_day,
    epoch_seconds,
    fmt_duration_hours,
    fmt_ts,
    to_utc,
)

ABSENT_NUMBER = -1.0e15
"""Sentinel for a join field a fact does not have: below every real date, time or quantity."""


# ------------------------------------------------------------------------------------------
# Record versions


@dataclass
class Occurrence:
    report: Report
    record: RecordBase
    sha256: str
    path: str

    @property
    def source_key(self) -> str:
        r = self.report
        return r.source if r.source_party is None else f"{r.source}:{r.source_party}"

    @property
    def rank(self) -> int:
        return EVIDENCE_RANK[self.report.level]


@dataclass
class Version:
    """One reading of a record: the merged fields, with one source's values where disputed."""

    record: RecordBase
    sources: list[str]  # source keys whose values this version carries for disputed fields
    index: int


@dataclass
class MergedRecord:
    id: str
    kind: str
    versions: list[Version]
    occurrences: list[Occurrence]
    disputed: list[str]
    settled: list[str]
    levels: list[str] = field(default_factory=list)
    """Evidence levels of every report that carried the record, superseded ones included."""

    @property
    def self_only(self) -> bool:
        return all(level == "self" for level in self.levels)

    _evidence: tuple[Evidence, ...] | None = field(default=None, repr=False, compare=False)

    def evidence(self) -> tuple[Evidence, ...]:
        """The evidence entries of every occurrence, built once (a record is cited by the
        findings of several commitments)."""
        if self._evidence is None:
            self._evidence = tuple(
                Evidence(
                    record=self.id,
                    kind=self.kind,
                    report=o.report.id,
                    source=o.source_key,
                    sha256=o.sha256,
                )
                for o in self.occurrences
            )
        return self._evidence


def _reading(model: type[RecordBase], data: dict[str, Any]) -> RecordBase:
    """One source's reading of a disputed record. Each source's report was valid on its own, but
    a mix of two sources can break a cross-field check (lower bound of one, upper of the other):
    the reading is still what that source claims, so it is built without re-validation."""
    try:
        return model.model_validate(data)
    except ValidationError:
        return model.model_construct(_fields_set=set(data), **data)


_KIND_OF: dict[type[RecordBase], str] = {m: k for k, m in RECORD_MODELS.items()}


def known_occurrences(
    reports: Iterable[tuple[Report, Mapping[str, str], str]], as_of: date
) -> list[Occurrence]:
    """Every record of the reports submitted by the end of ``as_of`` (UTC): only what was
    known on the as-of date (docs/rules.md section 1)."""
    cutoff = epoch_seconds(end_of_day(as_of))
    return [
        Occurrence(rep, rec, hashes.get(rec.id, ""), path)
        for rep, hashes, path in reports
        if epoch_seconds(rep.submitted_at) <= cutoff
        for rec in rep.records
    ]


def _canon(v: Any) -> str:
    return json.dumps(v, sort_keys=True, default=str)


def merge_records(occurrences: Sequence[Occurrence], settling: Sequence[str]) -> list[MergedRecord]:
    """Merge every record's occurrences into versions (docs/rules.md section 2)."""
    by_id: dict[str, list[Occurrence]] = defaultdict(list)
    for o in occurrences:
        by_id[o.record.id].append(o)
    out = []
    for rid in sorted(by_id):
        occs = by_id[rid]
        latest: dict[str, Occurrence] = {}
        if len(occs) == 1:
            sources = occs
        else:
            for o in sorted(
                occs, key=lambda o: (o.report.submitted_at, o.report.id)
            ):  # aware: by instant
                latest[o.source_key] = o  # later submissions from the same source supersede
            sources = sorted(latest.values(), key=lambda o: (-o.rank, o.source_key))
        if len(sources) == 1:  # one source: nothing to merge or dispute (most records)
            rec = sources[0].record
            out.append(
                MergedRecord(
                    rid,
                    _KIND_OF[type(rec)],
                    [Version(rec, [sources[0].source_key], 0)],
                    sources,
                    [],
                    [],
                    [o.report.level for o in occs],
                )
            )
            continue
        stated = {o.source_key: o.record.model_dump(exclude_unset=True) for o in sources}
        kind = str(sources[0].record.model_dump(include={"kind"})["kind"])
        merged: dict[str, Any] = {}
        disputed: list[str] = []
        settled: list[str] = []
        names = sorted({k for d in stated.values() for k in d})
        for name in names:
            vals = [
                (o, stated[o.source_key][name]) for o in sources if name in stated[o.source_key]
            ]
            distinct = {_canon(v) for _, v in vals}
            if len(distinct) == 1:
                merged[name] = vals[0][1]
                continue
            settlers = [(o, v) for o, v in vals if o.report.level in settling]
            if settlers:
                top = [(o, v) for o, v in settlers if o.rank == settlers[0][0].rank]
                if (
                    len({_canon(v) for _, v in top}) == 1
                ):  # two inspections that disagree settle nothing
                    merged[name] = top[0][1]
                    settled.append(name)
                    continue
            merged[name] = vals[0][1]
            disputed.append(name)
        model = RECORD_MODELS[kind]
        versions: list[Version] = []
        if not disputed:
            versions.append(Version(_reading(model, merged), [o.source_key for o in sources], 0))
        else:
            seen: set[str] = set()
            for o in sources:
                own = stated[o.source_key]
                if not any(n in own for n in disputed):
                    continue
                data = dict(merged)
                for n in disputed:
                    if n in own:
                        data[n] = own[n]
                key = _canon(data)
                if key in seen:
                    continue
                seen.add(key)
                versions.append(Version(_reading(model, data), [o.source_key], len(versions)))
        out.append(
            MergedRecord(
                rid, kind, versions, sources, disputed, settled, [o.report.level for o in occs]
            )
        )
    return out


# ------------------------------------------------------------------------------------------
# Facts


def _temporal(fact: dict[str, Any], name: str, value: Any) -> None:
    if isinstance(value, datetime):
        sec = epoch_seconds(value)
        d = to_utc(value).date()
        fact[name] = float(sec)
        fact[f"{name}__sec"] = float(sec)
    else:
        d = value
        fact[name] = float(day_number(d))
        fact[f"{name}__sec"] = float(day_number(d) * 86400)
    fact[f"{name}__day"] = float(day_number(d))
    fact[f"{name}__year"] = float(d.year)


def _put(fact: dict[str, Any], name: str, value: Any) -> None:
    if value is None:
        return
    if isinstance(value, date | datetime):
        _temporal(fact, name, value)
    elif isinstance(value, bool):
        fact[name] = value
    elif isinstance(value, int | float):
        fact[name] = float(value)
    elif isinstance(value, list | tuple):
        fact[name] = [str(v) for v in value]
    else:
        fact[name] = str(value)


# ------------------------------------------------------------------------------------------
# Party timeline


@dataclass(frozen=True)
class Timeline:
    party: Party
    eif: date | None
    withdrawal: date | None
    holidays: frozenset[date]

    def bound(self, as_of: date) -> bool:
        return self.eif is not None and self.eif <= as_of


def timeline(party: Party, treaty: TreatyState | None) -> Timeline:
    w = party.withdrawal_effective_on
    if w is None and party.withdrawal_notice_on is not None:
        months = _treaty_int(treaty, "withdrawal_notice_months", 6, party.withdrawal_notice_on)
        w = add_months(party.withdrawal_notice_on, months)
    return Timeline(party, party.entry_into_force, w, frozenset(party.holidays))


def _treaty_int(treaty: TreatyState | None, name: str, default: int, day: date) -> int:
    if treaty is None or name not in treaty.parameters:
        return default
    v = treaty.parameters[name].value_on(day)
    return int(v) if isinstance(v, int | float) and not isinstance(v, bool) else default


# ------------------------------------------------------------------------------------------
# Outcomes


@dataclass
class Verdict:
    status: str
    flags: set[str]
    summary: str
    values: dict[str, str] = field(default_factory=dict)
    counterfactual: str | None = None
    records: list[MergedRecord] = field(default_factory=list)
    event: date | None = None


def _fmt(v: Any) -> str:
    if isinstance(v, datetime):
        return fmt_ts(v)
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, float):
        if v.is_integer() and abs(v) < 1e15:
            return str(int(v))
        return f"{v:.6g}"
    if isinstance(v, list):
        return ", ".join(map(str, v)) or "none"
    if isinstance(v, bool):
        return "yes" if v else "no"
    return str(v)


_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


def _fill(template: str, values: Mapping[str, Any]) -> str:
    """Fill ``{name}`` placeholders with record values; a name that is not reported reads
    "(not reported)"; anything else in braces stays as written."""

    def value(m: re.Match[str]) -> str:
        name = m.group(1)
        v = values.get(name)
        if v is not None:
            return _fmt(v)
        return "(not reported)" if name.isidentifier() else m.group(0)

    return _PLACEHOLDER.sub(value, template)


def _worst(statuses: Iterable[str]) -> str:
    return min(statuses, key=lambda s: STATUS_ORDER[s])


# ------------------------------------------------------------------------------------------
# The evaluator


class _PartyRun:
    """Evaluation of one party: facts, firings and verdicts."""

    def __init__(
        self,
        ev: Evaluator,
        tl: Timeline,
        merged: list[MergedRecord],
    ) -> None:
        self.ev = ev
        self.tl = tl
        self.merged = merged
        self.facts: list[dict[str, Any]] = []
        self.fact_of: dict[str, tuple[MergedRecord, Version]] = {}
        self.facts_by_kind: dict[str, list[str]] = defaultdict(list)
        self.atoms: dict[str, set[str]] = defaultdict(set)
        self.pairs: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
        self.param_missing: dict[tuple[str, str], list[str]] = {}
        """Per-fact parameters (read by conditions) not in force on the record's date."""
        self.derive_missing: dict[tuple[str, str], list[str]] = {}
        """Parameters ``derive`` needed that are not in force on the record's date."""
        self.dues: dict[tuple[str, str, int], Any] = {}
        self.derived: dict[tuple[str, str], dict[str, Any]] = {}
        self.cycle_readings: dict[tuple[str, date], tuple[list[Verdict], list[bool]]] = {}
        """Per (periodic rule, due date): each reading's verdict and whether it had a submission."""
        self.virtual_of: dict[str, dict[str, Any]] = {}
        """Per fact: the virtual fields of its record (docs/rules.md section 3)."""
        self.parent_of: dict[str, str] = {}
        """Element fact -> the fact of the record whose list holds the element."""

    def virtual(self, mr: MergedRecord) -> dict[str, Any]:
        """The fields every record has without a report stating them (``VIRTUAL_FIELDS``).

        ``reported_by`` and ``evidence_levels`` belong to the record, not to one reading of it:
        a source that reported the record reported it, whatever it said of a disputed field.
        """
        return {
            "party_entry_into_force": self.tl.eif,
            "reported_by": sorted({o.report.source for o in mr.occurrences}),
            "evidence_levels": sorted(set(mr.levels)),
        }

    # -- facts ------------------------------------------------------------------------------

    def build_facts(self) -> None:
        prog = self.ev.program
        rules_by_kind: dict[str, list[CompiledRule]] = defaultdict(list)
        for cr in prog.rules:
            rules_by_kind[cr.primary_kind].append(cr)
        n = 0
        for mr in self.merged:
            if mr.kind not in prog.kinds:
                continue
            for v in mr.versions:
                n += 1
                fid = f"f{n}"
                fact: dict[str, Any] = {"id": fid, "kind": mr.kind, "_rid": mr.id}
                values = {name: getattr(v.record, name) for name in field_types(mr.kind)}
                for name, value in values.items():
                    t = type(value)
                    if value is None or name == "id":
                        continue
                    if t is float or t is str:  # most values: what _put would write
                        fact[fact_name(name)] = value
                    else:
                        _put(fact, fact_name(name), value)
                self.virtual_of[fid] = self.virtual(mr)
                values.update(self.virtual_of[fid])
                for name in sorted(prog.virtual_matched.get(mr.kind, ())):
                    _put(fact, name, values[name])
                for cr in rules_by_kind.get(mr.kind, []):
                    self._rule_fields(cr, fid, fact, values)
                for ref, (src, typ) in prog.left_refs.get(mr.kind, {}).items():
                    if src in fact:
                        fact[ref] = fact[src]
                    else:
                        # absent: a value nothing equals and nothing is earlier than
                        fact[ref] = ABSENT_NUMBER - n if typ == "num" else f"\u0000absent:{fid}"
                self.facts.append(fact)
                self.fact_of[fid] = (mr, v)
                self.facts_by_kind[mr.kind].append(fid)
                self.facts.extend(self._elements(mr.kind, fid, fact))

    def _elements(self, kind: str, fid: str, fact: Mapping[str, Any]) -> list[dict[str, Any]]:
        """One element fact per item of each list a ``contains`` join looks into (see
        ``_Compiler.contains``): the item, the listing fact and the join fields it compares."""
        out: list[dict[str, Any]] = []
        for ekind, (lkind, list_field, copies) in sorted(self.ev.program.elements.items()):
            if lkind != kind:
                continue
            for i, item in enumerate(fact.get(list_field) or []):
                eid = f"{fid}.{ekind}.{i}"
                efact = {"id": eid, "kind": ekind, "_item": item, "_of": fid}
                efact.update({c: fact[c] for c in sorted(copies) if c in fact})
                self.parent_of[eid] = fid
                out.append(efact)
        return out

    def _event_day(self, cr: CompiledRule, values: Mapping[str, Any]) -> date:
        return self._scope_day(cr, values) or self.ev.as_of

    def _scope_day(self, cr: CompiledRule, values: Mapping[str, Any]) -> date | None:
        """The record's event date (docs/rules.md section 3): the as-of date without a scope,
        None when the scope's date is not among ``values`` (not reported, or derived)."""
        scope = cr.rule.scope
        for attr in ("event", "start"):
            name = getattr(scope, attr) if scope is not None else None
            if name is not None:
                v = values.get(name)
                if isinstance(v, datetime):
                    return to_utc(v).date()
                if isinstance(v, date):
                    return v
                return None
        return self.ev.as_of

    def _rule_fields(
        self, cr: CompiledRule, fid: str, fact: dict[str, Any], values: dict[str, Any]
    ) -> None:
        c = cr.commitment
        missing: list[str] = []
        read: list[str] = []  # parameters derive read: only they can differ between two days
        event_day = self.ev.as_of

        def param(name: str) -> Any:
            read.append(name)
            p = c.parameters.get(name)
            if p is None and self.ev.treaty is not None:
                p = self.ev.treaty.parameters.get(name)
            v = p.value_on(event_day) if p is not None else None
            if v is None:
                missing.append(name)
            return v

        def derive() -> tuple[dict[str, Any], dict[str, Any]]:
            missing.clear()
            derived: dict[str, Any] = {}
            scope_values = dict(values)
            for name, ar in cr.derive.items():
                val = arith(ar, scope_values, param)
                derived[name] = val
                scope_values[name] = val
            return derived, scope_values

        # The event date dates the parameters; a scope may name a derived date (CB-3's start),
        # known only once derived: derive on the as-of date, then again on that date (unless
        # no parameter was read: then the second pass would give the same values).
        day = self._scope_day(cr, values)
        event_day = day or self.ev.as_of
        if cr.derive:
            derived, scope_values = derive()
            if day is None and (later := self._scope_day(cr, scope_values)) is not None:
                event_day = later
                if read:
                    derived, scope_values = derive()
        else:
            derived, scope_values = {}, values
        for name, val in derived.items():
            _put(fact, cr.derived_fields[name], val)
        self.derived[(cr.rule.id, fid)] = derived
        if missing:
            self.derive_missing[(cr.rule.id, fid)] = sorted(set(missing))
        missing = []
        for pname, fname in cr.param_fields.items():
            v = param(pname)
            if v is not None:
                _put(fact, fname, v)
        for k, dl in enumerate(cr.deadlines):
            anchor = scope_values.get(dl.anchor)
            if anchor is None:
                continue
            amount = offset_amount(dl.amount, c.parameters, self.ev.treaty, event_day)
            if amount is None:
                continue  # judged only if this deadline applies: then gap(insufficient_detail)
            due = due_point(anchor, amount, dl.unit, dl.direction, self.tl.holidays)
            self.dues[(cr.rule.id, fid, k)] = due
        if missing:
            self.param_missing[(cr.rule.id, fid)] = sorted(set(missing))

    # -- matching ---------------------------------------------------------------------------

    def match(self) -> None:
        by_id = {f["id"]: f for f in self.facts}
        checks = self.ev.program.join_checks
        for rule_name, ids in self.ev.matcher.match(self.facts):
            if rule_name.startswith("a") and "m" in ids:
                self.atoms[ids["m"]].add(rule_name)
            elif rule_name in checks:
                left = ids.get("t") or ids["s"]
                right = ids.get("f") or ids["c"]
                for rf, lf in checks[rule_name]:
                    if by_id[right].get(rf) != by_id[left].get(lf):
                        raise EngineFault(
                            f"durable_rules fired {rule_name} for {left}/{right} although "
                            f"{rf} != {lf}: a join equality was dropped"
                        )
                # an element fact stands for the record whose list holds it
                self.pairs[rule_name][left].append(self.parent_of.get(right, right))
        # durable_rules never binds one fact to both patterns of a rule, so a record version is
        # never joined with itself. Where both sides are of one kind, the self-pair is added
        # when the join's equalities hold within the fact; each side's ``where`` is re-checked
        # by the consumers (from the atoms durable_rules matched), as for every pair.
        for rule_name, (left_kind, right_kind) in self.ev.program.join_kinds.items():
            if left_kind != right_kind:
                continue
            for fid in self.facts_by_kind.get(left_kind, []):
                fact = by_id[fid]
                if all(
                    rf in fact
                    and fact[rf] == fact.get(lf)  # a join copy of an absent field is a sentinel
                    for rf, lf in checks[rule_name]
                ):
                    self.pairs[rule_name][fid].append(fid)

    def truth(
        self, tree: BoolTree | None, fid: str, counts: Mapping[str, int] | None = None
    ) -> bool:
        """Whether a compiled condition holds of fact ``fid``, from the atoms durable_rules
        matched and the counts of its joins (``engine.rules.semantics.fold``)."""
        if tree is None:
            return True
        fired = self.atoms.get(fid, ())
        return fold(tree, fired.__contains__, _counter(counts))

    def indicators(self, tree: BoolTree, fid: str, counts: Mapping[str, int]) -> list[str]:
        """Labels of the at_least indicators that held, for explanations."""
        return indicators_seen(tree, self.atoms.get(fid, set()).__contains__, _counter(counts))

    def _earlier(
        self, cr: CompiledRule, a_fid: str, a_field: str, b_fid: str, b_field: str
    ) -> bool:
        """Counted record's ``a_field`` strictly before the subject's ``b_field`` (derived allowed)."""
        a = getattr(self.fact_of[a_fid][1].record, a_field, None)
        b = self.derived.get((cr.rule.id, b_fid), {}).get(b_field)
        if b is None:
            b = getattr(self.fact_of[b_fid][1].record, b_field, None)
        if a is None or b is None:
            return False
        if isinstance(a, datetime) and isinstance(b, datetime):
            return _seconds(a) < _seconds(b)
        # a date against a timestamp: the timestamp's UTC day (docs/rules.md section 12)
        return bool(_as_date(a) < _as_date(b))

    # -- scope ------------------------------------------------------------------------------

    def scope_verdict(
        self, cr: CompiledRule, v: Version, fid: str
    ) -> tuple[Verdict | None, bool, date | None]:
        """(not-applicable verdict or None, pre-existing-in-transition, event day)."""
        scope = cr.rule.scope
        if scope is None:
            return None, False, self.ev.as_of
        vals = v.record
        eif = self.tl.eif
        assert eif is not None
        w = self.tl.withdrawal
        as_of = self.ev.as_of

        def day(name: str | None) -> date | None:
            if name is None:
                return None
            x = getattr(vals, name, None)
            if x is None:
                x = self.derived.get((cr.rule.id, fid), {}).get(name)
            if x is None:
                x = self.virtual_of[fid].get(name)
            if isinstance(x, datetime):
                return to_utc(x).date()
            return x if isinstance(x, date) else None

        undated = Verdict(
            "gap",
            {"insufficient_detail"},
            f"The record does not report {scope.event or scope.start}, so it cannot be placed in time.",
        )
        if scope.event is not None:
            ev_day = day(scope.event)
            if ev_day is None:
                return undated, False, None
            if ev_day < eif:
                return (
                    Verdict(
                        "not_applicable",
                        {"before_entry_into_force"},
                        f"The act is dated {ev_day}, before the treaty entered into force for "
                        f"{self.tl.party.code} on {eif}.",
                    ),
                    False,
                    ev_day,
                )
            if w is not None and ev_day >= w:
                return (
                    Verdict(
                        "not_applicable",
                        {"after_withdrawal"},
                        f"The act is dated {ev_day}, on or after {self.tl.party.code}'s withdrawal "
                        f"took effect on {w}.",
                    ),
                    False,
                    ev_day,
                )
            if ev_day > as_of and not isinstance(cr.rule, DeadlineRule):
                return (
                    Verdict(
                        "not_applicable",
                        {"not_yet_due"},
                        f"The act is dated {ev_day}, after the as-of date {as_of}.",
                    ),
                    False,
                    ev_day,
                )
            return None, False, ev_day
        start = day(scope.start)
        end = day(scope.end)
        if start is None:
            return undated, False, None
        lo = max(start, eif)
        hi_candidates = [as_of + timedelta(days=1)]
        if end is not None:
            hi_candidates.append(end)
        if w is not None:
            hi_candidates.append(w)
        hi = min(hi_candidates)
        if lo >= hi:
            if end is not None and end <= eif:
                return (
                    Verdict(
                        "not_applicable",
                        {"before_entry_into_force"},
                        f"The situation ended on {end}, before entry into force on {eif}.",
                    ),
                    False,
                    start,
                )
            if w is not None and start >= w:
                return (
                    Verdict(
                        "not_applicable",
                        {"after_withdrawal"},
                        f"The situation began on {start}, after withdrawal took effect on {w}.",
                    ),
                    False,
                    start,
                )
            if start > as_of:
                return (
                    Verdict(
                        "not_applicable",
                        {"not_yet_due"},
                        f"The situation begins on {start}, after the as-of date {as_of}.",
                    ),
                    False,
                    start,
                )
            return (
                Verdict(
                    "not_applicable",
                    set(),
                    f"The situation ({start} to {end}) falls outside the period the treaty binds "
                    f"{self.tl.party.code}.",
                ),
                False,
                start,
            )
        months = (
            cr.commitment.applicability.transition.months
            if (
                cr.commitment.applicability.transition
                and cr.commitment.applicability.transition.months is not None
            )
            else _treaty_int(self.ev.treaty, "transition_months", 24, eif)
        )
        transition_end = add_months(eif, months)
        in_transition = start < eif and hi <= transition_end
        return None, in_transition, start

    # -- rules ------------------------------------------------------------------------------

    def selected(
        self, cr: CompiledRule, *, all_versions: bool = False
    ) -> list[tuple[MergedRecord, list[tuple[Version, str]]]]:
        """Records with at least one version selected by the rule.

        With ``all_versions``, every version of such a record is returned, selected or not, so a
        reading in which the rule does not apply can contradict one in which it does.
        """
        out: dict[str, tuple[MergedRecord, list[tuple[Version, str]]]] = {}
        chosen: set[str] = set()
        for fid in self.facts_by_kind.get(cr.primary_kind, []):
            mr, v = self.fact_of[fid]
            if self.truth(cr.where, fid) or self._where_undecidable(cr, fid):
                chosen.add(mr.id)
            elif not all_versions:
                continue
            out.setdefault(mr.id, (mr, []))[1].append((v, fid))
        return [out[k] for k in sorted(out) if k in chosen]

    def _missing_before_cases(self, cr: CompiledRule, fid: str) -> list[str]:
        """Parameters not in force that stop the rule before its cases: those ``derive`` needs,
        and for deadline rules those any condition reads (every deadline's ``when`` is read).
        A classify rule checks its cases' parameters one case at a time (first match wins)."""
        key = (cr.rule.id, fid)
        names = list(self.derive_missing.get(key, ()))
        if not isinstance(cr.rule, ClassifyRule):
            names += self.param_missing.get(key, [])
        else:
            names += sorted(set(self.param_missing.get(key, ())) & cr.where_params)
        return sorted(set(names))

    def _where_undecidable(self, cr: CompiledRule, fid: str) -> bool:
        """A parameter the selector reads is not in force for this record."""
        return bool(set(self.param_missing.get((cr.rule.id, fid), ())) & cr.where_params)

    def run_rule(self, cr: CompiledRule) -> dict[str | None, list[Verdict]]:
        rule = cr.rule
        if isinstance(rule, PeriodicRule):
            return self.run_periodic(cr)
        results: dict[str | None, list[Verdict]] = {}
        # Subjects that are selected in some versions but not in others are still judged: the
        # versions where the record is not in scope count as "not applicable".
        # A reading in which no deadline applies to a trigger owes nothing, like a reading that
        # does not select it; a record none of whose readings owes anything has no finding.
        for mr, versions in self.selected(cr, all_versions=True):
            verdicts = []
            owed = False  # some reading selects the record and owes something under the rule
            for v, fid in versions:
                na, transition, event = self.scope_verdict(cr, v, fid)
                outside = Verdict(
                    "not_applicable",
                    set(),
                    f"In this reading {mr.kind.replace('_', ' ')} {mr.id} is outside the rule.",
                    {"_sources": ", ".join(v.sources)},
                )
                if not self.truth(cr.where, fid) and not self._where_undecidable(cr, fid):
                    verdict = outside
                elif na is not None:
                    verdict = na
                elif names := self._missing_before_cases(cr, fid):
                    verdict = Verdict(
                        "gap",
                        {"insufficient_detail"},
                        f"No value of {', '.join(names)} is in force on the record's date.",
                    )
                elif isinstance(rule, ClassifyRule):
                    verdict = self.classify(cr, rule, mr, v, fid)
                elif absent := self._absent_required(cr, v, fid):
                    verdict = Verdict(
                        "gap",
                        {"insufficient_detail"},
                        f"{mr.kind.replace('_', ' ')} {mr.id} does not report {', '.join(absent)}, "
                        "which the rule needs.",
                        {"_sources": ", ".join(v.sources)},
                    )
                else:
                    assert isinstance(rule, DeadlineRule)
                    judged = self.deadline(cr, rule, mr, v, fid)
                    verdict = outside if judged is None else judged  # None: no deadline applies
                owed = owed or verdict is not outside
                verdict.event = event
                if transition and verdict.status == "breach":
                    months_end = self._transition_end(cr)
                    verdict = Verdict(
                        "compliant",
                        {"transition"},
                        f"Pre-existing situation within the transition period (until {months_end}): "
                        f"{verdict.summary} This would be a breach after the transition.",
                        verdict.values,
                        None,
                        verdict.records,
                        event,
                    )
                verdict.records = [mr] + [r for r in verdict.records if r is not mr]
                verdicts.append(verdict)
            if owed:
                results[mr.id] = [self.corroborate(cr, self.combine_versions(verdicts, mr))]
        return results

    def corroborate(self, cr: CompiledRule, v: Verdict) -> Verdict:
        """docs/rules.md section 9: a compliant verdict resting only on self-reported records."""
        corr = cr.rule.corroboration
        if (
            v.status != "compliant"
            or corr == "none"
            or not v.records
            or not all(r.self_only for r in v.records)
        ):
            return v
        if corr == "required":
            return Verdict(
                "gap",
                v.flags | {"uncorroborated"},
                v.summary
                + " It rests only on the party's own report, and independent evidence is required.",
                v.values,
                v.counterfactual,
                v.records,
                v.event,
            )
        return Verdict(
            v.status,
            v.flags | {"uncorroborated"},
            v.summary,
            v.values,
            v.counterfactual,
            v.records,
            v.event,
        )

    def _absent_required(self, cr: CompiledRule, v: Version, fid: str) -> list[str]:
        derived = self.derived.get((cr.rule.id, fid), {})
        out = []
        for name in cr.rule.requires:
            val = derived[name] if name in derived else getattr(v.record, name, None)
            if val is None or val == []:
                out.append(name)
        return out

    def _transition_end(self, cr: CompiledRule) -> date:
        eif = self.tl.eif
        assert eif is not None
        t = cr.commitment.applicability.transition
        months = (
            t.months
            if t and t.months is not None
            else _treaty_int(self.ev.treaty, "transition_months", 24, eif)
        )
        return add_months(eif, months)

    def combine_versions(self, verdicts: list[Verdict], mr: MergedRecord) -> Verdict:
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
                base.summary,
                base.values,
                base.counterfactual,
                _records_of(verdicts),
                min(events) if events else None,
            )
        parts = []
        for v in verdicts:
            parts.append(f"per {', '.join(self._version_sources(mr, v))}: {v.status}")
        disputed = ", ".join(mr.disputed) or "the record"
        return Verdict(
            "gap",
            {"contradictory"},
            f"Sources disagree on {disputed} and the readings lead to different verdicts "
            f"({'; '.join(parts)}); an inspection or clarification would settle it.",
            verdicts[0].values,
            None,
            verdicts[0].records,
            verdicts[0].event,
        )

    def _version_sources(self, mr: MergedRecord, verdict: Verdict) -> list[str]:
        return [verdict.values.get("_sources", "a source")]

    # classify ---------------------------------------------------------------------------------

    def classify(
        self, cr: CompiledRule, rule: ClassifyRule, mr: MergedRecord, v: Version, fid: str
    ) -> Verdict:
        values = {
            **v.record.model_dump(),
            **self.virtual_of[fid],
            **self.derived.get((rule.id, fid), {}),
        }
        shown = {"_sources": ", ".join(v.sources)}
        absent = [r for r in rule.requires if values.get(r) in (None, [])]
        if absent:
            return Verdict(
                "gap",
                {"insufficient_detail"},
                f"{mr.kind.replace('_', ' ')} {mr.id} does not report {', '.join(absent)}, "
                "which the rule needs.",
                shown,
            )
        counts: dict[str, int] = {}
        for cj in cr.counts:
            ids = set()
            for cf in self.pairs[cj.rule_name].get(fid, []):
                if cj.before is not None and not self._earlier(
                    cr, cf, cj.before[0], fid, cj.before[1]
                ):
                    continue
                if self.truth(cj.where, cf):
                    ids.add(self.fact_of[cf][0].id)
            counts[cj.name] = len(ids)
            shown[f"count {cj.name}"] = str(len(ids))
        outcome: Outcome = rule.otherwise
        tree: BoolTree | None = None
        missing_here = set(self.param_missing.get((rule.id, fid), ()))
        for i, (case, tr) in enumerate(zip(rule.cases, cr.cases, strict=True)):
            if missing_here & cr.case_params[i]:
                names = ", ".join(sorted(missing_here & cr.case_params[i]))
                return Verdict(
                    "gap",
                    {"insufficient_detail"},
                    f"No value of {names} is in force on the record's date.",
                    shown,
                )
            if self.truth(tr, fid, counts):
                outcome, tree = case, tr
                break
        flags: set[str] = set(outcome.flags)
        summary = (
            _fill(outcome.explain, values)
            if outcome.explain
            else (f"{mr.kind.replace('_', ' ')} {mr.id}: {outcome.status.replace('_', ' ')}.")
        )
        if tree is not None:
            seen = self.indicators(tree, fid, counts)
            if seen:
                shown["indicators"] = "; ".join(seen)
                summary += f" Indicators present: {'; '.join(seen)}."
        refs = self.ev.referenced.get(rule.id)
        if refs is None:
            refs = self.ev.referenced[rule.id] = _referenced_fields(rule)
        for name in refs:
            if name in values and values[name] is not None:
                shown[name] = _fmt(values[name])
        return Verdict(outcome.status, set(flags), summary, shown)

    # deadline ---------------------------------------------------------------------------------

    def deadline(
        self, cr: CompiledRule, rule: DeadlineRule, mr: MergedRecord, v: Version, fid: str
    ) -> Verdict | None:
        applicable: list[tuple[int, DeadlinePlan, Any]] = []
        undetermined: list[str] = []
        for k, dl in enumerate(cr.deadlines):
            if not self.truth(dl.when, fid):
                continue
            if (rule.id, fid, k) not in self.dues:
                undetermined.append(dl.anchor)
                continue
            applicable.append((k, dl, self.dues[(rule.id, fid, k)]))
        values = {
            **v.record.model_dump(),
            **self.virtual_of[fid],
            **self.derived.get((rule.id, fid), {}),
        }
        shown: dict[str, str] = {"_sources": ", ".join(v.sources)}
        if undetermined:
            # the strictest applicable deadline cannot be known
            return Verdict(
                "gap",
                {"insufficient_detail"},
                f"{mr.kind.replace('_', ' ')} {mr.id} does not report "
                f"{', '.join(sorted(set(undetermined)))}, so the deadline cannot be computed.",
                shown,
            )
        if not applicable:
            return None
        k0, strict_dl, strict_due = min(applicable, key=lambda x: _due_sort(x[2]))
        anchor_val = values.get(strict_dl.anchor)
        shown[strict_dl.anchor] = _fmt(anchor_val)
        shown["due"] = _fmt_due(strict_due)
        if strict_dl.label:
            shown["deadline"] = strict_dl.label
        if cr.excuse_rule is not None and rule.excused_by is not None:
            excused = self._excuse(cr, rule, mr, fid, values, shown)
            if excused is not None:
                return excused
        # fulfilments
        by_record: dict[str, dict[int, bool]] = defaultdict(dict)
        fulfil_records: dict[str, MergedRecord] = {}
        for f in self.pairs[cr.join_rule or ""].get(fid, []):
            if not self.truth(cr.fulfil_where, f):
                continue
            fmr, fv = self.fact_of[f]
            fulfil_records[fmr.id] = fmr
            at = getattr(fv.record, rule.fulfil.at)
            by_record[fmr.id][fv.index] = at is not None and all(
                _due_sort_at(at, due, dl.unit) for _, dl, due in applicable
            )
        robust = [
            rid
            for rid, vs in by_record.items()
            if len(vs) == len(fulfil_records[rid].versions) and all(vs.values())
        ]
        possible = [rid for rid, vs in by_record.items() if any(vs.values())]
        what = rule.fulfil.kind.replace("_", " ")
        subject = f"{mr.kind.replace('_', ' ')} {mr.id}"
        rel = _relation(strict_dl, self._amount(cr, strict_dl, values))
        if robust:
            frec = fulfil_records[sorted(robust)[0]]
            at = getattr(frec.versions[0].record, rule.fulfil.at)
            shown[f"{what} {rule.fulfil.at}"] = _fmt(at)
            delta = _delta_text(anchor_val, at, strict_dl, self.tl.holidays)
            return Verdict(
                "compliant",
                set(),
                f"{what.capitalize()} {frec.id} on {_fmt(at)} for {subject} ({_words(strict_dl.anchor)} "
                f"{_fmt(anchor_val)}){delta}; required {rel}: by {_fmt_due(strict_due)}.",
                shown,
                None,
                # corroboration rests on every on-time fulfilment (docs/rules.md section 12)
                [fulfil_records[r] for r in sorted(robust)],
            )
        if possible:
            frec = fulfil_records[sorted(possible)[0]]
            return Verdict(
                "gap",
                {"contradictory"},
                f"Sources disagree whether {what} {frec.id} for {subject} met the deadline "
                f"({_fmt_due(strict_due)}).",
                shown,
                None,
                [frec],
            )
        if by_record:
            firsts = []
            for rid in by_record:
                frec = fulfil_records[rid]
                firsts.append((_due_sort(getattr(frec.versions[0].record, rule.fulfil.at)), frec))
            frec = min(firsts, key=lambda x: (x[0], x[1].id))[1]
            at = getattr(frec.versions[0].record, rule.fulfil.at)
            shown[f"{what} {rule.fulfil.at}"] = _fmt(at)
            delta = _delta_text(anchor_val, at, strict_dl, self.tl.holidays)
            o = rule.on_late
            text = _fill(o.explain, values) + " " if o.explain else ""
            return Verdict(
                o.status,
                set(o.flags),
                f"{text}{what.capitalize()} {frec.id} on {_fmt(at)} for {subject} ({_words(strict_dl.anchor)} "
                f"{_fmt(anchor_val)}){delta}; required {rel}.",
                shown,
                f"would comply if the {what} had been made by {_fmt_due(strict_due)}",
                [frec],
            )
        if _due_after(strict_due, self.ev.as_of):
            return Verdict(
                "not_applicable",
                {"not_yet_due"},
                f"No {what} yet for {subject}; it is due by {_fmt_due(strict_due)}, after the "
                f"as-of date {self.ev.as_of}.",
                shown,
            )
        o = rule.on_missing
        text = _fill(o.explain, values) + " " if o.explain else ""
        return Verdict(
            o.status,
            set(o.flags),
            f"{text}No {what} for {subject} ({_words(strict_dl.anchor)} {_fmt(anchor_val)}); it was due "
            f"by {_fmt_due(strict_due)}.",
            shown,
            f"would comply if the {what} had been made by {_fmt_due(strict_due)}",
        )

    def _excuse(
        self,
        cr: CompiledRule,
        rule: DeadlineRule,
        mr: MergedRecord,
        fid: str,
        values: Mapping[str, Any],
        shown: dict[str, str],
    ) -> Verdict | None:
        """docs/rules.md section 7: a record that excuses the trigger decides before fulfilments.

        Excused in every version of some excusing record: the excuse's outcome; in some versions
        only: gap(contradictory); otherwise None (judged on its fulfilments).
        """
        ex = rule.excused_by
        assert ex is not None and cr.excuse_rule is not None
        matched: dict[str, set[int]] = defaultdict(set)
        records: dict[str, MergedRecord] = {}
        for x in self.pairs[cr.excuse_rule].get(fid, []):
            if not self.truth(cr.excuse_where, x):
                continue
            xmr, xv = self.fact_of[x]
            records[xmr.id] = xmr
            matched[xmr.id].add(xv.index)
        if not matched:
            return None
        what = ex.kind.replace("_", " ")
        subject = f"{mr.kind.replace('_', ' ')} {mr.id}"
        robust = sorted(r for r, vs in matched.items() if len(vs) == len(records[r].versions))
        if not robust:
            first = sorted(matched)[0]
            return Verdict(
                "gap",
                {"contradictory"},
                f"Sources disagree whether {what} {first} excuses {subject} from the deadline.",
                shown,
                None,
                [records[first]],
            )
        o = ex.outcome
        text = _fill(o.explain, values) + " " if o.explain else ""
        return Verdict(
            o.status,
            set(o.flags),
            f"{text}{what.capitalize()} {', '.join(robust)} excuses {subject} from the deadline "
            f"(due by {shown['due']}).",
            shown,
            None,
            [records[r] for r in robust],
        )

    def _amount(self, cr: CompiledRule, dl: DeadlinePlan, values: Mapping[str, Any]) -> int | str:
        n = offset_amount(
            dl.amount, cr.commitment.parameters, self.ev.treaty, self._event_day(cr, values)
        )
        return "?" if n is None else n

    # periodic ---------------------------------------------------------------------------------

    def due_dates(self, rule: PeriodicRule, c: Commitment) -> list[date]:
        eif = self.tl.eif
        assert eif is not None
        limit = self.ev.as_of
        out: list[date] = []
        sch = rule.schedule
        if sch.every == "year":
            assert sch.month is not None and sch.day is not None
            y = eif.year
            while True:
                d = _clamped(y, sch.month, sch.day)
                y += 1
                if d < eif:
                    continue
                if self.tl.withdrawal is not None and d >= self.tl.withdrawal:
                    break
                out.append(d)
                if d >= limit:
                    break
                if len(out) > 400:
                    break
        else:
            months = offset_amount(
                sch.months if sch.months is not None else 0, c.parameters, self.ev.treaty, eif
            )
            if not months or months <= 0:
                return []
            d = add_months(eif, months)
            while True:
                if self.tl.withdrawal is not None and d >= self.tl.withdrawal:
                    break
                out.append(d)
                if d >= limit or len(out) > 400:
                    break
                d = add_months(d, months)
        return out

    def run_periodic(self, cr: CompiledRule) -> dict[str | None, list[Verdict]]:
        """One verdict per due date (docs/rules.md section 8).

        A submission whose sources disagree is judged in every combination of its readings;
        a cycle whose verdict differs between combinations is gap(contradictory).
        """
        rule = cr.rule
        assert isinstance(rule, PeriodicRule)
        dues = self.due_dates(rule, cr.commitment)
        what = rule.submission.kind.replace("_", " ")
        candidates: list[tuple[MergedRecord, list[tuple[Version, str, bool]]]] = []
        for mr, versions in self.selected(cr, all_versions=True):
            readings = []
            for v, fid in versions:
                ok = self.truth(cr.where, fid) and getattr(v.record, rule.at, None) is not None
                readings.append((v, fid, ok))
            candidates.append((mr, readings))
        per_cycle: dict[date, list[Verdict]] = {d: [] for d in dues}
        submitted: dict[date, list[bool]] = {d: [] for d in dues}
        combos = itertools.product(*[range(len(r)) for _, r in candidates])
        for n, choice in enumerate(combos):
            if n >= 4096:
                raise EngineFault(
                    f"{rule.id}: too many disputed submissions to judge every reading"
                )
            chosen = [
                (mr, readings[i][0], readings[i][1])
                for (mr, readings), i in zip(candidates, choice, strict=True)
                if readings[i][2]
            ]
            chosen.sort(key=lambda x: (_seconds_any(getattr(x[1].record, rule.at)), x[0].id))
            for i, due in enumerate(dues):
                got = None
                if rule.cycle_field:
                    want = due.year + rule.cycle_offset
                    got = next(
                        (x for x in chosen if getattr(x[1].record, rule.cycle_field) == want), None
                    )
                elif i < len(chosen):
                    got = chosen[i]
                submitted[due].append(got is not None)
                per_cycle[due].append(self._cycle_verdict(cr, rule, due, got, what))
        results: dict[str | None, list[Verdict]] = {}
        for due in dues:
            verdicts = per_cycle[due]
            if not verdicts:  # no candidate at all: one reading with nothing submitted
                verdicts = [self._cycle_verdict(cr, rule, due, None, what)]
                submitted[due] = [False]
            self.cycle_readings[(rule.id, due)] = (list(verdicts), list(submitted[due]))
            statuses = {v.status for v in verdicts}
            if len(statuses) > 1:
                v0 = (
                    next(v for v in verdicts if v.records)
                    if any(v.records for v in verdicts)
                    else verdicts[0]
                )
                verdict = Verdict(
                    "gap",
                    {"contradictory"},
                    f"Sources disagree about the {what} for the cycle due {due}; the readings "
                    f"lead to different verdicts ({', '.join(sorted(statuses))}).",
                    {"due": due.isoformat()},
                    None,
                    v0.records,
                    due,
                )
            else:
                verdict = verdicts[0]
                verdict.flags = set().union(*(v.flags for v in verdicts))
                verdict.records = _records_of(verdicts)
            results[f"cycle:{due.isoformat()}"] = [self.corroborate(cr, verdict)]
        return results

    def _cycle_verdict(
        self,
        cr: CompiledRule,
        rule: PeriodicRule,
        due: date,
        got: tuple[MergedRecord, Version, str] | None,
        what: str,
    ) -> Verdict:
        shown = {"due": due.isoformat()}
        if got is None:
            if due < self.ev.as_of:
                o = rule.on_missing
                return Verdict(
                    o.status,
                    set(o.flags),
                    f"No {what} was submitted for the cycle due {due}.",
                    shown,
                    f"would comply if submitted by {due} 23:59:59 UTC",
                    [],
                    due,
                )
            return Verdict(
                "not_applicable",
                {"not_yet_due"},
                f"The next {what} is due by {due}, on or after the as-of date {self.ev.as_of}.",
                shown,
                None,
                [],
                due,
            )
        mr, v, fid = got
        if self._absent_required(cr, v, fid):
            return Verdict(
                "gap",
                {"insufficient_detail"},
                f"{what.capitalize()} {mr.id} does not report {', '.join(self._absent_required(cr, v, fid))}.",
                shown,
                None,
                [mr],
                due,
            )
        at = getattr(v.record, rule.at)
        shown[f"{what} {rule.at}"] = _fmt(at)
        if not _due_after_point(at, due):
            return Verdict(
                "compliant",
                set(),
                f"{what.capitalize()} {mr.id} submitted {_fmt(at)}; due by {due} (23:59:59 UTC).",
                shown,
                None,
                [mr],
                due,
            )
        o = rule.on_late
        late_days = (_as_date(at) - due).days
        return Verdict(
            o.status,
            set(o.flags),
            f"{what.capitalize()} {mr.id} submitted {_fmt(at)}, {late_days} day(s) after the due date {due}.",
            shown,
            f"would comply if submitted by {due} 23:59:59 UTC",
            [mr],
            due,
        )

    def periodic_status(self, c: Commitment) -> list[str]:
        """``missing`` or ``submitted`` for each past-due cycle of a commitment's periodic rules."""
        out = []
        for cr in self.ev.rules_of.get(c.id, []):
            if not isinstance(cr.rule, PeriodicRule):
                continue
            for subject in self.run_periodic(cr):
                due = date.fromisoformat(str(subject).removeprefix("cycle:"))
                if due >= self.ev.as_of:
                    continue
                readings, submitted = self.cycle_readings[(cr.rule.id, due)]
                # A cycle counts as submitted only if it is in every reading of the submissions
                # (docs/rules.md section 12); a reading that cannot be judged leaves it unknown.
                if any(v.flags == {"insufficient_detail"} for v in readings):
                    out.append("unknown")
                else:
                    out.append("submitted" if all(submitted) else "missing")
        return out


def _records_of(verdicts: Iterable[Verdict]) -> list[MergedRecord]:
    """The records the readings rest on, each once, in the order first seen: readings that agree
    on a status may rest on different records (another fulfilment, another submission), and
    corroboration looks at all of them (docs/rules.md section 12)."""
    out: dict[str, MergedRecord] = {}
    for v in verdicts:
        for r in v.records:
            out.setdefault(f"{r.kind}:{r.id}", r)
    return list(out.values())


def _clamped(y: int, m: int, d: int) -> date:
    import calendar

    return date(y, m, min(d, calendar.monthrange(y, m)[1]))


def _counter(counts: Mapping[str, int] | None) -> Callable[[str], float] | None:
    if not counts:
        return None
    return lambda name: float(counts.get(name, 0))


def due_point(
    anchor: date | datetime, amount: int, unit: str, direction: str, holidays: frozenset[date]
) -> date | datetime:
    """The due point of a deadline (docs/rules.md section 7)."""
    sign = -1 if direction == "before" else 1
    if unit == "hours":
        start = (
            anchor
            if isinstance(anchor, datetime)
            else datetime(anchor.year, anchor.month, anchor.day, tzinfo=None)
        )
        if not isinstance(anchor, datetime):
            from datetime import UTC

            start = start.replace(tzinfo=UTC)
        return to_utc(start) + timedelta(hours=sign * amount)
    day = to_utc(anchor).date() if isinstance(anchor, datetime) else anchor
    if unit == "days":
        return day + timedelta(days=sign * amount)
    if unit == "working_days":
        return add_working_days(day, sign * amount, holidays)
    if unit == "months":
        return add_months(day, sign * amount)
    raise ValueError(unit)


def _seconds_any(x: Any) -> int:
    return _seconds(x)


def _seconds(x: Any) -> int:
    """A date (at 00:00 UTC) or a timestamp, as epoch seconds."""
    if isinstance(x, datetime):
        return epoch_seconds(x)
    return day_number(x) * 86400


def _due_sort_at(at: Any, due: Any, unit: str) -> bool:
    """Whether ``at`` meets the due point: to the second for hours, by UTC day otherwise."""
    if unit == "hours":
        return _seconds(at) <= _seconds(due)
    return _as_date(at) <= _as_date(due)


def _due_sort(due: Any) -> int:
    """A due point (or any time) as comparable seconds: a date counts at 23:59:59 UTC."""
    if isinstance(due, datetime):
        return epoch_seconds(due)
    return epoch_seconds(end_of_day(due))


def _due_after(due: Any, as_of: date) -> bool:
    return _due_sort(due) > epoch_seconds(end_of_day(as_of))


def _due_after_point(at: Any, due: date) -> bool:
    """True if ``at`` is later than the end of the due day."""
    if isinstance(at, datetime):
        return epoch_seconds(at) > epoch_seconds(end_of_day(due))
    return bool(at > due)


def _as_date(x: Any) -> date:
    return to_utc(x).date() if isinstance(x, datetime) else x


def _fmt_due(due: Any) -> str:
    if isinstance(due, datetime):
        return fmt_ts(due)
    return f"{due.isoformat()}"


def _relation(dl: DeadlinePlan, amount: int | str) -> str:
    unit = dl.unit.replace("_", " ")
    if dl.direction == "before":
        return f"{amount} {unit} or more before {_words(dl.anchor)}"
    return f"within {amount} {unit} of {_words(dl.anchor)}"


def _words(name: str) -> str:
    """A field name as said in an explanation (virtual fields in words)."""
    return {"party_entry_into_force": "entry into force"}.get(name, name)


def _delta_text(anchor: Any, at: Any, dl: DeadlinePlan, holidays: frozenset[date]) -> str:
    if anchor is None or at is None:
        return ""
    if dl.unit == "hours":
        a = anchor if isinstance(anchor, datetime) else end_of_day(anchor)
        b = at if isinstance(at, datetime) else end_of_day(at)
        secs = (
            epoch_seconds(b) - epoch_seconds(a)
            if dl.direction == "after"
            else epoch_seconds(a) - epoch_seconds(b)
        )
        return f": {fmt_duration_hours(secs)} {'after' if dl.direction == 'after' else 'before'}"
    a_day, b_day = _as_date(anchor), _as_date(at)
    if dl.unit == "working_days":
        from engine.rules.time import working_days_between

        n = (
            working_days_between(a_day, b_day, holidays)
            if dl.direction == "after"
            else working_days_between(b_day, a_day, holidays)
        )
        return f": {n} working day(s) {'after' if dl.direction == 'after' else 'before'}"
    days = (b_day - a_day).days if dl.direction == "after" else (a_day - b_day).days
    word = "after" if (dl.direction == "after") == (days >= 0) else "before"
    return f": {abs(days)} day(s) {word}"


def _referenced_fields(rule: ClassifyRule) -> list[str]:
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
    seen: list[str] = []
    for n in names:
        if n not in seen:
            seen.append(n)
    return seen


# ------------------------------------------------------------------------------------------


class Evaluator:
    """Evaluates a set of commitments over reports at one as-of date."""

    def __init__(
        self,
        treaty: TreatyState,
        commitments: Mapping[str, Commitment],
        as_of: date,
        *,
        only_commitments: Sequence[str] | None = None,
    ) -> None:
        from engine.rules.backend import DurableMatcher

        self.treaty = treaty
        self.as_of = as_of
        ids = [cid for cid in treaty.commitments if cid in commitments]
        if only_commitments:
            wanted = set(only_commitments)
            ids = [cid for cid in ids if cid in wanted]
        self.commitments = [commitments[cid] for cid in ids]
        self.all_commitments = commitments
        # Commitments named in evidence_from are compiled into the same program (their periodic
        # rules show the absence of conduct) even when a filter leaves them out of the findings.
        extra: list[Commitment] = []
        selected = {c.id for c in self.commitments}
        for c in self.commitments:
            for ref in c.verification.evidence_from:
                if ref not in selected and ref in commitments and all(e.id != ref for e in extra):
                    extra.append(commitments[ref])
        self.program: Program = compile_program(self.commitments + extra, treaty, as_of)
        self.matcher = DurableMatcher(self.program.definition)
        self.rules_of: dict[str, list[CompiledRule]] = defaultdict(list)
        self.referenced: dict[str, list[str]] = {}
        """Per classify rule: the fields its subject and cases read (shown in explanations)."""
        for cr in self.program.rules:
            self.rules_of[cr.commitment.id].append(cr)

    def evaluate_party(
        self,
        party: Party,
        reports: Sequence[tuple[Report, Mapping[str, str], str]],
        *,
        merged: Sequence[MergedRecord] | None = None,
    ) -> list[Finding]:
        """The findings of every commitment for one party.

        ``merged`` gives the party's records already merged into versions (what-if merges them
        once for every variant); ``reports`` are then not read.
        """
        tl = timeline(party, self.treaty)
        if not tl.bound(self.as_of):
            why = (
                f"{party.code} is not bound: the treaty has not entered into force for it"
                if tl.eif is None
                else f"{party.code} is not bound on {self.as_of}: the treaty enters into force for it on {tl.eif}"
            )
            return [
                self._finding(party.code, c, None, Verdict("not_applicable", set(), why + "."))
                for c in self.commitments
                if c.rules
            ]
        if merged is None:
            merged = merge_records(
                known_occurrences(reports, self.as_of), self.treaty.settling_evidence
            )
        run = _PartyRun(self, tl, list(merged))
        run.build_facts()
        run.match()
        findings: list[Finding] = []
        for c in self.commitments:
            crs = self.rules_of.get(c.id, [])
            if not c.rules:
                continue
            if c.applicability.parties != "all" and party.code not in c.applicability.parties:
                findings.append(
                    self._finding(
                        party.code,
                        c,
                        None,
                        Verdict(
                            "not_applicable",
                            set(),
                            f"{c.id} binds only {', '.join(c.applicability.parties)}.",
                        ),
                    )
                )
                continue
            by_subject: dict[str | None, list[tuple[CompiledRule, Verdict]]] = defaultdict(list)
            for cr in crs:
                if cr.commitment.id != c.id:
                    continue
                for subject, verdicts in run.run_rule(cr).items():
                    for v in verdicts:
                        by_subject[subject].append((cr, v))
            periodic = [cr for cr in crs if isinstance(cr.rule, PeriodicRule)]
            if not by_subject:
                if periodic and all(not run.due_dates(cr.rule, c) for cr in periodic):  # type: ignore[arg-type]
                    w = run.tl.withdrawal
                    findings.append(
                        self._finding(
                            party.code,
                            c,
                            None,
                            Verdict(
                                "not_applicable",
                                {"after_withdrawal"} if w else set(),
                                f"No report under {c.id} was owed: "
                                + (
                                    f"{party.code}'s withdrawal took effect on {w}, before the first due date."
                                    if w
                                    else "no due date falls in the period."
                                ),
                            ),
                        )
                    )
                    continue
                findings.append(self._absence(run, c))
                continue
            for subject in sorted(by_subject, key=lambda s: s or ""):
                items = by_subject[subject]
                findings.append(self._combine(party.code, c, subject, items))
        return findings

    def _absence(self, run: _PartyRun, c: Commitment) -> Finding:
        party = run.tl.party.code
        if not c.verification.evidence_from:
            return self._finding(
                party,
                c,
                None,
                Verdict(
                    "gap",
                    {"unverifiable"},
                    f"No relevant records about {party}, and the commitment names no periodic report "
                    "that would show their absence: compliance cannot be established.",
                ),
            )
        statuses: list[str] = []
        missing_in: list[str] = []
        for ref in c.verification.evidence_from:
            ref_c = self.all_commitments.get(ref)
            if ref_c is None or ref not in self.treaty.commitments:
                continue
            if ref_c.applicability.parties != "all" and party not in ref_c.applicability.parties:
                continue
            st = run.periodic_status(ref_c)
            statuses.extend(st)
            if "missing" in st:
                missing_in.append(ref)
        refs = ", ".join(c.verification.evidence_from)
        if missing_in:
            return self._finding(
                party,
                c,
                None,
                Verdict(
                    "gap",
                    {"missing_report"},
                    f"No relevant records about {party}, but the reports that would show it ({', '.join(missing_in)}) "
                    "were not submitted: absence of evidence is not compliance.",
                ),
            )
        if not statuses or "unknown" in statuses:
            return self._finding(
                party,
                c,
                None,
                Verdict(
                    "gap",
                    {"unverifiable"},
                    f"No relevant records about {party}, and no report under {refs} was due yet.",
                ),
            )
        return self._finding(
            party,
            c,
            None,
            Verdict(
                "compliant",
                set(),
                f"No relevant conduct reported for {party}, and every report due under {refs} was submitted.",
            ),
        )

    def _combine(
        self,
        party: str,
        c: Commitment,
        subject: str | None,
        items: list[tuple[CompiledRule, Verdict]],
    ) -> Finding:
        worst = _worst(v.status for _, v in items)
        main = [(cr, v) for cr, v in items if v.status == worst]
        cr0, v0 = main[0]
        flags = set().union(*(v.flags for _, v in main))
        summary = " ".join(dict.fromkeys(v.summary for _, v in main))
        values: dict[str, str] = {}
        for _, v in main:
            values.update({k: val for k, val in v.values.items() if not k.startswith("_")})
        records: dict[str, MergedRecord] = {}
        for _, v in items:
            for r in v.records:
                records[r.id] = r
        for r in sorted(records.values(), key=lambda r: r.id):
            if r.settled:
                settlers = sorted(
                    {
                        o.source_key
                        for o in r.occurrences
                        if o.report.level in self.treaty.settling_evidence
                    }
                )
                summary += (
                    f" Sources disagreed on {', '.join(r.settled)} of {r.id}; "
                    f"the {', '.join(settlers)} evidence settles it."
                )
        if worst == "breach":
            e = c.enforcement
            events = [v.event for _, v in main if v.event is not None]
            event = min(events) if events else None
            if not e.sanction_available or (
                e.sanction_from is not None and event is not None and event < e.sanction_from
            ):
                flags = flags | {"no_sanction_available"}
        verdict = Verdict(worst, flags, summary, values, v0.counterfactual, list(records.values()))
        return self._finding(
            party,
            c,
            subject,
            verdict,
            rule_id=",".join(dict.fromkeys(cr.rule.id for cr, _ in main)),
            clause=cr0.rule.clause,
        )

    def _finding(
        self,
        party: str,
        c: Commitment,
        subject: str | None,
        v: Verdict,
        *,
        rule_id: str | None = None,
        clause: str | None = None,
    ) -> Finding:
        evidence: list[Evidence] = []
        for r in sorted(v.records, key=lambda r: r.id):
            evidence.extend(r.evidence())
        return Finding(
            party=party,
            commitment=c.id,
            subject=subject,
            status=v.status,
            flags=sorted(v.flags),
            severity=c.severity,
            explanation=Explanation(
                rule=rule_id,
                clause=clause or c.authentic_text(),
                summary=f"{c.id}: {v.summary}",
                values=dict(sorted(v.values.items())),
                counterfactual=v.counterfactual,
            ),
            evidence=sorted(evidence, key=lambda e: (e.record, e.report)),
            as_of=self.as_of,
        )


def evaluate_reports(
    treaty: TreatyState,
    commitments: Mapping[str, Commitment],
    reports: Sequence[tuple[Report, Mapping[str, str], str]],
    as_of: date,
    *,
    parties: Sequence[str] | None = None,
    only_commitments: Sequence[str] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[Finding]:
    """Evaluate ``reports`` (each with its record hashes and path) and return sorted findings."""
    by_party: dict[str, list[tuple[Report, Mapping[str, str], str]]] = defaultdict(list)
    for item in reports:
        by_party[item[0].subject_party].append(item)
    return evaluate_parties(
        treaty,
        commitments,
        lambda code: by_party.get(code, []),
        as_of,
        parties=parties,
        only_commitments=only_commitments,
        progress=progress,
    )


def evaluate_parties(
    treaty: TreatyState,
    commitments: Mapping[str, Commitment],
    reports_of: Callable[[str], Sequence[tuple[Report, Mapping[str, str], str]]],
    as_of: date,
    *,
    parties: Sequence[str] | None = None,
    only_commitments: Sequence[str] | None = None,
    progress: Callable[[int, int], None] | None = None,
    on_party: Callable[[str, list[Finding]], None] | None = None,
) -> list[Finding]:
    """Evaluate party by party, asking ``reports_of(code)`` for each party's reports just before
    its turn: nothing of one party is kept once the next begins (the rules engine's facts are
    retracted after each party), so memory follows the largest party.

    With ``on_party``, each party's sorted findings go to it as soon as they are made and are not
    kept (the result is then empty); parties come in code order.
    """
    ev = Evaluator(treaty, commitments, as_of, only_commitments=only_commitments)
    wanted = set(parties) if parties else None
    plist = [
        p
        for p in sorted(treaty.parties, key=lambda p: p.code)
        if wanted is None or p.code in wanted
    ]
    findings: list[Finding] = []
    for i, p in enumerate(plist):
        with paused_gc():
            mine = ev.evaluate_party(p, reports_of(p.code))
        if on_party is not None:
            on_party(p.code, sort_findings(mine))
        else:
            findings.extend(mine)
        if progress:
            progress(i + 1, len(plist))
    return sort_findings(findings)


def evaluate_models(
    treaty: TreatyState,
    commitments: Mapping[str, Commitment],
    reports: Sequence[Report],
    as_of: date,
) -> list[Finding]:
    """Convenience form for tests: reports without file paths or hashes."""
    from engine.load import canonical_hash

    items = [
        (
            r,
            {
                rec.id: canonical_hash(rec.model_dump(mode="json", exclude_unset=True))
                for rec in r.records
            },
            f"<{r.id}>",
        )
        for r in reports
    ]
    return evaluate_reports(treaty, commitments, items, as_of)


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: (f.party, f.commitment, f.subject or ""))


def run_id(
    engine_version: str,
    as_of: date,
    inputs: Sequence[InputDigest],
    filters: Mapping[str, Sequence[str]],
) -> str:
    payload = json.dumps(
        {
            "engine": engine_version,
            "as_of": as_of.isoformat(),
            "inputs": sorted((i.sha256, i.document) for i in inputs),
            "filters": {k: sorted(v) for k, v in sorted(filters.items())},
        },
        sort_keys=True,
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def findings_document(
    treaty: TreatyState,
    findings: Sequence[Finding],
    as_of: date,
    inputs: Sequence[InputDigest],
    filters: Mapping[str, Sequence[str]],
) -> FindingsDocument:
    counts: dict[str, int] = {"breach": 0, "gap": 0, "compliant": 0, "not_applicable": 0}
    for f in findings:
        counts[f.status] += 1
    clean_filters = {k: sorted(v) for k, v in sorted(filters.items()) if v}
    ins = sorted(inputs, key=lambda i: i.path)
    return FindingsDocument(
        engine_version=__version__,
        as_of=as_of,
        run_id=run_id(__version__, as_of, ins, clean_filters),
        treaty=f"{treaty.id} {treaty.version}",
        filters=clean_filters,
        inputs=ins,
        summary=Summary(**counts),
        findings=list(findings),
    )
