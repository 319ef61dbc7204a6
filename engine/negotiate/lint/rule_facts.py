"""What lint reads off record schemas and rules: field facts, and the parts a rule is made of.

``field_meta`` says what the record models allow for one field (its type, choices, bounds,
whether it is always stated); the walkers list the record kinds, conditions and parameter uses
of a rule; ``RuleContext`` is one record kind inside one rule, with the parameters its
comparisons read. Vacuity, conflicts and the checks all read rules through this module.
"""

from __future__ import annotations

import typing
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from types import NoneType, UnionType
from typing import Any, Literal

import annotated_types
from pydantic import BaseModel

from engine.model.commitment import Commitment, Parameter, TreatyState
from engine.model.records import RECORD_ID, RECORD_MODELS, EvidenceLevel, Source
from engine.model.rules import (
    AllOf,
    AnyOf,
    Arith,
    AtLeast,
    ClassifyRule,
    Compare,
    Condition,
    CountCompare,
    DeadlineRule,
    FieldRef,
    NotOf,
    Offset,
    ParamRef,
    Rule,
    Schedule,
    Selector,
)
from engine.rules.compile import VIRTUAL_FIELDS, FieldType, field_types
from engine.rules.semantics import threshold_op


@dataclass(frozen=True)
class FieldMeta:
    """What the schemas allow for one field of one record kind."""

    type: FieldType
    choices: tuple[Any, ...] | None
    """Literal choices of the field (for a list field: of its items)."""
    always_present: bool
    """Required, or with a non-null default: the field is always stated."""
    lo: float | None = None
    """Lower bound of a number field (strict when ``lo_strict``)."""
    lo_strict: bool = False
    hi: float | None = None
    """Upper bound of a number field (strict when ``hi_strict``)."""
    hi_strict: bool = False
    integer: bool = False
    """A number field that holds whole numbers."""
    pattern: str | None = None
    """The regular expression a text field matches, if any."""


def _unwrap(ann: Any) -> Any:
    origin = typing.get_origin(ann)
    if origin in (typing.Union, UnionType):
        args = [a for a in typing.get_args(ann) if a is not NoneType]
        return _unwrap(args[0]) if len(args) == 1 else ann
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(ann)[0])
    return ann


VIRTUAL_CHOICES: dict[str, tuple[Any, ...]] = {
    "reported_by": typing.get_args(Source),
    "evidence_levels": typing.get_args(EvidenceLevel),
}
"""The values a virtual list field's items can take."""


@cache
def field_meta(kind: str, name: str) -> FieldMeta | None:
    """Schema facts about ``kind.name`` (None for an unknown kind or field)."""
    model = RECORD_MODELS.get(kind)
    if model is None:
        return None
    if name in VIRTUAL_FIELDS:  # never absent (docs/rules.md section 3)
        return FieldMeta(VIRTUAL_FIELDS[name], VIRTUAL_CHOICES.get(name), True)
    if name == "id":
        return FieldMeta("str", None, True, pattern=RECORD_ID)
    info = model.model_fields.get(name)
    types = field_types(kind)
    if info is None or name not in types:
        return None
    ann = _unwrap(info.annotation)
    lo = hi = None
    lo_strict = hi_strict = False
    pattern = None
    for m in info.metadata:
        if isinstance(m, annotated_types.Ge):
            lo, lo_strict = float(m.ge), False  # type: ignore[arg-type]
        elif isinstance(m, annotated_types.Gt):
            lo, lo_strict = float(m.gt), True  # type: ignore[arg-type]
        elif isinstance(m, annotated_types.Le):
            hi, hi_strict = float(m.le), False  # type: ignore[arg-type]
        elif isinstance(m, annotated_types.Lt):
            hi, hi_strict = float(m.lt), True  # type: ignore[arg-type]
        elif hasattr(m, "pattern") and isinstance(m.pattern, str):
            pattern = m.pattern
    return FieldMeta(
        types[name],
        _choices(ann),
        info.default is not None,
        lo,
        lo_strict,
        hi,
        hi_strict,
        integer=ann is int,
        pattern=pattern,
    )


