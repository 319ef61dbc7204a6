"""Lint's judge (TE502) decides classify rules as the evaluator does: one semantics core.

The judge compiles a rule and folds the evaluator's condition trees with
``engine.rules.semantics``; these tests compare its outcome on a record with the evaluator's
finding about the same record, on a hand-built case where lint's own interpreter used to differ
and on random records of the bundled library's classify rules.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.explain import evaluate_models
from engine.ingest import bundled_commitments_dir
from engine.model.commitment import Commitment, Party, TreatyState
from engine.model.records import RECORD_MODELS, Report
from engine.model.rules import ClassifyRule
from engine.negotiate.lint import load_lint_inputs
from engine.negotiate.lint.conflicts import Judge
from engine.negotiate.lint.rule_facts import field_meta
from engine.negotiate.lint.sampling import Sampler, sample_to_record
from engine.rules.compile import VIRTUAL_FIELDS, field_types
from tests.evaluate.test_oracle import classify, commitment, report, run_rec, treaty


def sample_of(kind: str, record: dict[str, Any]) -> dict[str, Any]:
    """A record as a report writes it, in the judge's sample domain (``lint.sampling``)."""
    types = {**field_types(kind), **VIRTUAL_FIELDS}
    out: dict[str, Any] = {}
    for name, v in record.items():
        t = types.get(name)
        if name in ("kind", "note") or t is None or v is None:
            continue
        if t == "date":
            v = date.fromisoformat(v).toordinal()
        elif t == "datetime":
            v = int(datetime.fromisoformat(v).timestamp())
        elif t == "list":
            v = tuple(v)
        elif t == "number":
            v = float(v)
        out[name] = v
    return out


def evaluator_status(
    t: TreatyState, c: Commitment, reports: list[Report], as_of: date
) -> dict[str | None, str]:
    """Subject -> the evaluator's status, for one commitment."""
    return {f.subject: f.status for f in evaluate_models(t, {c.id: c}, reports, as_of)}


# ------------------------------------------------------------------------------------------
# The divergence that was: coalesce over a true/false operand


def test_coalesce_skips_a_true_false_operand_as_the_evaluator_does() -> None:
    # docs/rules.md section 3: a true/false operand counts as absent, so coalesce takes the
    # next one. Lint's own arithmetic took True as the first present operand (v = True, so
    # "v >= 5" was false and the judge said compliant where the evaluator says breach).
    rule = classify(
        {"field": "v", "op": "ge", "value": 5},
        derive={"v": {"op": "coalesce", "args": [{"param": "flag"}, {"field": "actual_flop"}]}},
    )
    c = commitment(rules=[rule], parameters={"flag": {"value": True}})
    rec = run_rec(actual_flop=10)
    assert evaluator_status(treaty(), c, [report([rec])], date(2028, 6, 1)) == {"tr1": "breach"}
    judge = Judge(c, None, c.rules[0], "a:")  # type: ignore[arg-type]
    assert judge.outcome(sample_of("training_run", rec), {}) == ("breach", "case 1")
    assert judge.outcome(sample_of("training_run", run_rec(actual_flop=4)), {}) == (
        "compliant",
        "otherwise",
    )


def test_requires_treats_an_empty_list_as_unstated_as_the_evaluator_does() -> None:
    rule = classify(
        {"field": "requested_by", "op": "contains", "value": "ARC"},
        kind="evidence_request",
        requires=["requested_by"],
    )
    c = commitment(rules=[rule])
    rec = {
        "kind": "evidence_request",
        "id": "er1",
        "claim": "law-1",
        "requested_by": [],
        "received_at": "2028-03-01T09:00:00Z",
    }
    assert evaluator_status(treaty(), c, [report([rec])], date(2028, 6, 1)) == {"er1": "gap"}
    judge = Judge(c, None, c.rules[0], "a:")  # type: ignore[arg-type]
    assert judge.outcome(sample_of("evidence_request", rec), {}) == ("gap", "requires")


# ------------------------------------------------------------------------------------------
# Random records of the bundled classify rules

EIF = date(1900, 1, 1)  # every sample date is after entry into force ...
AS_OF = date(2999, 12, 31)  # ... and before the as-of date: nothing is out of reach in time
SOURCE = "inspection"  # corroborated, and the virtual fields below are known


