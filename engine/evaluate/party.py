"""One party's evaluation: its facts, what durable_rules matched, and the questions rules ask.

A :class:`PartyRun` holds the state of one party at one as-of date: the facts built from its
merged records (``engine.evaluate.facts``), the atoms and joins durable_rules fired on them, and
per-rule derived values and due points. The rule types (``classify``, ``deadline``,
``periodic``) read it to reach their verdicts.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from engine.errors import EngineFault
from engine.evaluate.merge import MergedRecord, Version
from engine.evaluate.timeline import Timeline
from engine.evaluate.verdict import Reason, Verdict
from engine.model.commitment import TreatyState
from engine.model.rules import ClassifyRule
from engine.rules.backend import DurableMatcher
from engine.rules.compile import CompiledRule, Program
from engine.rules.semantics import BoolTree, fold, indicators_seen
from engine.rules.time import as_date, seconds_of, to_utc


@dataclass
class EvalContext:
    """What every party's evaluation shares: the compiled program, its matcher and the date."""

    program: Program
    matcher: DurableMatcher
    treaty: TreatyState
    as_of: date
    rules_of: dict[str, list[CompiledRule]]
    """Commitment id -> its compiled rules, in order."""
    referenced: dict[str, list[str]] = field(default_factory=dict)
    """Per classify rule: the fields its subject and cases read (shown in explanations)."""


