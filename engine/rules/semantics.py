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
from typing import Any

from engine.model.rules import Arith, FieldRef, ParamRef

BoolTree = tuple[Any, ...]
"""A compiled condition::

    ("atom", name) | ("const", bool) | ("count", name, op, number)
    | ("all", [trees]) | ("any", [trees]) | ("not", tree) | ("atleast", n, [trees], labels)
"""

COMPARE_OPS = ("eq", "ne", "gt", "ge", "lt", "le")


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
