"""Compile commitment rules (data) into a durable_rules ruleset definition.

Every comparison a rule makes against record data becomes an *atom*: a durable_rules rule over
one fact, ``kind == K and <comparison>``. Correlations (a notification for this run, earlier
inspections this year) become *join* rules over two facts. The boolean structure of conditions
(``all``, ``any``, ``not``, ``at_least``) is kept as a small tree that the evaluator folds over the
atoms that fired, once all facts are in, so a verdict never depends on the order facts arrived
in and every indicator seen can be named in the explanation.

The compiler also type-checks rules against the record models: a numeric comparison on a text
field, or a field no record kind has, is a ``CompileError`` naming the commitment and the rule.
"""

from __future__ import annotations

import json
import re
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from types import MappingProxyType, NoneType, UnionType
from typing import Any, Literal

from engine.errors import CompileError, Problem
from engine.model.commitment import Commitment, Parameter, TreatyState
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
    DeadlineRule,
    FieldRef,
    NotOf,
    Offset,
    ParamRef,
    PeriodicRule,
    Rule,
)
from engine.rules.semantics import BoolTree

FieldType = Literal["date", "datetime", "number", "bool", "str", "list"]
TEMPORAL = ("date", "datetime")


def _classify_annotation(ann: Any) -> FieldType:
    origin = typing.get_origin(ann)
    if origin in (typing.Union, UnionType):
        args = [a for a in typing.get_args(ann) if a is not NoneType]
        return _classify_annotation(args[0])
    if origin is typing.Annotated:
        return _classify_annotation(typing.get_args(ann)[0])
    if origin is Literal:
        vals = typing.get_args(ann)
        return "bool" if all(isinstance(v, bool) for v in vals) else "str"
    if origin in (list, tuple):
        return "list"
    if ann is bool:
        return "bool"
    if ann in (int, float):
        return "number"
    if ann is date:
        return "date"
    if ann is datetime or getattr(ann, "__name__", "") == "AwareDatetime":
        return "datetime"
    if typing.get_origin(ann) is None and str(ann).endswith("AwareDatetime"):
        return "datetime"
    return "str"


VIRTUAL_FIELDS: dict[str, FieldType] = {
    "party_entry_into_force": "date",
    "reported_by": "list",
    "evidence_levels": "list",
}
"""Fields every record has without any report stating them (docs/rules.md section 3): facts about
the subject party and about the reports, read like reported fields in conditions, ``derive``,
deadline anchors and scopes. They are not reported, so they cannot correlate two records (joins),
time a fulfilment or a submission, or be ``requires``-d."""


@cache
@cache
def field_types(kind: str) -> Mapping[str, FieldType]:
    """Field name -> type for a record kind, read from its model (once per kind)."""
    model = RECORD_MODELS[kind]
    return MappingProxyType(
        {
            name: _classify_annotation(info.annotation)
            for name, info in model.model_fields.items()
            if name not in ("kind", "note")
        }
    )


def fact_name(name: str) -> str:
    """Name of a record field inside a durable_rules fact (``id`` is reserved there)."""
    return "_rid" if name == "id" else name


# ------------------------------------------------------------------------------------------
# Boolean trees over atoms


@dataclass
class Atom:
    name: str
    kind: str
    expr: dict[str, Any]
    label: str


@dataclass
class CountJoin:
    rule_name: str
    name: str
    kind: str
    where: BoolTree | None
    before: tuple[str, str] | None = None


@dataclass
class DeadlinePlan:
    anchor: str  # record field (or derived name)
    anchor_type: FieldType
    amount: int | ParamRef
    unit: str
    direction: str
    when: BoolTree | None
    label: str
    due_field: str  # name of the due point in explanations and traces


@dataclass
class CompiledRule:
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
    uses_params_missing: set[str] = field(default_factory=set)
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


JOIN_USE = "correlate two records"
JOIN_FIX = "test it in a where condition instead"
AT_USE = "time a fulfilment or a submission"
AT_FIX = "name a date or time field the record reports"


def _sanitize(rule_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9]", "_", rule_id)