def _feasible_rules() -> list[tuple[Commitment, ClassifyRule]]:
    """Classify rules of the library the judge can be compared on record by record.

    Rules with counts are left out: a count is a number given to the judge, while the
    evaluator counts other records.
    """
    inp = load_lint_inputs([bundled_commitments_dir()])
    out = []
    for cid in sorted(inp.commitments):
        c = inp.commitments[cid].model
        assert isinstance(c, Commitment)
        for rule in c.rules:
            if isinstance(rule, ClassifyRule) and not rule.counts:
                out.append((c.model_copy(update={"rules": [rule]}), rule))
    return out


LIBRARY = load_lint_inputs([bundled_commitments_dir()])
assert LIBRARY.treaty_model is not None
TREATY = LIBRARY.treaty_model.model_copy(
    update={"parties": [Party(code="AAA", name="A", entry_into_force=EIF)]}
)
RULES = _feasible_rules()
JUDGES = {rule.id: Judge(c, TREATY, rule, "a:") for c, rule in RULES}
COMMITMENTS = {rule.id: c for c, rule in RULES}


def _axes(judge: Judge) -> dict[str, list[Any]]:
    sampler = Sampler(judge.kind)
    for cond in [case.when for case in judge.rule.cases] + [judge.rule.subject.where]:
        if cond is not None:
            sampler.add_condition(cond, judge.ctx, judge.prefix)
    sampler.fields.update(f for f in judge.rule.requires if f not in judge.rule.derive)
    names = sorted(f for f in sampler.fields if field_meta(judge.kind, f) is not None and f != "id")
    return {f: sampler.candidates(f) for f in names if f not in VIRTUAL_FIELDS}


VIRTUAL = {
    "party_entry_into_force": EIF.toordinal(),
    "reported_by": (SOURCE,),
    "evidence_levels": (SOURCE,),
}


def _in_reach(judge: Judge, sample: dict[str, Any]) -> bool:
    """Whether the rule's scope puts the record in reach (lint does not model scopes)."""
    scope = judge.rule.scope
    if scope is None:
        return True
    vals = judge.values(sample)

    def day(name: str | None) -> date | None:
        v = vals.get(name) if name is not None else None
        return v.astimezone(UTC).date() if isinstance(v, datetime) else v

    if scope.event is not None:
        return day(scope.event) is not None
    start, end = day(scope.start), day(scope.end)
    return start is not None and (end is None or end > max(start, EIF))


def _samples(data: st.DataObject, judge: Judge) -> list[dict[str, Any]]:
    axes = _axes(judge)
    samples = []
    for _ in range(data.draw(st.integers(1, 8), label="records")):
        sample = {f: data.draw(st.sampled_from(vals), label=f) for f, vals in axes.items()}
        samples.append({f: v for f, v in sample.items() if v is not None})
    return samples


@pytest.mark.parametrize("rule_id", sorted(JUDGES))
@settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data())
def test_judge_agrees_with_the_evaluator_on_library_rules(
    rule_id: str, data: st.DataObject
) -> None:
    c, judge = COMMITMENTS[rule_id], JUDGES[rule_id]
    model = RECORD_MODELS[judge.kind]
    records: list[dict[str, Any]] = []
    expected: dict[str, str | None] = {}
    for i, sample in enumerate(_samples(data, judge)):
        data_ = {**sample_to_record(judge.kind, sample), "id": f"s{i}"}
        try:
            model.model_validate(data_)
        except ValueError:
            continue  # a combination the schemas refuse (the search skips it too)
        full = {**sample_of(judge.kind, data_), **VIRTUAL}
        if not _in_reach(judge, full):
            continue
        outcome = judge.outcome(full, {})
        records.append(data_)
        expected[f"s{i}"] = None if outcome is None else outcome[0]
    if not records:
        return
    t = TREATY.model_copy(update={"commitments": [c.id]})
    rep = report(records, source=SOURCE, subject="AAA", submitted="2028-01-01T00:00:00Z")
    found = evaluator_status(t, c, [rep], AS_OF)
    assert {s: found.get(s) for s in expected} == expected


def test_the_property_covers_the_library() -> None:
    # the comparison above is worth something only if most classify rules take part
    assert len(RULES) >= 12, [r.id for _, r in RULES]
