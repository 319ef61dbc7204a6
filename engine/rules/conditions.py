"""Conditions into atoms and boolean trees.

Every comparison a rule makes against one record becomes an *atom*: a durable_rules rule over one
fact, ``kind == K and <comparison>`` (``ProgramBuilder.atom``). The boolean structure of a
condition (``all``, ``any``, ``not``, ``at_least``) and its comparisons of counts are kept as a
small tree (``engine.rules.semantics.BoolTree``) that the evaluator folds over the atoms that
fired. A comparison that can never hold (a parameter not in force, an empty ``in`` list) is a
constant. Each atom and indicator carries a label, the comparison in words, for explanations.
"""

from __future__ import annotations

import json
from typing import Any

from engine.model.rules import (
    AllOf,
    AnyOf,
    Arith,
    AtLeast,
    Compare,
    Condition,
    CountCompare,
    FieldRef,
    NotOf,
    ParamRef,
)
from engine.rules.program import ProgramBuilder
from engine.rules.semantics import BoolTree
from engine.rules.typecheck import (
    NO_VALUE,
    TEMPORAL,
    FieldType,
    RecordScope,
    contains_no_value,
    fact_name,
    operand,
)

_DURABLE_OP = {"eq": None, "ne": "$neq", "gt": "$gt", "ge": "$gte", "lt": "$lt", "le": "$lte"}
"""The durable_rules operator of each ordering comparison (``eq`` is a plain property test)."""

_WORDS = {
    "eq": "=",
    "ne": "≠",
    "gt": ">",
    "ge": "≥",
    "lt": "<",
    "le": "≤",
    "in": "in",
    "not_in": "not in",
    "contains": "contains",
    "contains_all": "contains all of",
    "contains_any": "contains any of",
    "exists": "is reported",
    "absent": "is not reported",
    "meets": "meets",
    "below": "is below",
}


def condition(
    b: ProgramBuilder,
    scope: RecordScope,
    c: Condition,
    pointer: str,
    counts: set[str] | None = None,
) -> BoolTree:
    """The tree of a condition on the records of ``scope``.

    ``counts`` names the counts it may compare (a classify rule's cases), else none.
    """
    if isinstance(c, Compare):
        return compare(b, scope, c, pointer)
    if isinstance(c, CountCompare):
        return _count_compare(scope, c, pointer, counts)
    if isinstance(c, AllOf):
        return (
            "all",
            [condition(b, scope, x, f"{pointer}/all/{i}", counts) for i, x in enumerate(c.all)],
        )
    if isinstance(c, AnyOf):
        return (
            "any",
            [condition(b, scope, x, f"{pointer}/any/{i}", counts) for i, x in enumerate(c.any)],
        )
    if isinstance(c, NotOf):
        return ("not", condition(b, scope, c.not_, f"{pointer}/not", counts))
    if isinstance(c, AtLeast):
        if c.at_least > len(c.of):
            raise scope.err(
                f"{pointer}/at_least",
                f"at least {c.at_least} of {len(c.of)} indicators can never hold",
                "lower at_least",
            )
        kids = [condition(b, scope, x, f"{pointer}/of/{i}", counts) for i, x in enumerate(c.of)]
        return ("atleast", c.at_least, kids, [condition_label(x) for x in c.of])
    raise scope.err(pointer, "unknown condition", "see docs/rules.md")


def _count_compare(
    scope: RecordScope, c: CountCompare, pointer: str, counts: set[str] | None
) -> BoolTree:
    if counts is None or c.count not in counts:
        raise scope.err(
            f"{pointer}/count",
            f"unknown count {c.count!r}",
            "declare it under the rule's 'counts'",
        )
    val: Any = c.value
    if isinstance(val, ParamRef):
        p = scope.parameter(val, f"{pointer}/value")
        val = p.value_on(scope.as_of)
        if not isinstance(val, int | float) or isinstance(val, bool):
            raise scope.err(
                f"{pointer}/value",
                "a count is compared with a non-number",
                "use a number parameter",
            )
    return ("count", c.count, c.op, float(val))