class _Ctx:
    """Compilation context for conditions on one record kind within one rule."""

    def __init__(
        self,
        comp: _Compiler,
        commitment: Commitment,
        rule: Rule,
        kind: str,
        pointer: str,
        primary: bool,
        derived: dict[str, str] | None = None,
    ) -> None:
        self.comp = comp
        self.commitment = commitment
        self.rule = rule
        self.kind = kind
        self.pointer = pointer
        self.primary = primary
        self.derived = derived or {}
        self.derived_types: dict[str, FieldType] = {}
        if primary:
            for dname, ar in rule.derive.items():
                self.derived_types[dname] = derived_type(ar, kind, self.derived_types)

    def err(self, pointer: str, message: str, fix: str) -> CompileError:
        return CompileError(self.commitment.id, self.rule.id, pointer, message, fix)

    def ftype(self, name: str, pointer: str) -> FieldType:
        if name in self.derived:
            return self.derived_types.get(name, "number")
        if name in VIRTUAL_FIELDS:
            return VIRTUAL_FIELDS[name]
        types = field_types(self.kind)
        if name == "id":
            return "str"
        if name not in types:
            raise self.err(
                pointer,
                f"record kind {self.kind!r} has no field {name!r}",
                "use one of: " + ", ".join(sorted([*types, *VIRTUAL_FIELDS])),
            )
        return types[name]

    def reported(self, name: str, pointer: str, use: str, fix: str) -> FieldType:
        """The type of a field that must be reported on the record (not a virtual field)."""
        if name in VIRTUAL_FIELDS and name not in self.derived:
            raise self.err(pointer, f"{name!r} is not reported on a record: it cannot {use}", fix)
        return self.ftype(name, pointer)

    def fname(self, name: str) -> str:
        return self.derived.get(name, fact_name(name))

    def always(self, name: str) -> bool:
        """Whether every fact of this kind has the field: the id, a required field or one with
        a default (a derived value may be absent)."""
        if name == "id":
            return True
        if name in self.derived or name in VIRTUAL_FIELDS:
            return False
        info = RECORD_MODELS[self.kind].model_fields.get(name)
        if info is None:
            return False
        return info.is_required() or info.get_default(call_default_factory=True) is not None


