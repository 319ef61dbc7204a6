"""The one implementation of the rule language's values: comparison, arithmetic, condition truth.

``docs/rules.md`` sections 3 and 4 say what they mean. Everything in the engine that decides a
comparison, computes a derived value or folds a condition tree calls this module: the evaluator
after durable_rules has matched the atoms, lint's judge on sample records, and what-if through
the evaluator. The differential oracle in ``tests/oracle.py`` implements the same text on its own.

A condition is compiled (``engine.rules.compile``) into a small boolean tree over *atoms*, one
comparison of one record each. Who decides an atom differs (durable_rules in the evaluator, a
Python comparison in lint); how the tree is folded over the atoms does not.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any

from engine.model.rules import Arith, Compare, FieldRef, ParamRef
from engine.rules.time import day_number, epoch_seconds, utc_date

BoolTree = tuple[Any, ...]
"""A compiled condition::

    ("atom", name) | ("const", bool) | ("count", name, op, number)
    | ("all", [trees]) | ("any", [trees]) | ("not", tree) | ("atleast", n, [trees], labels)
"""

COMPARE_OPS = ("eq", "ne", "gt", "ge", "lt", "le")
"""The ordering comparisons :func:`compare_numbers` decides."""


def compare_numbers(a: float, op: str, b: float) -> bool:
    """``a op b`` for the six ordering operators (``eq ne gt ge lt le``)."""
    if op == "eq":
        return a == b
    if op == "ne":
        return a != b
    if op == "gt":
        return a > b
    if op == "ge":
        return a >= b
    if op == "lt":
        return a < b
    if op == "le":
        return a <= b
    raise ValueError(f"unknown comparison {op!r}")


def fold(
    tree: BoolTree | None,
    atom: Callable[[str], bool],
    count: Callable[[str], float] | None = None,
) -> bool:
    """Whether a compiled condition holds, given which atoms hold and the value of each count.

    No condition (``None``) holds. A count nobody supplied is 0.
    """
    if tree is None:
        return True
    tag = tree[0]
    if tag == "atom":
        return bool(atom(tree[1]))
    if tag == "const":
        return bool(tree[1])
    if tag == "all":
        return all(fold(t, atom, count) for t in tree[1])
    if tag == "any":
        return any(fold(t, atom, count) for t in tree[1])
    if tag == "not":
        return not fold(tree[1], atom, count)
    if tag == "atleast":
        return bool(sum(fold(t, atom, count) for t in tree[2]) >= tree[1])
    if tag == "count":
        n = count(tree[1]) if count is not None else 0.0
        return compare_numbers(n, tree[2], tree[3])
    raise ValueError(f"unknown condition node {tag!r}")


def indicators_seen(
    tree: BoolTree, atom: Callable[[str], bool], count: Callable[[str], float] | None = None
) -> list[str]:
    """Labels of the ``at_least`` indicators that hold inside ``tree`` (for explanations).

    Indicators under a ``not`` are never reported: they held for the condition to be false.
    """
    tag = tree[0]
    if tag == "atleast":
        return [label for t, label in zip(tree[2], tree[3], strict=True) if fold(t, atom, count)]
    if tag in ("all", "any"):
        return [label for t in tree[1] for label in indicators_seen(t, atom, count)]
    return []


def arith(ar: Arith, values: Mapping[str, Any], param: Callable[[str], Any]) -> Any:
    """A derived value (docs/rules.md section 3), or None when it cannot be computed.

    Operands are numbers, ``{field}`` (a value of the same record), ``{param}`` or nested
    arithmetic. A true/false operand counts as absent. An absent operand makes the value absent,
    except under ``coalesce`` (the first present operand). ``count_distinct`` counts the distinct
    items of one list. Division by zero is absent. ``min``, ``max`` and ``coalesce`` also take
    dates and timestamps (the earlier of two start dates).
    """
    args: list[Any] = []
    for a in ar.args:
        if isinstance(a, FieldRef):
            v = values.get(a.field)
        elif isinstance(a, ParamRef):
            v = param(a.param)
        elif isinstance(a, Arith):
            v = arith(a, values, param)
        else:
            v = a
        args.append(None if isinstance(v, bool) else v)
    if ar.op == "coalesce":
        return next((a for a in args if a is not None), None)
    if any(a is None for a in args):
        return None
    if ar.op == "count_distinct":
        return float(len(set(args[0]))) if isinstance(args[0], list | tuple) else None
    if any(isinstance(a, list | tuple) for a in args):
        return None
    try:
        return _apply(ar.op, args)
    except TypeError:  # operands of different kinds (a date and a number)
        return None


def _apply(op: str, args: list[Any]) -> Any:
    if op == "add":
        return sum(args[1:], args[0])
    if op == "sub":
        acc = args[0]
        for a in args[1:]:
            acc = acc - a
        return acc
    if op == "mul":
        acc = args[0]
        for a in args[1:]:
            acc = acc * a
        return acc
    if op == "div":
        acc = args[0]
        for a in args[1:]:
            if a == 0:
                return None
            acc = acc / a
        return acc
    if op == "abs":
        return abs(args[0])
    if op == "min":
        return min(args)
    if op == "max":
        return max(args)
    return None


# ------------------------------------------------------------------------------------------
# One comparison decided in Python (lint's judge; docs/rules.md sections 3 and 4)
#
# The evaluator has durable_rules decide its atoms; these functions decide the same comparison
# of one record's values in Python, for whoever needs it without a rules engine.


def threshold_op(op: str, comparison: str | None) -> str | None:
    """The ordering a comparison stands for: ``meets`` and ``below`` resolved by a threshold.

    ``meets`` is ``gt`` under a ``strict`` threshold and ``ge`` under an ``inclusive`` one;
    ``below`` is its negation for a stated value (``le`` or ``lt``). Without a strict/inclusive
    choice they stand for nothing (None). Every other operator stands for itself.
    """
    if op not in ("meets", "below"):
        return op
    if comparison is None:
        return None
    strict = comparison == "strict"
    if op == "meets":
        return "gt" if strict else "ge"
    return "le" if strict else "lt"


def literal_value(value: Any, field_type: str) -> Any:
    """A literal or parameter value of a rule, read as a value of a field of ``field_type``.

    Numbers are floats; text against a ``date`` field is a date, against a ``datetime`` field
    a timestamp (with its zone), or a date when it names a day only (the timestamp is then
    compared by its UTC day). Lists keep their items. A text that does not parse is None.
    """
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, list | tuple):
        return list(value)
    if isinstance(value, str) and field_type in ("date", "datetime"):
        try:
            if field_type == "date" or len(value) == 10:
                return date.fromisoformat(value)
            ts = datetime.fromisoformat(value)
        except ValueError:
            return None
        return ts if ts.tzinfo is not None else None
    return value


def compare_values(x: Any, op: str, y: Any) -> bool:
    """Whether the stated value ``x`` compares so with the operand value ``y``.

    ``op`` is one of ``eq ne gt ge lt le in not_in contains contains_all contains_any``
    (``meets``/``below`` go through ``threshold_op`` first). Numbers, days and seconds are
    ordered by ``compare_numbers``; a timestamp against a date is its UTC day. ``in`` and
    ``not_in`` test ``eq`` against each item; the ``contains`` forms look into the list ``x``.
    Values of different kinds are never ordered, never equal and always different.
    """
    if op in ("in", "not_in"):
        items = y if isinstance(y, list | tuple) else [y]
        return any(compare_values(x, "eq", v) for v in items) == (op == "in")
    if op.startswith("contains"):
        if not isinstance(x, list | tuple):
            return False
        if op == "contains":
            return y in x
        items = y if isinstance(y, list | tuple) else [y]
        return (all if op == "contains_all" else any)(v in x for v in items)
    pair = _ordered(x, y)
    if pair is not None:
        return compare_numbers(pair[0], op, pair[1])
    if isinstance(x, bool) != isinstance(y, bool):  # True is not 1
        return op == "ne"
    if op == "eq":
        return bool(x == y)
    return op == "ne" and bool(x != y)


def _ordered(x: Any, y: Any) -> tuple[float, float] | None:
    """Both values as numbers on one scale (days or seconds for dates and timestamps), or None."""
    if isinstance(x, bool) or isinstance(y, bool):
        return None
    if isinstance(x, int | float) and isinstance(y, int | float):
        return float(x), float(y)
    if isinstance(x, datetime) and isinstance(y, datetime):
        return float(epoch_seconds(x)), float(epoch_seconds(y))
    if isinstance(x, date) and isinstance(y, date):  # a timestamp against a date: its UTC day
        return float(day_number(_day(x))), float(day_number(_day(y)))
    return None


def _day(x: date) -> date:
    return utc_date(x) if isinstance(x, datetime) else x


def compare_predicate(
    c: Compare,
    field_type: Callable[[str], str],
    param: Callable[[str], Any],
    comparison: Callable[[str], str | None],
) -> Callable[[Mapping[str, Any]], bool]:
    """Whether one comparison of a condition holds of a record (docs/rules.md section 4).

    The comparison is prepared once and applied to many records: the predicate takes a
    record's values (reported, virtual and derived; absent ones missing or None).
    ``field_type`` names a field's type, ``param`` gives a parameter's value (read when the
    predicate is made, or inside arithmetic when it is applied) and ``comparison`` its
    strict/inclusive choice. A comparison with an absent field, or with an operand that has no
    value, is false (``absent`` excepted).
    """
    name, v = c.field, c.value
    if c.op in ("exists", "absent"):
        absent = c.op == "absent"
        return lambda values: (values.get(name) is None) == absent
    op = threshold_op(c.op, comparison(v.param) if isinstance(v, ParamRef) else None)
    if op is None:
        return lambda values: False
    if isinstance(v, FieldRef):
        other = v.field

        def against_field(values: Mapping[str, Any]) -> bool:
            x, y = values.get(name), values.get(other)
            return x is not None and y is not None and compare_values(x, op, y)

        return against_field
    if isinstance(v, Arith):
        ar = v

        def against_arith(values: Mapping[str, Any]) -> bool:
            x = values.get(name)
            if x is None:
                return False
            y = arith(ar, values, param)
            return y is not None and compare_values(x, op, y)

        return against_arith
    y = literal_value(param(v.param) if isinstance(v, ParamRef) else v, field_type(name))
    if y is None:
        return lambda values: False

    def against_constant(values: Mapping[str, Any]) -> bool:
        x = values.get(name)
        return x is not None and compare_values(x, op, y)

    return against_constant


def unstated(value: Any) -> bool:
    """Whether a value counts as not reported for ``requires``: absent, or an empty list."""
    return value is None or (isinstance(value, list | tuple) and not value)
