"""Sample records for the conflict search: candidate values per field, and records made of them.

A *sample* maps field names to values in a small domain that is easy to step through: numbers
as floats, dates as ordinals (``date.toordinal``), timestamps as whole epoch seconds, lists as
tuples, None for a field not stated. The ``Sampler`` proposes, for each field two rules read,
the constants they compare it with and their neighbours (one below, one above), plus a value
far from all of them, so that every case boundary of either rule is crossed. ``sample_value``
turns a sample value into the value a record holds for the evaluator (a date, an aware
timestamp), and ``sample_to_record`` a whole sample into a record as a report writes it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any

from engine.model.records import RECORD_MODELS
from engine.model.rules import Compare, Condition, CountCompare, FieldRef
from engine.negotiate.lint.rule_facts import (
    FieldMeta,
    RuleContext,
    field_meta,
    walk_condition,
    walk_values,
)
from engine.negotiate.lint.vacuity import field_admits, fmt_value
from engine.rules.compile import VIRTUAL_FIELDS, FieldType, field_types

BASE_DAY = date(2030, 1, 1)
"""The day sample dates start from when no rule names one."""
_BASE_TS = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
_FILLER = "ZZZ"  # a text no rule compares with


def sample_norm(value: Any, t: FieldType) -> Any:
    """A literal or parameter value in the sample domain of a field type."""
    if t == "date":
        if isinstance(value, str):
            try:
                return date.fromisoformat(value).toordinal()
            except ValueError:
                return None
        return None
    if t == "datetime":
        if isinstance(value, str):
            try:
                return int(datetime.fromisoformat(value).timestamp())
            except ValueError:
                return None
        return None
    if t == "number":
        return (
            float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
        )
    if isinstance(value, list):
        return tuple(value)
    return value


@lru_cache(maxsize=4096)
def sample_value(t: FieldType, v: Any) -> Any:
    """A sample value as a record holds it for the evaluator: a date, an aware timestamp..."""
    if v is None:
        return None
    if t == "date":
        return date.fromordinal(int(v))
    if t == "datetime":
        return datetime.fromtimestamp(int(v), UTC)
    return v


class Sampler:
    """Builds candidate values per field from the constants two rules compare with."""

    def __init__(self, kind: str) -> None:
        """A sampler of records of ``kind``, with no condition taken yet."""
        self.kind = kind
        self.consts: dict[str, list[Any]] = {}
        """Per field: the constants conditions compare it with (sample domain)."""
        self.lists: dict[str, list[tuple[Any, ...]]] = {}
        """Per list field: the groups of items conditions look for."""
        self.linked: list[tuple[str, str]] = []
        """Pairs of fields compared with each other: each borrows the other's constants."""
        self.fields: set[str] = set()
        """Every record field the conditions read (derived values by their inputs)."""
        self.counts: dict[str, list[float]] = {}
        """Per count (with its rule's prefix): the numbers conditions compare it with."""

    def add_condition(self, cond: Condition, ctx: RuleContext, count_prefix: str) -> None:
        """Take the fields, constants and counts of one condition of the rule of ``ctx``."""
        for x, _ in walk_condition(cond, ""):
            if isinstance(x, CountCompare):
                cvals = ctx.alternatives(x.value) or []
                self.counts.setdefault(count_prefix + x.count, []).extend(
                    float(v) for v in cvals if isinstance(v, int | float)
                )
            if not isinstance(x, Compare):
                continue
            self.fields.update(self._inputs(x.field, ctx))
            if isinstance(x.value, FieldRef):
                self.fields.update(self._inputs(x.value.field, ctx))
                self.linked.append((x.field, x.value.field))
                continue
            m = field_meta(self.kind, x.field) if x.field not in ctx.derived else None
            if m is not None:
                self._add_constants(x, m, ctx)

    def _add_constants(self, x: Compare, m: FieldMeta, ctx: RuleContext) -> None:
        for alt in ctx.alternatives(x.value) or []:
            if m.type == "list":
                vals = tuple(alt) if isinstance(alt, list) else (alt,)
                self.lists.setdefault(x.field, []).append(vals)
                continue
            for item in alt if isinstance(alt, list) else [alt]:  # 'in' a list: each value
                v = sample_norm(item, m.type)
                if v is not None:
                    self.consts.setdefault(x.field, []).append(v)

    def _inputs(self, name: str, ctx: RuleContext) -> set[str]:
        if name in ctx.derived:
            out: set[str] = set()
            for x, _ in walk_values(ctx.rule.derive[name], ""):
                if isinstance(x, FieldRef):
                    out |= self._inputs(x.field, ctx) if x.field != name else set()
            return out
        return {name}

    def candidates(self, name: str) -> list[Any]:
        """The values tried for a field (None, for not stated, last when it may be absent)."""
        m = field_meta(self.kind, name)
        if m is None:
            return [None]
        consts = list(self.consts.get(name, []))
        for a, b in self.linked:
            other = b if a == name else a if b == name else None
            if other is not None:
                consts.extend(self.consts.get(other, []))
        out = list(dict.fromkeys(self._values(name, m, consts)))
        if not m.always_present:
            out.append(None)
        return out

    def _values(self, name: str, m: FieldMeta, consts: list[Any]) -> list[Any]:
        if m.type == "bool":
            return [True, False]
        if m.type == "number":
            return _number_candidates(m, consts)
        if m.type == "date":
            day = BASE_DAY.toordinal()
            return [day, day + 1] + [v + d for v in consts for d in (-1, 0, 1)]
        if m.type == "datetime":
            ts = int(_BASE_TS.timestamp())
            return [ts, ts + 86_400] + [v + d for v in consts for d in (-1, 0, 1)]
        if m.type == "str":
            return list(m.choices) if m.choices is not None else consts + [_FILLER]
        return _list_candidates(m, self.lists.get(name, []))

    def count_candidates(self, name: str) -> list[float]:
        """The values tried for a count: 0, and each constant it is compared with ±1."""
        vals = {0.0}
        for v in self.counts.get(name, []):
            vals.update(x for x in (v - 1, v, v + 1) if x >= 0)
        return sorted(vals)


