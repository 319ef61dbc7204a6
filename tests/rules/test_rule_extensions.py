"""The rule-language extensions (docs/rules.md): each construct on small hand-built cases, judged
by both the engine and the oracle with the verdict worked out by hand, and each misuse refused by
the compiler with a one-line message naming the place and the fix."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from engine.explain.findings import evaluate_models
from engine.model.commitment import Commitment, TreatyState
from engine.model.records import Report
from engine.rules.compile import CompileError, compile_program
from tests.evaluate.test_oracle import classify, commitment, party, report, treaty
from tests.oracle import oracle_evaluate

Row = tuple[str, str, str | None, str, tuple[str, ...], str | None]


def both(t: TreatyState, cs: list[Commitment], reports: list[Report], as_of: str) -> list[Row]:
    """The findings ``(party, commitment, subject, status, flags, reason)``, after checking that
    the engine and the oracle agree on them, reason codes included."""
    day = date.fromisoformat(as_of)
    by_id = {c.id: c for c in cs}
    engine = sorted(
        (f.party, f.commitment, f.subject, f.status, tuple(sorted(f.flags)), f.explanation.reason)
        for f in evaluate_models(t, by_id, reports, day)
    )
    oracle = sorted(oracle_evaluate(t, by_id, reports, day), key=lambda r: (r[0], r[1], r[2] or ""))
    assert engine == sorted(tuple(r) for r in oracle)
    return engine


def verdict(
    t: TreatyState, cs: list[Commitment], reports: list[Report], as_of: str, subject: str
) -> tuple[str, tuple[str, ...]]:
    hits = [r for r in both(t, cs, reports, as_of) if r[2] == subject]
    assert len(hits) == 1, hits
    return hits[0][3], hits[0][4]


def compile_error(rules: list[dict[str, Any]]) -> CompileError:
    with pytest.raises(CompileError) as exc:
        compile_program([commitment(rules=rules)], None, date(2028, 1, 1))
    err = exc.value
    assert "\n" not in err.message and "\n" not in err.fix
    return err


def request(rid: str, by: list[str], at: str = "2028-03-01T09:00:00Z") -> dict[str, Any]:
    return {
        "kind": "evidence_request",
        "id": rid,
        "claim": "law-1",
        "requested_by": by,
        "received_at": at,
    }


# ----------------------------------------------------------------------------------------------
# count_distinct
# ----------------------------------------------------------------------------------------------


def test_count_distinct_counts_distinct_items_of_a_list() -> None:
    rule = classify(
        {"field": "n", "op": "ge", "value": 2},
        kind="evidence_request",
        derive={"n": {"op": "count_distinct", "args": [{"field": "requested_by"}]}},
    )
    c = commitment(rules=[rule])
    reps = [
        report(
            [
                request("er-two", ["ARC", "CAL"]),
                request("er-twice", ["ARC", "ARC"]),
                request("er-none", []),
            ]
        )
    ]
    rows = {r[2]: r[3] for r in both(treaty(), [c], reps, "2028-06-30")}
    assert rows == {"er-two": "breach", "er-twice": "compliant", "er-none": "compliant"}


@pytest.mark.parametrize(
    ("args", "words"),
    [
        ([{"field": "received_at"}], ["count_distinct", "requested_by", "/derive/n/args/0"]),
        ([{"field": "requested_by"}, {"field": "requested_by"}], ["exactly one list field"]),
        ([3], ["exactly one list field"]),
    ],
)
def test_count_distinct_misuse_is_a_one_line_compile_error(
    args: list[Any], words: list[str]
) -> None:
    rule = classify(
        {"field": "n", "op": "ge", "value": 2},
        kind="evidence_request",
        derive={"n": {"op": "count_distinct", "args": args}},
    )
    err = compile_error([rule])
    text = f"{err.pointer}: {err.message} ({err.fix})"
    assert all(w in text for w in words), text


def test_count_distinct_only_under_derive() -> None:
    cond = {
        "field": "claim",
        "op": "eq",
        "value": {"op": "count_distinct", "args": [{"field": "requested_by"}]},
    }
    err = compile_error([classify(cond, kind="evidence_request")])
    assert "derive" in err.fix


# ----------------------------------------------------------------------------------------------
# party_entry_into_force
# ----------------------------------------------------------------------------------------------


def arrangement(rid: str, signed_on: str, **kw: Any) -> dict[str, Any]:
    return {
        "kind": "arrangement",
        "id": rid,
        "name": rid,
        "form": "bilateral",
        "signed_on": signed_on,
        **kw,
    }


def registration(arr: str, at: str, event: str = "signature") -> dict[str, Any]:
    return {
        "kind": "registration",
        "id": f"reg-{arr}",
        "arrangement": arr,
        "event": event,
        "registered_at": at,
    }


PRE_EIF = {
    "type": "deadline",
    "id": "AB-1.R1",
    "clause": "arrangements pre-dating entry into force within 10 working days of EIF",
    "scope": {"event": "party_entry_into_force"},
    "trigger": {
        "kind": "arrangement",
        "where": {"field": "signed_on", "op": "lt", "value": {"field": "party_entry_into_force"}},
    },
    "fulfil": {"kind": "registration", "match": {"arrangement": "id"}, "at": "registered_at"},
    "deadlines": [
        {
            "anchor": "party_entry_into_force",
            "offset": {"amount": 10, "unit": "working_days"},
        }
    ],
}


def test_deadline_anchored_on_entry_into_force_counts_working_days_and_holidays() -> None:
    # EIF Monday 2028-01-03, holiday Thursday 2028-01-06: the 10th working day after it is
    # Tuesday 2028-01-18 (without the holiday, Monday 2028-01-17).
    t = treaty([party(eif="2028-01-03", holidays=["2028-01-06"])])
    c = commitment(rules=[PRE_EIF])
    reps = [
        report(
            [
                arrangement("a-ontime", "2027-05-03"),
                registration("a-ontime", "2028-01-18T23:00:00Z"),
                arrangement("a-late", "2027-05-03"),
                registration("a-late", "2028-01-19T00:00:00Z"),
                arrangement("a-never", "2027-06-01"),
                arrangement("a-after", "2028-02-01"),  # signed after EIF: not selected
            ],
            submitted="2028-03-01T00:00:00Z",
        )
    ]
    rows = {r[2]: (r[3], r[4]) for r in both(t, [c], reps, "2028-06-30")}
    assert rows == {
        "a-ontime": ("compliant", ()),
        "a-late": ("breach", ("late",)),
        "a-never": ("breach", ("missing",)),
    }
    # As of the day before the due day nothing is missing yet.
    early = [report([arrangement("a-never", "2027-06-01")], submitted="2028-01-10T00:00:00Z")]
    assert verdict(t, [c], early, "2028-01-17", "a-never") == ("not_applicable", ("not_yet_due",))


def test_entry_into_force_in_conditions_and_derive() -> None:
    rule = classify(
        {"field": "later", "op": "gt", "value": {"field": "party_entry_into_force"}},
        kind="arrangement",
        derive={
            "later": {"op": "max", "args": [{"field": "signed_on"}, {"field": "terminated_on"}]}
        },
    )
    t = treaty([party(eif="2028-01-03")])
    reps = [
        report(
            [
                arrangement("a1", "2027-05-03", terminated_on="2028-01-04"),
                arrangement("a2", "2027-05-03", terminated_on="2028-01-03"),
            ]
        )
    ]
    rows = {r[2]: r[3] for r in both(t, [commitment(rules=[rule])], reps, "2028-06-30")}
    assert rows == {"a1": "breach", "a2": "compliant"}


@pytest.mark.parametrize(
    ("change", "pointer"),
    [
        ({"fulfil": {**PRE_EIF["fulfil"], "at": "party_entry_into_force"}}, "/fulfil/at"),
        (
            {"fulfil": {**PRE_EIF["fulfil"], "match": {"arrangement": "party_entry_into_force"}}},
            "/fulfil/match",
        ),
        ({"requires": ["party_entry_into_force"]}, "/requires/0"),
        ({"derive": {"party_entry_into_force": {"op": "add", "args": [1]}}}, "/derive/"),
    ],
)
def test_virtual_field_misuse_is_a_one_line_compile_error(
    change: dict[str, Any], pointer: str
) -> None:
    err = compile_error([{**PRE_EIF, **change}])
    assert pointer in err.pointer
    assert "party_entry_into_force" in err.message


# ----------------------------------------------------------------------------------------------
# reported_by and evidence_levels
# ----------------------------------------------------------------------------------------------


def facility(rid: str, **kw: Any) -> dict[str, Any]:
    return {"kind": "facility", "id": rid, "name": rid, "operating_since": "2027-03-01", **kw}


def test_who_reported_a_record_in_conditions() -> None:
    by_inspection = classify(
        {"field": "reported_by", "op": "contains", "value": "inspection"}, kind="facility"
    )
    backed = classify(
        {"field": "evidence_levels", "op": "contains", "value": "inspection"},
        kind="facility",
        rid="AB-2.R1",
    )
    c1, c2 = commitment(rules=[by_inspection]), commitment("AB-2", rules=[backed])
    t = treaty(commitments=["AB-1", "AB-2"])
    reps = [
        report([facility("f-self"), facility("f-both"), facility("f-relayed")]),
        report([facility("f-both", peak_ops_per_s=2e20)], source="inspection"),
        # the Secretariat relays an inspection's finding: source secretariat, backed by inspection
        report([facility("f-relayed")], source="secretariat", evidence_level="inspection"),
    ]
    rows = {(r[1], r[2]): r[3] for r in both(t, [c1, c2], reps, "2028-06-30")}
    assert rows == {
        ("AB-1", "f-self"): "compliant",
        ("AB-1", "f-both"): "breach",
        ("AB-1", "f-relayed"): "compliant",
        ("AB-2", "f-self"): "compliant",
        ("AB-2", "f-both"): "breach",
        ("AB-2", "f-relayed"): "breach",
    }


def test_who_reported_is_the_same_in_every_version_of_a_disputed_record() -> None:
    # self and open_source disagree on the peak (nothing settles it): two versions, both reported
    # by both sources, so a rule on the sources alone gives one verdict, not a contradiction.
    rule = classify(
        {"field": "reported_by", "op": "contains_all", "value": ["self", "open_source"]},
        kind="facility",
    )
    reps = [
        report([facility("f1", peak_ops_per_s=1e20)]),
        report([facility("f1", peak_ops_per_s=3e20)], source="open_source"),
    ]
    assert verdict(treaty(), [commitment(rules=[rule])], reps, "2028-06-30", "f1") == (
        "breach",
        (),
    )


def test_number_of_distinct_sources() -> None:
    rule = classify(
        {"field": "n", "op": "ge", "value": 2},
        kind="facility",
        derive={"n": {"op": "count_distinct", "args": [{"field": "reported_by"}]}},
    )
    reps = [
        report([facility("f1"), facility("f2")]),
        report([facility("f1")], source="open_source"),
        report([facility("f2")], submitted="2028-02-01T00:00:00Z"),  # a correction, same source
    ]
    rows = {r[2]: r[3] for r in both(treaty(), [commitment(rules=[rule])], reps, "2028-06-30")}
    assert rows == {"f1": "breach", "f2": "compliant"}


def test_sources_cannot_correlate_records() -> None:
    rule = {
        **classify({"count": "n", "op": "ge", "value": 1}, kind="facility"),
        "counts": [{"name": "n", "kind": "facility", "same": {"reported_by": "reported_by"}}],
    }
    err = compile_error([rule])
    assert err.pointer.endswith("/counts/0/same") and "reported_by" in err.message


# ----------------------------------------------------------------------------------------------
# excused_by
# ----------------------------------------------------------------------------------------------


ACCESS = {
    "type": "deadline",
    "id": "AB-1.R1",
    "clause": "grant access within 36 hours",
    "scope": {"event": "received_at"},
    "trigger": {"kind": "inspection_request"},
    "fulfil": {"kind": "inspection", "match": {"request": "id"}, "at": "access_granted_at"},
    "deadlines": [{"anchor": "received_at", "offset": {"amount": 36, "unit": "hours"}}],
    "excused_by": {"kind": "inspection_refusal", "match": {"request": "id"}},
}


def insp_request(rid: str, at: str = "2028-09-04T08:00:00Z") -> dict[str, Any]:
    return {
        "kind": "inspection_request",
        "id": rid,
        "requesting_party": "DOV",
        "facility": "fac-1",
        "received_at": at,
    }


def refusal(rid: str, request: str, at: str = "2028-09-04T18:00:00Z") -> dict[str, Any]:
    return {
        "kind": "inspection_refusal",
        "id": rid,
        "request": request,
        "requesting_party": "DOV",
        "refused_at": at,
    }


def inspection(rid: str, request: str, at: str) -> dict[str, Any]:
    return {
        "kind": "inspection",
        "id": rid,
        "request": request,
        "requesting_party": "DOV",
        "access_granted_at": at,
    }


def test_a_refused_request_owes_no_access() -> None:
    reps = [
        report(
            [
                insp_request("ir-refused"),
                refusal("ref-1", "ir-refused"),
                insp_request("ir-silent"),
                insp_request("ir-late"),
                inspection("in-late", "ir-late", "2028-09-05T20:00:01Z"),
                # refused, then inspected all the same: the refusal decides
                insp_request("ir-both"),
                refusal("ref-2", "ir-both"),
                inspection("in-both", "ir-both", "2028-09-05T20:00:01Z"),
            ],
            source="secretariat",
            submitted="2028-12-01T00:00:00Z",
        )
    ]
    rows = {
        r[2]: (r[3], r[4]) for r in both(treaty(), [commitment(rules=[ACCESS])], reps, "2028-12-31")
    }
    assert rows == {
        "ir-refused": ("not_applicable", ()),
        "ir-silent": ("breach", ("missing",)),
        "ir-late": ("breach", ("late",)),
        "ir-both": ("not_applicable", ()),
    }


def test_excuse_outcome_where_and_disputed_excuse() -> None:
    rule = {
        **ACCESS,
        "corroboration": "required",
        "excused_by": {
            "kind": "inspection_refusal",
            "match": {"request": "id"},
            "where": {"field": "grounds", "op": "eq", "value": "quota"},
            "outcome": {"status": "compliant"},
        },
    }
    reps = [
        report(
            [
                insp_request("ir-quota"),
                {**refusal("ref-q", "ir-quota"), "grounds": "quota"},
                insp_request("ir-other"),
                {**refusal("ref-o", "ir-other"), "grounds": "safety"},
                insp_request("ir-disputed"),
                {**refusal("ref-d", "ir-disputed"), "grounds": "quota"},
            ],
            submitted="2028-12-01T00:00:00Z",
        ),
        # an open source says ref-d was about another request: excused in one reading only
        report(
            [{**refusal("ref-d", "ir-zzz"), "grounds": "quota"}],
            source="open_source",
            submitted="2028-12-01T00:00:00Z",
        ),
    ]
    rows = {
        r[2]: (r[3], r[4]) for r in both(treaty(), [commitment(rules=[rule])], reps, "2028-12-31")
    }
    assert rows == {
        # compliant by the excuse, but resting only on the Party's own report
        "ir-quota": ("gap", ("uncorroborated",)),
        "ir-other": ("breach", ("missing",)),
        "ir-disputed": ("gap", ("contradictory",)),
    }


@pytest.mark.parametrize(
    ("excuse", "pointer", "words"),
    [
        ({"kind": "inspection_refusal", "match": {}}, "/excused_by/match", "no correlation"),
        ({"kind": "satellite", "match": {"request": "id"}}, "/excused_by/kind", "satellite"),
        (
            {"kind": "inspection_refusal", "match": {"refused_at": "id"}},
            "/excused_by/match",
            "refused_at",
        ),
        (
            {
                "kind": "inspection_refusal",
                "match": {"request": "id"},
                "where": {"field": "x", "op": "exists"},
            },
            "/excused_by/where",
            "no field 'x'",
        ),
    ],
)
def test_excuse_misuse_is_a_one_line_compile_error(
    excuse: dict[str, Any], pointer: str, words: str
) -> None:
    err = compile_error([{**ACCESS, "excused_by": excuse}])
    assert pointer in err.pointer and words in err.message


# ----------------------------------------------------------------------------------------------
# contains (a list of the counted record holds the subject's value), same_year on a year field
# ----------------------------------------------------------------------------------------------


LISTED = {
    **classify({"count": "listing", "op": "eq", "value": 0}),
    "derive": {
        "start": {"op": "coalesce", "args": [{"field": "actual_start"}, {"field": "planned_start"}]}
    },
    "counts": [
        {
            "name": "listing",
            "kind": "calendar",
            "contains": {"runs": "id"},
            "same_year": ["for_year", "start"],
            "before": ["submitted_at", "start"],
        }
    ],
}


def calendar(rid: str, year: int, runs: list[str], at: str) -> dict[str, Any]:
    return {"kind": "calendar", "id": rid, "for_year": year, "runs": runs, "submitted_at": at}


def test_a_run_listed_in_the_calendar_for_its_year() -> None:
    reps = [
        report(
            [
                calendar("cal-2029", 2029, ["r-listed", "r-late-calendar"], "2028-11-10T09:00:00Z"),
                calendar("cal-2030", 2030, ["r-other-year"], "2028-11-10T09:00:00Z"),
                # listed, but the calendar came after the run had started
                calendar("cal-2029b", 2029, ["r-late-calendar"], "2029-05-01T00:00:00Z"),
            ],
            submitted="2029-05-02T00:00:00Z",
        ),
        report(
            [
                {"kind": "training_run", "id": rid, "planned_start": start, **kw}
                for rid, start, kw in [
                    ("r-listed", "2029-03-01", {}),
                    ("r-unlisted", "2029-03-01", {}),
                    ("r-other-year", "2029-03-01", {}),
                    # planned in 2030, started early in 2029: the derived start counts
                    ("r-late-calendar", "2030-02-01", {"actual_start": "2029-04-01"}),
                ]
            ],
            submitted="2029-05-02T00:00:00Z",
        ),
    ]
    rows = {r[2]: r[3] for r in both(treaty(), [commitment(rules=[LISTED])], reps, "2029-06-30")}
    assert rows == {
        "r-listed": "compliant",
        "r-unlisted": "breach",
        "r-other-year": "breach",
        "r-late-calendar": "compliant",  # cal-2029 (before the start) lists it too
    }


def test_contains_when_the_record_lists_itself_and_when_sources_disagree() -> None:
    # An arrangement counted by its members holding the subject's counterpart, with the subject
    # among the counted (an arrangement may count itself); a disputed member list counts if any
    # reading holds the value (section 6).
    rule = {
        **classify({"count": "n", "op": "ge", "value": 1}, kind="arrangement"),
        "counts": [{"name": "n", "kind": "arrangement", "contains": {"members": "counterpart"}}],
    }
    reps = [
        report(
            [
                arrangement("a-self", "2028-02-01", counterpart="BBB", members=["BBB", "CCC"]),
                arrangement("a-none", "2028-02-01", counterpart="DDD", members=["BBB"]),
                arrangement("a-disputed", "2028-02-01", counterpart="EEE", members=["CCC"]),
            ]
        ),
        report(
            [arrangement("a-disputed", "2028-02-01", counterpart="EEE", members=["EEE"])],
            source="open_source",
        ),
    ]
    rows = {r[2]: r[3] for r in both(treaty(), [commitment(rules=[rule])], reps, "2028-06-30")}
    assert rows == {"a-self": "breach", "a-none": "compliant", "a-disputed": "breach"}


@pytest.mark.parametrize(
    ("count", "pointer", "words"),
    [
        (
            {"name": "n", "kind": "calendar", "contains": {"for_year": "id"}},
            "/counts/0/contains",
            "not a list field",
        ),
        (
            {"name": "n", "kind": "calendar", "contains": {"runs": "planned_start"}},
            "/counts/0/contains",
            "lists hold text",
        ),
        (
            {"name": "n", "kind": "calendar", "contains": {"runs": "id", "runz": "id"}},
            "/counts/0/contains",
            "one list",
        ),
        (
            {"name": "n", "kind": "calendar", "contains": {"reported_by": "id"}},
            "/counts/0/contains",
            "reported_by",
        ),
        (
            {"name": "n", "kind": "inventory_account", "same_year": ["sigma", "planned_start"]},
            "/counts/0/same_year",
            "whole-number year",
        ),
    ],
)
def test_count_join_misuse_is_a_one_line_compile_error(
    count: dict[str, Any], pointer: str, words: str
) -> None:
    rule = {**classify({"count": "n", "op": "eq", "value": 0}), "counts": [count]}
    err = compile_error([rule])
    assert pointer in err.pointer and words in err.message, (err.pointer, err.message)


# ----------------------------------------------------------------------------------------------
# Rulings found by the random differential scan
# ----------------------------------------------------------------------------------------------


def test_absence_with_a_cycle_submitted_in_some_readings_only_is_a_missing_report() -> None:
    # Two sources disagree on which year exchange ax2 is valid for: in one reading the cycle of
    # 2028-12-31 has a submission, in the other it has none. The cycle itself is contradictory,
    # and the commitment relying on it for absence cannot count it as submitted.
    quiet = commitment(
        "AB-2",
        rules=[classify({"field": "actual_flop", "op": "exists"}, rid="AB-2.R1")],
        verification={"evidence_from": ["AB-3"]},
    )
    periodic = commitment(
        "AB-3",
        rules=[
            {
                "type": "periodic",
                "id": "AB-3.R1",
                "clause": "clause",
                "submission": {"kind": "annual_exchange"},
                "at": "submitted_at",
                "schedule": {"every": "months", "months": 12},
                "cycle_field": "valid_for_year",
            }
        ],
    )
    ts = "2027-12-31T00:00:00Z"

    def exchange(rid: str, year: int) -> dict[str, Any]:
        return {"kind": "annual_exchange", "id": rid, "valid_for_year": year, "submitted_at": ts}

    reps = [
        report([exchange("ax1", 2027), exchange("ax2", 2028)], submitted=ts),
        report([exchange("ax1", 2027), exchange("ax2", 2027)], submitted=ts, source="open_source"),
    ]
    t = treaty([party(eif="2027-12-31")], commitments=["AB-2", "AB-3"])
    rows = {(r[1], r[2]): (r[3], r[4]) for r in both(t, [quiet, periodic], reps, "2029-01-01")}
    assert rows[("AB-3", "cycle:2028-12-31")] == ("gap", ("contradictory",))
    assert rows[("AB-2", None)] == ("gap", ("missing_report",))


def test_a_field_absent_stays_absent_for_conditions_when_another_rule_joins_on_it() -> None:
    # AB-1 counts annual exchanges by the arrangement's counterpart, so the engine gives the
    # arrangement's counterpart a join sentinel when it is absent; AB-2 must still see the
    # counterpart as not reported.
    joins = commitment(
        rules=[
            {
                **classify({"count": "n", "op": "ge", "value": 1}, kind="arrangement"),
                "counts": [{"name": "n", "kind": "annual_exchange", "same": {"id": "counterpart"}}],
            }
        ]
    )
    reads = commitment(
        "AB-2",
        rules=[
            {
                **classify({"field": "counterpart", "op": "ne", "value": "ZZZ"}, rid="AB-2.R1"),
                "subject": {
                    "kind": "arrangement",
                    "where": {"field": "counterpart", "op": "exists"},
                },
            }
        ],
    )
    reps = [
        report(
            [arrangement("ar1", "2028-02-01", counterpart="BBB"), arrangement("ar2", "2028-02-01")]
        )
    ]
    t = treaty(commitments=["AB-1", "AB-2"])
    rows = {(r[1], r[2]): r[3] for r in both(t, [joins, reads], reps, "2028-06-30")}
    assert rows == {
        ("AB-1", "ar1"): "compliant",
        ("AB-1", "ar2"): "compliant",
        ("AB-2", "ar1"): "breach",
    }


def test_a_reading_with_no_applicable_deadline_owes_nothing() -> None:
    # Two inspection teams disagree on the actual start. In one reading the run is not selected;
    # in the other no deadline applies (the run has an actual_flop): nothing is owed, no finding.
    # With a third reading in which the deadline applies and is missed, the readings disagree.
    rule = {
        "type": "deadline",
        "id": "AB-1.R1",
        "clause": "clause",
        "trigger": {
            "kind": "training_run",
            "where": {"field": "actual_start", "op": "ge", "value": "2028-03-01"},
        },
        "fulfil": {"kind": "notification", "match": {"about": "id"}, "at": "sent_at"},
        "deadlines": [
            {
                "anchor": "planned_start",
                "offset": {"amount": 0, "unit": "days"},
                "when": {"field": "compute_upper_flop", "op": "gt", "value": 1},
            }
        ],
    }

    def run_by(team: str, start: str, upper: float) -> Report:
        rec = {
            "kind": "training_run",
            "id": "tr1",
            "planned_start": "2028-03-01",
            "actual_start": start,
            "compute_upper_flop": upper,
        }
        return report([rec], source="inspection", source_party=team)

    c = commitment(rules=[rule])
    owed_nothing = [run_by("BBB", "2028-02-01", 5), run_by("CCC", "2028-03-02", 0)]
    assert [r for r in both(treaty(), [c], owed_nothing, "2028-06-30") if r[2] == "tr1"] == []
    disputed = [*owed_nothing, run_by("DDD", "2028-03-03", 5)]
    assert verdict(treaty(), [c], disputed, "2028-06-30", "tr1") == ("gap", ("contradictory",))


def test_a_count_before_compares_a_date_with_a_timestamp_by_day() -> None:
    # An arrangement signed on 2028-01-01 is not strictly before a notification sent at
    # 2028-01-01T00:00:01Z: a date and a timestamp are compared on the timestamp's UTC day.
    rule = {
        **classify({"count": "n", "op": "eq", "value": 0}, kind="notification"),
        "counts": [{"name": "n", "kind": "arrangement", "before": ["signed_on", "sent_at"]}],
    }

    def notice(rid: str, at: str) -> dict[str, Any]:
        return {"kind": "notification", "id": rid, "channel": "X", "about": "ar1", "sent_at": at}

    reps = [
        report(
            [
                arrangement("ar1", "2028-01-01"),
                notice("n-same-day", "2028-01-01T00:00:01Z"),
                notice("n-next-day", "2028-01-02T00:00:00Z"),
            ]
        )
    ]
    rows = {r[2]: r[3] for r in both(treaty(), [commitment(rules=[rule])], reps, "2028-06-30")}
    assert rows == {"n-same-day": "breach", "n-next-day": "compliant"}


def test_corroboration_rests_on_what_every_agreeing_reading_relies_on() -> None:
    # The Party and the Secretariat disagree on when n1 was sent. In the Party's reading n1 fills
    # the cycle; in the Secretariat's, n2 (reported by the Party alone) does. Both are on time,
    # and the cycle rests on n1 too, which the Secretariat backs: not uncorroborated.
    rule = {
        "type": "periodic",
        "id": "AB-1.R1",
        "clause": "clause",
        "corroboration": "flag",
        "submission": {"kind": "notification"},
        "at": "sent_at",
        "schedule": {"every": "year", "month": 1, "day": 1},
    }

    def notice(rid: str, at: str) -> dict[str, Any]:
        return {"kind": "notification", "id": rid, "channel": "X", "about": "x1", "sent_at": at}

    reps = [
        report([notice("n1", "2028-03-03T00:00:00Z"), notice("n2", "2028-06-28T00:00:00Z")]),
        report([notice("n1", "2028-12-31T00:00:00Z")], source="secretariat"),
    ]
    t = treaty([party(eif="2028-02-28")])
    assert verdict(t, [commitment(rules=[rule])], reps, "2029-01-01", "cycle:2029-01-01") == (
        "compliant",
        (),
    )


def test_parameters_are_read_on_a_derived_scope_date() -> None:
    # The rule is dated by a derived date (CB-3's start); the threshold is in force only from
    # 2028-06-01. A run starting before then cannot be judged against it: gap(insufficient_detail),
    # whatever the threshold's value on the as-of date.
    rule = {
        **classify({"field": "compute_upper_flop", "op": "meets", "value": {"param": "thr"}}),
        "derive": {
            "start": {
                "op": "coalesce",
                "args": [{"field": "actual_start"}, {"field": "planned_start"}],
            }
        },
        "scope": {"event": "start"},
    }
    c = commitment(
        rules=[rule],
        parameters={
            "thr": {"comparison": "strict", "versions": [{"value": 2, "valid_from": "2028-06-01"}]}
        },
    )
    reps = [
        report(
            [
                {
                    "kind": "training_run",
                    "id": "early",
                    "planned_start": "2028-03-01",
                    "compute_upper_flop": 5,
                },
                {
                    "kind": "training_run",
                    "id": "late",
                    "planned_start": "2028-07-01",
                    "compute_upper_flop": 5,
                },
            ]
        )
    ]
    rows = {r[2]: (r[3], r[4]) for r in both(treaty(), [c], reps, "2028-12-31")}
    assert rows == {"early": ("gap", ("insufficient_detail",)), "late": ("breach", ())}
