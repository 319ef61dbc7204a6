"""Joins: the rules over two facts that relate a rule's primary record to another record.

A classify rule's counts, a deadline rule's fulfilment and its excuse each become one durable_rules
rule over two facts: the primary record (narrowed by the rule's selector) and the other record,
equal on the fields the rule correlates (``same``, ``same_year``, ``match``, ``contains``).
durable_rules joins by equality only; orderings between the two records (``before``) and the full
conditions are decided by the evaluator on the firings. The quirks of durable_rules that shape
these joins are listed in ``engine.rules.backend``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.model.rules import CountSpec, DeadlineRule
from engine.rules.conditions import condition
from engine.rules.program import Atom, CountJoin, ProgramBuilder
from engine.rules.semantics import BoolTree
from engine.rules.typecheck import TEMPORAL, RecordScope, fact_name, whole_number

JOIN_USE = "correlate two records"
JOIN_FIX = "test it in a where condition instead"


def _join_type(t: str) -> str:
    """How the evaluator writes the sentinel of a joined field: ``num`` or ``str``."""
    return "num" if t in ("number", "date", "datetime") else "str"


def left_ref(b: ProgramBuilder, scope: RecordScope, name: str, fact_field: str, typ: str) -> str:
    """The name under which a join references ``fact_field`` (of ``name``) of the left fact.

    The field itself if every fact has it, else a copy that carries a sentinel when the field
    is absent (``Program.left_refs``).
    """
    if scope.always(name):
        return fact_field
    join_field = f"{fact_field}__j"
    b.left_refs.setdefault(scope.kind, {})[join_field] = (fact_field, typ)
    return join_field


# ------------------------------------------------------------------------------------------
# Counts of a classify rule


def count_join(
    b: ProgramBuilder,
    scope: RecordScope,
    cs: CountSpec,
    cptr: str,
    rname: str,
    where: BoolTree | None,
) -> CountJoin:
    """The join rule ``rname`` of one count.

    It relates the counted records to the subject (the primary record of ``scope``, narrowed
    by ``where``).
    """
    b.check_kind(scope.commitment, scope.rule, cs.kind, f"{cptr}/kind")
    cscope = scope.other(cs.kind)
    cw = condition(b, cscope, cs.where, f"{cptr}/where") if cs.where is not None else None
    pattern: list[dict[str, Any]] = [{"kind": cs.kind}]
    for cf, sf in sorted(cs.same.items()):
        cscope.reported(cf, f"{cptr}/same", JOIN_USE, JOIN_FIX)
        scope.reported(sf, f"{cptr}/same", JOIN_USE, JOIN_FIX)
        typ = _join_type(scope.ftype(sf, cptr))
        pattern.append({fact_name(cf): {"s": left_ref(b, scope, sf, scope.fname(sf), typ)}})
    if cs.same_year:
        pattern.append(_same_year(b, scope, cscope, cs.same_year, cptr))
    if cs.before:
        # Ordered comparisons between two facts are made after the join, in the evaluator:
        # durable_rules segfaults when one follows an equality join.
        _check_before(scope, cscope, cs.before, cptr)
    right_kind = cs.kind
    narrow_right = narrow(cs.kind, cw, b.atoms)[1:]
    if cs.contains:
        right_kind, item = contains(b, scope, cscope, cs.contains, pattern, cptr)
        pattern = [{"kind": right_kind}, item, *pattern[1:]]
        # element facts carry only the join fields: the count's where is checked on the
        # listing record's own atoms by the evaluator
        narrow_right = []
    add_join(b, rname, ("s", "c"), scope.kind, where, right_kind, pattern, narrow_right)
    return CountJoin(rname, cs.name, cs.kind, cw, cs.before)


def _same_year(
    b: ProgramBuilder,
    scope: RecordScope,
    cscope: RecordScope,
    same_year: tuple[str, str],
    cptr: str,
) -> dict[str, Any]:
    """The equality of ``same_year``.

    A date or time is joined by its year; a whole-number field is the year.
    """
    cf, sf = same_year
    years: list[str] = []
    for s, x in ((cscope, cf), (scope, sf)):
        t = s.reported(x, f"{cptr}/same_year", JOIN_USE, JOIN_FIX)
        if t in TEMPORAL:
            years.append(f"{s.fname(x)}__year")
        elif t == "number" and x not in s.derived and whole_number(s.kind, x):
            years.append(s.fname(x))
        else:
            raise scope.err(
                f"{cptr}/same_year",
                f"{x!r} is neither a date nor a whole-number year",
                "name date fields or a year field such as for_year",
            )
    ref = left_ref(b, scope, sf, years[1], "num")
    return {years[0]: {"s": ref}}


def _check_before(
    scope: RecordScope, cscope: RecordScope, before: tuple[str, str], cptr: str
) -> None:
    cf, sf = before
    for s, x in ((cscope, cf), (scope, sf)):
        if s.reported(x, f"{cptr}/before", JOIN_USE, JOIN_FIX) not in TEMPORAL:
            raise scope.err(f"{cptr}/before", f"{x!r} is not a date or time", "name date fields")


def contains(
    b: ProgramBuilder,
    scope: RecordScope,
    cscope: RecordScope,
    contains: dict[str, str],
    pattern: list[dict[str, Any]],
    cptr: str,
) -> tuple[str, dict[str, Any]]:
    """A join on "the counted record's list holds the subject's field".

    Returns the element kind and the pattern matching an element with the subject field.

    durable_rules joins only on equality, and cannot test membership of one fact's list
    against another fact's field. So each listing record is also asserted as one *element
    fact* per list item (kind ``KIND#FIELD``, the item under ``_item``, the listing fact's id
    under ``_of`` and copies of the other fields the join compares), and durable_rules joins
    the subject with the elements by equality; the evaluator counts an element as its
    listing record. Matching stays in durable_rules, and lists are short (a calendar's runs,
    an arrangement's members), so the extra facts are few.
    """
    if len(contains) != 1:
        raise scope.err(
            f"{cptr}/contains",
            f"a count can test one list; this one names {len(contains)}",
            "keep one list field under contains (split the count otherwise)",
        )
    ((lf, sf),) = contains.items()
    lt = cscope.reported(lf, f"{cptr}/contains", JOIN_USE, JOIN_FIX)
    if lt != "list":
        raise scope.err(
            f"{cptr}/contains",
            f"{lf!r} ({lt}) is not a list field of {cscope.kind!r}",
            "name a list field of the counted record, e.g. runs; use same for equality",
        )
    st = scope.reported(sf, f"{cptr}/contains", JOIN_USE, JOIN_FIX)
    if st != "str":
        raise scope.err(
            f"{cptr}/contains",
            f"lists hold text; the subject field {sf!r} is {st}",
            "name a text field of the subject, e.g. id",
        )
    element_kind = f"{cscope.kind}#{lf}"
    copies = b.elements.setdefault(element_kind, (cscope.kind, fact_name(lf), set()))[2]
    copies.update(next(iter(p_)) for p_ in pattern[1:])
    ref = left_ref(b, scope, sf, scope.fname(sf), "str")
    return element_kind, {"_item": {"s": ref}}


# ------------------------------------------------------------------------------------------
# Fulfilments and excuses of a deadline rule


def fulfil_join(
    b: ProgramBuilder,
    scope: RecordScope,
    fscope: RecordScope,
    match: Mapping[str, str],
    fptr: str,
    jname: str,
    where: BoolTree | None,
    fulfil_where: BoolTree | None,
) -> None:
    """The join rule ``jname`` of triggers with their fulfilling records.

    Triggers are the records of ``scope`` narrowed by ``where``; fulfilling records those of
    ``fscope`` narrowed by ``fulfil_where``, equal to the trigger on ``match``.
    """
    join = match_pattern(b, scope, fscope, match, f"{fptr}/match", lists=True)
    if not match:
        raise scope.err(
            f"{fptr}/match",
            "no correlation between trigger and fulfilment",
            "add match: {field: trigger_field}",
        )
    fulfil_narrow = narrow(fscope.kind, fulfil_where, b.atoms)[1:]
    add_join(b, jname, ("t", "f"), scope.kind, where, fscope.kind, join, fulfil_narrow)


def excuse(
    b: ProgramBuilder,
    scope: RecordScope,
    rule: DeadlineRule,
    where: BoolTree | None,
    base: str,
    rid: str,
) -> tuple[str, BoolTree | None]:
    """The join of triggers with their excusing records: (join rule name, excuse where).

    Like a fulfilment, an excusing record is matched to the trigger by field equalities, which
    durable_rules joins; the evaluator decides with the matched versions.
    """
    ex = rule.excused_by
    assert ex is not None
    xptr = f"{base}/excused_by"
    b.check_kind(scope.commitment, rule, ex.kind, f"{xptr}/kind")
    xscope = scope.other(ex.kind)
    xwhere = condition(b, xscope, ex.where, f"{xptr}/where") if ex.where is not None else None
    if not ex.match:
        raise scope.err(
            f"{xptr}/match",
            "no correlation between the trigger and the excusing record",
            "add match: {field: trigger_field}",
        )
    join = match_pattern(b, scope, xscope, ex.match, f"{xptr}/match", lists=False)
    xname = f"x_{rid}"
    excuse_narrow = narrow(ex.kind, xwhere, b.atoms)[1:]
    add_join(b, xname, ("t", "f"), scope.kind, where, ex.kind, join, excuse_narrow)
    return xname, xwhere


def match_pattern(
    b: ProgramBuilder,
    scope: RecordScope,
    oscope: RecordScope,
    match: Mapping[str, str],
    pointer: str,
    *,
    lists: bool,
) -> list[dict[str, Any]]:
    """The right-hand pattern of a join on ``match`` ({other field: subject field}).

    The other record's kind, then one equality per pair (fields of one type; ``lists``: lists
    may be matched).
    """
    join: list[dict[str, Any]] = [{"kind": oscope.kind}]
    for of, sf in sorted(match.items()):
        a = oscope.reported(of, pointer, JOIN_USE, JOIN_FIX)
        t = scope.reported(sf, pointer, JOIN_USE, JOIN_FIX)
        if a != t or (a == "list" and not lists):
            raise scope.err(
                pointer,
                f"{of!r} ({a}) is matched with {sf!r} ({t})",
                "match fields of the same type" + ("" if lists else " (not lists)"),
            )
        ref = left_ref(b, scope, sf, scope.fname(sf), _join_type(t))
        join.append({fact_name(of): {"t": ref}})
    return join


# ------------------------------------------------------------------------------------------
# The join rule itself


def add_join(
    b: ProgramBuilder,
    name: str,
    aliases: tuple[str, str],
    primary: str,
    where: BoolTree | None,
    right_kind: str,
    pattern: list[dict[str, Any]],
    filters: list[dict[str, Any]],
) -> None:
    """Register a join rule.

    The subject (``primary`` narrowed by ``where``) is under the first alias; under the
    second, the other record's ``pattern`` (its kind, then one equality with the subject per
    field) and its own ``filters``. The equalities are kept to check each firing against.
    """
    left, other = aliases
    b.join_checks[name] = [(next(iter(p)), next(iter(p.values()))[left]) for p in pattern[1:]]
    b.definition[name] = {
        "all": [
            {left: {"$and": narrow(primary, where, b.atoms)}},
            {other: {"$and": pattern + filters}},
        ],
        "run": name,
    }
    b.join_kinds[name] = (primary, right_kind)


def tree_expr(tree: BoolTree | None, atoms: dict[str, Atom]) -> dict[str, Any] | None:
    """A durable_rules expression implied by the tree (None: no filter), used to narrow joins.

    The evaluator re-checks the full tree on the firings, so a weaker filter is safe; parts that
    durable_rules cannot express (negation, counts, at_least) are left out.
    """
    if tree is None:
        return None
    tag = tree[0]
    if tag == "atom":
        return atoms[tree[1]].expr
    if tag == "all":
        parts = [e for e in (tree_expr(t, atoms) for t in tree[1]) if e is not None]
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else {"$and": parts}
    if tag == "any":
        maybe = [tree_expr(t, atoms) for t in tree[1]]
        if any(p is None for p in maybe):
            return None
        return {"$or": [p for p in maybe if p is not None]}
    return None


def narrow(kind: str, tree: BoolTree | None, atoms: dict[str, Atom]) -> list[dict[str, Any]]:
    """``kind == K`` and the durable form of the tree, for one side of a join.

    On the second pattern of a join, these filters must come after the join equalities:
    durable_rules silently drops a join equality that follows a nested ``$and``/``$or``
    (every pair then fires). The compiler orders them, and the evaluator re-checks every
    equality of every firing (``EngineFault`` on a mismatch).
    """
    expr = tree_expr(tree, atoms)
    return [{"kind": kind}] + ([expr] if expr is not None else [])
