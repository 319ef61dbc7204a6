"""Parties, parameters, operands and conditions (docs/rules.md sections 3, 4 and 6): the context a
rule is read in, ``derive``, the truth of conditions and counts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from engine.model.commitment import Commitment, Parameter, Party, TreatyState
from engine.model.rules import (
    AllOf,
    AnyOf,
    Arith,
    AtLeast,
    Compare,
    CountCompare,
    FieldRef,
    NotOf,
    ParamRef,
)
from tests.reference.records import Rec
from tests.reference.values import (
    ABSENT,
    add_months,
    canon,
    comparable,
    day_of,
    equal,
    is_number,
    is_temporal,
    normalise,
    order,
)

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
    event_date: date  # parameters are read on this day
    as_of: date
    misses: set[str] = field(default_factory=set)
    subject: dict[str, Any] | None = None  # the subject (version) a count is relative to
    count_cache: dict[str, int] = field(default_factory=dict)

    def on(self, day: date) -> Ctx:
        """The same rule and records, with parameters read on ``day`` and no misses yet."""
        return Ctx(self.treaty, self.commitment, self.rule, self.records, day, self.as_of)

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
    wctx = ctx.on(ctx.as_of)
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
