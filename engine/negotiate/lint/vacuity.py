"""Vacuity: conditions that can never hold for any record the schemas allow (TE501).

The analysis is sound, not complete: a condition reported as vacuous can never hold, while one
not reported may still be impossible in ways the analysis does not see. It reads the schema
facts of each field (``rule_facts.field_meta``: choices, bounds, whole numbers, always stated)
and the constants a condition compares with, and intersects the bounds a conjunction puts on
one field.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from engine.model.rules import AllOf, AnyOf, AtLeast, Compare, Condition, CountCompare, NotOf
from engine.negotiate.lint.rule_facts import FieldMeta, RuleContext
from engine.rules.compile import FieldType

Unsat = tuple[str, str]
"""Why a condition never holds: (JSON pointer of the culprit, reason in words)."""

_ORDERINGS = ("eq", "gt", "ge", "lt", "le")
_OP_WORDS = {"eq": "=", "gt": ">", "ge": "≥", "lt": "<", "le": "≤"}


def _num(x: Any, t: FieldType) -> float | None:
    """A constant as a number on the field's scale (days for dates, seconds for times)."""
    if isinstance(x, bool):
        return None
    if isinstance(x, int | float):
        return float(x)
    if isinstance(x, str) and t == "date":
        try:
            return float(date.fromisoformat(x).toordinal())
        except ValueError:
            return None
    if isinstance(x, str) and t == "datetime":
        try:
            return datetime.fromisoformat(x).timestamp()
        except ValueError:
            return None
    return None


def fmt_value(v: Any) -> str:
    """A value as lint's messages write it: text quoted, whole floats without ``.0``."""
    if isinstance(v, str):
        return repr(v)
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    return json.dumps(v) if isinstance(v, list | bool) else str(v)


def _canon(v: Any) -> str:
    return json.dumps(v, sort_keys=True, default=str)


# ------------------------------------------------------------------------------------------
# Intervals of numbers


@dataclass
class Interval:
    """The numbers between two optional bounds, each strict or not."""

    lo: float | None = None
    lo_strict: bool = False
    hi: float | None = None
    hi_strict: bool = False

    def add(self, op: str, v: float) -> None:
        """Narrow the interval to the numbers ``op v`` (eq gt ge lt le)."""
        if op in ("gt", "ge", "eq") and (
            self.lo is None or v > self.lo or (v == self.lo and op == "gt")
        ):
            self.lo, self.lo_strict = v, op == "gt"
        if op in ("lt", "le", "eq") and (
            self.hi is None or v < self.hi or (v == self.hi and op == "lt")
        ):
            self.hi, self.hi_strict = v, op == "lt"

    def empty(self, integer: bool) -> bool:
        """Whether no number (no whole number, if ``integer``) lies in the interval."""
        lo, hi = self.lo, self.hi
        if lo is None or hi is None:
            return False
        if integer:
            lo_i = math.floor(lo) + 1 if self.lo_strict else math.ceil(lo)
            hi_i = math.ceil(hi) - 1 if self.hi_strict else math.floor(hi)
            return lo_i > hi_i
        if lo > hi:
            return True
        return lo == hi and (self.lo_strict or self.hi_strict)

    def narrowed(self, op: str, v: float) -> Interval:
        """A copy narrowed to the numbers ``op v``."""
        out = Interval(self.lo, self.lo_strict, self.hi, self.hi_strict)
        out.add(op, v)
        return out

    def text(self) -> str:
        """``> 5 and ≤ 6``: the bounds in words."""
        lo = f"{'>' if self.lo_strict else '≥'} {fmt_value(self.lo)}" if self.lo is not None else ""
        hi = f"{'<' if self.hi_strict else '≤'} {fmt_value(self.hi)}" if self.hi is not None else ""
        return " and ".join(x for x in (lo, hi) if x)


def field_interval(m: FieldMeta) -> Interval:
    """The numbers a number field's schema bounds allow."""
    return Interval(m.lo, m.lo_strict, m.hi, m.hi_strict)


