"""Facts: each version of each record as a flat dict durable_rules can match.

Dates become day numbers and times epoch seconds (with ``__day``, ``__sec`` and ``__year``
companions), parameters in force on the record's event date are copied in where a condition
reads a versioned parameter, values ``derive`` computes are added, and deadlines are computed
into due points kept beside the facts. A field that may be absent but is compared by a join gets
a copy carrying a sentinel (see ``Program.left_refs``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from engine.evaluate.merge import MergedRecord
from engine.evaluate.party import PartyRun
from engine.rules.compile import CompiledRule, fact_name, field_types, offset_amount
from engine.rules.semantics import arith
from engine.rules.time import day_number, due_point, epoch_seconds, to_utc

ABSENT_NUMBER = -1.0e15
"""Sentinel for a join field a fact does not have: below every real date, time or quantity."""


def build_facts(run: PartyRun) -> None:
    """Build every fact of the party's records (and element facts for ``contains`` joins)."""
    prog = run.ctx.program
    rules_by_kind: dict[str, list[CompiledRule]] = defaultdict(list)
    for cr in prog.rules:
        rules_by_kind[cr.primary_kind].append(cr)
    n = 0
    for mr in run.merged:
        if mr.kind not in prog.kinds:
            continue
        for v in mr.versions:
            n += 1
            fid = f"f{n}"
            fact: dict[str, Any] = {"id": fid, "kind": mr.kind, "_rid": mr.id}
            values = {name: getattr(v.record, name) for name in field_types(mr.kind)}
            for name, value in values.items():
                t = type(value)
                if value is None or name == "id":
                    continue
                if t is float or t is str:  # most values: what put() would write
                    fact[fact_name(name)] = value
                else:
                    put(fact, fact_name(name), value)
            run.virtual_of[fid] = virtual_fields(run, mr)
            values.update(run.virtual_of[fid])
            for name in sorted(prog.virtual_matched.get(mr.kind, ())):
                put(fact, name, values[name])
            for cr in rules_by_kind.get(mr.kind, []):
                rule_fields(run, cr, fid, fact, values)
            _join_copies(run, mr.kind, fid, fact, n)
            run.facts.append(fact)
            run.fact_of[fid] = (mr, v)
            run.facts_by_kind[mr.kind].append(fid)
            run.facts.extend(_elements(run, mr.kind, fid, fact))


def virtual_fields(run: PartyRun, mr: MergedRecord) -> dict[str, Any]:
    """The fields every record has without a report stating them (``VIRTUAL_FIELDS``).

    ``reported_by`` and ``evidence_levels`` belong to the record, not to one reading of it:
    a source that reported the record reported it, whatever it said of a disputed field.
    """
    return {
        "party_entry_into_force": run.tl.eif,
        "reported_by": sorted({o.report.source for o in mr.occurrences}),
        "evidence_levels": sorted(set(mr.levels)),
    }


def put(fact: dict[str, Any], name: str, value: Any) -> None:
    """Write one value into a fact in the form durable_rules compares (None is left out)."""
    if value is None:
        return
    if isinstance(value, date | datetime):
        _temporal(fact, name, value)
    elif isinstance(value, bool):
        fact[name] = value
    elif isinstance(value, int | float):
        fact[name] = float(value)
    elif isinstance(value, list | tuple):
        fact[name] = [str(v) for v in value]
    else:
        fact[name] = str(value)


def _temporal(fact: dict[str, Any], name: str, value: date | datetime) -> None:
    if isinstance(value, datetime):
        sec = epoch_seconds(value)
        d = to_utc(value).date()
        fact[name] = float(sec)
        fact[f"{name}__sec"] = float(sec)
    else:
        d = value
        fact[name] = float(day_number(d))
        fact[f"{name}__sec"] = float(day_number(d) * 86400)
    fact[f"{name}__day"] = float(day_number(d))
    fact[f"{name}__year"] = float(d.year)


