"""Compile commitment rules (data) into a durable_rules ruleset definition.

Every comparison a rule makes against record data becomes an *atom*: a durable_rules rule over
one fact, ``kind == K and <comparison>`` (``engine.rules.conditions``). Correlations (a
notification for this run, earlier inspections this year) become *join* rules over two facts
(``engine.rules.joins``). The boolean structure of conditions (``all``, ``any``, ``not``,
``at_least``) is kept as a small tree that the evaluator folds over the atoms that fired, once all
facts are in, so a verdict never depends on the order facts arrived in and every indicator seen
can be named in the explanation.

The compiler also type-checks rules against the record models (``engine.rules.typecheck``): a
numeric comparison on a text field, or a field no record kind has, is a ``CompileError`` naming
the commitment and the rule. This module compiles each rule by its type (classify, deadline,
periodic) and assembles the ``Program``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date

from engine.errors import CompileError, Problem
from engine.model.commitment import Commitment, TreatyState
from engine.model.rules import (
    ClassifyRule,
    DeadlineRule,
    ParamRef,
    PeriodicRule,
    Rule,
    Selector,
)
from engine.rules.conditions import condition, params_in
from engine.rules.joins import JOIN_FIX, JOIN_USE, count_join, excuse, fulfil_join
from engine.rules.program import (
    Atom,
    CompiledRule,
    DeadlinePlan,
    Program,
    ProgramBuilder,
    offset_amount,
)
from engine.rules.semantics import BoolTree
from engine.rules.typecheck import (
    TEMPORAL,
    VIRTUAL_FIELDS,
    FieldType,
    RecordScope,
    check_arith,
    derived_type,
    fact_name,
    field_types,
    sanitize,
)

AT_USE = "time a fulfilment or a submission"
AT_FIX = "name a date or time field the record reports"

__all__ = [
    "VIRTUAL_FIELDS",
    "CompileError",
    "CompiledRule",
    "DeadlinePlan",
    "FieldType",
    "Program",
    "compile_problems",
    "compile_program",
    "derived_type",
    "fact_name",
    "field_types",
    "offset_amount",
]


def compile_program(
    commitments: list[Commitment], treaty: TreatyState | None, as_of: date
) -> Program:
    """Compile the rules of ``commitments`` (in the given order) into one program.

    Raises:
        CompileError: a rule names an unknown kind, field or parameter, or compares mismatched
            types.
    """
    b = ProgramBuilder(treaty, as_of)
    rules: list[CompiledRule] = []
    for c in commitments:
        for i, r in enumerate(c.rules):
            rules.append(_rule(b, c, r, f"/rules/{i}"))
    return Program(
        b.definition,
        b.atoms,
        rules,
        b.kinds,
        as_of,
        b.join_checks,
        b.left_refs,
        b.join_kinds,
        b.elements,
        _virtual_matched(b.atoms),
    )


def compile_problems(
    commitments: Mapping[str, Commitment],
    paths: Mapping[str, str],
    treaty: TreatyState | None,
) -> list[Problem]:
    """Compile every commitment on its own, so that each error names the right file.

    Returns one problem per commitment that does not compile (its first error), in id order.
    """
    problems = []
    for cid in sorted(commitments):
        try:
            compile_program([commitments[cid]], treaty, date(2000, 1, 1))
        except CompileError as e:
            problems.append(
                Problem(
                    paths.get(cid, cid),
                    f"rule {e.rule}: {e.message}",
                    e.fix,
                    pointer=e.pointer,
                    code="rule",
                )
            )
    return problems


def _virtual_matched(atoms: dict[str, Atom]) -> dict[str, set[str]]:
    """Per kind, the virtual fields its atoms refer to.

    By name or by its ``__day`` form; joins never do (the compiler refuses them there).
    """
    out: dict[str, set[str]] = {}
    for atom in atoms.values():
        text = json.dumps(atom.expr, sort_keys=True)
        for name in VIRTUAL_FIELDS:
            if f'"{name}' in text:
                out.setdefault(atom.kind, set()).add(name)
    return out


# ------------------------------------------------------------------------------------------
# One rule: what every type shares, then one function per type


def _selector(rule: Rule, base: str) -> tuple[Selector, str]:
    """The rule's primary records (subject, trigger or submission) and their pointer."""
    if isinstance(rule, ClassifyRule):
        return rule.subject, f"{base}/subject"
    if isinstance(rule, DeadlineRule):
        return rule.trigger, f"{base}/trigger"
    return rule.submission, f"{base}/submission"


def _rule(b: ProgramBuilder, commitment: Commitment, rule: Rule, base: str) -> CompiledRule:
    sel, sel_ptr = _selector(rule, base)
    primary = sel.kind
    b.check_kind(commitment, rule, primary, f"{sel_ptr}/kind")
    rid = sanitize(rule.id)
    derived = {name: f"_x_{rid}_{name}" for name in rule.derive}
    scope = RecordScope(commitment, rule, primary, b.treaty, b.as_of, primary=True, derived=derived)
    _check_derive(scope, base)
    _check_requires(scope, base)
    _check_scope(scope, base)
    where = condition(b, scope, sel.where, f"{sel_ptr}/where") if sel.where is not None else None
    cr = CompiledRule(rule, commitment, primary, where, dict(rule.derive), derived, {})
    cr.where_params = params_in(sel.where)
    if isinstance(rule, ClassifyRule):
        _classify(b, scope, rule, cr, base, rid)
    elif isinstance(rule, DeadlineRule):
        _deadline(b, scope, rule, cr, base, rid)
    else:
        assert isinstance(rule, PeriodicRule)
        _periodic(scope, rule, base)
    cr.param_fields = dict(scope.param_fields)
    return cr


