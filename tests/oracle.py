"""Independent reference evaluator of the rule language (the differential oracle).

Written only from ``docs/rules.md`` and the document models. It imports nothing of the engine
but ``engine.model`` (never ``engine.evaluate``, ``engine.explain``, ``engine.rules`` nor
``engine.render``; a test checks it): its own small calendar helpers and comparisons are below,
so a bug in the production helpers is caught too. Speed does not matter here; every step is
spelled out in the order of the specification.

Entry point: :func:`oracle_evaluate`. It returns, for every finding, the tuple
``(party, commitment_id, subject, status, flags, reason)`` (a :class:`Finding`) with ``flags`` a
sorted tuple and ``reason`` the finding's reason code (docs/rules.md section 13), sorted by party,
commitment and subject (a party-level finding has subject ``None`` and sorts first).

The reason codes are derived here from the text of section 13 alone: each verdict below names
its code where it is made, and the combinations (readings of a disputed record, rules of one
commitment) keep the code of the verdict whose status wins.

Readings of the specification where it is silent or ambiguous are marked ``READING:`` below.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, NamedTuple

from pydantic_core import PydanticUndefined

from engine.model.commitment import Commitment, Parameter, Party, TreatyState
from engine.model.records import RECORD_MODELS, Report
from engine.model.rules import (
    AllOf,
    AnyOf,
    Arith,
    AtLeast,
    ClassifyRule,
    Compare,
    CountCompare,
    DeadlineRule,
    FieldRef,
    NotOf,
    ParamRef,
    PeriodicRule,
    Scope,
)

UTC = UTC


class Finding(NamedTuple):
    """One finding of the oracle: what the differential test compares."""

    party: str
    commitment: str
    subject: str | None
    status: str
    flags: tuple[str, ...]
    reason: str


# Own copy of the evidence ranks of docs/rules.md section 2 (not imported on purpose).
RANK = {"self": 1, "open_source": 2, "other_party": 2, "secretariat": 3, "inspection": 4}
# Worst first: breach > gap > compliant > not_applicable.
SEVERITY = {"breach": 3, "gap": 2, "compliant": 1, "not_applicable": 0}
STATUSES = frozenset(SEVERITY)


class _Absent:
    """A field that is not stated (or a derived value that cannot be computed)."""

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT: Any = _Absent()

# ----------------------------------------------------------------------------------------------
# Calendar helpers (own implementation)
# ----------------------------------------------------------------------------------------------


def days_in_month(year: int, month: int) -> int:
    if month == 12:
        return 31
    return (date(year, month + 1, 1) - date(year, month, 1)).days


def add_months(d: date, n: int) -> date:
    """``d`` plus ``n`` calendar months, the day clamped to the end of the target month."""
    month_index = d.year * 12 + (d.month - 1) + n
    year, month = month_index // 12, month_index % 12 + 1
    return date(year, month, min(d.day, days_in_month(year, month)))


def add_working_days(d: date, n: int, holidays: frozenset[date]) -> date:
    """The n-th working day after ``d`` (before it if n < 0); ``d`` itself is not counted."""
    step = 1 if n >= 0 else -1
    left = abs(n)
    cur = d
    while left > 0:
        cur = cur + timedelta(days=step)
        if cur.weekday() < 5 and cur not in holidays:
            left -= 1
    return cur


def utc_seconds(ts: datetime) -> datetime:
    """A timestamp in UTC, to the second (docs/rules.md section 3)."""
    return ts.astimezone(UTC).replace(microsecond=0)


def end_of_day(d: date) -> datetime:
    return datetime(d.year, d.month, d.day, 23, 59, 59, tzinfo=UTC)


def start_of_day(d: date) -> datetime:
    return datetime(d.year, d.month, d.day, tzinfo=UTC)


def is_temporal(v: Any) -> bool:
    return isinstance(v, date)  # datetime is a subclass of date


def day_of(v: Any) -> date:
    """The UTC calendar day of a timestamp, or the date itself."""
    if isinstance(v, datetime):
        return utc_seconds(v).date()
    assert isinstance(v, date)
    return v


def instant_of(v: Any) -> datetime:
    """Sort key for a date or timestamp: a date counts from 00:00 UTC."""
    if isinstance(v, datetime):
        return utc_seconds(v)
    return start_of_day(v)


# ----------------------------------------------------------------------------------------------
# Values
# ----------------------------------------------------------------------------------------------


def normalise(v: Any) -> Any:
    """Timestamps are held in UTC to the second; everything else as given."""
    if isinstance(v, datetime):
        return utc_seconds(v)
    if isinstance(v, list):
        return [normalise(x) for x in v]
    return v


def is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def canon(v: Any) -> Any:
    """A hashable key under which two stated values are "the same value" (section 2).

    READING: numbers compare by value (3 == 3.0), timestamps by instant, and lists as sets
    (two sources listing the same members in another order state the same thing).
    """
    if isinstance(v, bool):
        return ("bool", v)
    if is_number(v):
        return ("num", float(v))
    if isinstance(v, datetime):
        return ("ts", utc_seconds(v))
    if isinstance(v, date):
        return ("date", v)
    if isinstance(v, list):
        return ("list", tuple(sorted({canon(x) for x in v}, key=repr)))
    return (type(v).__name__, v)


def parse_temporal(s: str) -> date | None:
    """A string literal in a rule standing for a date or a timestamp (YAML may give either)."""
    try:
        if len(s) == 10:
            return date.fromisoformat(s)
        ts = datetime.fromisoformat(s)
    except ValueError:
        return None
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=UTC)
    return utc_seconds(ts)


def order(a: Any, b: Any) -> int | None:
    """-1, 0 or 1 when a and b are comparable, else None.

    Dates compare as days; timestamps to the second; a timestamp compared with a date is taken
    as its UTC day (section 3). Booleans and lists are not ordered; numbers are not compared
    with strings.
    """
    if isinstance(a, bool) or isinstance(b, bool) or isinstance(a, list) or isinstance(b, list):
        return None
    if is_number(a) and is_number(b):
        return int(a > b) - int(a < b)
    if is_temporal(a) or is_temporal(b):
        if isinstance(a, str):
            a = parse_temporal(a)
        if isinstance(b, str):
            b = parse_temporal(b)
        if not (is_temporal(a) and is_temporal(b)):
            return None
        if isinstance(a, datetime) and isinstance(b, datetime):
            a, b = utc_seconds(a), utc_seconds(b)
        else:
            a, b = day_of(a), day_of(b)
        return int(a > b) - int(a < b)
    if isinstance(a, str) and isinstance(b, str):
        return (a > b) - (a < b)
    return None


def equal(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, list) or isinstance(b, list):
        return isinstance(a, list) and isinstance(b, list) and canon(a) == canon(b)
    return order(a, b) == 0


def comparable(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool)
    if isinstance(a, list) or isinstance(b, list):
        return isinstance(a, list) and isinstance(b, list)
    return order(a, b) is not None


# ----------------------------------------------------------------------------------------------
# Records, sources and versions (section 2)
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Version:
    fields: dict[str, Any]
    label: str  # the source whose values it carries ("merged" when undisputed)


@dataclass
class Rec:
    party: str
    kind: str
    id: str
    versions: list[Version]
    self_only: bool  # every report that carried it came from the party itself

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.party, self.kind, self.id)


@dataclass
class Statement:
    source_name: str
    level: str
    rank: int
    fields: dict[str, Any]


NOT_MERGED = frozenset({"id", "kind", "note"})
"""``note`` is free text never used by rules; ``id`` and ``kind`` identify the record."""


def stated_fields(record: Any) -> dict[str, Any]:
    """The fields the report actually states.

    READING: a field is stated only if the report gives it a non-null value; a schema default
    (``biological_data: false``, ``members: []``) that the report did not write is *not stated*:
    silence of a source is not a statement.
    """
    out: dict[str, Any] = {}
    for name in sorted(record.model_fields_set):
        if name in NOT_MERGED:
            continue
        value = getattr(record, name)
        if value is None:
            continue
        out[name] = normalise(value)
    return out


def source_name(report: Report) -> str:
    return (
        report.source if report.source_party is None else f"{report.source}:{report.source_party}"
    )


def build_records(
    treaty: TreatyState, reports: Sequence[Report], as_of: date
) -> dict[str, dict[str, list[Rec]]]:
    """party -> kind -> records, after the as-of cut, supersession and merging."""
    cutoff = end_of_day(as_of)
    latest: dict[tuple[str, str, str], dict[tuple[str, str | None], tuple[Any, Report, Any]]] = {}
    carriers: dict[tuple[str, str, str], list[str]] = {}
    sources: dict[tuple[str, str, str], set[str]] = {}
    for report in reports:
        if utc_seconds(report.submitted_at) > cutoff:
            continue  # submitted after the as-of date: not known on A
        skey = (report.source, report.source_party)
        order_key = (utc_seconds(report.submitted_at), report.id)
        for record in report.records:
            rkey: tuple[str, str, str] = (report.subject_party, str(record.kind), record.id)
            # the lead's ruling: corroboration looks at what backs a report (its evidence level)
            carriers.setdefault(rkey, []).append(report.evidence_level or report.source)
            sources.setdefault(rkey, set()).add(report.source)
            per_source = latest.setdefault(rkey, {})
            current = per_source.get(skey)
            # READING: ties on submitted_at are broken by report id, the greater id counting as
            # the later report; the same record twice in one report: the later entry wins.
            if current is None or order_key >= current[0]:
                per_source[skey] = (order_key, report, record)

    settling: set[str] = set(treaty.settling_evidence)
    out: dict[str, dict[str, list[Rec]]] = {}
    for rkey in sorted(latest):
        party, kind, rid = rkey
        statements = []
        for _skey, (_k, report, record) in sorted(
            latest[rkey].items(), key=lambda kv: (kv[0][0], kv[0][1] or "")
        ):
            level = report.evidence_level or report.source
            statements.append(
                Statement(source_name(report), level, RANK[level], stated_fields(record))
            )
        # docs/rules.md section 3: who reported the record, the same in every version
        virtual = {
            **virtual_fields(treaty, party),
            "reported_by": sorted(sources[rkey]),
            "evidence_levels": sorted(set(carriers[rkey])),
        }
        versions = [
            Version({**v.fields, **virtual}, v.label)
            for v in merge_versions(rid, kind, statements, settling)
        ]
        rec = Rec(party, kind, rid, versions, all(s == "self" for s in carriers[rkey]))
        out.setdefault(party, {}).setdefault(kind, []).append(rec)
    return out


def virtual_fields(treaty: TreatyState, party: str) -> dict[str, Any]:
    """docs/rules.md section 3: fields every record about a party has without being reported.

    ``party_entry_into_force`` is the subject party's entry into force (a date). A record about a
    State that is not a Party, or not bound, is never judged, so it gets no value.
    """
    out: dict[str, Any] = {}
    for p in treaty.parties:
        if p.code == party and p.entry_into_force is not None:
            out["party_entry_into_force"] = p.entry_into_force
    return out


def merge_versions(
    rid: str, kind: str, statements: list[Statement], settling: set[str]
) -> list[Version]:
    names = sorted({f for s in statements for f in s.fields})
    merged: dict[str, Any] = {"id": rid, "kind": kind}
    disputed: dict[str, list[tuple[Statement, Any]]] = {}
    for name in names:
        stating = [(s, s.fields[name]) for s in statements if name in s.fields]
        if len({canon(v) for _, v in stating}) == 1:
            merged[name] = stating[0][1]
            continue
        settlers = [(s, v) for s, v in stating if s.level in settling]
        if settlers:
            top = max(s.rank for s, _ in settlers)
            best = [(s, v) for s, v in settlers if s.rank == top]
            # READING: if the highest-ranked settling sources disagree among themselves
            # (two inspections), nothing is settled and the field is disputed.
            if len({canon(v) for _, v in best}) == 1:
                merged[name] = best[0][1]
                continue
        disputed[name] = stating
    if not disputed:
        return [Version(with_defaults(kind, merged), "merged")]
    # READING: the "disagreeing sources" are the sources stating at least one disputed field.
    # READING: their versions are listed highest-ranked source first, ties by source name (the
    # order section 2 uses to choose between sources); section 13 takes the reason code of the
    # first reading when the readings agree on the status.
    ranks = {s.source_name: s.rank for s in statements}
    disagreeing = sorted(
        {s.source_name for stating in disputed.values() for s, _ in stating},
        key=lambda name: (-ranks[name], name),
    )
    versions = []
    for name in disagreeing:
        fields = dict(merged)
        for fname, stating in disputed.items():
            own = [v for s, v in stating if s.source_name == name]
            if own:
                fields[fname] = own[0]
            else:
                # READING: ties in rank are broken by source name, alphabetically first wins.
                best_s, best_v = sorted(stating, key=lambda sv: (-sv[0].rank, sv[0].source_name))[0]
                fields[fname] = best_v
        versions.append(Version(with_defaults(kind, fields), name))
    return versions


def with_defaults(kind: str, fields: dict[str, Any]) -> dict[str, Any]:
    """The lead's ruling (docs/rules.md section 3): a field no source states takes its schema
    default when it has one (``biological_data: false``, lists ``[]``); merging still uses only
    stated fields, so silence never disputes a statement."""
    out = dict(fields)
    for name, info in RECORD_MODELS[kind].model_fields.items():
        if name in out or name in NOT_MERGED:
            continue
        default = info.get_default(call_default_factory=True)
        if default is not None and default is not PydanticUndefined:
            out[name] = normalise(default)
    return out


# ----------------------------------------------------------------------------------------------
# Parties and parameters
# ----------------------------------------------------------------------------------------------


def param_value_on(p: Parameter, day: date) -> Any:
    """The parameter's value on ``day``; ABSENT if no window covers it. Windows are [from, to)."""
    if p.value is not None:
        return p.value
    for v in p.versions:
        if (v.valid_from is None or v.valid_from <= day) and (
            v.valid_to is None or day < v.valid_to
        ):
            return v.value
    return ABSENT