def _choices(ann: Any) -> tuple[Any, ...] | None:
    """The literal choices of a field annotation (of its items, for a list), if it has any."""
    if typing.get_origin(ann) is Literal:
        return typing.get_args(ann)
    if typing.get_origin(ann) in (list, tuple):
        args = typing.get_args(ann)
        item = _unwrap(args[0]) if args else None
        if typing.get_origin(item) is Literal:
            return typing.get_args(item)
    return None


def rule_kinds(rule: Rule) -> list[tuple[str, str]]:
    """(record kind, pointer suffix) of every kind the rule reads."""
    if isinstance(rule, ClassifyRule):
        out = [(rule.subject.kind, "/subject/kind")]
        out += [(c.kind, f"/counts/{j}/kind") for j, c in enumerate(rule.counts)]
        return out
    if isinstance(rule, DeadlineRule):
        out = [(rule.trigger.kind, "/trigger/kind"), (rule.fulfil.kind, "/fulfil/kind")]
        if rule.excused_by is not None:
            out.append((rule.excused_by.kind, "/excused_by/kind"))
        return out
    return [(rule.submission.kind, "/submission/kind")]


def iter_conditions(rule: Rule) -> Iterator[tuple[str, Condition, str]]:
    """(pointer suffix, top-level condition, record kind) of every condition in a rule."""
    if isinstance(rule, ClassifyRule):
        if rule.subject.where is not None:
            yield "/subject/where", rule.subject.where, rule.subject.kind
        for j, cs in enumerate(rule.counts):
            if cs.where is not None:
                yield f"/counts/{j}/where", cs.where, cs.kind
        for j, case in enumerate(rule.cases):
            yield f"/cases/{j}/when", case.when, rule.subject.kind
    elif isinstance(rule, DeadlineRule):
        if rule.trigger.where is not None:
            yield "/trigger/where", rule.trigger.where, rule.trigger.kind
        if rule.fulfil.where is not None:
            yield "/fulfil/where", rule.fulfil.where, rule.fulfil.kind
        for k, dl in enumerate(rule.deadlines):
            if dl.when is not None:
                yield f"/deadlines/{k}/when", dl.when, rule.trigger.kind
        if rule.excused_by is not None and rule.excused_by.where is not None:
            yield "/excused_by/where", rule.excused_by.where, rule.excused_by.kind
    else:
        if rule.submission.where is not None:
            yield "/submission/where", rule.submission.where, rule.submission.kind


def walk_condition(c: Condition, ptr: str) -> Iterator[tuple[Condition, str]]:
    """Every sub-condition with its pointer, the condition itself first."""
    yield c, ptr
    if isinstance(c, AllOf):
        for i, x in enumerate(c.all):
            yield from walk_condition(x, f"{ptr}/all/{i}")
    elif isinstance(c, AnyOf):
        for i, x in enumerate(c.any):
            yield from walk_condition(x, f"{ptr}/any/{i}")
    elif isinstance(c, NotOf):
        yield from walk_condition(c.not_, f"{ptr}/not")
    elif isinstance(c, AtLeast):
        for i, x in enumerate(c.of):
            yield from walk_condition(x, f"{ptr}/of/{i}")


def walk_values(x: Any, ptr: str) -> Iterator[tuple[Any, str]]:
    """Every pydantic sub-object, list item and scalar under ``x`` with its pointer."""
    yield x, ptr
    if isinstance(x, list | tuple):
        for i, v in enumerate(x):
            yield from walk_values(v, f"{ptr}/{i}")
    elif isinstance(x, dict):
        for k, v in x.items():
            yield from walk_values(v, f"{ptr}/{k}")
    elif isinstance(x, BaseModel):
        for name, info in type(x).model_fields.items():
            key = info.alias or name
            yield from walk_values(getattr(x, name), f"{ptr}/{key}")