class _Compiler:
    def __init__(self, treaty: TreatyState | None, as_of: date) -> None:
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

    def left_ref(self, ctx: _Ctx, name: str, fact_field: str, typ: str) -> str:
        """The name under which a join references ``fact_field`` (of the field ``name``) of the
        left fact: the field itself if every fact has it, else a copy that carries a sentinel
        when the field is absent (``Program.left_refs``)."""
        if ctx.always(name):
            return fact_field
        join_field = f"{fact_field}__j"
        self.left_refs.setdefault(ctx.kind, {})[join_field] = (fact_field, typ)
        return join_field

    # -- parameters -------------------------------------------------------------------------

    def param(self, ctx: _Ctx, ref: ParamRef, pointer: str) -> Parameter:
        p = ctx.commitment.parameters.get(ref.param)
        if p is None and self.treaty is not None:
            p = self.treaty.parameters.get(ref.param)
        if p is None:
            raise ctx.err(
                pointer,
                f"unknown parameter {ref.param!r}",
                "define it under 'parameters' of the commitment or the treaty",
            )
        return p

    def param_operand(self, ctx: _Ctx, ref: ParamRef, pointer: str, want: FieldType) -> Any:
        """A parameter as a durable operand: a constant, or a per-fact field if versioned."""
        p = self.param(ctx, ref, pointer)
        if p.versions and ctx.primary:
            fieldname = f"_p_{_sanitize(ctx.rule.id)}_{ref.param}"
            ctx.comp_rule_params[ref.param] = fieldname  # type: ignore[attr-defined]
            return {"$m": fieldname}
        value = p.value_on(self.as_of)
        if value is None:
            return _NO_VALUE
        return self.literal(ctx, value, pointer, want)

    def literal(self, ctx: _Ctx, value: Any, pointer: str, want: FieldType) -> Any:
        if isinstance(value, bool):
            if want != "bool":
                raise ctx.err(
                    pointer,
                    f"true/false compared with a {want} field",
                    "compare with a value of the field's type",
                )
            return value
        if isinstance(value, int | float):
            if want not in ("number",):
                raise ctx.err(
                    pointer,
                    f"a number compared with a {want} field",
                    "compare with a value of the field's type",
                )
            return float(value)
        if isinstance(value, str):
            if want == "date":
                try:
                    return float((date.fromisoformat(value) - date(1970, 1, 1)).days)
                except ValueError:
                    raise ctx.err(pointer, f"{value!r} is not a date", "write YYYY-MM-DD") from None
            if want == "datetime":
                try:
                    ts = datetime.fromisoformat(value)
                except ValueError:
                    raise ctx.err(
                        pointer, f"{value!r} is not a timestamp", "write an ISO timestamp with zone"
                    ) from None
                if ts.tzinfo is None:
                    raise ctx.err(pointer, f"{value!r} has no time zone", "add Z or an offset")
                return float(int(ts.timestamp()))
            if want not in ("str", "list"):
                raise ctx.err(
                    pointer,
                    f"text compared with a {want} field",
                    "compare with a value of the field's type",
                )
            return value
        if isinstance(value, list):
            return [self.literal(ctx, v, pointer, "str") for v in value]
        raise ctx.err(pointer, f"unsupported value {value!r}", "use a number, text, date or list")

    # -- operands and atoms -----------------------------------------------------------------

    def operand(self, ctx: _Ctx, op: Any, pointer: str, want: FieldType, refs: list[str]) -> Any:
        if isinstance(op, ParamRef):
            value = self.param_operand(ctx, op, pointer, want)
            if isinstance(value, dict) and "$m" in value:
                # durable_rules does not treat a missing "$m" property as a non-match
                refs.append(value["$m"])
            return value
        if isinstance(op, FieldRef):
            t = ctx.ftype(op.field, pointer)
            if want in TEMPORAL and t in TEMPORAL and t != want:
                name = fact_name(op.field) + "__day"
                refs.append(name)
                return {"$m": name}
            if t != want:
                raise ctx.err(
                    pointer,
                    f"field {op.field!r} ({t}) compared with a {want} field",
                    "compare fields of the same type",
                )
            refs.append(ctx.fname(op.field))
            return {"$m": ctx.fname(op.field)}
        if isinstance(op, Arith):
            if op.op not in ("add", "sub", "mul", "div"):
                raise ctx.err(
                    pointer,
                    f"'{op.op}' cannot be used inside a comparison",
                    "compute it under 'derive' and compare the derived field",
                )
            args = [
                self.operand(
                    ctx, a, f"{pointer}/args/{i}", "number" if want not in TEMPORAL else want, refs
                )
                for i, a in enumerate(op.args)
            ]
            acc = args[0]
            key = {"add": "$add", "sub": "$sub", "mul": "$mul", "div": "$div"}[op.op]
            for a in args[1:]:
                acc = {key: {"$l": acc, "$r": a}}
            return acc
        return self.literal(ctx, op, pointer, want)

    def atom(self, ctx: _Ctx, expr: dict[str, Any], label: str) -> BoolTree:
        key = json.dumps([ctx.kind, expr], sort_keys=True)
        name = self.atom_by_key.get(key)
        if name is None:
            name = f"a{len(self.atom_by_key) + 1}"
            self.atom_by_key[key] = name
            self.atoms[name] = Atom(name, ctx.kind, expr, label)
            self.definition[name] = {
                "all": [{"m": {"$and": [{"kind": ctx.kind}, expr]}}],
                "run": name,
            }
            self.kinds.add(ctx.kind)
        return ("atom", name)

    def compare(self, ctx: _Ctx, c: Compare, pointer: str) -> BoolTree:
        t = ctx.ftype(c.field, f"{pointer}/field")
        f = ctx.fname(c.field)
        ex = {"$ex": {f: 1}}
        label = _label(c)
        vp = f"{pointer}/value"
        if c.op == "exists":
            return self.atom(ctx, ex, label)
        if c.op == "absent":
            return self.atom(ctx, {"$nex": {f: 1}}, label)
        if c.op in ("contains", "contains_all", "contains_any"):
            if t != "list":
                raise ctx.err(
                    f"{pointer}/op",
                    f"'{c.op}' needs a list field; {c.field!r} is {t}",
                    "use eq or in",
                )
            vals = self.operand(ctx, c.value, vp, "list", [])
            if vals is _NO_VALUE:
                return ("const", False)
            if c.op == "contains":
                if isinstance(vals, list):
                    raise ctx.err(
                        vp,
                        "'contains' takes one value",
                        "use contains_all or contains_any for several",
                    )
                return self.atom(ctx, {"$iany": {f: {"$i": vals}}}, label)
            if not isinstance(vals, list):
                vals = [vals]
            if not vals:
                return ("const", c.op == "contains_all")
            parts = [{"$iany": {f: {"$i": v}}} for v in vals]
            return self.atom(ctx, {"$and" if c.op == "contains_all" else "$or": parts}, label)
        if c.op in ("in", "not_in"):
            if t == "list":
                raise ctx.err(
                    f"{pointer}/op", f"'{c.op}' on the list field {c.field!r}", "use contains_any"
                )
            vals = self.operand(ctx, c.value, vp, "list" if t == "str" else t, [])
            if vals is _NO_VALUE:
                return ("const", False)
            if not isinstance(vals, list):
                vals = [vals]
            if not vals:
                return ("const", False) if c.op == "in" else self.atom(ctx, ex, label)
            if c.op == "in":
                return self.atom(ctx, {"$and": [ex, {"$or": [{f: v} for v in vals]}]}, label)
            return self.atom(ctx, {"$and": [ex] + [{"$neq": {f: v}} for v in vals]}, label)
        op = c.op
        if op in ("meets", "below"):
            assert isinstance(c.value, ParamRef)
            p = self.param(ctx, c.value, vp)
            if p.comparison is None:
                raise ctx.err(
                    vp,
                    f"parameter {c.value.param!r} has no strict/inclusive choice",
                    "add comparison: strict or inclusive to the parameter",
                )
            strict = p.comparison == "strict"
            op = ("gt" if strict else "ge") if op == "meets" else ("le" if strict else "lt")
        if op in ("gt", "ge", "lt", "le") and t not in ("number", "date", "datetime"):
            raise ctx.err(
                f"{pointer}/op",
                f"'{c.op}' needs a number, date or time; {c.field!r} is {t}",
                "use eq, ne or in",
            )
        if t == "list":
            raise ctx.err(
                f"{pointer}/op", f"'{c.op}' on the list field {c.field!r}", "use contains"
            )
        refs: list[str] = []
        if t in TEMPORAL and isinstance(c.value, FieldRef) and c.value.field not in ctx.derived:
            other = ctx.ftype(c.value.field, vp)
            if other in TEMPORAL and other != t:
                # a timestamp compared with a date: both as UTC days (docs/rules.md section 3)
                rhs_day = fact_name(c.value.field) + "__day"
                f = fact_name(c.field) + "__day" if c.field not in ctx.derived else f
                both: list[dict[str, Any]] = [{"$ex": {f: 1}}, {"$ex": {rhs_day: 1}}]
                op_ = {
                    "eq": None,
                    "ne": "$neq",
                    "gt": "$gt",
                    "ge": "$gte",
                    "lt": "$lt",
                    "le": "$lte",
                }.get(op)
                if op in ("eq", "ne", "gt", "ge", "lt", "le"):
                    cmp_ = {f: {"$m": rhs_day}} if op_ is None else {op_: {f: {"$m": rhs_day}}}
                    return self.atom(ctx, {"$and": both + [cmp_]}, label)
        if t == "datetime" and _is_date_only(c.value, ctx, self):
            # a timestamp compared with a date is taken as its UTC day (docs/rules.md section 3)
            t, f = "date", f + "__day"
            ex = {"$ex": {f: 1}}
        rhs = self.operand(ctx, c.value, vp, t, refs)
        if rhs is _NO_VALUE or _contains_no_value(rhs):
            return ("const", False)
        if isinstance(rhs, list):
            raise ctx.err(vp, "a list cannot be compared with eq/ne", "use in or not_in")
        durable_op = {
            "eq": None,
            "ne": "$neq",
            "gt": "$gt",
            "ge": "$gte",
            "lt": "$lt",
            "le": "$lte",
        }[op]
        cmp = {f: rhs} if durable_op is None else {durable_op: {f: rhs}}
        parts = [ex] + [{"$ex": {r: 1}} for r in refs] + [cmp]
        return self.atom(ctx, {"$and": parts}, label)

    def cond(
        self, ctx: _Ctx, c: Condition, pointer: str, counts: set[str] | None = None
    ) -> BoolTree:
        if isinstance(c, Compare):
            return self.compare(ctx, c, pointer)
        if isinstance(c, CountCompare):
            if counts is None or c.count not in counts:
                raise ctx.err(
                    f"{pointer}/count",
                    f"unknown count {c.count!r}",
                    "declare it under the rule's 'counts'",
                )
            val: Any = c.value
            if isinstance(val, ParamRef):
                p = self.param(ctx, val, f"{pointer}/value")
                val = p.value_on(self.as_of)
                if not isinstance(val, int | float) or isinstance(val, bool):
                    raise ctx.err(
                        f"{pointer}/value",
                        "a count is compared with a non-number",
                        "use a number parameter",
                    )
            return ("count", c.count, c.op, float(val))
        if isinstance(c, AllOf):
            return (
                "all",
                [self.cond(ctx, x, f"{pointer}/all/{i}", counts) for i, x in enumerate(c.all)],
            )
        if isinstance(c, AnyOf):
            return (
                "any",
                [self.cond(ctx, x, f"{pointer}/any/{i}", counts) for i, x in enumerate(c.any)],
            )
        if isinstance(c, NotOf):
            return ("not", self.cond(ctx, c.not_, f"{pointer}/not", counts))
        if isinstance(c, AtLeast):
            if c.at_least > len(c.of):
                raise ctx.err(
                    f"{pointer}/at_least",
                    f"at least {c.at_least} of {len(c.of)} indicators can never hold",
                    "lower at_least",
                )
            kids = [self.cond(ctx, x, f"{pointer}/of/{i}", counts) for i, x in enumerate(c.of)]
            return ("atleast", c.at_least, kids, [_cond_label(x) for x in c.of])
        raise ctx.err(pointer, "unknown condition", "see docs/rules.md")

    # -- rules ------------------------------------------------------------------------------

    def check_kind(self, commitment: Commitment, rule: Rule, kind: str, pointer: str) -> None:
        if kind not in RECORD_MODELS:
            raise CompileError(
                commitment.id,
                rule.id,
                pointer,
                f"unknown record kind {kind!r}",
                "use one of: " + ", ".join(sorted(RECORD_MODELS)),
            )
        self.kinds.add(kind)

    def rule(self, commitment: Commitment, rule: Rule, idx: int, base: str) -> CompiledRule:
        if isinstance(rule, ClassifyRule):
            primary = rule.subject.kind
            sel = rule.subject
            sel_ptr = f"{base}/subject"
        elif isinstance(rule, DeadlineRule):
            primary = rule.trigger.kind
            sel = rule.trigger
            sel_ptr = f"{base}/trigger"
        else:
            primary = rule.submission.kind
            sel = rule.submission
            sel_ptr = f"{base}/submission"
        self.check_kind(commitment, rule, primary, f"{sel_ptr}/kind")
        rid = _sanitize(rule.id)
        derived = {name: f"_x_{rid}_{name}" for name in rule.derive}
        ctx = _Ctx(self, commitment, rule, primary, base, True, derived)
        ctx.comp_rule_params = {}  # type: ignore[attr-defined]
        # derived expressions may reference only fields of the primary record
        for name, ar in rule.derive.items():
            if name in VIRTUAL_FIELDS:
                raise ctx.err(
                    f"{base}/derive/{name}",
                    f"{name!r} is a virtual field of every record",
                    "give the derived value another name",
                )
            self._check_arith(ctx, ar, f"{base}/derive/{name}")
        for i, req in enumerate(rule.requires):
            ctx.reported(
                req,
                f"{base}/requires/{i}",
                "be missing",
                "remove it from requires: it is always known",
            )
        if rule.scope is not None:
            for attr in ("event", "start", "end"):
                name = getattr(rule.scope, attr)
                if name is not None and ctx.ftype(name, f"{base}/scope/{attr}") not in TEMPORAL:
                    raise ctx.err(
                        f"{base}/scope/{attr}",
                        f"{name!r} is not a date or time field",
                        "name a date field",
                    )
        where = self.cond(ctx, sel.where, f"{sel_ptr}/where") if sel.where is not None else None
        cr = CompiledRule(rule, commitment, primary, where, dict(rule.derive), derived, {})
        cr.where_params = _params_in(sel.where)
        if isinstance(rule, ClassifyRule):
            names = {c.name for c in rule.counts}
            for j, cs in enumerate(rule.counts):
                cptr = f"{base}/counts/{j}"
                self.check_kind(commitment, rule, cs.kind, f"{cptr}/kind")
                cctx = _Ctx(self, commitment, rule, cs.kind, cptr, False)
                cw = self.cond(cctx, cs.where, f"{cptr}/where") if cs.where is not None else None
                pattern: list[dict[str, Any]] = [{"kind": cs.kind}]
                for cf, sf in sorted(cs.same.items()):
                    cctx.reported(cf, f"{cptr}/same", JOIN_USE, JOIN_FIX)
                    ctx.reported(sf, f"{cptr}/same", JOIN_USE, JOIN_FIX)
                    ref = self.left_ref(
                        ctx,
                        sf,
                        ctx.fname(sf),
                        "num" if ctx.ftype(sf, cptr) in ("number", "date", "datetime") else "str",
                    )
                    pattern.append({fact_name(cf): {"s": ref}})
                if cs.same_year:
                    cf, sf = cs.same_year
                    # A date or time is joined by its year; a whole-number field is the year.
                    years: list[str] = []
                    for c_, x in ((cctx, cf), (ctx, sf)):
                        t = c_.reported(x, f"{cptr}/same_year", JOIN_USE, JOIN_FIX)
                        if t in TEMPORAL:
                            years.append(f"{c_.fname(x)}__year")
                        elif t == "number" and x not in c_.derived and _whole(c_.kind, x):
                            years.append(c_.fname(x))
                        else:
                            raise ctx.err(
                                f"{cptr}/same_year",
                                f"{x!r} is neither a date nor a whole-number year",
                                "name date fields or a year field such as for_year",
                            )
                    ref = self.left_ref(ctx, sf, years[1], "num")
                    pattern.append({years[0]: {"s": ref}})
                if cs.before:
                    # Ordered comparisons between two facts are made after the join, in the
                    # evaluator: durable_rules segfaults when one follows an equality join.
                    cf, sf = cs.before
                    for c_, x in ((cctx, cf), (ctx, sf)):
                        if c_.reported(x, f"{cptr}/before", JOIN_USE, JOIN_FIX) not in TEMPORAL:
                            raise ctx.err(
                                f"{cptr}/before", f"{x!r} is not a date or time", "name date fields"
                            )
                right_kind = cs.kind
                narrow_right = _narrow(cs.kind, cw, self.atoms)[1:]
                if cs.contains:
                    right_kind, item = self.contains(ctx, cctx, cs.contains, pattern, cptr)
                    pattern = [{"kind": right_kind}, item, *pattern[1:]]
                    # element facts carry only the join fields: the count's where is checked on
                    # the listing record's own atoms by the evaluator
                    narrow_right = []
                rname = f"c_{rid}_{j}"
                self.add_join(rname, ("s", "c"), primary, where, right_kind, pattern, narrow_right)
                cr.counts.append(CountJoin(rname, cs.name, cs.kind, cw, cs.before))
            for j, case in enumerate(rule.cases):
                cr.cases.append(self.cond(ctx, case.when, f"{base}/cases/{j}/when", names))
                cr.case_params.append(_params_in(case.when))
        elif isinstance(rule, DeadlineRule):
            fptr = f"{base}/fulfil"
            self.check_kind(commitment, rule, rule.fulfil.kind, f"{fptr}/kind")
            fctx = _Ctx(self, commitment, rule, rule.fulfil.kind, fptr, False)
            at_t = fctx.reported(rule.fulfil.at, f"{fptr}/at", AT_USE, AT_FIX)
            if at_t not in TEMPORAL:
                raise ctx.err(
                    f"{fptr}/at",
                    f"{rule.fulfil.at!r} is not a date or time field",
                    "name a date field",
                )
            cr.fulfil_where = (
                self.cond(fctx, rule.fulfil.where, f"{fptr}/where")
                if rule.fulfil.where is not None
                else None
            )
            join = self.match_pattern(ctx, fctx, rule.fulfil.match, f"{fptr}/match", lists=True)
            if not rule.fulfil.match:
                raise ctx.err(
                    f"{fptr}/match",
                    "no correlation between trigger and fulfilment",
                    "add match: {field: trigger_field}",
                )
            jname = f"j_{rid}"
            fulfil_narrow = _narrow(rule.fulfil.kind, cr.fulfil_where, self.atoms)[1:]
            self.add_join(jname, ("t", "f"), primary, where, rule.fulfil.kind, join, fulfil_narrow)
            cr.join_rule = jname
            if rule.excused_by is not None:
                cr.excuse_rule, cr.excuse_where = self.excuse(ctx, rule, primary, where, base, rid)
            for k, dl in enumerate(rule.deadlines):
                dptr = f"{base}/deadlines/{k}"
                at = ctx.ftype(dl.anchor, f"{dptr}/anchor")
                if at not in TEMPORAL:
                    raise ctx.err(
                        f"{dptr}/anchor",
                        f"{dl.anchor!r} is not a date or time field",
                        "name a date field",
                    )
                if isinstance(dl.offset.amount, ParamRef):
                    self.param(ctx, dl.offset.amount, f"{dptr}/offset/amount")
                when = self.cond(ctx, dl.when, f"{dptr}/when") if dl.when is not None else None
                due_field = f"_due_{rid}_{k}"
                cr.deadlines.append(
                    DeadlinePlan(
                        dl.anchor,
                        at,
                        dl.offset.amount,
                        dl.offset.unit,
                        dl.direction,
                        when,
                        dl.label,
                        due_field,
                    )
                )
        else:
            assert isinstance(rule, PeriodicRule)
            t = ctx.reported(rule.at, f"{base}/at", AT_USE, AT_FIX)
            if t not in TEMPORAL:
                raise ctx.err(
                    f"{base}/at", f"{rule.at!r} is not a date or time field", "name a date field"
                )
            if (
                rule.cycle_field is not None
                and ctx.reported(rule.cycle_field, f"{base}/cycle_field", JOIN_USE, JOIN_FIX)
                != "number"
            ):
                raise ctx.err(
                    f"{base}/cycle_field",
                    f"{rule.cycle_field!r} is not a year number",
                    "name an integer year field",
                )
            if isinstance(rule.schedule.months, ParamRef):
                self.param(ctx, rule.schedule.months, f"{base}/schedule/months")
        cr.param_fields = dict(ctx.comp_rule_params)  # type: ignore[attr-defined]
        return cr

    def contains(
        self,
        ctx: _Ctx,
        cctx: _Ctx,
        contains: dict[str, str],
        pattern: list[dict[str, Any]],
        cptr: str,
    ) -> tuple[str, dict[str, Any]]:
        """A join on "the counted record's list holds the subject's field": (element kind, the
        pattern matching the element with the subject field).

        durable_rules joins only on equality, and cannot test membership of one fact's list
        against another fact's field. So each listing record is also asserted as one *element
        fact* per list item (kind ``KIND#FIELD``, the item under ``_item``, the listing fact's id
        under ``_of`` and copies of the other fields the join compares), and durable_rules joins
        the subject with the elements by equality; the evaluator counts an element as its
        listing record. Matching stays in durable_rules, and lists are short (a calendar's runs,
        an arrangement's members), so the extra facts are few.
        """
        if len(contains) != 1:
            raise ctx.err(
                f"{cptr}/contains",
                f"a count can test one list; this one names {len(contains)}",
                "keep one list field under contains (split the count otherwise)",
            )
        ((lf, sf),) = contains.items()
        lt = cctx.reported(lf, f"{cptr}/contains", JOIN_USE, JOIN_FIX)
        if lt != "list":
            raise ctx.err(
                f"{cptr}/contains",
                f"{lf!r} ({lt}) is not a list field of {cctx.kind!r}",
                "name a list field of the counted record, e.g. runs; use same for equality",
            )
        st = ctx.reported(sf, f"{cptr}/contains", JOIN_USE, JOIN_FIX)
        if st != "str":
            raise ctx.err(
                f"{cptr}/contains",
                f"lists hold text; the subject field {sf!r} is {st}",
                "name a text field of the subject, e.g. id",
            )
        element_kind = f"{cctx.kind}#{lf}"
        copies = self.elements.setdefault(element_kind, (cctx.kind, fact_name(lf), set()))[2]
        copies.update(next(iter(p_)) for p_ in pattern[1:])
        ref = self.left_ref(ctx, sf, ctx.fname(sf), "str")
        return element_kind, {"_item": {"s": ref}}

    def excuse(
        self,
        ctx: _Ctx,
        rule: DeadlineRule,
        primary: str,
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
        self.check_kind(ctx.commitment, rule, ex.kind, f"{xptr}/kind")
        xctx = _Ctx(self, ctx.commitment, rule, ex.kind, xptr, False)
        xwhere = self.cond(xctx, ex.where, f"{xptr}/where") if ex.where is not None else None
        if not ex.match:
            raise ctx.err(
                f"{xptr}/match",
                "no correlation between the trigger and the excusing record",
                "add match: {field: trigger_field}",
            )
        join = self.match_pattern(ctx, xctx, ex.match, f"{xptr}/match", lists=False)
        xname = f"x_{rid}"
        excuse_narrow = _narrow(ex.kind, xwhere, self.atoms)[1:]
        self.add_join(xname, ("t", "f"), primary, where, ex.kind, join, excuse_narrow)
        return xname, xwhere

    def match_pattern(
        self, ctx: _Ctx, octx: _Ctx, match: Mapping[str, str], pointer: str, *, lists: bool
    ) -> list[dict[str, Any]]:
        """The right-hand pattern of a join on ``match`` ({other field: subject field}): the
        other record's kind, then one equality per pair (fields of one type; ``lists``: lists
        may be matched)."""
        join: list[dict[str, Any]] = [{"kind": octx.kind}]
        for of, sf in sorted(match.items()):
            a = octx.reported(of, pointer, JOIN_USE, JOIN_FIX)
            b = ctx.reported(sf, pointer, JOIN_USE, JOIN_FIX)
            if a != b or (a == "list" and not lists):
                raise ctx.err(
                    pointer,
                    f"{of!r} ({a}) is matched with {sf!r} ({b})",
                    "match fields of the same type" + ("" if lists else " (not lists)"),
                )
            ref = self.left_ref(
                ctx, sf, ctx.fname(sf), "num" if b in ("number", "date", "datetime") else "str"
            )
            join.append({fact_name(of): {"t": ref}})
        return join

    def add_join(
        self,
        name: str,
        aliases: tuple[str, str],
        primary: str,
        where: BoolTree | None,
        right_kind: str,
        pattern: list[dict[str, Any]],
        filters: list[dict[str, Any]],
    ) -> None:
        """Register a join rule: the subject (``primary`` narrowed by ``where``) under the first
        alias; under the second, the other record's ``pattern`` (its kind, then one equality
        with the subject per field) and its own ``filters``. The equalities are kept to check
        each firing against."""
        left, other = aliases
        self.join_checks[name] = [
            (next(iter(p)), next(iter(p.values()))[left]) for p in pattern[1:]
        ]
        self.definition[name] = {
            "all": [
                {left: {"$and": _narrow(primary, where, self.atoms)}},
                {other: {"$and": pattern + filters}},
            ],
            "run": name,
        }
        self.join_kinds[name] = (primary, right_kind)

    def _check_arith(self, ctx: _Ctx, ar: Arith, pointer: str) -> None:
        if ar.op == "abs" and len(ar.args) != 1:
            raise ctx.err(pointer, "abs takes exactly one argument", "give one argument")
        if ar.op == "count_distinct":
            arg = ar.args[0]
            if len(ar.args) != 1 or not isinstance(arg, FieldRef):
                raise ctx.err(
                    f"{pointer}/args",
                    "count_distinct takes exactly one list field",
                    "write args: [{field: LIST_FIELD}]",
                )
            t = ctx.ftype(arg.field, f"{pointer}/args/0")
            if t != "list":
                raise ctx.err(
                    f"{pointer}/args/0",
                    f"count_distinct counts the items of a list; {arg.field!r} is {t}",
                    "name a list field, e.g. requested_by",
                )
            return
        for i, a in enumerate(ar.args):
            if isinstance(a, Arith):
                self._check_arith(ctx, a, f"{pointer}/args/{i}")
            elif isinstance(a, FieldRef):
                if a.field in ctx.derived:
                    continue
                t = ctx.ftype(a.field, f"{pointer}/args/{i}")
                if t not in ("number", "date", "datetime"):
                    raise ctx.err(
                        f"{pointer}/args/{i}",
                        f"{a.field!r} ({t}) used in arithmetic",
                        "use number or date fields",
                    )
            elif isinstance(a, ParamRef):
                self.param(ctx, a, f"{pointer}/args/{i}")
            elif isinstance(a, bool) or not isinstance(a, int | float):
                raise ctx.err(
                    f"{pointer}/args/{i}",
                    f"{a!r} is not a number",
                    "use numbers, fields or parameters",
                )


def _whole(kind: str, name: str) -> bool:
    """Whether a number field of a record kind holds whole numbers (a year)."""
    info = RECORD_MODELS[kind].model_fields.get(name)
    if info is None:
        return False
    ann = info.annotation
    args = [a for a in typing.get_args(ann) if a is not NoneType] if typing.get_args(ann) else [ann]
    return args == [int]


def _contains_no_value(x: Any) -> bool:
    if x is _NO_VALUE:
        return True
    if isinstance(x, dict):
        return any(_contains_no_value(v) for v in x.values())
    return False


class _NoValue:
    """A parameter not in force: the comparison using it is false."""


_NO_VALUE = _NoValue()


def _params_in(x: Any) -> set[str]:
    """Names of the parameters a condition reads."""
    out: set[str] = set()
    if isinstance(x, ParamRef):
        out.add(x.param)
    elif isinstance(x, list | tuple):
        for y in x:
            out |= _params_in(y)
    elif hasattr(x, "__pydantic_fields__"):
        for name in type(x).model_fields:
            out |= _params_in(getattr(x, name))
    return out


def _is_date_only(value: Any, ctx: _Ctx, comp: _Compiler) -> bool:
    if isinstance(value, ParamRef):
        p = ctx.commitment.parameters.get(value.param) or (
            comp.treaty.parameters.get(value.param) if comp.treaty else None
        )
        value = p.value_on(comp.as_of) if p is not None else None
    if isinstance(value, str):
        try:
            date.fromisoformat(value)
        except ValueError:
            return False
        return len(value) == 10
    return False


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


def _narrow(kind: str, tree: BoolTree | None, atoms: dict[str, Atom]) -> list[dict[str, Any]]:
    """``kind == K`` and the durable form of the tree, for one side of a join.

    On the second pattern of a join, these filters must come after the join equalities:
    durable_rules silently drops a join equality that follows a nested ``$and``/``$or``
    (every pair then fires). The compiler orders them, and the evaluator re-checks every
    equality of every firing (``EngineFault`` on a mismatch).
    """
    expr = tree_expr(tree, atoms)
    return [{"kind": kind}] + ([expr] if expr is not None else [])


def derived_type(ar: Arith, kind: str, known: dict[str, FieldType]) -> FieldType:
    """Type of a derived value: temporal for min/max/coalesce of temporal fields, else number."""
    if ar.op in ("min", "max", "coalesce"):
        types = set()
        for a in ar.args:
            if isinstance(a, FieldRef):
                types.add(
                    known.get(a.field)
                    or VIRTUAL_FIELDS.get(a.field)
                    or field_types(kind).get(a.field, "number")
                )
            elif isinstance(a, Arith):
                types.add(derived_type(a, kind, known))
            else:
                types.add("number")
        if len(types) == 1:
            (t,) = types
            return t
    return "number"


def _label(c: Compare) -> str:
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
    words = {
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
    return f"{c.field} {words[c.op]} {vs}".strip()


def _cond_label(c: Condition) -> str:
    if isinstance(c, Compare):
        return _label(c)
    if isinstance(c, CountCompare):
        return f"count {c.count} {c.op} {c.value if not isinstance(c.value, ParamRef) else c.value.param}"
    if isinstance(c, AllOf):
        return " and ".join(_cond_label(x) for x in c.all)
    if isinstance(c, AnyOf):
        return " or ".join(_cond_label(x) for x in c.any)
    if isinstance(c, NotOf):
        return f"not ({_cond_label(c.not_)})"
    if isinstance(c, AtLeast):
        return f"at least {c.at_least} of ({'; '.join(_cond_label(x) for x in c.of)})"
    return "?"


def compile_program(
    commitments: list[Commitment], treaty: TreatyState | None, as_of: date
) -> Program:
    """Compile the rules of ``commitments`` (in the given order) into one program.

    Raises:
        CompileError: a rule names an unknown kind, field or parameter, or compares mismatched
            types.
    """
    comp = _Compiler(treaty, as_of)
    rules: list[CompiledRule] = []
    for c in commitments:
        for i, r in enumerate(c.rules):
            rules.append(comp.rule(c, r, i, f"/rules/{i}"))
    return Program(
        comp.definition,
        comp.atoms,
        rules,
        comp.kinds,
        as_of,
        comp.join_checks,
        comp.left_refs,
        comp.join_kinds,
        comp.elements,
        _virtual_matched(comp.atoms),
    )


def _virtual_matched(atoms: dict[str, Atom]) -> dict[str, set[str]]:
    """Per kind, the virtual fields its atoms refer to (by name or by its ``__day`` form); joins
    never do (the compiler refuses them there)."""
    out: dict[str, set[str]] = {}
    for atom in atoms.values():
        text = json.dumps(atom.expr, sort_keys=True)
        for name in VIRTUAL_FIELDS:
            if f'"{name}' in text:
                out.setdefault(atom.kind, set()).add(name)
    return out


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


__all__ = ["CompileError", "Program", "compile_program", "field_types", "Offset"]


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