def int_param(treaty: TreatyState, name: str, day: date, default: int) -> int:
    p = treaty.parameters.get(name)
    if p is None:
        return default
    v = param_value_on(p, day)
    if is_number(v) and int(v) == v:
        return int(v)
    return default


@dataclass
class PartyInfo:
    code: str
    eif: date
    withdrawal: date | None  # W: first day no longer bound
    holidays: frozenset[date]


def withdrawal_date(treaty: TreatyState, party: Party) -> date | None:
    if party.withdrawal_effective_on is not None:
        return party.withdrawal_effective_on
    if party.withdrawal_notice_on is None:
        return None
    # READING: the notice period is the treaty parameter in force on the notice date.
    months = int_param(treaty, "withdrawal_notice_months", party.withdrawal_notice_on, 6)
    return add_months(party.withdrawal_notice_on, months)


def transition_months(treaty: TreatyState, c: Commitment, eif: date) -> int:
    tr = c.applicability.transition
    if tr is not None and tr.months is not None:
        return tr.months
    # READING: the treaty's transition_months is taken as in force on the entry into force.
    return int_param(treaty, "transition_months", eif, 24)


# ----------------------------------------------------------------------------------------------
# Evaluation context, operands and conditions (sections 3 and 4)
# ----------------------------------------------------------------------------------------------