def field_admits(m: FieldMeta, op: str, v: float) -> bool:
    """Whether some value of the number field compares ``op v`` (eq gt ge lt le)."""
    return not field_interval(m).narrowed(op, v).empty(m.integer)


def _bounds_text(m: FieldMeta) -> str:
    parts = []
    if m.lo is not None:
        parts.append(f"{'>' if m.lo_strict else '≥'} {fmt_value(m.lo)}")
    if m.hi is not None:
        parts.append(f"{'<' if m.hi_strict else '≤'} {fmt_value(m.hi)}")
    if m.integer:
        parts.append("whole number")
    return f"({', '.join(parts)})" if parts else ""


# ------------------------------------------------------------------------------------------
# One comparison


def _compare_unsat(c: Compare, ptr: str, ctx: RuleContext) -> Unsat | None:
    m = ctx.meta(c.field)
    if m is None or c.op == "exists":
        return None
    if c.op == "absent":
        if m.always_present:
            return (
                ptr,
                f"{ctx.kind}.{c.field} is always stated (required or with a default), "
                "so 'absent' never holds",
            )
        return None
    alts = ctx.alternatives(c.value)
    if alts is None:
        return None
    reasons = [_compare_alt_unsat(c, x, m, ctx) for x in alts]
    if all(r is not None for r in reasons):
        return (ptr, str(reasons[0]))
    return None


def _compare_alt_unsat(c: Compare, x: Any, m: FieldMeta, ctx: RuleContext) -> str | None:
    """Why ``c`` never holds when its operand is ``x`` (one value of a parameter), or None."""
    f = f"{ctx.kind}.{c.field}"
    choices = set(m.choices) if m.choices is not None else None
    if m.type == "list":
        return _list_unsat(c.op, x, f, choices)
    if c.op in ("in", "not_in"):
        return _membership_unsat(c.op, x, f, choices, m)
    if c.op == "eq" and choices is not None and x not in choices:
        return f"{f} is one of {sorted(map(str, choices))}; never {fmt_value(x)}"
    if c.op == "ne" and choices is not None and choices == {x}:
        return f"{f} is always {fmt_value(x)}, so 'ne' never holds"
    eop = ctx.effective_op(c)
    if m.type == "number" and eop in _ORDERINGS:
        n = _num(x, m.type)
        if n is not None and not field_admits(m, eop, n):
            return f"{f} {_bounds_text(m)} can never be {_OP_WORDS[eop]} {fmt_value(x)}"
    return None


def _list_unsat(op: str, x: Any, f: str, choices: set[Any] | None) -> str | None:
    """Why a ``contains`` form never holds of a list field whose items have choices."""
    xs = x if isinstance(x, list) else [x]
    if op == "contains":
        if choices is not None and x not in choices:
            return (
                f"{f} can only contain {sorted(map(str, choices))}; "
                f"{fmt_value(x)} is not one of them"
            )
    elif op == "contains_all":
        bad = [v for v in xs if choices is not None and v not in choices]
        if bad:
            return (
                f"{f} can only contain {sorted(map(str, choices or ()))}; "
                f"{fmt_value(bad[0])} is not one of them"
            )
    elif op == "contains_any":
        if not xs:
            return f"'contains_any' with an empty list never holds ({f})"
        if choices is not None and not any(v in choices for v in xs):
            return (
                f"{f} can only contain {sorted(map(str, choices))}; none of "
                f"{fmt_value(xs)} is one of them"
            )
    return None


def _membership_unsat(
    op: str, x: Any, f: str, choices: set[Any] | None, m: FieldMeta
) -> str | None:
    """Why ``in``/``not_in`` never holds of a field with choices or bounds."""
    xs = x if isinstance(x, list) else [x]
    if op == "not_in":
        if choices is not None and choices <= set(xs):
            return f"{f} is always one of {fmt_value(xs)}, so 'not_in' never holds"
        return None
    if not xs:
        return f"'in' an empty list never holds ({f})"
    if choices is not None and not any(v in choices for v in xs):
        return f"{f} is one of {sorted(map(str, choices))}; never one of {fmt_value(xs)}"
    if m.type == "number":
        nums = [_num(v, m.type) for v in xs]
        if nums and all(n is not None and not field_admits(m, "eq", n) for n in nums):
            return f"{f} can never equal any of {fmt_value(xs)}"
    return None