class PartyRun:
    """Evaluation of one party: facts, firings and the per-fact values rules read."""

    def __init__(self, ctx: EvalContext, tl: Timeline, merged: list[MergedRecord]) -> None:
        """An empty run for one party; ``facts.build_facts`` and :meth:`match` fill it."""
        self.ctx = ctx
        self.tl = tl
        self.merged = merged
        self.facts: list[dict[str, Any]] = []
        self.fact_of: dict[str, tuple[MergedRecord, Version]] = {}
        self.facts_by_kind: dict[str, list[str]] = defaultdict(list)
        self.atoms: dict[str, set[str]] = defaultdict(set)
        """Fact id -> the atoms durable_rules matched on it."""
        self.pairs: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
        """Join rule -> left fact id -> the right fact ids it was joined with."""
        self.param_missing: dict[tuple[str, str], list[str]] = {}
        """Per (rule, fact): parameters read by conditions that are not in force on its date."""
        self.derive_missing: dict[tuple[str, str], list[str]] = {}
        """Per (rule, fact): parameters ``derive`` needed that are not in force on its date."""
        self.dues: dict[tuple[str, str, int], Any] = {}
        """Per (rule, fact, deadline index): the due point."""
        self.derived: dict[tuple[str, str], dict[str, Any]] = {}
        """Per (rule, fact): the values ``derive`` computed."""
        self.cycle_readings: dict[tuple[str, date], tuple[list[Verdict], list[bool]]] = {}
        """Per (periodic rule, due date): each reading's verdict and whether it had a submission."""
        self.virtual_of: dict[str, dict[str, Any]] = {}
        """Per fact: the virtual fields of its record (docs/rules.md section 3)."""
        self.parent_of: dict[str, str] = {}
        """Element fact -> the fact of the record whose list holds the element."""

    # -- matching -------------------------------------------------------------------------

    def match(self) -> None:
        """Let durable_rules match every atom and join over the facts; record the firings."""
        by_id = {f["id"]: f for f in self.facts}
        checks = self.ctx.program.join_checks
        for rule_name, ids in self.ctx.matcher.match(self.facts):
            if rule_name.startswith("a") and "m" in ids:
                self.atoms[ids["m"]].add(rule_name)
            elif rule_name in checks:
                left = ids.get("t") or ids["s"]
                right = ids.get("f") or ids["c"]
                for rf, lf in checks[rule_name]:
                    if by_id[right].get(rf) != by_id[left].get(lf):
                        raise EngineFault(
                            f"durable_rules fired {rule_name} for {left}/{right} although "
                            f"{rf} != {lf}: a join equality was dropped"
                        )
                # an element fact stands for the record whose list holds it
                self.pairs[rule_name][left].append(self.parent_of.get(right, right))
        self._self_pairs(by_id)

    def _self_pairs(self, by_id: Mapping[str, Mapping[str, Any]]) -> None:
        """durable_rules never binds one fact to both patterns of a rule, so a record version is
        never joined with itself. Where both sides are of one kind, the self-pair is added when
        the join's equalities hold within the fact; each side's ``where`` is re-checked by the
        consumers (from the atoms durable_rules matched), as for every pair.
        """
        checks = self.ctx.program.join_checks
        for rule_name, (left_kind, right_kind) in self.ctx.program.join_kinds.items():
            if left_kind != right_kind:
                continue
            for fid in self.facts_by_kind.get(left_kind, []):
                fact = by_id[fid]
                if all(
                    rf in fact
                    and fact[rf] == fact.get(lf)  # a join copy of an absent field is a sentinel
                    for rf, lf in checks[rule_name]
                ):
                    self.pairs[rule_name][fid].append(fid)

    # -- conditions -----------------------------------------------------------------------

    def truth(
        self, tree: BoolTree | None, fid: str, counts: Mapping[str, int] | None = None
    ) -> bool:
        """Whether a compiled condition holds of fact ``fid``, from the atoms durable_rules
        matched and the counts of its joins (``engine.rules.semantics.fold``).
        """
        if tree is None:
            return True
        return fold(tree, self.atoms.get(fid, set()).__contains__, _counter(counts))

    def indicators(self, tree: BoolTree, fid: str, counts: Mapping[str, int]) -> list[str]:
        """Labels of the at_least indicators that held, for explanations."""
        return indicators_seen(tree, self.atoms.get(fid, set()).__contains__, _counter(counts))

    def earlier(self, cr: CompiledRule, a_fid: str, a_field: str, b_fid: str, b_field: str) -> bool:
        """Counted record's ``a_field`` strictly before the subject's ``b_field`` (derived
        allowed); a date against a timestamp compares the timestamp's UTC day (section 12).
        """
        a = getattr(self.fact_of[a_fid][1].record, a_field, None)
        b = self.derived.get((cr.rule.id, b_fid), {}).get(b_field)
        if b is None:
            b = getattr(self.fact_of[b_fid][1].record, b_field, None)
        if a is None or b is None:
            return False
        if isinstance(a, datetime) and isinstance(b, datetime):
            return seconds_of(a) < seconds_of(b)
        return as_date(a) < as_date(b)

    # -- selection ------------------------------------------------------------------------

    def selected(
        self, cr: CompiledRule, *, all_versions: bool = False
    ) -> list[tuple[MergedRecord, list[tuple[Version, str]]]]:
        """Records with at least one version selected by the rule.

        With ``all_versions``, every version of such a record is returned, selected or not, so a
        reading in which the rule does not apply can contradict one in which it does.
        """
        out: dict[str, tuple[MergedRecord, list[tuple[Version, str]]]] = {}
        chosen: set[str] = set()
        for fid in self.facts_by_kind.get(cr.primary_kind, []):
            mr, v = self.fact_of[fid]
            if self.truth(cr.where, fid) or self.where_undecidable(cr, fid):
                chosen.add(mr.id)
            elif not all_versions:
                continue
            out.setdefault(mr.id, (mr, []))[1].append((v, fid))
        return [out[k] for k in sorted(out) if k in chosen]

    def where_undecidable(self, cr: CompiledRule, fid: str) -> bool:
        """A parameter the selector reads is not in force for this record."""
        return bool(set(self.param_missing.get((cr.rule.id, fid), ())) & cr.where_params)

    def missing_before_cases(self, cr: CompiledRule, fid: str) -> list[str]:
        """Parameters not in force that stop the rule before its cases: those ``derive`` needs,
        and for deadline rules those any condition reads (every deadline's ``when`` is read).
        A classify rule checks its cases' parameters one case at a time (first match wins).
        """
        key = (cr.rule.id, fid)
        names = list(self.derive_missing.get(key, ()))
        if not isinstance(cr.rule, ClassifyRule):
            names += self.param_missing.get(key, [])
        else:
            names += sorted(set(self.param_missing.get(key, ())) & cr.where_params)
        return sorted(set(names))

    # -- values ---------------------------------------------------------------------------

    def values(self, cr: CompiledRule, v: Version, fid: str) -> dict[str, Any]:
        """Everything a rule can read of one reading: reported, virtual and derived fields."""
        return {
            **v.record.model_dump(),
            **self.virtual_of[fid],
            **self.derived.get((cr.rule.id, fid), {}),
        }

    def absent_required(self, cr: CompiledRule, v: Version, fid: str) -> list[str]:
        """Fields in the rule's ``requires`` that this reading does not report (an empty list
        counts as not reported).
        """
        derived = self.derived.get((cr.rule.id, fid), {})
        out = []
        for name in cr.rule.requires:
            val = derived[name] if name in derived else getattr(v.record, name, None)
            if val is None or val == []:
                out.append(name)
        return out

    def scope_day(self, cr: CompiledRule, values: Mapping[str, Any]) -> date | None:
        """The record's event date (docs/rules.md section 3): the as-of date without a scope,
        None when the scope's date is not among ``values`` (not reported, or derived).
        """
        scope = cr.rule.scope
        for attr in ("event", "start"):
            name = getattr(scope, attr) if scope is not None else None
            if name is not None:
                v = values.get(name)
                if isinstance(v, datetime):
                    return to_utc(v).date()
                if isinstance(v, date):
                    return v
                return None
        return self.ctx.as_of

    def event_day(self, cr: CompiledRule, values: Mapping[str, Any]) -> date:
        """The date that dates parameters for this record: its scope date, else the as-of date."""
        return self.scope_day(cr, values) or self.ctx.as_of


def missing_required(kind: str, record: str, fields: list[str], sources: str) -> Verdict:
    """gap(insufficient_detail): the reading does not report a field the rule needs."""
    return Verdict(
        "gap",
        {"insufficient_detail"},
        Reason("missing_required", {"kind": kind, "record": record, "fields": fields}),
        {"_sources": sources},
    )


def _counter(counts: Mapping[str, int] | None) -> Callable[[str], float] | None:
    if not counts:
        return None
    return lambda name: float(counts.get(name, 0))