@dataclass
class Ctx:
    treaty: TreatyState
    commitment: Commitment
    rule: Any
    records: dict[str, list[Rec]]  # the subject party's records by kind
    event_date: date
    misses: set[str] = field(default_factory=set)
    subject: dict[str, Any] | None = None  # the subject (version) a count is relative to
    count_cache: dict[str, int] = field(default_factory=dict)

    def param(self, name: str) -> tuple[Any, Parameter | None]:
        """(value, parameter) in force on the event date; records a miss if none."""
        p = self.commitment.parameters.get(name)
        if p is None:
            p = self.treaty.parameters.get(name)
        if p is None:
            # READING: an unknown parameter is treated like one not in force (a linter should
            # reject the document; the verdict is gap(insufficient_detail), never a pass).
            self.misses.add(name)
            return ABSENT, None
        v = param_value_on(p, self.event_date)
        if v is ABSENT:
            self.misses.add(name)
        return normalise(v) if v is not ABSENT else ABSENT, p


def operand(op: Any, rec: dict[str, Any], ctx: Ctx) -> Any:
    if isinstance(op, ParamRef):
        return ctx.param(op.param)[0]
    if isinstance(op, FieldRef):
        return rec.get(op.field, ABSENT)
    if isinstance(op, Arith):
        return arith(op, rec, ctx)
    if isinstance(op, list):
        return list(op)
    return op


