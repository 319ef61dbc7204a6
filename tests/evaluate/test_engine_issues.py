"""Where the engine departs from docs/rules.md: the issues the differential test found.

Each issue has a name (in ``tests.oracle.ENGINE_ISSUES``), a minimal case and the finding the
docs give for it. Three tests per issue:

* the oracle gives the docs' finding;
* asked to (``engine_issues={name}``), the oracle gives the engine's finding instead: it mimics
  the engine at that one point (marked ``ENGINE ISSUE:`` in tests/reference/), which is how the
  differential test keeps comparing everything else;
* the engine gives the docs' finding: a strict xfail until the engine is fixed. Then it passes,
  fails as XPASS, and the issue goes (here, in ``ENGINE_ISSUES`` and its branch in the oracle).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest

from engine.explain.findings import evaluate_models
from tests.evaluate.test_oracle import T0, commitment, notif, notify_rule, report, run_rec
from tests.evaluate.test_reasons import Case
from tests.oracle import ENGINE_ISSUES, oracle_evaluate

Row = tuple[str, tuple[str, ...], str | None]
"""(status, flags, reason code) of the finding about the case's subject."""


@dataclass(frozen=True)
class Issue:
    """A known departure of the engine from the docs."""

    case: Case
    docs: Row
    """The finding the docs give."""
    why: str
    """What the engine does, what the docs say, and the proposed fix."""


def _late_compliant(corroboration: str) -> Case:
    """A run only on the Party's word, notified late; the notification also by an inspection."""
    rule = notify_rule(corroboration=corroboration, on_late={"status": "compliant"})
    return (
        T0,
        [commitment(rules=[rule])],
        [
            report([run_rec(), notif(sent_at="2028-01-25T00:00:00Z")]),
            report([notif(sent_at="2028-01-25T00:00:00Z")], source="inspection"),
        ],
        "2028-06-01",
        "tr1",
    )


ISSUES: dict[str, Issue] = {
    "requires_after_deadline_when": Issue(
        (
            T0,
            [
                commitment(
                    rules=[
                        notify_rule(
                            [
                                {
                                    "anchor": "planned_start",
                                    "offset": {"amount": 42, "unit": "days"},
                                    "direction": "before",
                                    # read; its parameter is not in force on the as-of date
                                    "when": {
                                        "field": "compute_upper_flop",
                                        "op": "meets",
                                        "value": {"param": "thr"},
                                    },
                                }
                            ],
                            requires=["actual_flop"],
                        )
                    ],
                    parameters={
                        "thr": {
                            "comparison": "inclusive",
                            "versions": [{"value": 3, "valid_from": "2029-01-01"}],
                        }
                    },
                )
            ],
            [report([run_rec(compute_upper_flop=5)])],  # actual_flop, required, not reported
            "2028-06-01",
            "tr1",
        ),
        ("gap", ("insufficient_detail",), "missing_required"),
        "A deadline rule whose trigger lacks a field in `requires` and whose deadline's `when` "
        "reads a parameter not in force: the engine says parameter_not_in_force (it reads every "
        "deadline's `when` before `requires`, engine/evaluate/party.py missing_before_cases); "
        "section 6 checks `requires` before the cases and section 12 puts a deadline's `when` "
        "where a classify rule has its cases: missing_required. Fix: for deadline rules, leave "
        "the `when` parameters out of missing_before_cases and check them after absent_required.",
    ),
    "late_fulfilment_corroborates": Issue(
        _late_compliant("flag"),
        ("compliant", ("uncorroborated",), "deadline_late"),
        "A late fulfilment made compliant (on_late, or the transition of a breach): the engine "
        "lets the late fulfilment it cites corroborate the finding (engine/evaluate/deadline.py "
        "_late puts it in Verdict.records, which corroborate() reads), so an inspected late "
        "notification clears a self-reported run; section 12 rests corroboration on the subject "
        "record and every on-time fulfilment only: uncorroborated (with `required`, "
        "gap(uncorroborated_required)). Fix: keep the late fulfilment as evidence but out of "
        "what corroborate() reads, or say in section 12 that a late one counts.",
    ),
}


def _row(found: list[Any], case: Case) -> Row:
    _t, _cs, _reps, _as_of, subject = case
    hits = [f for f in found if (f[0], f[1], f[2]) == ("AAA", "AB-1", subject)]
    assert len(hits) == 1, hits
    return hits[0][3], tuple(hits[0][4]), hits[0][5]


def _engine(case: Case) -> Row:
    t, cs, reps, as_of, _subject = case
    found = evaluate_models(t, {c.id: c for c in cs}, reps, date.fromisoformat(as_of))
    rows = [
        (f.party, f.commitment, f.subject, f.status, sorted(f.flags), f.explanation.reason)
        for f in found
    ]
    return _row(rows, case)


def _oracle(case: Case, issues: frozenset[str] = frozenset()) -> Row:
    t, cs, reps, as_of, _subject = case
    by_id = {c.id: c for c in cs}
    return _row(
        oracle_evaluate(t, by_id, reps, date.fromisoformat(as_of), engine_issues=issues), case
    )


def test_every_engine_issue_has_its_case() -> None:
    assert set(ISSUES) == ENGINE_ISSUES


@pytest.mark.parametrize("name", sorted(ISSUES))
def test_oracle_follows_the_docs(name: str) -> None:
    assert _oracle(ISSUES[name].case) == ISSUES[name].docs


@pytest.mark.parametrize("name", sorted(ISSUES))
def test_oracle_mimics_the_engine_only_when_asked(name: str) -> None:
    case = ISSUES[name].case
    assert _oracle(case, frozenset({name})) == _engine(case) != ISSUES[name].docs
    others = ENGINE_ISSUES - {name}
    assert _oracle(case, others) == ISSUES[name].docs


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(
            name, marks=pytest.mark.xfail(strict=True, raises=AssertionError, reason=i.why)
        )
        for name, i in sorted(ISSUES.items())
    ],
)
def test_engine_follows_the_docs(name: str) -> None:
    assert _engine(ISSUES[name].case) == ISSUES[name].docs


def test_with_required_corroboration_the_late_fulfilment_decides_the_status() -> None:
    """The second issue changes the status, not only a flag, when corroboration is required."""
    case = _late_compliant("required")
    assert _oracle(case) == ("gap", ("uncorroborated",), "uncorroborated_required")
    assert _oracle(case, frozenset({"late_fulfilment_corroborates"})) == _engine(case)
    assert _engine(case) == ("compliant", (), "deadline_late")