# ------------------------------------------------------------------------------------------
# Conditions


def condition_unsat(c: Condition, ptr: str, ctx: RuleContext) -> Unsat | None:
    """A reason why ``c`` can never hold for any schema-valid record, or None.

    Sound, not complete: None means "could hold as far as this analysis can tell".
    """
    if isinstance(c, Compare):
        return _compare_unsat(c, ptr, ctx)
    if isinstance(c, CountCompare):
        return _count_unsat(c, ptr, ctx)
    if isinstance(c, AllOf):
        return conjunction_unsat(list(enumerate(c.all)), ptr, ctx, "all")
    if isinstance(c, AnyOf):
        reasons = [condition_unsat(x, f"{ptr}/any/{i}", ctx) for i, x in enumerate(c.any)]
        first = reasons[0] if reasons else None
        if first is not None and all(r is not None for r in reasons):
            return (ptr, f"none of the alternatives can hold (e.g. {first[1]})")
        return None
    if isinstance(c, NotOf):
        if condition_taut(c.not_, ctx):
            return (ptr, "it negates a condition that always holds")
        return None
    if isinstance(c, AtLeast):
        possible = [
            i for i, x in enumerate(c.of) if condition_unsat(x, f"{ptr}/of/{i}", ctx) is None
        ]
        if len(possible) < c.at_least:
            return (
                ptr,
                f"at least {c.at_least} of {len(c.of)} indicators must hold, but only "
                f"{len(possible)} can ever hold",
            )
    return None


def _count_unsat(c: CountCompare, ptr: str, ctx: RuleContext) -> Unsat | None:
    """A count is a whole number ≥ 0: some comparisons with it never hold."""
    alts = ctx.alternatives(c.value)
    if alts is None:
        return None
    bad = []
    for x in alts:
        n = _num(x, "number")
        if n is None:
            return None
        bad.append(Interval(0.0, False).narrowed(c.op, n).empty(True) if c.op != "ne" else False)
    if all(bad):
        return (ptr, f"a count is a whole number ≥ 0 and is never {c.op} {fmt_value(alts[0])}")
    return None


def condition_taut(c: Condition, ctx: RuleContext) -> bool:
    """True when ``c`` holds for every schema-valid record (sound, not complete)."""
    if isinstance(c, Compare):
        m = ctx.meta(c.field)
        if m is None:
            return False
        if c.op == "exists":
            return m.always_present
        return c.op == "contains_all" and c.value == []
    if isinstance(c, CountCompare):
        return c.op == "ge" and c.value == 0
    if isinstance(c, NotOf):
        return condition_unsat(c.not_, "", ctx) is not None
    if isinstance(c, AnyOf):
        return any(condition_taut(x, ctx) for x in c.any)
    if isinstance(c, AllOf):
        return all(condition_taut(x, ctx) for x in c.all)
    if isinstance(c, AtLeast):
        return sum(condition_taut(x, ctx) for x in c.of) >= c.at_least
    return False


# ------------------------------------------------------------------------------------------
# Conjunctions: constraints on one field that contradict each other


def _flatten_all(
    items: list[tuple[Any, Condition]], ptr: str, key: str
) -> list[tuple[str, Condition]]:
    out: list[tuple[str, Condition]] = []
    for i, x in items:
        p = f"{ptr}/{key}/{i}" if key else str(i)
        if isinstance(x, AllOf):
            out.extend(_flatten_all(list(enumerate(x.all)), p, "all"))
        else:
            out.append((p, x))
    return out


