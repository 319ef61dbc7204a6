"""Reason codes (docs/rules.md section 13): one hand-built case per code a finding can carry.

Each case is worked out by hand from the table of section 13; both the engine and the oracle
(tests/oracle.py) must give the expected status and code. A last test checks that the cases
cover every finding code of the table, so a code added to the docs needs a case here.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from engine.explain.findings import evaluate_models
from engine.model.commitment import Commitment, TreatyState
from engine.model.records import Report
from tests.evaluate.test_oracle import (
    ANNUAL,
    BIG,
    SITUATION,
    T0,
    arr,
    ax,
    classify,
    commitment,
    finding_codes,
    notif,
    notify_rule,
    party,
    report,
    run_rec,
    treaty,
)
from tests.oracle import oracle_evaluate

Case = tuple[TreatyState, list[Commitment], list[Report], str, str | None]
"""(treaty, commitments, reports, as-of date, subject of the finding looked at); party AAA and
commitment AB-1 throughout."""

WITHDRAWN = treaty(
    parties=[party(withdrawal_notice_on="2028-01-10", withdrawal_effective_on="2028-03-01")]
)
ACT = classify({"field": "actual_flop", "op": "gt", "value": 3}, scope={"event": "planned_start"})
EVIDENCE = treaty(commitments=["AB-1", "CB-1"])
REPORT_DUTY = commitment("CB-1", rules=[{**ANNUAL, "id": "CB-1.R1"}])
PROHIBITION = commitment(rules=[BIG], verification={"evidence_from": ["CB-1"]})
EXCUSED = notify_rule(
    excused_by={
        "kind": "notification",
        "match": {"about": "id"},
        "where": {"field": "channel", "op": "eq", "value": "EX"},
    }
)


def _absence(reports: list[Report], as_of: str) -> Case:
    return EVIDENCE, [PROHIBITION, REPORT_DUTY], reports, as_of, None


def _one(rule: dict[str, Any], reports: list[Report], as_of: str = "2028-06-01", **kw: Any) -> Case:
    return T0, [commitment(rules=[rule], **kw)], reports, as_of, "tr1"


def _cycle(rule: dict[str, Any], reports: list[Report], as_of: str, due: str) -> Case:
    return T0, [commitment(rules=[rule])], reports, as_of, f"cycle:{due}"


CASES: dict[str, tuple[str, Callable[[], Case]]] = {
    # code: (status, the case)
    "not_bound": (
        "not_applicable",
        lambda: (
            treaty(parties=[party(eif=None)]),
            [commitment(rules=[BIG])],
            [],
            "2028-06-01",
            None,
        ),
    ),
    "not_binding_on_party": (
        "not_applicable",
        lambda: (
            T0,
            [commitment(rules=[BIG], applicability={"parties": ["BBB"]})],
            [],
            "2028-06-01",
            None,
        ),
    ),
    "nothing_owed": (
        "not_applicable",
        lambda: (WITHDRAWN, [commitment(rules=[ANNUAL])], [], "2028-06-01", None),
    ),
    "absence_unverifiable": (
        "gap",
        lambda: (T0, [commitment(rules=[BIG])], [], "2028-06-01", None),
    ),
    "absence_missing_report": ("gap", lambda: _absence([], "2029-06-01")),
    "absence_not_yet_due": ("gap", lambda: _absence([], "2028-06-01")),
    "absence_compliant": (
        "compliant",
        lambda: _absence([report([ax(2029, "2029-01-10T00:00:00Z")])], "2029-06-01"),
    ),
    "undated": (
        "gap",
        lambda: _one(
            classify(
                {"field": "actual_flop", "op": "gt", "value": 3}, scope={"event": "actual_start"}
            ),
            [report([run_rec(actual_flop=9)])],
        ),
    ),
    "act_before_entry_into_force": (
        "not_applicable",
        lambda: _one(ACT, [report([run_rec(planned_start="2027-12-31", actual_flop=9)])]),
    ),
    "act_after_withdrawal": (
        "not_applicable",
        lambda: (
            WITHDRAWN,
            [commitment(rules=[ACT])],
            [report([run_rec(planned_start="2028-03-01", actual_flop=9)])],
            "2028-06-01",
            "tr1",
        ),
    ),
    "act_after_as_of": (
        "not_applicable",
        lambda: _one(ACT, [report([run_rec(planned_start="2028-06-02", actual_flop=9)])]),
    ),
    "situation_ended_before_entry_into_force": (
        "not_applicable",
        lambda: (
            T0,
            [commitment(rules=[SITUATION])],
            [report([arr("2027-01-01", "2028-01-01")])],
            "2028-06-01",
            "ar1",
        ),
    ),
    "situation_after_withdrawal": (
        "not_applicable",
        lambda: (
            WITHDRAWN,
            [commitment(rules=[SITUATION])],
            [report([arr("2028-03-01")])],
            "2028-06-01",
            "ar1",
        ),
    ),
    "situation_after_as_of": (
        "not_applicable",
        lambda: (
            T0,
            [commitment(rules=[SITUATION])],
            [report([arr("2028-06-02")])],
            "2028-06-01",
            "ar1",
        ),
    ),
    "situation_outside_window": (
        "not_applicable",
        # ended the day it began, after entry into force: an empty window no bound explains
        lambda: (
            T0,
            [commitment(rules=[SITUATION])],
            [report([arr("2028-02-01", "2028-02-01")])],
            "2028-06-01",
            "ar1",
        ),
    ),
    "transition": (
        "compliant",
        lambda: (
            T0,
            [commitment(rules=[SITUATION], applicability={"transition": {"months": 12}})],
            [report([arr("2027-06-01")])],
            "2028-12-31",
            "ar1",
        ),
    ),
    "outside_rule": (
        "not_applicable",
        # the secretariat's reading is not selected (a small run), the Party's is dated before
        # entry into force: both not_applicable, and the highest-ranked source's reading is first
        lambda: _one(
            {**ACT, "subject": {"kind": "training_run", "where": BIG["cases"][0]["when"]}},
            [
                report([run_rec(planned_start="2027-12-31", actual_flop=9)]),
                report([run_rec(planned_start="2027-12-31", actual_flop=1)], source="secretariat"),
            ],
        ),
    ),
    "parameter_not_in_force": (
        "gap",
        lambda: _one(
            classify({"field": "actual_flop", "op": "gt", "value": {"param": "lim"}}),
            [report([run_rec(actual_flop=9)])],
            parameters={"lim": {"versions": [{"value": 3, "valid_from": "2029-01-01"}]}},
        ),
    ),
    "missing_required": (
        "gap",
        lambda: _one({**BIG, "requires": ["actual_flop"]}, [report([run_rec()])]),
    ),
    "readings_disagree": (
        "gap",
        lambda: _one(
            BIG,
            [
                report([run_rec(actual_flop=9)]),
                report([run_rec(actual_flop=1)], source="open_source"),
            ],
        ),
    ),
    "uncorroborated_required": (
        "gap",
        lambda: _one({**BIG, "corroboration": "required"}, [report([run_rec(actual_flop=1)])]),
    ),
    "classify_case": ("breach", lambda: _one(BIG, [report([run_rec(actual_flop=9)])])),
    "deadline_anchor_missing": (
        "gap",
        lambda: _one(
            notify_rule(
                [
                    {
                        "anchor": "threshold_known_on",
                        "offset": {"amount": 2, "unit": "days"},
                        "direction": "after",
                    }
                ]
            ),
            [report([run_rec()])],
        ),
    ),
    "deadline_met": (
        "compliant",
        lambda: _one(notify_rule(), [report([run_rec(), notif(sent_at="2028-01-10T00:00:00Z")])]),
    ),
    "deadline_disputed": (
        "gap",
        lambda: _one(
            notify_rule(),
            [
                report([run_rec(), notif(sent_at="2028-01-10T00:00:00Z")]),
                report(
                    [notif(sent_at="2028-02-10T00:00:00Z")],
                    source="other_party",
                    source_party="BBB",
                ),
            ],
        ),
    ),
    "deadline_late": (
        "breach",
        lambda: _one(notify_rule(), [report([run_rec(), notif(sent_at="2028-01-25T00:00:00Z")])]),
    ),
    "deadline_not_yet_due": (
        "not_applicable",
        lambda: _one(notify_rule(), [report([run_rec(planned_start="2028-09-01")])]),
    ),
    "deadline_missing": ("breach", lambda: _one(notify_rule(), [report([run_rec()])])),
    "excuse_disputed": (
        "gap",
        # the Party says its message n9 was an excuse (channel EX), an open source that it was
        # an ordinary notification: excused in one reading only
        lambda: _one(
            EXCUSED,
            [
                report([run_rec(), notif(rid="n9", channel="EX")]),
                report([notif(rid="n9", channel="AB-1")], source="open_source"),
            ],
        ),
    ),
    "excused": (
        "not_applicable",
        lambda: _one(EXCUSED, [report([run_rec(), notif(rid="n9", channel="EX")])]),
    ),
    "cycle_disputed": (
        "gap",
        lambda: _cycle(
            ANNUAL,
            [
                report([ax(2029, "2028-12-10T00:00:00Z")]),
                report([ax(2029, "2028-12-20T00:00:00Z")], source="secretariat"),
            ],
            "2029-06-01",
            "2028-12-15",
        ),
    ),
    "cycle_met": (
        "compliant",
        lambda: _cycle(
            ANNUAL, [report([ax(2029, "2028-12-15T23:59:59Z")])], "2029-06-01", "2028-12-15"
        ),
    ),
    "cycle_late": (
        "breach",
        lambda: _cycle(
            ANNUAL, [report([ax(2029, "2028-12-16T00:00:00Z")])], "2029-06-01", "2028-12-15"
        ),
    ),
    "cycle_missing": ("breach", lambda: _cycle(ANNUAL, [], "2029-06-01", "2028-12-15")),
    "cycle_not_yet_due": ("not_applicable", lambda: _cycle(ANNUAL, [], "2028-06-01", "2028-12-15")),
    "cycle_missing_required": (
        "gap",
        lambda: _cycle(
            {**ANNUAL, "requires": ["facilities_declared"]},
            [report([ax(2029, "2028-12-10T00:00:00Z")])],
            "2029-06-01",
            "2028-12-15",
        ),
    ),
}


def _engine(case: Case) -> tuple[str, str | None]:
    t, cs, reps, as_of, subject = case
    found = [
        f
        for f in evaluate_models(t, {c.id: c for c in cs}, reps, date.fromisoformat(as_of))
        if (f.party, f.commitment, f.subject) == ("AAA", "AB-1", subject)
    ]
    assert len(found) == 1, found
    return found[0].status, found[0].explanation.reason


def _oracle(case: Case) -> tuple[str, str | None]:
    t, cs, reps, as_of, subject = case
    found = [
        f
        for f in oracle_evaluate(t, {c.id: c for c in cs}, reps, date.fromisoformat(as_of))
        if (f.party, f.commitment, f.subject) == ("AAA", "AB-1", subject)
    ]
    assert len(found) == 1, found
    return found[0].status, found[0].reason


@pytest.mark.parametrize("code", sorted(CASES))
def test_oracle_gives_the_code(code: str) -> None:
    status, case = CASES[code]
    assert _oracle(case()) == (status, code)


@pytest.mark.parametrize("code", sorted(CASES))
def test_engine_gives_the_code(code: str) -> None:
    status, case = CASES[code]
    assert _engine(case()) == (status, code)


def test_every_finding_code_of_the_docs_has_a_case() -> None:
    assert set(CASES) == set(finding_codes())


# ----------------------------------------------------------------------------------------------
# Where section 13 leaves room: the readings both implement (READING: in tests/reference/)
# ----------------------------------------------------------------------------------------------

NOT_IN_FORCE = {"versions": [{"value": 3, "valid_from": "2029-01-01"}]}
"""A parameter whose only window opens after the as-of dates used here."""


def _deadline(**fields: Any) -> dict[str, Any]:
    return {"anchor": "planned_start", "direction": "before", **fields}


READINGS: dict[str, tuple[str, str, Callable[[], Case]]] = {
    # reading: (status, code, the case)
    "readings in rank order, the first one's code": (
        "not_applicable",
        "act_before_entry_into_force",
        # the secretariat (rank 3) reads it dated before entry into force, an open source
        # (rank 2, first by name) reads a small run the rule does not select
        lambda: _one(
            {**ACT, "subject": {"kind": "training_run", "where": BIG["cases"][0]["when"]}},
            [
                report([run_rec(planned_start="2027-12-31", actual_flop=9)], source="secretariat"),
                report([run_rec(planned_start="2027-12-31", actual_flop=1)], source="open_source"),
            ],
        ),
    ),
    "an offset parameter not in force is the deadline's": (
        "gap",
        "deadline_anchor_missing",
        lambda: _one(
            notify_rule([_deadline(offset={"amount": {"param": "days_n"}, "unit": "days"})]),
            [report([run_rec()])],
            parameters={"days_n": {"unit": "days", **NOT_IN_FORCE}},
        ),
    ),
    "a when parameter not in force before an anchor missing": (
        "gap",
        "parameter_not_in_force",
        lambda: _one(
            notify_rule(
                [
                    {**_deadline(offset={"amount": 2, "unit": "days"}), "anchor": "actual_start"},
                    _deadline(
                        offset={"amount": 2, "unit": "days"},
                        when={"field": "actual_flop", "op": "gt", "value": {"param": "lim"}},
                    ),
                ]
            ),
            [report([run_rec(actual_flop=9)])],
            parameters={"lim": NOT_IN_FORCE},
        ),
    ),
    "undated before a parameter not in force": (
        "gap",
        "undated",
        lambda: _one(
            classify(
                {"field": "actual_flop", "op": "gt", "value": {"param": "lim"}},
                scope={"event": "actual_start"},
            ),
            [report([run_rec(actual_flop=9)])],
            parameters={"lim": NOT_IN_FORCE},
        ),
    ),
    "not bound before not listed": (
        "not_applicable",
        "not_bound",
        lambda: (
            treaty(parties=[party(eif=None)]),
            [commitment(rules=[BIG], applicability={"parties": ["BBB"]})],
            [],
            "2028-06-01",
            None,
        ),
    ),
    "evidence_from none of which is in force": (
        "gap",
        "absence_not_yet_due",
        lambda: (
            T0,
            [commitment(rules=[BIG], verification={"evidence_from": ["ZZ-9"]})],
            [],
            "2028-06-01",
            None,
        ),
    ),
}


@pytest.mark.parametrize("reading", sorted(READINGS))
def test_engine_and_oracle_read_section_13_alike(reading: str) -> None:
    status, code, case = READINGS[reading]
    assert _oracle(case()) == (status, code)
    assert _engine(case()) == (status, code)
