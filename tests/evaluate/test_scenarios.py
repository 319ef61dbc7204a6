"""Scenario tests as data: tests/scenarios/*.yaml, each a treaty state, reports, an as-of date and
the findings an expert expects. See tests/scenarios/README.md for the format."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from engine.explain.findings import evaluate_models
from engine.ingest import bundled_commitments_dir, load_paths, load_yaml_text
from engine.model.commitment import Commitment, TreatyState
from engine.model.findings import Finding
from engine.model.records import Report

HERE = Path(__file__).resolve().parents[1] / "scenarios"
SCENARIOS = sorted(HERE.glob("*.yaml"))

BOUNDARY_CASES = {
    "deadline-last-day": "a deadline met on the last day",
    "exactly-48h": "exactly 48h00",
    "threshold-equal-strict": "a threshold exactly equal, strict",
    "threshold-equal-inclusive": "a threshold exactly equal, inclusive",
    "leap-february": "a leap-year February",
    "local-late-utc-ontime": "a submission late on the local date but on time in UTC",
    "working-days-weekend-holiday": "working days across a weekend and a declared holiday",
    "withdrawal-month-end-clamp": "a withdrawal with the month-end clamp",
    "before-entry-into-force": "an event before entry into force",
    "transition-running": "a transition period running",
    "transition-expired": "a transition period expired",
    "quota-exhausted": "an exhausted inspection quota",
    "contradiction-resolved-by-inspection": "contradictory sources resolved by an inspection",
    "self-report-uncorroborated": "a self-reported claim with no corroboration",
}
RULE_PATTERNS = {
    "pattern-prohibition": "any matching record is a breach",
    "pattern-deadline": "triggered obligation with a deadline (late and missing)",
    "pattern-strictest-deadline": "the strictest applicable deadline wins",
    "pattern-periodic": "periodic reporting (compliant, late, missing, not yet due)",
    "pattern-quota": "quotas and counts",
    "pattern-uncorroborated": "evidence quality: self-report only",
    "pattern-contradictory": "evidence quality: sources disagree",
    "pattern-indicators": "N of M indicators: pending determination",
    "pattern-arithmetic": "arithmetic on reported numbers",
    "pattern-set-membership": "set membership (Great Powers)",
    "pattern-absence": "absence of evidence is not compliance",
}


def _library() -> tuple[dict[str, Commitment], TreatyState]:
    b = load_paths([bundled_commitments_dir()])
    assert b.treaty is not None
    return b.commitments, b.treaty


def load_scenario(path: Path) -> dict[str, Any]:
    data = load_yaml_text(path.read_text(encoding="utf-8"), str(path))
    assert isinstance(data, dict)
    return data


def run_scenario(data: dict[str, Any]) -> list[Finding]:
    commitments, treaty = _library()
    in_force = data.get("commitments") or treaty.commitments
    params = dict(treaty.model_dump(mode="json", exclude_unset=True).get("parameters", {}))
    params.update(data.get("treaty_parameters", {}))
    state = TreatyState.model_validate(
        {
            "document": "treaty",
            "id": treaty.id,
            "title": treaty.title,
            "version": treaty.version,
            "commitments": in_force,
            "parameters": params,
            "parties": data["parties"],
            **(
                {"settling_evidence": data["settling_evidence"]}
                if "settling_evidence" in data
                else {}
            ),
        }
    )
    reports = [Report.model_validate(r) for r in data.get("reports", [])]
    as_of = date.fromisoformat(str(data["as_of"]))
    return evaluate_models(state, commitments, reports, as_of)


def test_there_are_scenarios() -> None:
    assert len(SCENARIOS) >= 20


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_scenario(path: Path) -> None:
    data = load_scenario(path)
    if data.get("known_limitation"):
        # The expert verdict stays in the file; the engine cannot reach it yet (the reason says
        # why). Strict: the day the engine gets it right, the marker must be removed.
        try:
            _check(path, data)
        except AssertionError:
            pytest.xfail(f"known limitation: {data['known_limitation']}")
        pytest.fail(f"{path.name} now passes: remove its known_limitation")
    _check(path, data)


def _check(path: Path, data: dict[str, Any]) -> None:
    findings = run_scenario(data)
    got = {(f.party, f.commitment, f.subject): f for f in findings}

    for exp in data["expect"]:
        key = (exp["party"], exp["commitment"], exp.get("subject"))
        assert key in got, f"{path.name}: no finding for {key}; findings: {sorted(got)}"
        f = got[key]
        assert f.status == exp["status"], (
            f"{path.name} {key}: {f.status} != {exp['status']}: {f.explanation.summary}"
        )
        if "flags" in exp:
            assert sorted(f.flags) == sorted(exp["flags"]), (
                f"{path.name} {key}: flags {f.flags}: {f.explanation.summary}"
            )
        for word in exp.get("explanation_contains", []):
            assert word in f.explanation.summary + " " + (f.explanation.counterfactual or ""), (
                f"{path.name} {key}: {word!r} not in {f.explanation.summary!r}"
            )
    if data.get("exhaustive"):
        listed = {(e["party"], e["commitment"], e.get("subject")) for e in data["expect"]}
        assert set(got) == listed, f"{path.name}: unexpected findings {sorted(set(got) - listed)}"


def _all() -> list[dict[str, Any]]:
    return [load_scenario(p) for p in SCENARIOS]


def test_every_commitment_has_a_compliant_and_a_breaching_scenario() -> None:
    """Lists the commitments lacking either kind of scenario, and fails if there are any."""
    commitments, treaty = _library()
    seen: dict[str, set[str]] = defaultdict(set)
    for data in _all():
        for exp in data["expect"]:
            seen[exp["commitment"]].add(exp["status"])
        for cid in data.get("exercises", []):
            for exp in data["expect"]:
                seen[cid].add(exp["status"])
    lacking = sorted(
        cid for cid in treaty.commitments if not {"compliant", "breach"} <= seen.get(cid, set())
    )

    assert lacking == [], f"commitments lacking a compliant or a breaching scenario: {lacking}"


def test_every_boundary_case_and_rule_pattern_has_a_scenario() -> None:
    covered = {tag for data in _all() for tag in data.get("covers", [])}

    assert sorted(set(BOUNDARY_CASES) - covered) == []
    assert sorted(set(RULE_PATTERNS) - covered) == []