def arith(a: Arith, rec: dict[str, Any], ctx: Ctx) -> Any:
    """Section 3, ``derive``: the value of an arithmetic operand (ABSENT if it has none)."""
    vals = [operand(x, rec, ctx) for x in a.args]  # all evaluated: parameter misses are seen
    if a.op == "coalesce":
        return next((v for v in vals if v is not ABSENT), ABSENT)
    if any(v is ABSENT for v in vals):
        return ABSENT
    if a.op == "count_distinct":
        # docs/rules.md section 3: the number of distinct items of the one list field
        if len(vals) != 1 or not isinstance(vals[0], list):
            return ABSENT
        return len({canon(x) for x in vals[0]})
    if a.op in ("min", "max"):
        return _extreme(a.op, vals)
    if not all(is_number(v) for v in vals):
        return ABSENT
    if a.op == "abs":
        return abs(vals[0])
    return _fold(a.op, vals)


def _extreme(op: str, vals: list[Any]) -> Any:
    """``min`` or ``max`` of comparable values (numbers, or dates and timestamps)."""
    best = vals[0]
    for v in vals[1:]:
        o = order(v, best)
        if o is None:
            return ABSENT
        if (op == "min" and o < 0) or (op == "max" and o > 0):
            best = v
    if len(vals) == 1 and not (is_number(best) or is_temporal(best)):
        return ABSENT
    return best