def param_uses(c: Commitment) -> list[tuple[str, str, str]]:
    """(parameter name, use, pointer) for every parameter reference in the rules.

    ``use`` is ``meets`` (meets/below), ``compare`` (gt/ge/lt/le/eq... with a field),
    ``count``, ``offset`` (deadline offset), ``schedule`` or ``other``.
    """
    out: list[tuple[str, str, str]] = []
    for i, rule in enumerate(c.rules):
        base = f"/rules/{i}"
        for x, ptr in walk_values(rule, base):
            if isinstance(x, Compare) and isinstance(x.value, ParamRef):
                use = "meets" if x.op in ("meets", "below") else "compare"
                if x.op in ("gt", "ge", "lt", "le"):
                    use = "threshold"
                out.append((x.value.param, use, f"{ptr}/value"))
            elif isinstance(x, CountCompare) and isinstance(x.value, ParamRef):
                out.append((x.value.param, "count", f"{ptr}/value"))
            elif isinstance(x, Offset) and isinstance(x.amount, ParamRef):
                out.append((x.amount.param, "offset", f"{ptr}/amount"))
            elif isinstance(x, Schedule) and isinstance(x.months, ParamRef):
                out.append((x.months.param, "schedule", f"{ptr}/months"))
            elif isinstance(x, Arith):
                for j, a in enumerate(x.args):
                    if isinstance(a, ParamRef):
                        out.append((a.param, "other", f"{ptr}/args/{j}"))
    return out


def rule_numbers(c: Commitment) -> set[float]:
    """Numeric literals anywhere in the rules and the applicability clause."""
    out: set[float] = set()
    for x, _ in walk_values(c.rules, ""):
        if isinstance(x, int | float) and not isinstance(x, bool):
            out.add(float(x))
    t = c.applicability.transition
    if t is not None and t.months is not None:
        out.add(float(t.months))
    return out


def find_param(c: Commitment, treaty: TreatyState | None, name: str) -> Parameter | None:
    """The parameter a rule of ``c`` means by ``name``: the commitment's, else the treaty's."""
    p = c.parameters.get(name)
    if p is None and treaty is not None:
        p = treaty.parameters.get(name)
    return p


def param_values(p: Parameter) -> list[Any]:
    """Every value the parameter takes (one, or one per version)."""
    return [p.value] if p.value is not None else [v.value for v in p.versions]


def latest_value(p: Parameter) -> Any:
    """The value lint judges with: the parameter's value, or its open-ended (else last) version."""
    if p.value is not None:
        return p.value
    open_ended = [v for v in p.versions if v.valid_to is None]
    return (open_ended or p.versions)[-1].value


def selector(rule: Rule) -> tuple[str, Selector]:
    """(pointer suffix, selector) of the records a rule is about: subject, trigger or submission."""
    if isinstance(rule, ClassifyRule):
        return "/subject", rule.subject
    if isinstance(rule, DeadlineRule):
        return "/trigger", rule.trigger
    return "/submission", rule.submission


class RuleContext:
    """One record kind inside one rule: what a condition on that kind is read against.

    ``primary`` is the rule's own record kind (subject, trigger or submission), whose
    conditions may read the rule's derived values; a count's or a fulfilment's kind may not.
    """

    def __init__(
        self, c: Commitment, treaty: TreatyState | None, rule: Rule, kind: str, primary: bool
    ) -> None:
        """The context of ``kind`` in ``rule`` of ``c``, read against ``treaty``."""
        self.c = c
        self.treaty = treaty
        self.rule = rule
        self.kind = kind
        self.derived = set(rule.derive) if primary else set()

    def meta(self, name: str) -> FieldMeta | None:
        """Schema facts of a field of this kind (None for a derived value or unknown field)."""
        if name in self.derived:
            return None
        return field_meta(self.kind, name)

    def alternatives(self, v: Any) -> list[Any] | None:
        """The values an operand may take (several for a versioned parameter); None = unknown."""
        if isinstance(v, ParamRef):
            p = find_param(self.c, self.treaty, v.param)
            return param_values(p) if p is not None else None
        if isinstance(v, FieldRef | Arith) or v is None:
            return None
        return [v]

    def comparison(self, name: str) -> str | None:
        """The strict/inclusive choice of a parameter (None if it has none or does not exist)."""
        p = find_param(self.c, self.treaty, name)
        return p.comparison if p is not None else None

    def effective_op(self, c: Compare) -> str | None:
        """The ordering a comparison stands for (``meets``/``below`` by their threshold)."""
        v = c.value
        return threshold_op(c.op, self.comparison(v.param) if isinstance(v, ParamRef) else None)
