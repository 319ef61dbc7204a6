"""The compiled form of commitments: the program the evaluator runs, and the builder that makes it.

A ``Program`` is a durable_rules ruleset definition (atoms over one fact, joins over two) plus,
per rule, a ``CompiledRule``: the boolean trees over those atoms, the counts, fulfilments and
excuses joined to the rule's primary record, and the deadlines to compute. ``ProgramBuilder``
accumulates the definition while the rules are compiled (``engine.rules.compile``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from engine.errors import CompileError
from engine.model.commitment import Commitment, Parameter, TreatyState
from engine.model.records import RECORD_MODELS
from engine.model.rules import Arith, ParamRef, Rule
from engine.rules.semantics import BoolTree


@dataclass
class Atom:
    """One comparison on one record kind: the durable rule ``kind == K and expr``."""

    name: str
    kind: str
    expr: dict[str, Any]
    label: str


@dataclass
class CountJoin:
    """A count of a classify rule: the join rule relating counted records to the subject."""

    rule_name: str
    name: str
    kind: str
    where: BoolTree | None
    before: tuple[str, str] | None = None


@dataclass
class DeadlinePlan:
    """One candidate deadline of a deadline rule, computed by the evaluator per trigger."""

    anchor: str  # record field (or derived name)
    amount: int | ParamRef
    unit: str
    direction: str
    when: BoolTree | None
    label: str


@dataclass
class CompiledRule:
    """One rule compiled: its trees over atoms, its joins and its deadlines."""

    rule: Rule
    commitment: Commitment
    primary_kind: str
    where: BoolTree | None
    derive: dict[str, Arith]
    derived_fields: dict[str, str]  # derived name -> fact field
    param_fields: dict[str, str]  # param name -> fact field (versioned params)
    cases: list[BoolTree] = field(default_factory=list)
    counts: list[CountJoin] = field(default_factory=list)
    join_rule: str | None = None
    fulfil_where: BoolTree | None = None
    excuse_rule: str | None = None
    """Deadline rules with ``excused_by``: the join of triggers with excusing records."""
    excuse_where: BoolTree | None = None
    deadlines: list[DeadlinePlan] = field(default_factory=list)
    case_params: list[set[str]] = field(default_factory=list)
    """For classify rules: the parameters each case's condition reads."""
    where_params: set[str] = field(default_factory=set)
    """Parameters the selector's condition reads: if one is not in force for a record, the
    record cannot be ruled out, so it is judged gap(insufficient_detail)."""


@dataclass
class Program:
    """The compiled form of a set of commitments, ready for durable_rules."""

    definition: dict[str, dict[str, Any]]
    atoms: dict[str, Atom]
    rules: list[CompiledRule]
    kinds: set[str]
    as_of: date
    join_checks: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    """join rule -> [(right fact field, left fact field)] equalities, re-checked on firings."""
    left_refs: dict[str, dict[str, tuple[str, str]]] = field(default_factory=dict)
    """kind -> {join field: (fact field, "str" or "num")}: fields referenced from the other side
    of a join. durable_rules raises error 311 (not a non-match) when such a field is absent, so
    facts carry a copy of the field under the join field's own name, or a sentinel when it is
    absent; the field itself stays absent, so that atoms (exists, ne, ...) still see it absent."""
    join_kinds: dict[str, tuple[str, str]] = field(default_factory=dict)
    """join rule -> (left kind, right kind). durable_rules never binds one fact to both patterns
    of a rule, so when the kinds are equal the evaluator adds the record's pair with itself."""
    elements: dict[str, tuple[str, str, set[str]]] = field(default_factory=dict)
    """element kind -> (listing kind, list fact field, fact fields copied): for ``contains``
    joins, every fact of the listing kind is also asserted as one element fact per list item."""
    virtual_matched: dict[str, set[str]] = field(default_factory=dict)
    """kind -> virtual fields its atoms match on: only these are put into that kind's facts (the
    others are read in Python only: derive, anchors, scopes, explanations)."""


class ProgramBuilder:
    """The parts of a ``Program`` as the rules are compiled, in compilation order.

    Atoms are shared: the same comparison on the same kind, wherever it appears, is one atom,
    named ``a1``, ``a2``, ... in order of first use.
    """

    def __init__(self, treaty: TreatyState | None, as_of: date) -> None:
        """An empty program, for rules read with ``treaty``'s parameters on ``as_of``."""
        self.treaty = treaty
        self.as_of = as_of
        self.atoms: dict[str, Atom] = {}
        self.atom_by_key: dict[str, str] = {}
        self.definition: dict[str, dict[str, Any]] = {}
        self.kinds: set[str] = set()
        self.left_refs: dict[str, dict[str, tuple[str, str]]] = {}
        self.join_kinds: dict[str, tuple[str, str]] = {}
        self.join_checks: dict[str, list[tuple[str, str]]] = {}
        self.elements: dict[str, tuple[str, str, set[str]]] = {}

    def atom(self, kind: str, expr: dict[str, Any], label: str) -> BoolTree:
        """The tree of one atom: ``expr`` on records of ``kind``, registered on first use."""
        key = json.dumps([kind, expr], sort_keys=True)
        name = self.atom_by_key.get(key)
        if name is None:
            name = f"a{len(self.atom_by_key) + 1}"
            self.atom_by_key[key] = name
            self.atoms[name] = Atom(name, kind, expr, label)
            self.definition[name] = {
                "all": [{"m": {"$and": [{"kind": kind}, expr]}}],
                "run": name,
            }
            self.kinds.add(kind)
        return ("atom", name)

    def check_kind(self, commitment: Commitment, rule: Rule, kind: str, pointer: str) -> None:
        """Refuse an unknown record kind; note a known one as used."""
        if kind not in RECORD_MODELS:
            raise CompileError(
                commitment.id,
                rule.id,
                pointer,
                f"unknown record kind {kind!r}",
                "use one of: " + ", ".join(sorted(RECORD_MODELS)),
            )
        self.kinds.add(kind)


def offset_amount(
    plan_amount: int | ParamRef, params: dict[str, Parameter], treaty: TreatyState | None, day: date
) -> int | None:
    """The offset of a deadline, with a parameter resolved on ``day``."""
    if isinstance(plan_amount, int):
        return plan_amount
    p = params.get(plan_amount.param)
    if p is None and treaty is not None:
        p = treaty.parameters.get(plan_amount.param)
    if p is None:
        return None
    v = p.value_on(day)
    if isinstance(v, bool) or not isinstance(v, int | float):
        return None
    return int(v)