def _fold(op: str, vals: list[Any]) -> Any:
    """``add``, ``sub``, ``mul`` or ``div`` from left to right."""
    result = vals[0]
    for v in vals[1:]:
        if op == "add":
            result = result + v
        elif op == "sub":
            result = result - v
        elif op == "mul":
            result = result * v
        elif op == "div":
            if v == 0:
                return ABSENT  # READING: division by zero gives an absent value
            result = result / v
    return result


def derive(fields: dict[str, Any], rule: Any, ctx: Ctx) -> dict[str, Any]:
    """The record with the rule's derived values (computed in order; absent ones removed)."""
    out = dict(fields)
    for name, expr in rule.derive.items():
        v = arith(expr, out, ctx)
        if v is ABSENT:
            out.pop(name, None)
        else:
            out[name] = v
    return out


def holds(cond: Any, rec: dict[str, Any], ctx: Ctx) -> bool:
    """Truth of a condition. Every sub-condition is evaluated (no short circuit), so that a
    parameter not in force anywhere in the condition is noticed."""
    if isinstance(cond, Compare):
        return compare(cond, rec, ctx)
    if isinstance(cond, CountCompare):
        n = count(cond.count, rec, ctx)
        target = ctx.param(cond.value.param)[0] if isinstance(cond.value, ParamRef) else cond.value
        if n is None or target is ABSENT or not is_number(target):
            return False
        o = order(n, target)
        return o is not None and _op_holds(cond.op, o)
    if isinstance(cond, AllOf):
        results = [holds(c, rec, ctx) for c in cond.all]
        return all(results)
    if isinstance(cond, AnyOf):
        results = [holds(c, rec, ctx) for c in cond.any]
        return any(results)
    if isinstance(cond, NotOf):
        return not holds(cond.not_, rec, ctx)
    if isinstance(cond, AtLeast):
        results = [holds(c, rec, ctx) for c in cond.of]
        return sum(results) >= cond.at_least
    raise TypeError(f"unknown condition {cond!r}")


def _op_holds(op: str, o: int) -> bool:
    return {
        "eq": o == 0,
        "ne": o != 0,
        "gt": o > 0,
        "ge": o >= 0,
        "lt": o < 0,
        "le": o <= 0,
    }[op]