# ------------------------------------------------------------------------------------------
# Comparisons, one function per family of operators


def compare(b: ProgramBuilder, scope: RecordScope, c: Compare, pointer: str) -> BoolTree:
    """The tree of one comparison: an atom, or a constant when it can never (or always) hold."""
    t = scope.ftype(c.field, f"{pointer}/field")
    if c.op in ("exists", "absent"):
        f = scope.fname(c.field)
        expr = {"$ex": {f: 1}} if c.op == "exists" else {"$nex": {f: 1}}
        return b.atom(scope.kind, expr, label(c))
    if c.op in ("contains", "contains_all", "contains_any"):
        return _contains(b, scope, c, t, pointer)
    if c.op in ("in", "not_in"):
        return _in(b, scope, c, t, pointer)
    return _ordered(b, scope, c, t, pointer)


def _contains(
    b: ProgramBuilder, scope: RecordScope, c: Compare, t: FieldType, pointer: str
) -> BoolTree:
    """``contains``, ``contains_all``, ``contains_any``: items of a list field."""
    f, vp = scope.fname(c.field), f"{pointer}/value"
    if t != "list":
        raise scope.err(
            f"{pointer}/op",
            f"'{c.op}' needs a list field; {c.field!r} is {t}",
            "use eq or in",
        )
    vals = operand(scope, c.value, vp, "list", [])
    if vals is NO_VALUE:
        return ("const", False)
    if c.op == "contains":
        if isinstance(vals, list):
            raise scope.err(
                vp,
                "'contains' takes one value",
                "use contains_all or contains_any for several",
            )
        return b.atom(scope.kind, {"$iany": {f: {"$i": vals}}}, label(c))
    if not isinstance(vals, list):
        vals = [vals]
    if not vals:
        return ("const", c.op == "contains_all")
    parts = [{"$iany": {f: {"$i": v}}} for v in vals]
    return b.atom(scope.kind, {"$and" if c.op == "contains_all" else "$or": parts}, label(c))


def _in(b: ProgramBuilder, scope: RecordScope, c: Compare, t: FieldType, pointer: str) -> BoolTree:
    """``in``, ``not_in``: a scalar field against a set of values."""
    f, vp = scope.fname(c.field), f"{pointer}/value"
    ex = {"$ex": {f: 1}}
    if t == "list":
        raise scope.err(
            f"{pointer}/op", f"'{c.op}' on the list field {c.field!r}", "use contains_any"
        )
    vals = operand(scope, c.value, vp, "list" if t == "str" else t, [])
    if vals is NO_VALUE:
        return ("const", False)
    if not isinstance(vals, list):
        vals = [vals]
    if not vals:
        return ("const", False) if c.op == "in" else b.atom(scope.kind, ex, label(c))
    if c.op == "in":
        return b.atom(scope.kind, {"$and": [ex, {"$or": [{f: v} for v in vals]}]}, label(c))
    return b.atom(scope.kind, {"$and": [ex] + [{"$neq": {f: v}} for v in vals]}, label(c))


def _threshold_op(scope: RecordScope, c: Compare, vp: str) -> str:
    """``meets``/``below`` a threshold as an ordering, strict or inclusive as it says."""
    assert isinstance(c.value, ParamRef)
    p = scope.parameter(c.value, vp)
    if p.comparison is None:
        raise scope.err(
            vp,
            f"parameter {c.value.param!r} has no strict/inclusive choice",
            "add comparison: strict or inclusive to the parameter",
        )
    strict = p.comparison == "strict"
    if c.op == "meets":
        return "gt" if strict else "ge"
    return "le" if strict else "lt"