def conjunction_unsat(
    items: list[tuple[Any, Condition]], ptr: str, ctx: RuleContext, key: str
) -> Unsat | None:
    """Why the conjunction of ``items`` never holds, or None.

    ``items`` are (index, condition) pairs under ``ptr``/``key`` (``key`` empty: the pointer of
    an item is its index alone, for a caller that conjoins conditions from two places). Either
    one item never holds, or the items constrain one field in contradictory ways.
    """
    flat = _flatten_all(items, ptr, key)
    for p, x in flat:
        r = condition_unsat(x, p, ctx)
        if r is not None:
            return r
    bounds = _FieldBounds(ctx, ptr)
    for p, x in flat:
        if isinstance(x, Compare):
            reason = bounds.add(p, x)
            if reason is not None:
                return (ptr, reason)
    for _p, x in flat:
        if isinstance(x, Compare) and x.op in ("in", "not_in"):
            reason = bounds.membership(x)
            if reason is not None:
                return (ptr, reason)
    return None


@dataclass
class _FieldBounds:
    """What the comparisons of one conjunction require of each field, so far."""

    ctx: RuleContext
    ptr: str
    present: dict[str, str] = field(default_factory=dict)
    absent: dict[str, str] = field(default_factory=dict)
    intervals: dict[str, Interval] = field(default_factory=dict)
    eqs: dict[str, tuple[Any, str]] = field(default_factory=dict)
    nes: dict[str, set[str]] = field(default_factory=dict)

    def add(self, p: str, x: Compare) -> str | None:
        """Record the comparison at ``p``; say why the conjunction can no longer hold, if so."""
        m = self.ctx.meta(x.field)
        if m is None:
            return None
        if x.op == "absent":
            self.absent[x.field] = p
        else:
            self.present.setdefault(x.field, p)
        if x.field in self.absent and x.field in self.present:
            return f"{x.field} is required to be both stated and not stated"
        alts = self.ctx.alternatives(x.value)
        if alts is None or len(alts) != 1:
            return None
        eop = self.ctx.effective_op(x)
        if m.type in ("number", "date", "datetime") and eop in _ORDERINGS:
            return self._bound(x.field, m, eop, alts[0])
        if m.type in ("str", "bool") and eop == "eq":
            return self._equal(x.field, alts[0], p)
        if m.type in ("str", "bool") and eop == "ne":
            return self._differ(x.field, alts[0])
        return None

    def _bound(self, name: str, m: FieldMeta, op: str, v: Any) -> str | None:
        n = _num(v, m.type)
        if n is None:
            return None
        iv = self.intervals.setdefault(
            name, field_interval(m) if m.type == "number" else Interval()
        )
        iv.add(op, n)
        if iv.empty(m.integer):
            return (
                f"the bounds on {self.ctx.kind}.{name} contradict each other "
                f"(nothing is {iv.text()})"
            )
        return None

    def _equal(self, name: str, v: Any, p: str) -> str | None:
        prev = self.eqs.get(name)
        if prev is not None and _canon(prev[0]) != _canon(v):
            return (
                f"{self.ctx.kind}.{name} cannot equal both {fmt_value(prev[0])} and {fmt_value(v)}"
            )
        self.eqs[name] = (v, p)
        if _canon(v) in self.nes.get(name, set()):
            return f"{self.ctx.kind}.{name} must equal and differ from {fmt_value(v)}"
        return None

    def _differ(self, name: str, v: Any) -> str | None:
        self.nes.setdefault(name, set()).add(_canon(v))
        if name in self.eqs and _canon(self.eqs[name][0]) == _canon(v):
            return f"{self.ctx.kind}.{name} must equal and differ from {fmt_value(v)}"
        return None

    def membership(self, x: Compare) -> str | None:
        """An ``in``/``not_in`` that contradicts an ``eq`` on the same field."""
        if x.field not in self.eqs:
            return None
        alts = self.ctx.alternatives(x.value)
        if alts is None or len(alts) != 1:
            return None
        xs = alts[0] if isinstance(alts[0], list) else [alts[0]]
        v = self.eqs[x.field][0]
        inside = any(_canon(v) == _canon(y) for y in xs)
        if (x.op == "in") != inside:
            return (
                f"{self.ctx.kind}.{x.field} = {fmt_value(v)} contradicts '{x.op}' {fmt_value(xs)}"
            )
        return None
