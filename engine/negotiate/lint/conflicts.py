"""Conflicts (TE502): two classify rules that give opposite verdicts on one record.

The search is enumerative: sample records (``sampling``) built from the constants the two
rules compare with are judged by both rules, and a record on which one gives ``breach`` and the
other an explicit ``compliant`` case, which the Party could not avoid by changing what only the
breaching rule reads, is a witness.

The ``Judge`` decides a classify rule on one sample following docs/rules.md section 4.
"""

from __future__ import annotations

import itertools
import random
import typing
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from engine.model.commitment import Commitment, TreatyState
from engine.model.records import RECORD_MODELS
from engine.model.rules import (
    AllOf,
    AnyOf,
    Arith,
    AtLeast,
    ClassifyRule,
    Compare,
    Condition,
    CountCompare,
    FieldRef,
    NotOf,
    ParamRef,
)
from engine.negotiate.lint.rule_facts import RuleContext, field_meta, find_param, latest_value
from engine.negotiate.lint.sampling import (
    Sampler,
    describe_sample,
    sample_norm,
    sample_to_record,
)
from engine.rules.compile import VIRTUAL_FIELDS, FieldType, derived_type, field_types

SAMPLE_LIMIT = 20_000
"""Largest number of sample records tried per pair of rules (a seeded random subset beyond)."""


def _arith(ar: Arith, values: Mapping[str, Any], param: Callable[[str], Any]) -> Any:
    args: list[Any] = []
    for a in ar.args:
        if isinstance(a, FieldRef):
            args.append(values.get(a.field))
        elif isinstance(a, ParamRef):
            args.append(param(a.param))
        elif isinstance(a, Arith):
            args.append(_arith(a, values, param))
        else:
            args.append(a)
    if ar.op == "coalesce":
        return next((x for x in args if x is not None), None)
    if ar.op == "count_distinct":
        return float(len(set(args[0]))) if isinstance(args[0], list | tuple) else None
    if any(x is None or isinstance(x, bool) or not isinstance(x, int | float) for x in args):
        return None
    if ar.op == "add":
        return sum(args)
    if ar.op == "mul":
        out = 1.0
        for x in args:
            out *= x
        return out
    if ar.op == "sub":
        acc = args[0]
        for x in args[1:]:
            acc -= x
        return acc
    if ar.op == "div":
        acc = args[0]
        for x in args[1:]:
            if x == 0:
                return None
            acc /= x
        return acc
    if ar.op == "abs":
        return abs(args[0])
    if ar.op == "min":
        return min(args)
    if ar.op == "max":
        return max(args)
    return None