def _ordered(
    b: ProgramBuilder, scope: RecordScope, c: Compare, t: FieldType, pointer: str
) -> BoolTree:
    """``eq ne gt ge lt le``, and ``meets``/``below`` a threshold.

    A field against a value, a parameter, another field or arithmetic over them.
    """
    vp = f"{pointer}/value"
    op = _threshold_op(scope, c, vp) if c.op in ("meets", "below") else c.op
    if op in ("gt", "ge", "lt", "le") and t not in ("number", "date", "datetime"):
        raise scope.err(
            f"{pointer}/op",
            f"'{c.op}' needs a number, date or time; {c.field!r} is {t}",
            "use eq, ne or in",
        )
    if t == "list":
        raise scope.err(f"{pointer}/op", f"'{c.op}' on the list field {c.field!r}", "use contains")
    if t in TEMPORAL and isinstance(c.value, FieldRef) and c.value.field not in scope.derived:
        other = scope.ftype(c.value.field, vp)
        if other in TEMPORAL and other != t:
            return _date_with_time(b, scope, c, op)
    f = scope.fname(c.field)
    if t == "datetime" and scope.is_date_only(c.value):
        # a timestamp compared with a date is taken as its UTC day (docs/rules.md section 3)
        t, f = "date", f + "__day"
    refs: list[str] = []
    rhs = operand(scope, c.value, vp, t, refs)
    if rhs is NO_VALUE or contains_no_value(rhs):
        return ("const", False)
    if isinstance(rhs, list):
        raise scope.err(vp, "a list cannot be compared with eq/ne", "use in or not_in")
    durable_op = _DURABLE_OP[op]
    cmp = {f: rhs} if durable_op is None else {durable_op: {f: rhs}}
    parts = [{"$ex": {f: 1}}] + [{"$ex": {r: 1}} for r in refs] + [cmp]
    return b.atom(scope.kind, {"$and": parts}, label(c))


def _date_with_time(b: ProgramBuilder, scope: RecordScope, c: Compare, op: str) -> BoolTree:
    """A date field and a timestamp field compared as UTC days (docs/rules.md section 3)."""
    assert isinstance(c.value, FieldRef)
    rhs_day = fact_name(c.value.field) + "__day"
    f = fact_name(c.field) + "__day" if c.field not in scope.derived else scope.fname(c.field)
    both: list[dict[str, Any]] = [{"$ex": {f: 1}}, {"$ex": {rhs_day: 1}}]
    durable_op = _DURABLE_OP[op]
    cmp = {f: {"$m": rhs_day}} if durable_op is None else {durable_op: {f: {"$m": rhs_day}}}
    return b.atom(scope.kind, {"$and": both + [cmp]}, label(c))


# ------------------------------------------------------------------------------------------
# Labels and parameters read


def label(c: Compare) -> str:
    """A comparison in words, e.g. ``compute_upper_flop meets threshold_flop``."""
    v = c.value
    if isinstance(v, ParamRef):
        vs = v.param
    elif isinstance(v, FieldRef):
        vs = v.field
    elif isinstance(v, Arith):
        vs = f"{v.op}(...)"
    elif v is None:
        vs = ""
    else:
        vs = json.dumps(v) if not isinstance(v, str) else v
    return f"{c.field} {_WORDS[c.op]} {vs}".strip()


def condition_label(c: Condition) -> str:
    """A condition in words: the label of an ``at_least`` indicator."""
    if isinstance(c, Compare):
        return label(c)
    if isinstance(c, CountCompare):
        return f"count {c.count} {c.op} {c.value if not isinstance(c.value, ParamRef) else c.value.param}"
    if isinstance(c, AllOf):
        return " and ".join(condition_label(x) for x in c.all)
    if isinstance(c, AnyOf):
        return " or ".join(condition_label(x) for x in c.any)
    if isinstance(c, NotOf):
        return f"not ({condition_label(c.not_)})"
    if isinstance(c, AtLeast):
        return f"at least {c.at_least} of ({'; '.join(condition_label(x) for x in c.of)})"
    return "?"


def params_in(x: Any) -> set[str]:
    """Names of the parameters a condition reads."""
    out: set[str] = set()
    if isinstance(x, ParamRef):
        out.add(x.param)
    elif isinstance(x, list | tuple):
        for y in x:
            out |= params_in(y)
    elif hasattr(x, "__pydantic_fields__"):
        for name in type(x).model_fields:
            out |= params_in(getattr(x, name))
    return out
