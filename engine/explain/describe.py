"""Readable descriptions of commitments and rules (for ``treaty commitments show``)."""

from __future__ import annotations

from typing import Any

from engine.model.commitment import Commitment, Parameter
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
    Outcome,
    ParamRef,
    PeriodicRule,
)

OPS = {
    "eq": "is",
    "ne": "is not",
    "gt": ">",
    "ge": "≥",
    "lt": "<",
    "le": "≤",
    "in": "is one of",
    "not_in": "is none of",
    "contains": "includes",
    "contains_all": "includes all of",
    "contains_any": "includes any of",
    "exists": "is reported",
    "absent": "is not reported",
    "meets": "meets",
    "below": "is below",
}


def operand(v: Any) -> str:
    """An operand of a condition or of ``derive`` as written in ``commitments show``."""
    if isinstance(v, ParamRef):
        return f"<{v.param}>"
    if isinstance(v, FieldRef):
        return v.field
    if isinstance(v, Arith):
        sym = {"add": " + ", "sub": " − ", "mul": " × ", "div": " ÷ "}.get(v.op)
        if sym:
            return "(" + sym.join(operand(a) for a in v.args) + ")"
        if v.op == "count_distinct":
            return f"number of distinct {operand(v.args[0])}"
        return f"{v.op}(" + ", ".join(operand(a) for a in v.args) + ")"
    if isinstance(v, list):
        return "[" + ", ".join(map(str, v)) + "]"
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def condition(c: Condition) -> str:
    """A condition as written in ``commitments show``."""
    if isinstance(c, Compare):
        if c.op in ("exists", "absent"):
            return f"{c.field} {OPS[c.op]}"
        return f"{c.field} {OPS[c.op]} {operand(c.value)}"
    if isinstance(c, CountCompare):
        return f"count({c.count}) {OPS[c.op]} {operand(c.value)}"
    if isinstance(c, AllOf):
        return "(" + " and ".join(condition(x) for x in c.all) + ")"
    if isinstance(c, AnyOf):
        return "(" + " or ".join(condition(x) for x in c.any) + ")"
    if isinstance(c, NotOf):
        return f"not {condition(c.not_)}"
    if isinstance(c, AtLeast):
        return f"at least {c.at_least} of [" + "; ".join(condition(x) for x in c.of) + "]"
    return "?"


def _outcome(o: Outcome) -> str:
    flags = f"({', '.join(o.flags)})" if o.flags else ""
    return f"{o.status}{flags}"


def describe_rule(r: ClassifyRule | DeadlineRule | PeriodicRule) -> list[str]:
    """The lines ``treaty commitments show`` prints for one rule."""
    out = _head(r)
    if isinstance(r, ClassifyRule):
        out += _classify_lines(r)
    elif isinstance(r, DeadlineRule):
        out += _deadline_lines(r)
    else:
        out += _periodic_lines(r)
    return out


def _head(r: ClassifyRule | DeadlineRule | PeriodicRule) -> list[str]:
    out = [f"  {r.id} [{r.type}] {r.description}".rstrip(), f'    clause: "{r.clause}"']
    for name, ar in r.derive.items():
        out.append(f"    let {name} = {operand(ar)}")
    if r.scope:
        if r.scope.event:
            out.append(f"    dated by: {r.scope.event} (an act)")
        if r.scope.start:
            out.append(
                f"    situation: from {r.scope.start}"
                + (f" to {r.scope.end}" if r.scope.end else "")
            )
    if r.requires:
        out.append(f"    requires: {', '.join(r.requires)} (else gap, insufficient detail)")
    return out


def _classify_lines(r: ClassifyRule) -> list[str]:
    out = [
        f"    for each {r.subject.kind}"
        + (f" where {condition(r.subject.where)}" if r.subject.where else "")
    ]
    for cs in r.counts:
        extra = [f"{k} = subject.{v}" for k, v in cs.same.items()]
        extra += [f"{k} includes subject.{v}" for k, v in cs.contains.items()]
        if cs.same_year:
            extra.append(f"same year of {cs.same_year[0]} as subject.{cs.same_year[1]}")
        if cs.before:
            extra.append(f"{cs.before[0]} before subject.{cs.before[1]}")
        if cs.where:
            extra.append(condition(cs.where))
        out.append(f"    count {cs.name} = {cs.kind} records with " + ", ".join(extra))
    for case in r.cases:
        out.append(f"      if {condition(case.when)} -> {_outcome(case)}")
    out.append(f"      otherwise -> {_outcome(r.otherwise)}")
    return out