def compare(c: Compare, rec: dict[str, Any], ctx: Ctx) -> bool:
    present = c.field in rec
    if c.op == "exists":
        return present
    if c.op == "absent":
        return not present
    if c.op in ("meets", "below"):
        assert isinstance(c.value, ParamRef)  # the model validates this
        threshold, p = ctx.param(c.value.param)
        if not present or threshold is ABSENT:
            return False
        o = order(rec[c.field], threshold)
        if o is None:
            return False
        # READING: a threshold parameter without ``comparison`` is read as strict (in dubio
        # mitius: the duty starts only above the figure).
        inclusive = p is not None and p.comparison == "inclusive"
        meets = o >= 0 if inclusive else o > 0
        return meets if c.op == "meets" else not meets
    value = operand(c.value, rec, ctx)
    if not present or value is ABSENT:
        return False
    f = rec[c.field]
    if c.op == "eq":
        return equal(f, value)
    if c.op == "ne":
        # READING: values of different types (a number and a string) do not "compare" at all:
        # ne is false for them, like every comparison that cannot be made.
        return comparable(f, value) and not equal(f, value)
    if c.op in ("gt", "ge", "lt", "le"):
        o = order(f, value)
        return o is not None and _op_holds(c.op, o)
    if c.op in ("in", "not_in"):
        options = value if isinstance(value, list) else [value]
        inside = any(equal(f, x) for x in options)
        return inside if c.op == "in" else not inside
    if c.op == "contains":
        return (
            isinstance(f, list) and not isinstance(value, list) and any(equal(x, value) for x in f)
        )
    if c.op in ("contains_all", "contains_any"):
        if not isinstance(f, list):
            return False
        wanted = value if isinstance(value, list) else [value]
        hits = [any(equal(x, w) for x in f) for w in wanted]
        return all(hits) if c.op == "contains_all" else any(hits)
    raise ValueError(f"unknown op {c.op}")


_AS_OF: list[date] = [date(2000, 1, 1)]


def count(name: str, subject: dict[str, Any], ctx: Ctx) -> int | None:
    """Section 6: distinct record ids of ``kind`` matching, relative to the subject record."""
    rule = ctx.rule
    specs = [s for s in getattr(rule, "counts", []) if s.name == name]
    if not specs:
        return None  # READING: an undeclared count makes the comparison false
    spec = specs[0]
    n = 0
    # the lead's ruling (docs/rules.md section 3): parameters in a count's or a fulfilment's
    # ``where`` take their value on the as-of date; a value not in force makes it false
    wctx = Ctx(ctx.treaty, ctx.commitment, ctx.rule, ctx.records, _AS_OF[0])
    for r in ctx.records.get(spec.kind, []):
        matched = []
        for v in r.versions:
            fields = derive(v.fields, rule, ctx)
            ok = True if spec.where is None else holds(spec.where, fields, wctx)
            for f_r, f_s in spec.same.items():
                ok = ok and f_r in fields and f_s in subject and equal(fields[f_r], subject[f_s])
            for f_r, f_s in spec.contains.items():
                # section 6: the counted record's list holds the subject's value
                ok = (
                    ok
                    and isinstance(fields.get(f_r), list)
                    and f_s in subject
                    and any(equal(x, subject[f_s]) for x in fields[f_r])
                )
            if spec.same_year is not None:
                f_r, f_s = spec.same_year
                ok = (
                    ok
                    and f_r in fields
                    and f_s in subject
                    and _year(fields[f_r]) is not None
                    and _year(fields[f_r]) == _year(subject[f_s])
                )
            if spec.before is not None:
                f_r, f_s = spec.before
                ok = (
                    ok
                    and f_r in fields
                    and f_s in subject
                    and order(fields[f_r], subject[f_s]) == -1
                )
            matched.append(ok)
        if any(matched):  # a record counts if any of its versions matches
            n += 1
    return n


def _year(v: Any) -> int | None:
    if is_temporal(v):
        return day_of(v).year
    if is_number(v) and int(v) == v:
        return int(v)
    return None


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


