"""Checks of the machine rules: compilation, thresholds, vacuity, conflicts.

TE001 (a rule the engine cannot compile), TE410/TE411/TE420 (thresholds and deadline offsets
without comparison, unit or time zone), TE501 (conditions that never hold, ``vacuity``) and
TE502 (two commitments that give opposite verdicts on one record, ``conflicts``). A rule error
that TE410 or TE501 already explains is not repeated as TE001: those checks return the
pointers they cover.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import date

from engine.errors import CompileError
from engine.model.commitment import Commitment
from engine.model.records import RECORD_MODELS
from engine.model.rules import ClassifyRule, Condition, Rule
from engine.negotiate.lint.catalogue import LintFinding
from engine.negotiate.lint.checks_text import json_pointer_key
from engine.negotiate.lint.conflicts import find_conflict
from engine.negotiate.lint.inputs import LintDoc, LintInput
from engine.negotiate.lint.rule_facts import (
    RuleContext,
    find_param,
    iter_conditions,
    param_uses,
    selector,
)
from engine.negotiate.lint.vacuity import Unsat, condition_unsat, conjunction_unsat
from engine.rules.compile import compile_program

Covered = set[str]
"""Pointers of rule errors a specific check has reported (TE001 stays quiet about them)."""

_NOT_PRIMARY = ("/counts", "/fulfil", "/excused_by")
_WHAT = {
    "/cases": "case",
    "/counts": "count",
    "/fulfil": "fulfilment",
    "/excused_by": "excuse",
    "/deadlines": "deadline",
}


def compile_errors(
    inp: LintInput, doc: LintDoc, c: Commitment, covered: Covered
) -> Iterator[LintFinding]:
    """TE001: the first compile error of the commitment, unless a check already covers it."""
    try:
        compile_program([c], inp.treaty_model, date(2000, 1, 1))
    except CompileError as e:
        if any(
            e.pointer == p or e.pointer.startswith(p + "/") or p.startswith(e.pointer + "/")
            for p in covered
        ):
            return
        yield doc.finding("TE001", e.pointer, f"rule {e.rule}: {e.message}", e.fix)


def thresholds(inp: LintInput, doc: LintDoc, c: Commitment) -> tuple[list[LintFinding], Covered]:
    """TE410, TE411 and TE420 (once per parameter), and the rule pointers TE410 covers."""
    out: list[LintFinding] = []
    covered: Covered = set()
    done: set[tuple[str, str]] = set()

    def once(code: str, name: str) -> bool:
        if (code, name) in done:
            return False
        done.add((code, name))
        return True

    for name, use, ptr in param_uses(c):
        p = find_param(c, inp.treaty_model, name)
        if p is None:
            continue
        own = name in c.parameters
        where = f"/parameters/{json_pointer_key(name)}" if own else ptr
        scope = "" if own else " (a treaty parameter)"
        if use == "meets" and p.comparison is None and once("TE410", name):
            covered.add(ptr)
            out.append(
                doc.finding(
                    "TE410",
                    where,
                    f"the threshold {name}{scope} is compared with meets/below but has no "
                    "strict/inclusive choice",
                    "add comparison: strict (exceeds, >) or inclusive (reaches, >=)",
                )
            )
        if use in ("meets", "threshold", "count") and not p.unit and once("TE411", name):
            out.append(
                doc.finding(
                    "TE411",
                    where,
                    f"the threshold {name}{scope} has no unit",
                    "add unit: (e.g. FLOP, operations, days, H100e)",
                )
            )
        if use in ("offset", "schedule") and p.time_zone is None and once("TE420", name):
            out.append(
                doc.finding(
                    "TE420",
                    where,
                    f"the deadline parameter {name}{scope} has no time-zone convention",
                    "add time_zone: UTC (the treaty compares every time in UTC)",
                )
            )
    return out, covered


def vacuous(inp: LintInput, doc: LintDoc, c: Commitment) -> tuple[list[LintFinding], Covered]:
    """TE501 for every condition of every rule, and the pointers it covers."""
    out: list[LintFinding] = []
    covered: Covered = set()
    for i, rule in enumerate(c.rules):
        out.extend(_vacuous_rule(inp, doc, c, i, rule, covered))
    return out, covered


def _vacuous_rule(
    inp: LintInput, doc: LintDoc, c: Commitment, i: int, rule: Rule, covered: Covered
) -> Iterator[LintFinding]:
    """TE501 for one rule: its selection, else each of its other conditions.

    The finding is placed at the condition; the pointer of the culprit inside it goes into
    ``covered``.
    """
    base = f"/rules/{i}"
    sel_ptr, sel = selector(rule)
    primary_kind = sel.kind
    if primary_kind not in RECORD_MODELS:
        return
    treaty = inp.treaty_model
    if sel.where is not None:
        pctx = RuleContext(c, treaty, rule, primary_kind, True)
        r = condition_unsat(sel.where, f"{base}{sel_ptr}/where", pctx)
        if r is not None:
            covered.add(r[0])
            yield doc.finding(
                "TE501",
                r[0],
                f"{rule.id} can never fire: its selection never holds ({r[1]})",
                "fix the condition so that some valid record can meet it",
            )
            return
    for suffix, cond, kind in iter_conditions(rule):
        if suffix == f"{sel_ptr}/where" or kind not in RECORD_MODELS:
            continue
        primary = kind == primary_kind and not suffix.startswith(_NOT_PRIMARY)
        ctx = RuleContext(c, treaty, rule, kind, primary)
        ptr = f"{base}{suffix}"
        if primary and sel.where is not None:
            r = _unsat_with_selection(cond, ptr, sel.where, f"{base}{sel_ptr}/where", ctx)
        else:
            r = condition_unsat(cond, ptr, ctx)
        if r is None:
            continue
        covered.add(r[0])
        label = next((v for k, v in _WHAT.items() if suffix.startswith(k)), "condition")
        yield doc.finding(
            "TE501",
            ptr,
            f"a {label} of {rule.id} can never apply: {r[1]}",
            "fix the condition so that some valid record can meet it",
        )


def _unsat_with_selection(
    cond: Condition, ptr: str, where: Condition, where_ptr: str, ctx: RuleContext
) -> Unsat | None:
    """Why ``cond`` never holds of a selected record (of one that meets ``where`` too)."""
    r = conjunction_unsat([(1, cond), (0, where)], ptr, ctx, "")
    if r is not None and r[0].startswith("1"):
        return (ptr + r[0][1:], r[1])
    if r is not None and r[0].startswith("0"):
        return (where_ptr + r[0][1:], r[1])
    return r


def conflicts(inp: LintInput) -> Iterator[LintFinding]:
    """TE502 for every pair of classify rules on one record kind, one of them given."""
    given = set(inp.commitments)
    by_kind: dict[str, list[tuple[Commitment, int, ClassifyRule]]] = {}
    for cid in sorted(inp.context):
        c = inp.context[cid]
        for i, r in enumerate(c.rules):
            if isinstance(r, ClassifyRule) and r.subject.kind in RECORD_MODELS:
                by_kind.setdefault(r.subject.kind, []).append((c, i, r))
    for _kind, items in sorted(by_kind.items()):
        for (a, ia, ra), (b, ib, rb) in itertools.combinations(items, 2):
            if a.id == b.id or (a.id not in given and b.id not in given):
                continue
            try:
                hit = find_conflict(a, ra, b, rb, inp.treaty_model)
            except (CompileError, ValueError, TypeError, KeyError):
                continue
            if hit is None:
                continue
            status_a, case_a, case_b, sample = hit
            other = "compliant" if status_a == "breach" else "breach"
            target, idx = (a, ia) if a.id in given else (b, ib)
            yield inp.commitments[target.id].finding(
                "TE502",
                f"/rules/{idx}",
                f"{ra.id} ({case_a}) gives {status_a} and {rb.id} ({case_b}) gives "
                f"{other} for the same {ra.subject.kind} record, e.g. {sample}",
                "narrow one rule's selection or cases so the two commitments "
                "agree, or state which prevails",
            )