def _deadline_lines(r: DeadlineRule) -> list[str]:
    out = [
        f"    for each {r.trigger.kind}"
        + (f" where {condition(r.trigger.where)}" if r.trigger.where else "")
    ]
    m = ", ".join(f"{k} = trigger.{v}" for k, v in r.fulfil.match.items())
    out.append(
        f"    needs a {r.fulfil.kind} with {m}"
        + (f" and {condition(r.fulfil.where)}" if r.fulfil.where else "")
        + f", timed by {r.fulfil.at}"
    )
    for dl in r.deadlines:
        when = f" when {condition(dl.when)}" if dl.when else ""
        rel = "at least" if dl.direction == "before" else "within"
        word = "before" if dl.direction == "before" else "after"
        unit = dl.offset.unit.replace("_", " ")
        out.append(f"      {rel} {operand(dl.offset.amount)} {unit} {word} {dl.anchor}{when}")
    out.append("      the strictest applicable deadline wins")
    if r.excused_by is not None:
        x = r.excused_by
        xm = ", ".join(f"{k} = trigger.{v}" for k, v in x.match.items())
        out.append(
            f"      unless a {x.kind} with {xm}"
            + (f" and {condition(x.where)}" if x.where else "")
            + f" exists -> {_outcome(x.outcome)}"
        )
    out.append(f"      late -> {_outcome(r.on_late)}; missing -> {_outcome(r.on_missing)}")
    return out


def _periodic_lines(r: PeriodicRule) -> list[str]:
    s = r.schedule
    when = (
        f"every year by {s.day:02d}/{s.month:02d}"
        if s.every == "year"
        else f"every {operand(s.months)} months from entry into force"
    )
    out = [
        f"    a {r.submission.kind}"
        + (f" where {condition(r.submission.where)}" if r.submission.where else "")
        + f", timed by {r.at}, is due {when}"
    ]
    if r.cycle_field:
        out.append(f"    matched to its cycle by {r.cycle_field} (due year {r.cycle_offset:+d})")
    out.append(f"      late -> {_outcome(r.on_late)}; missing -> {_outcome(r.on_missing)}")
    return out


def _param(name: str, p: Parameter) -> list[str]:
    unit = f" {p.unit}" if p.unit else ""
    cmp = f", {p.comparison}" if p.comparison else ""
    mark = f" [{p.mark}]" if p.mark else ""
    if p.value is not None:
        return [f"  {name} = {operand(p.value)}{unit}{cmp}{mark}  {p.description}".rstrip()]
    out = [f"  {name}{unit}{cmp}{mark}  {p.description}".rstrip()]
    for v in p.versions:
        out.append(
            f"    {operand(v.value)} from {v.valid_from or 'the start'} until {v.valid_to or 'further notice'}"
        )
    return out


def describe_commitment(c: Commitment) -> str:
    """The text ``treaty commitments show`` prints for one commitment."""
    lines = [
        f"{c.id}  {c.title}",
        f"{c.category} · {c.modality} · severity {c.severity} · machine-checkable: {c.machine_checkable}",
        "",
    ]
    for t in c.text:
        lines.append(f"[{t.lang}{'' if t.authentic else ', translation'}] {t.text}")
    if c.parameters:
        lines += ["", "Parameters:"]
        for name in sorted(c.parameters):
            lines += _param(name, c.parameters[name])
    if c.definitions:
        lines += ["", "Definitions:"]
        lines += [f"  {k}: {v}" for k, v in sorted(c.definitions.items())]
    v = c.verification
    if v.reports or v.evidence_from:
        lines += ["", "Verification:"]
        for rd in v.reports:
            lines.append(
                f"  {rd.what} ({', '.join(rd.kinds) or 'no record kind'}; {rd.frequency or 'no frequency'}; "
                f"{rd.deadline or 'no deadline'}; minimum evidence {rd.min_evidence})"
            )
        if v.evidence_from:
            lines.append(f"  absence of conduct shown by: {', '.join(v.evidence_from)}")
    e = c.enforcement
    lines += [
        "",
        f"Enforcement: {e.mechanism or 'none'}; response within {e.response_deadline_days if e.response_deadline_days is not None else '?'} days; "
        f"sanction {'available' if e.sanction_available else 'not available'}"
        + (f" from {e.sanction_from}" if e.sanction_from else ""),
    ]
    if c.rules:
        lines += ["", "Rules:"]
        for r in c.rules:
            lines += describe_rule(r)
    if c.notes:
        lines += ["", "Notes:"]
        lines += [f"  [{n.mark}] {n.on}: {n.text}" for n in c.notes]
    return "\n".join(lines) + "\n"


def commitment_summary(c: Commitment) -> dict[str, Any]:
    """The commitment as ``treaty commitments list --format json`` shows it."""
    return {
        "id": c.id,
        "title": c.title,
        "category": c.category,
        "modality": c.modality,
        "severity": c.severity,
        "rules": len(c.rules),
        "machine_checkable": c.machine_checkable,
    }