@dataclass
class Env:
    treaty: TreatyState
    commitments: Mapping[str, Commitment]
    records: dict[str, dict[str, list[Rec]]]
    as_of: date
    self_only: dict[tuple[str, str, str], bool]

    def party_records(self, code: str) -> dict[str, list[Rec]]:
        return self.records.get(code, {})


def _subject_preamble(
    rule: Any, selector: Any, c: Commitment, env: Env, party: PartyInfo, version: Version
) -> tuple[VR | None, Ctx, dict[str, Any], Reach, date] | VR | None:
    """Common start of classify and deadline: event date, derive, where, scope, requires.

    Returns a final per-version result (or None = not selected), or the material to go on.
    """
    raw = version.fields
    ev = event_date_of(rule, raw, env.as_of)
    ctx = Ctx(env.treaty, c, rule, env.party_records(party.code), ev or env.as_of)
    fields = derive(raw, rule, ctx)
    if ev is None:
        ev = event_date_of(rule, fields, env.as_of)  # the scope may name a derived date
        if ev is not None:
            ctx = Ctx(env.treaty, c, rule, env.party_records(party.code), ev)
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
    # the lead's ruling: an empty list counts as not reported for ``requires``
    if any(name not in fields or fields[name] == [] for name in rule.requires):
        return gap("insufficient_detail", "missing_required", event)
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
    wctx = Ctx(ctx.treaty, ctx.commitment, ctx.rule, ctx.records, _AS_OF[0])
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
            offset_ctx = Ctx(ctx.treaty, ctx.commitment, ctx.rule, ctx.records, ctx.event_date)
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


def fulfilments(rule: DeadlineRule, ctx: Ctx, fields: dict[str, Any], due: Due) -> Fulfilled:
    """Section 7, fulfilments: records of ``fulfil.kind`` that match the trigger, and when."""
    out = Fulfilled([], False, False)
    wctx = Ctx(ctx.treaty, ctx.commitment, ctx.rule, ctx.records, _AS_OF[0])
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
        out.exists = out.exists or any(ok for ok, _ in per_version)
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
    if not isinstance(due, Due):
        return due
    if rule.excused_by is not None:
        excused = excuse(rule, ctx, fields, rec, r, event)
        if excused is not None:
            return excused
    seen = fulfilments(rule, ctx, fields, due)
    if ctx.misses:
        return gap("insufficient_detail", "parameter_not_in_force", event)
    if seen.on_time_all:
        relied = frozenset({rec.key, *seen.on_time_all})
        return VR("compliant", frozenset(), event, relied, "deadline_met")
    if seen.on_time_some:
        return VR("gap", frozenset({"contradictory"}), event, reason="deadline_disputed")
    if seen.exists:
        o, reason = rule.on_late, "deadline_late"
    elif due.key > end_of_day(env.as_of):
        return VR(
            "not_applicable", frozenset({"not_yet_due"}), event, reason="deadline_not_yet_due"
        )
    else:
        o, reason = rule.on_missing, "deadline_missing"
    status, flags, reason = _transition(o.status, frozenset(o.flags), r, reason)
    return VR(status, flags, event, frozenset({rec.key}), reason)


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


# --- periodic (section 8) ----------------------------------------------------------------------


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
        m = Ctx(env.treaty, c, rule, records, env.as_of).param(m.param)[0]
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
            ctx = Ctx(env.treaty, c, rule, records, ev)
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


# ----------------------------------------------------------------------------------------------
# Commitments and parties (section 10)
# ----------------------------------------------------------------------------------------------


def worse(a: VR, b: VR) -> VR:
    """Worst status wins, with its flags (merged when both have that status).

    ``a`` is the verdict of the earlier rule: with equal statuses its reason code stands
    (section 13: the code of the first verdict of the worst status, in the order of the rules).
    """
    if a.status == b.status:
        return VR(a.status, a.flags | b.flags, a.event, a.relied | b.relied, a.reason)
    top = a if SEVERITY[a.status] >= SEVERITY[b.status] else b
    return VR(top.status, top.flags, top.event, top.relied, top.reason)


def binds(c: Commitment, code: str) -> bool:
    parties = c.applicability.parties
    return parties == "all" or code in parties