class Judge:
    """Evaluates one classify rule on a sample record, following docs/rules.md section 4."""

    def __init__(
        self, c: Commitment, treaty: TreatyState | None, rule: ClassifyRule, count_prefix: str
    ) -> None:
        self.c = c
        self.treaty = treaty
        self.rule = rule
        self.kind = rule.subject.kind
        self.ctx = RuleContext(c, treaty, rule, self.kind, True)
        self.prefix = count_prefix
        self.dtypes: dict[str, FieldType] = {}
        for name, ar in rule.derive.items():
            self.dtypes[name] = derived_type(ar, self.kind, self.dtypes)

    def param(self, name: str) -> Any:
        p = find_param(self.c, self.treaty, name)
        return latest_value(p) if p is not None else None

    def ftype(self, name: str) -> FieldType:
        if name in self.dtypes:
            return self.dtypes[name]
        if name in VIRTUAL_FIELDS:
            return VIRTUAL_FIELDS[name]
        return field_types(self.kind).get(name, "str") if name != "id" else "str"

    def values(self, sample: Mapping[str, Any]) -> dict[str, Any]:
        vals = dict(sample)
        for name, ar in self.rule.derive.items():
            vals[name] = _arith(ar, vals, self.param)
        return vals

    def holds(self, cond: Condition, vals: Mapping[str, Any], counts: Mapping[str, float]) -> bool:
        if isinstance(cond, AllOf):
            return all(self.holds(x, vals, counts) for x in cond.all)
        if isinstance(cond, AnyOf):
            return any(self.holds(x, vals, counts) for x in cond.any)
        if isinstance(cond, NotOf):
            return not self.holds(cond.not_, vals, counts)
        if isinstance(cond, AtLeast):
            return sum(self.holds(x, vals, counts) for x in cond.of) >= cond.at_least
        if isinstance(cond, CountCompare):
            n = counts.get(self.prefix + cond.count, 0.0)
            v = self.param(cond.value.param) if isinstance(cond.value, ParamRef) else cond.value
            return isinstance(v, int | float) and _cmp(n, cond.op, float(v))
        assert isinstance(cond, Compare)
        x = vals.get(cond.field)
        if cond.op == "exists":
            return x is not None
        if cond.op == "absent":
            return x is None
        if x is None:
            return False
        t = self.ftype(cond.field)
        if isinstance(cond.value, FieldRef):
            y = vals.get(cond.value.field)
            yt = self.ftype(cond.value.field)
            if y is None:
                return False
            if t != yt and {t, yt} == {"date", "datetime"}:
                x = _as_day(x, t)
                y = _as_day(y, yt)
        elif isinstance(cond.value, Arith):
            y = _arith(cond.value, vals, self.param)
            if y is None:
                return False
        else:
            raw = self.param(cond.value.param) if isinstance(cond.value, ParamRef) else cond.value
            y = sample_norm(raw, t) if t != "list" else raw
            if y is None:
                return False
        op = self.ctx.effective_op(cond)
        if op is None:
            return False
        if op == "contains":
            return y in x
        if op == "contains_all":
            return all(v in x for v in (y if isinstance(y, list | tuple) else [y]))
        if op == "contains_any":
            return any(v in x for v in (y if isinstance(y, list | tuple) else [y]))
        if op in ("in", "not_in"):
            ys = list(y) if isinstance(y, list | tuple) else [y]
            return (x in ys) == (op == "in")
        if op == "eq":
            return bool(x == y)
        if op == "ne":
            return bool(x != y)
        try:
            return _cmp(float(x), op, float(typing.cast(float, y)))
        except (TypeError, ValueError):
            return False

    def outcome(
        self, sample: Mapping[str, Any], counts: Mapping[str, float]
    ) -> tuple[str, str] | None:
        """(status, which: 'case N' or 'otherwise'), or None when the record is not selected."""
        vals = self.values(sample)
        r = self.rule
        if r.subject.where is not None and not self.holds(r.subject.where, vals, counts):
            return None
        if any(vals.get(f) is None for f in r.requires):
            return ("gap", "requires")
        for j, case in enumerate(r.cases):
            if self.holds(case.when, vals, counts):
                return (case.status, f"case {j + 1}")
        return (r.otherwise.status, "otherwise")


def _as_day(x: Any, t: FieldType) -> Any:
    if t == "datetime":
        return datetime.fromtimestamp(x, UTC).date().toordinal()
    return x


def _cmp(a: float, op: str, b: float) -> bool:
    return {
        "eq": a == b,
        "ne": a != b,
        "gt": a > b,
        "ge": a >= b,
        "lt": a < b,
        "le": a <= b,
    }[op]


# ------------------------------------------------------------------------------------------
# The search


def find_conflict(
    a: Commitment, ra: ClassifyRule, b: Commitment, rb: ClassifyRule, treaty: TreatyState | None
) -> tuple[str, str, str, str] | None:
    """A sample record on which one rule gives breach and the other an explicit compliant.

    Returns (status of a, which case of a, which case of b, sample description), or None.

    Raises:
        CompileError: one of the rules does not compile.
    """
    if not (_opposable(ra, rb) or _opposable(rb, ra)):
        return None  # no pair of outcomes could ever be opposite
    kind = ra.subject.kind
    ja, jb = Judge(a, treaty, ra, "a:"), Judge(b, treaty, rb, "b:")
    sampler, reads = _sampler_for(kind, (ja, jb))
    fields = sorted(f for f in sampler.fields if field_meta(kind, f) is not None)
    count_names = sorted(sampler.counts)
    axes = [sampler.candidates(f) for f in fields]
    axes += [list(sampler.count_candidates(n)) for n in count_names]
    model = RECORD_MODELS[kind]
    for combo in _combinations(axes):
        sample_full = dict(zip(fields, combo[: len(fields)], strict=True))
        sample = {f: v for f, v in sample_full.items() if v is not None}
        counts = dict(zip(count_names, combo[len(fields) :], strict=True))
        oa, ob = ja.outcome(sample, counts), jb.outcome(sample, counts)
        if oa is None or ob is None or not (_opposite(oa, ob) or _opposite(ob, oa)):
            continue
        breaching, other = (ja, jb) if oa[0] == "breach" else (jb, ja)
        only = reads[breaching.prefix] - reads[other.prefix]
        if _avoidable(breaching, only, sample_full, counts, sampler):
            continue
        try:
            model.model_validate(sample_to_record(kind, sample))
        except ValidationError:
            continue
        return oa[0], oa[1], ob[1], describe_sample(kind, sample_full, counts)
    return None