def _join_copies(run: PartyRun, kind: str, fid: str, fact: dict[str, Any], n: int) -> None:
    for ref, (src, typ) in run.ctx.program.left_refs.get(kind, {}).items():
        if src in fact:
            fact[ref] = fact[src]
        else:
            # absent: a value nothing equals and nothing is earlier than
            fact[ref] = ABSENT_NUMBER - n if typ == "num" else f"\u0000absent:{fid}"


def _elements(run: PartyRun, kind: str, fid: str, fact: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One element fact per item of each list a ``contains`` join looks into: the item, the
    listing fact and the join fields it compares.
    """
    out: list[dict[str, Any]] = []
    for ekind, (lkind, list_field, copies) in sorted(run.ctx.program.elements.items()):
        if lkind != kind:
            continue
        for i, item in enumerate(fact.get(list_field) or []):
            eid = f"{fid}.{ekind}.{i}"
            efact = {"id": eid, "kind": ekind, "_item": item, "_of": fid}
            efact.update({c: fact[c] for c in sorted(copies) if c in fact})
            run.parent_of[eid] = fid
            out.append(efact)
    return out


class _Params:
    """Reads parameters on one day, noting what was read and what is not in force."""

    def __init__(self, cr: CompiledRule, run: PartyRun) -> None:
        self.cr = cr
        self.treaty = run.ctx.treaty
        self.day = run.ctx.as_of
        self.read: list[str] = []
        self.missing: list[str] = []

    def __call__(self, name: str) -> Any:
        self.read.append(name)
        p = self.cr.commitment.parameters.get(name)
        if p is None and self.treaty is not None:
            p = self.treaty.parameters.get(name)
        v = p.value_on(self.day) if p is not None else None
        if v is None:
            self.missing.append(name)
        return v

    def derive(self, values: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        """(derived values, the record's values with them) on the current day."""
        self.missing.clear()
        derived: dict[str, Any] = {}
        scope_values = dict(values)
        for name, ar in self.cr.derive.items():
            val = arith(ar, scope_values, self)
            derived[name] = val
            scope_values[name] = val
        return derived, scope_values


def rule_fields(
    run: PartyRun, cr: CompiledRule, fid: str, fact: dict[str, Any], values: dict[str, Any]
) -> None:
    """Derived values, versioned parameters and due points of one rule for one fact."""
    params = _Params(cr, run)
    # The event date dates the parameters; a scope may name a derived date (CB-3's start),
    # known only once derived: derive on the as-of date, then again on that date (unless
    # no parameter was read: then the second pass would give the same values).
    day = run.scope_day(cr, values)
    params.day = day or run.ctx.as_of
    if cr.derive:
        derived, scope_values = params.derive(values)
        if day is None and (later := run.scope_day(cr, scope_values)) is not None:
            params.day = later
            if params.read:
                derived, scope_values = params.derive(values)
    else:
        derived, scope_values = {}, values
    for name, val in derived.items():
        put(fact, cr.derived_fields[name], val)
    run.derived[(cr.rule.id, fid)] = derived
    if params.missing:
        run.derive_missing[(cr.rule.id, fid)] = sorted(set(params.missing))
    params.missing = []
    for pname, fname in cr.param_fields.items():
        v = params(pname)
        if v is not None:
            put(fact, fname, v)
    _dues(run, cr, fid, scope_values, params.day)
    if params.missing:
        run.param_missing[(cr.rule.id, fid)] = sorted(set(params.missing))


def _dues(
    run: PartyRun, cr: CompiledRule, fid: str, scope_values: Mapping[str, Any], day: date
) -> None:
    for k, dl in enumerate(cr.deadlines):
        anchor = scope_values.get(dl.anchor)
        if anchor is None:
            continue
        amount = offset_amount(dl.amount, cr.commitment.parameters, run.ctx.treaty, day)
        if amount is None:
            continue  # judged only if this deadline applies: then gap(insufficient_detail)
        run.dues[(cr.rule.id, fid, k)] = due_point(
            anchor, amount, dl.unit, dl.direction, run.tl.holidays
        )