def party_level(c: Commitment, env: Env, party: PartyInfo) -> VR:
    """The finding for a bound party with no subject finding: absence of evidence is never
    compliance."""
    sources = list(c.verification.evidence_from)
    if not sources:
        return gap("unverifiable", "absence_unverifiable")
    any_due = False
    unknown = False
    missing = False
    for cid in sources:
        # READING: only evidence commitments in force and binding the party are looked at.
        if cid not in env.treaty.commitments or cid not in env.commitments:
            continue
        ec = env.commitments[cid]
        if not binds(ec, party.code):
            continue
        for rule in ec.rules:
            if not isinstance(rule, PeriodicRule):
                continue
            cycles = periodic_cycles(rule, ec, env, party)
            if cycles is None:
                unknown = True
                continue
            for cyc in cycles:
                if cyc.due >= env.as_of:
                    continue
                any_due = True
                # READING: a due date counts as submitted only if it is in every combination
                # of versions; a parameter gap leaves it unknown.
                if any(r.flags == frozenset({"insufficient_detail"}) for r in cyc.results):
                    unknown = True
                elif not all(cyc.submitted):
                    missing = True
    if missing:
        return gap("missing_report", "absence_missing_report")
    if unknown or not any_due:
        # READING: a commitment that names evidence_from commitments none of which is in force,
        # binds the party or has a periodic rule gets ``absence_not_yet_due`` too: section 13
        # keeps ``absence_unverifiable`` for one that names none.
        return gap("unverifiable", "absence_not_yet_due")
    return VR("compliant", reason="absence_compliant")


def oracle_evaluate(
    treaty: TreatyState,
    commitments: Mapping[str, Commitment],
    reports: Sequence[Report],
    as_of: date,
) -> list[Finding]:
    _AS_OF[0] = as_of
    records = build_records(treaty, reports, as_of)
    self_only = {
        rec.key: rec.self_only for kinds in records.values() for rs in kinds.values() for rec in rs
    }
    env = Env(treaty, commitments, records, as_of, self_only)
    findings: list[Finding] = []

    for p in treaty.parties:
        bound = p.entry_into_force is not None and p.entry_into_force <= as_of
        info = (
            PartyInfo(p.code, p.entry_into_force, withdrawal_date(treaty, p), frozenset(p.holidays))
            if bound and p.entry_into_force is not None
            else None
        )
        for cid in treaty.commitments:
            if cid not in commitments:
                continue
            c = commitments[cid]
            if not c.rules:
                continue  # docs/rules.md section 5: a commitment with no rules has no findings
            if info is None or not binds(c, p.code):
                # READING: a party that is not bound is ``not_bound`` even where the commitment
                # does not list it either (section 10 decides unbound parties first).
                reason = "not_bound" if info is None else "not_binding_on_party"
                findings.append(Finding(p.code, cid, None, "not_applicable", (), reason))
                continue
            by_subject: dict[str | None, VR] = {}
            for rule in c.rules:
                if isinstance(rule, PeriodicRule):
                    found: Mapping[str | None, VR] = periodic_findings(rule, c, env, info)
                else:
                    found = subject_findings(rule, c, env, info)
                for subject, vr in found.items():
                    by_subject[subject] = (
                        worse(by_subject[subject], vr) if subject in by_subject else vr
                    )
            periodic = [r for r in c.rules if isinstance(r, PeriodicRule)]
            if (
                not by_subject
                and periodic
                and all(not (periodic_cycles(r, c, env, info) or []) for r in periodic)
            ):
                # docs/rules.md section 10: no report was ever owed (withdrawal before the
                # first due date)
                flags = ("after_withdrawal",) if info.withdrawal is not None else ()
                findings.append(Finding(p.code, cid, None, "not_applicable", flags, "nothing_owed"))
                continue
            if not by_subject:
                by_subject[None] = party_level(c, env, info)
            for subject, vr in by_subject.items():
                findings.append(
                    Finding(p.code, cid, subject, vr.status, tuple(sorted(vr.flags)), vr.reason)
                )

    findings.sort(key=lambda f: (f[0], f[1], f[2] or ""))
    return findings