def _opposable(r: ClassifyRule, other: ClassifyRule) -> bool:
    """Whether ``r`` can give breach where ``other`` has a case that gives compliant."""
    breach = r.otherwise.status == "breach" or any(c.status == "breach" for c in r.cases)
    return breach and any(c.status == "compliant" for c in other.cases)


def _opposite(breach: tuple[str, str], compliant: tuple[str, str]) -> bool:
    return breach[0] == "breach" and compliant[0] == "compliant" and compliant[1].startswith("case")


def _sampler_for(kind: str, judges: Iterable[Judge]) -> tuple[Sampler, dict[str, set[str]]]:
    """One sampler over the fields and counts of every judge's rule, and what each reads."""
    sampler = Sampler(kind)
    reads: dict[str, set[str]] = {}
    for judge in judges:
        r = judge.rule
        conds: list[Condition] = [c.when for c in r.cases]
        if r.subject.where is not None:
            conds.append(r.subject.where)
        own = Sampler(kind)
        for cond in conds:
            sampler.add_condition(cond, judge.ctx, judge.prefix)
            own.add_condition(cond, judge.ctx, judge.prefix)
        sampler.fields.update(f for f in r.requires if f not in r.derive)
        own.fields.update(f for f in r.requires if f not in r.derive)
        reads[judge.prefix] = own.fields | {judge.prefix + cs.name for cs in r.counts}
        for cs in r.counts:
            sampler.counts.setdefault(judge.prefix + cs.name, [])
    return sampler, reads


def _combinations(axes: list[list[Any]]) -> Iterable[tuple[Any, ...]]:
    """Every combination of one value per axis, or a seeded random ``SAMPLE_LIMIT`` of them."""
    total = 1
    for ax in axes:
        total *= max(1, len(ax))
    if total <= SAMPLE_LIMIT:
        return itertools.product(*axes)
    rng = random.Random(0)
    return (tuple(rng.choice(ax) for ax in axes) for _ in range(SAMPLE_LIMIT))


def _avoidable(
    judge: Judge,
    only: set[str],
    sample: Mapping[str, Any],
    counts: Mapping[str, float],
    sampler: Sampler,
) -> bool:
    """Whether the breach can be avoided by changing only what the other rule never reads.

    A record on which one commitment finds a breach and the other an explicit compliance is a
    conflict only if the Party cannot satisfy both: if some value of a field (or a count) that
    only the breaching rule reads ends the breach, the other rule's verdict stays as it was and
    both are met (declaring a facility does not change whether it is under exclusive control).
    """
    names = sorted(f for f in only if f in sample)
    count_names = sorted(n for n in only if n in counts)
    axes = [sampler.candidates(f) for f in names] + [
        sampler.count_candidates(n) for n in count_names
    ]
    for k, combo in enumerate(itertools.product(*axes)):
        if k >= SAMPLE_LIMIT:
            break
        alt = dict(sample)
        alt.update(zip(names, combo[: len(names)], strict=True))
        alt_counts = dict(counts)
        alt_counts.update(zip(count_names, combo[len(names) :], strict=True))
        out = judge.outcome({f: v for f, v in alt.items() if v is not None}, alt_counts)
        if out is None or out[0] != "breach":
            return True
    return False