def _check_derive(scope: RecordScope, base: str) -> None:
    """Check derived values: not named like a virtual field, arithmetic over the primary record."""
    for name, ar in scope.rule.derive.items():
        if name in VIRTUAL_FIELDS:
            raise scope.err(
                f"{base}/derive/{name}",
                f"{name!r} is a virtual field of every record",
                "give the derived value another name",
            )
        check_arith(scope, ar, f"{base}/derive/{name}")


def _check_requires(scope: RecordScope, base: str) -> None:
    for i, req in enumerate(scope.rule.requires):
        scope.reported(
            req,
            f"{base}/requires/{i}",
            "be missing",
            "remove it from requires: it is always known",
        )


def _check_scope(scope: RecordScope, base: str) -> None:
    """The fields that date the primary record (GEN-1) are dates or times."""
    if scope.rule.scope is None:
        return
    for attr in ("event", "start", "end"):
        name = getattr(scope.rule.scope, attr)
        if name is not None and scope.ftype(name, f"{base}/scope/{attr}") not in TEMPORAL:
            raise scope.err(
                f"{base}/scope/{attr}",
                f"{name!r} is not a date or time field",
                "name a date field",
            )


def _classify(
    b: ProgramBuilder,
    scope: RecordScope,
    rule: ClassifyRule,
    cr: CompiledRule,
    base: str,
    rid: str,
) -> None:
    """A classify rule: one join per count, then the cases (which may compare the counts)."""
    names = {c.name for c in rule.counts}
    for j, cs in enumerate(rule.counts):
        cr.counts.append(count_join(b, scope, cs, f"{base}/counts/{j}", f"c_{rid}_{j}", cr.where))
    for j, case in enumerate(rule.cases):
        cr.cases.append(condition(b, scope, case.when, f"{base}/cases/{j}/when", names))
        cr.case_params.append(params_in(case.when))


def _deadline(
    b: ProgramBuilder,
    scope: RecordScope,
    rule: DeadlineRule,
    cr: CompiledRule,
    base: str,
    rid: str,
) -> None:
    """A deadline rule: its fulfilment join, its excuse join (if any) and its deadlines."""
    fptr = f"{base}/fulfil"
    b.check_kind(scope.commitment, rule, rule.fulfil.kind, f"{fptr}/kind")
    fscope = scope.other(rule.fulfil.kind)
    at_t = fscope.reported(rule.fulfil.at, f"{fptr}/at", AT_USE, AT_FIX)
    if at_t not in TEMPORAL:
        raise scope.err(
            f"{fptr}/at",
            f"{rule.fulfil.at!r} is not a date or time field",
            "name a date field",
        )
    if rule.fulfil.where is not None:
        cr.fulfil_where = condition(b, fscope, rule.fulfil.where, f"{fptr}/where")
    jname = f"j_{rid}"
    fulfil_join(b, scope, fscope, rule.fulfil.match, fptr, jname, cr.where, cr.fulfil_where)
    cr.join_rule = jname
    if rule.excused_by is not None:
        cr.excuse_rule, cr.excuse_where = excuse(b, scope, rule, cr.where, base, rid)
    for k in range(len(rule.deadlines)):
        cr.deadlines.append(_deadline_plan(b, scope, rule, base, rid, k))


def _deadline_plan(
    b: ProgramBuilder, scope: RecordScope, rule: DeadlineRule, base: str, rid: str, k: int
) -> DeadlinePlan:
    dl = rule.deadlines[k]
    dptr = f"{base}/deadlines/{k}"
    at: FieldType = scope.ftype(dl.anchor, f"{dptr}/anchor")
    if at not in TEMPORAL:
        raise scope.err(
            f"{dptr}/anchor",
            f"{dl.anchor!r} is not a date or time field",
            "name a date field",
        )
    if isinstance(dl.offset.amount, ParamRef):
        scope.parameter(dl.offset.amount, f"{dptr}/offset/amount")
    when: BoolTree | None = None
    if dl.when is not None:
        when = condition(b, scope, dl.when, f"{dptr}/when")
    return DeadlinePlan(dl.anchor, dl.offset.amount, dl.offset.unit, dl.direction, when, dl.label)


def _periodic(scope: RecordScope, rule: PeriodicRule, base: str) -> None:
    """A periodic rule: its submission is timed by a date or time, its cycle is a year."""
    t = scope.reported(rule.at, f"{base}/at", AT_USE, AT_FIX)
    if t not in TEMPORAL:
        raise scope.err(
            f"{base}/at", f"{rule.at!r} is not a date or time field", "name a date field"
        )
    if (
        rule.cycle_field is not None
        and scope.reported(rule.cycle_field, f"{base}/cycle_field", JOIN_USE, JOIN_FIX) != "number"
    ):
        raise scope.err(
            f"{base}/cycle_field",
            f"{rule.cycle_field!r} is not a year number",
            "name an integer year field",
        )
    if isinstance(rule.schedule.months, ParamRef):
        scope.parameter(rule.schedule.months, f"{base}/schedule/months")