def _number_candidates(m: FieldMeta, consts: list[Any]) -> list[Any]:
    base = [m.lo if m.lo is not None else 0.0]
    for v in consts:
        d = 1.0 if m.integer or v == 0 else abs(v) * 1e-3
        base += [v - d, v, v + d]
    return [float(round(v)) if m.integer else v for v in base if field_admits(m, "eq", v)]


def _list_candidates(m: FieldMeta, groups: list[tuple[Any, ...]]) -> list[Any]:
    pool: list[tuple[Any, ...]] = [()]
    if m.choices is not None:
        pool.append(tuple(m.choices))
    for g in groups:
        pool.append(g)
        pool.extend((v,) for v in g)
        pool.extend(tuple(y for y in g if y != v) for v in g)
    if m.choices is None:
        pool.append((_FILLER,))
    else:
        pool = [g for g in pool if all(v in m.choices for v in g)]
    return list(dict.fromkeys(pool))


# ------------------------------------------------------------------------------------------
# Samples as records


def sample_to_record(kind: str, sample: Mapping[str, Any]) -> dict[str, Any]:
    """The record (as a report writes it) with the sample's values and fillers for the rest."""
    data: dict[str, Any] = {"kind": kind, "id": "lint-sample"}
    model = RECORD_MODELS[kind]
    types = field_types(kind)
    for name, info in model.model_fields.items():
        if name in ("kind", "id", "note"):
            continue
        t = types.get(name, "str")
        m = field_meta(kind, name)
        if name in sample:
            if sample[name] is not None:
                data[name] = _written(t, sample[name], m is not None and m.integer)
        elif info.is_required():
            data[name] = _filler(t, m)
    return data


def _written(t: FieldType, v: Any, integer: bool) -> Any:
    """A sample value as a report writes it."""
    if t == "date":
        return date.fromordinal(int(v)).isoformat()
    if t == "datetime":
        return datetime.fromtimestamp(int(v), UTC).isoformat().replace("+00:00", "Z")
    if t == "list":
        return list(v)
    if t == "number" and integer:
        return int(v)
    return v


def _filler(t: FieldType, m: FieldMeta | None) -> Any:
    """A valid value for a required field no rule reads."""
    if t == "date":
        return BASE_DAY.isoformat()
    if t == "datetime":
        return "2030-01-01T12:00:00Z"
    if t == "number":
        lo = m.lo if m and m.lo is not None else 0
        return int(lo) + 1 if m and m.integer else float(lo) + 1
    if t == "bool":
        return False
    if t == "list":
        return []
    if m is not None and m.choices:
        return m.choices[0]
    return _FILLER


def _virtual_written(t: FieldType, v: Any) -> Any:
    """A sample value of a virtual field as a report would write it."""
    if t == "date":
        return date.fromordinal(int(v)).isoformat()
    if t == "list":
        return list(v)
    return v


def describe_sample(kind: str, sample: Mapping[str, Any], counts: Mapping[str, float]) -> str:
    """``h100e=1701.7, counterparty absent, count prior=2``: a sample in a finding's words."""
    rec = sample_to_record(kind, sample)
    parts = []
    for name in sorted(sample):
        if name in VIRTUAL_FIELDS and sample[name] is not None:
            parts.append(
                f"{name}={fmt_value(_virtual_written(VIRTUAL_FIELDS[name], sample[name]))}"
            )
            continue
        parts.append(f"{name}={fmt_value(rec[name])}" if name in rec else f"{name} absent")
    for name in sorted(counts):
        parts.append(f"count {name.split(':', 1)[1]}={int(counts[name])}")
    return ", ".join(parts)
