"""Conflicts (TE502): two classify rules that give opposite verdicts on one record.

The search is enumerative: sample records (``sampling``) built from the constants the two
rules compare with are judged by both rules, and a record on which one gives ``breach`` and the
other an explicit ``compliant`` case, which the Party could not avoid by changing what only the
breaching rule reads, is a witness.

The ``Judge`` decides a classify rule on one sample with the evaluator's semantics: it compiles
the rule (``engine.rules.compile``) and folds the very condition trees the evaluator folds
(``engine.rules.semantics.fold``), deciding each atom in Python with
``semantics.compare_predicate`` and computing derived values with ``semantics.arith``.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from pydantic import ValidationError

from engine.model.commitment import Commitment, TreatyState
from engine.model.records import RECORD_MODELS
from engine.model.rules import AllOf, AnyOf, AtLeast, ClassifyRule, Compare, Condition, NotOf
from engine.negotiate.lint.rule_facts import RuleContext, field_meta, find_param, latest_value
from engine.negotiate.lint.sampling import (
    Sampler,
    describe_sample,
    sample_to_record,
    sample_value,
)
from engine.rules.compile import (
    VIRTUAL_FIELDS,
    FieldType,
    compile_program,
    derived_type,
    field_types,
)
from engine.rules.semantics import BoolTree, arith, compare_predicate, fold, unstated

SAMPLE_LIMIT = 20_000
"""Largest number of sample records tried per pair of rules (a seeded random subset beyond)."""

LINT_DAY = date.max
"""The day lint compiles rules for: each parameter at its latest value (its open-ended
version), as lint reads parameters everywhere (``rule_facts.latest_value``)."""

Outcome = tuple[str, str]
"""(status, which): ``which`` is ``case N``, ``otherwise`` or ``requires``."""


class Judge:
    """Decides one classify rule on sample records, as the evaluator decides it on records.

    Scope, versions, corroboration and the parameters' validity windows are the evaluator's
    business; the judge answers the question of ``docs/rules.md`` section 6 for one record
    whose counts are given: selected or not, then ``requires``, then the first case that holds.

    Raises:
        CompileError: the rule does not compile (then the engine never judges it either).
    """

    def __init__(
        self, c: Commitment, treaty: TreatyState | None, rule: ClassifyRule, count_prefix: str
    ) -> None:
        """A judge of ``rule`` of ``c``; its counts are named ``count_prefix`` + count name."""
        self.rule = rule
        self.kind = rule.subject.kind
        self.ctx = RuleContext(c, treaty, rule, self.kind, True)
        self.prefix = count_prefix
        alone = c.model_copy(update={"rules": [rule]})  # another rule's error is not ours
        compiled = compile_program([alone], treaty, LINT_DAY).rules[0]
        self.where = compiled.where
        self.cases = compiled.cases
        compares: dict[str, Compare] = {}  # the comparison each atom stands for
        if rule.subject.where is not None:
            _bind_atoms(compiled.where, rule.subject.where, compares)
        for case, tree in zip(rule.cases, compiled.cases, strict=True):
            _bind_atoms(tree, case.when, compares)
        self.types: dict[str, FieldType] = {**field_types(self.kind), **VIRTUAL_FIELDS}
        self.types["id"] = "str"
        for name, ar in rule.derive.items():
            self.types[name] = derived_type(ar, self.kind, self.types)
        self.temporal = [(f, t) for f, t in self.types.items() if t in ("date", "datetime")]
        """The date and time fields, whose sample values (ordinals, seconds) are converted."""
        self.decide = {
            name: compare_predicate(c, self.field_type, self.param, self.ctx.comparison)
            for name, c in compares.items()
        }
        """Each atom, prepared to be decided on many records (``semantics.compare_predicate``)."""

    def param(self, name: str) -> Any:
        """A parameter's value as lint reads it (its latest), or None if it does not exist."""
        p = find_param(self.ctx.c, self.ctx.treaty, name)
        return latest_value(p) if p is not None else None

    def field_type(self, name: str) -> str:
        """The type of a field of the subject, a virtual field or a derived value."""
        return self.types.get(name, "str")

    def values(self, sample: Mapping[str, Any]) -> dict[str, Any]:
        """The record's values as the evaluator holds them, with the derived ones added."""
        vals = dict(sample)
        for f, t in self.temporal:
            if f in vals:
                vals[f] = sample_value(t, vals[f])
        for name, ar in self.rule.derive.items():
            vals[name] = arith(ar, vals, self.param)
        return vals

    def outcome(self, sample: Mapping[str, Any], counts: Mapping[str, float]) -> Outcome | None:
        """The rule's verdict on the sample, or None when the record is not selected.

        ``counts`` holds the value of each count under this judge's prefix (absent: 0).
        """
        vals = self.values(sample)

        def atom(name: str) -> bool:
            return self.decide[name](vals)

        def count(name: str) -> float:
            return counts.get(self.prefix + name, 0.0)

        if not fold(self.where, atom, count):
            return None
        if any(unstated(vals.get(f)) for f in self.rule.requires):
            return ("gap", "requires")
        for j, (case, tree) in enumerate(zip(self.rule.cases, self.cases, strict=True)):
            if fold(tree, atom, count):
                return (case.status, f"case {j + 1}")
        return (self.rule.otherwise.status, "otherwise")


def _bind_atoms(tree: BoolTree | None, cond: Condition, out: dict[str, Compare]) -> None:
    """Name the comparison behind each atom of ``tree``, the compiled form of ``cond``.

    The compiler keeps a condition's shape (one node per ``all``/``any``/``not``/``at_least``,
    one atom, constant or count per leaf), so the two are walked side by side.
    """
    if tree is None:
        raise ValueError("a condition compiled to nothing")
    tag = tree[0]
    if tag == "atom" and isinstance(cond, Compare):
        out[tree[1]] = cond
    elif tag in ("all", "any") and isinstance(cond, AllOf | AnyOf):
        kids = cond.all if isinstance(cond, AllOf) else cond.any
        for t, x in zip(tree[1], kids, strict=True):
            _bind_atoms(t, x, out)
    elif tag == "not" and isinstance(cond, NotOf):
        _bind_atoms(tree[1], cond.not_, out)
    elif tag == "atleast" and isinstance(cond, AtLeast):
        for t, x in zip(tree[2], cond.of, strict=True):
            _bind_atoms(t, x, out)
    elif tag not in ("const", "count"):
        raise ValueError(f"compiled condition {tag!r} does not match {type(cond).__name__}")


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


def _opposite(breach: Outcome, compliant: Outcome) -> bool:
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
