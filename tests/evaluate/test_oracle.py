"""Unit tests of the differential oracle (tests/oracle.py), one per semantic point of
docs/rules.md, on small hand-built models. Each asserts exact statuses and flags; the reason
codes have their own cases in tests/evaluate/test_reasons.py.

The last test runs the oracle on generated bundles (tests/strategies.py): it never raises, its
output is well formed and every reason code fits docs/rules.md section 13. By default it draws
100 derandomized examples; the long run (2,000) is marked slow:
``python -m pytest -m slow tests/evaluate/test_oracle.py``.
"""

from __future__ import annotations

import ast
import re
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from engine.model.commitment import Commitment, TreatyState  # noqa: E402
from engine.model.records import Report  # noqa: E402
from tests.oracle import STATUSES, add_months, add_working_days, oracle_evaluate  # noqa: E402
from tests.strategies import bundles  # noqa: E402

# ----------------------------------------------------------------------------------------------
# Builders
# ----------------------------------------------------------------------------------------------


def party(code: str = "AAA", eif: str | None = "2028-01-01", **kw: Any) -> dict[str, Any]:
    d: dict[str, Any] = {"code": code, "name": code}
    if eif is not None:
        d["entry_into_force"] = eif
    d.update(kw)
    return d


def treaty(
    parties: list[dict[str, Any]] | None = None,
    commitments: list[str] | None = None,
    **kw: Any,
) -> TreatyState:
    return TreatyState.model_validate(
        {
            "document": "treaty",
            "id": "T",
            "title": "Treaty",
            "version": "2027.1",
            "commitments": commitments or ["AB-1"],
            "parties": parties if parties is not None else [party()],
            **kw,
        }
    )


def commitment(
    cid: str = "AB-1", rules: list[dict[str, Any]] | None = None, **kw: Any
) -> Commitment:
    return Commitment.model_validate(
        {
            "document": "commitment",
            "id": cid,
            "title": cid,
            "category": "general",
            "modality": "obligation",
            "severity": "high",
            "text": [{"lang": "en", "text": "The Parties shall ..."}],
            "rules": rules or [],
            "enforcement": {"sanction_available": True},
            **kw,
        }
    )


_n = [0]


def report(
    records: list[dict[str, Any]],
    source: str = "self",
    subject: str = "AAA",
    submitted: str = "2028-01-01T00:00:00Z",
    rid: str | None = None,
    **kw: Any,
) -> Report:
    _n[0] += 1
    return Report.model_validate(
        {
            "document": "report",
            "id": rid or f"rep{_n[0]:04d}",
            "source": source,
            "subject_party": subject,
            "period": {"start": "2027-01-01", "end": "2030-12-31"},
            "submitted_at": submitted,
            "records": records,
            **kw,
        }
    )


def run(
    t: TreatyState, cs: list[Commitment], reports: list[Report], as_of: str
) -> list[tuple[Any, ...]]:
    """The oracle's findings as ``(party, commitment, subject, status, flags)``: the reason code
    is left out here (tests/evaluate/test_reasons.py checks it)."""
    found = oracle_evaluate(t, {c.id: c for c in cs}, reports, date.fromisoformat(as_of))
    return [tuple(f[:5]) for f in found]


def one(
    t: TreatyState, cs: list[Commitment], reports: list[Report], as_of: str, subject: Any
) -> tuple[str, tuple[str, ...]]:
    """(status, flags) of the finding about ``subject`` (there must be exactly one)."""
    hits = [f for f in run(t, cs, reports, as_of) if f[2] == subject]
    assert len(hits) == 1, hits
    return hits[0][3], hits[0][4]


def run_rec(
    kind: str = "training_run", rid: str = "tr1", planned_start: str = "2028-03-01", **fields: Any
) -> dict[str, Any]:
    if kind == "training_run":
        return {"kind": kind, "id": rid, "planned_start": planned_start, **fields}
    return {"kind": kind, "id": rid, **fields}


def notif(
    about: str = "tr1", sent_at: str = "2028-01-01T00:00:00Z", rid: str = "n1", **kw: Any
) -> dict[str, Any]:
    return {
        "kind": "notification",
        "id": rid,
        "channel": "AB-1",
        "about": about,
        "sent_at": sent_at,
        **kw,
    }


def classify(
    when: dict[str, Any] | None = None,
    kind: str = "training_run",
    rid: str = "AB-1.R1",
    hit: dict[str, Any] | None = None,
    otherwise: dict[str, Any] | None = None,
    **kw: Any,
) -> dict[str, Any]:
    """A classify rule: breach when ``when`` holds, else compliant."""
    return {
        "type": "classify",
        "id": rid,
        "clause": "clause",
        "subject": {"kind": kind},
        "cases": [{"when": when, **(hit or {"status": "breach"})}],
        "otherwise": otherwise or {"status": "compliant"},
        **kw,
    }


def notify_rule(
    deadlines: list[dict[str, Any]] | None = None,
    rid: str = "AB-1.R1",
    **kw: Any,
) -> dict[str, Any]:
    """A deadline rule: every training run needs a notification about it."""
    return {
        "type": "deadline",
        "id": rid,
        "clause": "notify",
        "trigger": {"kind": "training_run"},
        "fulfil": {"kind": "notification", "match": {"about": "id"}, "at": "sent_at"},
        "deadlines": deadlines
        or [
            {
                "anchor": "planned_start",
                "offset": {"amount": 42, "unit": "days"},
                "direction": "before",
            }
        ],
        **kw,
    }


T0 = treaty()


# ----------------------------------------------------------------------------------------------
# Own date helpers
# ----------------------------------------------------------------------------------------------


def test_oracle_imports_only_the_document_models() -> None:
    tests = Path(__file__).resolve().parents[1]
    for path in [tests / "oracle.py", *sorted((tests / "reference").glob("*.py"))]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        modules = [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
        modules += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
        engine = [m for m in modules if m.split(".")[0] == "engine"]
        assert all(m.startswith("engine.model.") for m in engine), (path.name, engine)
        ours = [m for m in modules if m.split(".")[0] == "tests"]
        assert all(m.startswith("tests.reference.") for m in ours), (path.name, ours)


def test_date_helpers() -> None:
    assert add_months(date(2028, 8, 31), 6) == date(2029, 2, 28)
    assert add_months(date(2027, 8, 31), 6) == date(2028, 2, 29)
    assert add_months(date(2028, 3, 31), -1) == date(2028, 2, 29)
    assert add_months(date(2028, 1, 15), -13) == date(2026, 12, 15)
    # Fri 2027-12-24 + 2 working days, Mon 27 a holiday: Tue 28 is 1, Wed 29 is 2.
    assert add_working_days(date(2027, 12, 24), 2, frozenset({date(2027, 12, 27)})) == date(
        2027, 12, 29
    )
    assert add_working_days(date(2028, 1, 3), -1, frozenset()) == date(2027, 12, 31)
    assert add_working_days(date(2028, 1, 3), 0, frozenset()) == date(2028, 1, 3)


# ----------------------------------------------------------------------------------------------
# 1 and 10: parties, binding, as-of cut, output shape
# ----------------------------------------------------------------------------------------------


def test_unbound_parties_get_one_not_applicable_per_commitment() -> None:
    t = treaty(
        parties=[party("AAA", None), party("BBB", "2028-07-01"), party("CCC", "2028-01-01")],
        commitments=["AB-1", "AB-2", "ZZ-9"],  # ZZ-9 is in force but not supplied: skipped
    )
    rule = classify({"field": "actual_flop", "op": "gt", "value": 3})
    cs = [commitment("AB-1", rules=[rule]), commitment("AB-2", rules=[{**rule, "id": "AB-2.R1"}])]
    got = run(t, cs, [], "2028-06-30")
    assert got == [
        ("AAA", "AB-1", None, "not_applicable", ()),
        ("AAA", "AB-2", None, "not_applicable", ()),
        ("BBB", "AB-1", None, "not_applicable", ()),
        ("BBB", "AB-2", None, "not_applicable", ()),
        ("CCC", "AB-1", None, "gap", ("unverifiable",)),
        ("CCC", "AB-2", None, "gap", ("unverifiable",)),
    ]
    # Entry into force on the as-of date binds.
    assert run(t, cs, [], "2028-07-01")[2:4] == [
        ("BBB", "AB-1", None, "gap", ("unverifiable",)),
        ("BBB", "AB-2", None, "gap", ("unverifiable",)),
    ]


def test_commitment_for_listed_parties_only() -> None:
    t = treaty(parties=[party("AAA"), party("BBB")])
    c = commitment(
        rules=[classify({"field": "actual_flop", "op": "gt", "value": 1})],
        applicability={"parties": ["BBB"]},
    )
    reps = [
        report([run_rec(actual_flop=5)], subject="AAA"),
        report([run_rec(actual_flop=5)], subject="BBB"),
    ]
    assert run(t, [c], reps, "2028-06-01") == [
        ("AAA", "AB-1", None, "not_applicable", ()),
        ("BBB", "AB-1", "tr1", "breach", ()),
    ]


def test_reports_submitted_after_as_of_are_ignored() -> None:
    c = commitment(rules=[classify({"field": "actual_flop", "op": "gt", "value": 1})])
    late = report([run_rec(actual_flop=5)], submitted="2028-06-02T00:00:00Z")
    assert run(T0, [c], [late], "2028-06-01") == [("AAA", "AB-1", None, "gap", ("unverifiable",))]
    last_second = report([run_rec(actual_flop=5)], submitted="2028-06-01T23:59:59Z")
    assert one(T0, [c], [last_second], "2028-06-01", "tr1") == ("breach", ())
    # 01:30 on 2 June in Paris is 23:30 UTC on 1 June: known on the as-of date.
    local = report([run_rec(actual_flop=5)], submitted="2028-06-02T01:30:00+02:00")
    assert one(T0, [c], [local], "2028-06-01", "tr1") == ("breach", ())
    # 23:30 on 1 June in New York is 03:30 UTC on 2 June: not yet known.
    ny = report([run_rec(actual_flop=5)], submitted="2028-06-01T23:30:00-04:00")
    assert run(T0, [c], [ny], "2028-06-01") == [("AAA", "AB-1", None, "gap", ("unverifiable",))]
    # A correction submitted after the as-of date does not replace what was known.
    first = report([run_rec(actual_flop=5)], submitted="2028-05-01T00:00:00Z")
    fix = report([run_rec(actual_flop=0)], submitted="2028-07-01T00:00:00Z")
    assert one(T0, [c], [first, fix], "2028-06-01", "tr1") == ("breach", ())
    assert one(T0, [c], [first, fix], "2028-07-01", "tr1") == ("compliant", ())


def test_output_sorted_and_flags_sorted() -> None:
    t = treaty(parties=[party("BBB"), party("AAA")])
    c = commitment(
        rules=[
            classify(
                {"field": "actual_flop", "op": "gt", "value": 1},
                hit={"status": "breach", "flags": ["late", "anomaly", "late"]},
            )
        ]
    )
    reps = [
        report([run_rec(rid="zz", actual_flop=5), run_rec(rid="aa", actual_flop=5)], subject="BBB"),
        report([run_rec(rid="mm", actual_flop=5)], subject="AAA"),
    ]
    assert run(t, [c], reps, "2028-06-01") == [
        ("AAA", "AB-1", "mm", "breach", ("anomaly", "late")),
        ("BBB", "AB-1", "aa", "breach", ("anomaly", "late")),
        ("BBB", "AB-1", "zz", "breach", ("anomaly", "late")),
    ]


# ----------------------------------------------------------------------------------------------
# 2: sources, supersession, merging, settling, disputes
# ----------------------------------------------------------------------------------------------

BIG = classify({"field": "actual_flop", "op": "gt", "value": 3})


def test_same_source_later_report_supersedes() -> None:
    c = commitment(rules=[BIG])
    old = report([run_rec(actual_flop=5)], submitted="2028-02-01T00:00:00Z")
    new = report([run_rec(actual_flop=1)], submitted="2028-03-01T00:00:00Z")
    assert one(T0, [c], [new, old], "2028-06-01", "tr1") == ("compliant", ())
    # Ties on submitted_at: the greater report id counts as the later.
    a = report([run_rec(actual_flop=5)], rid="r-b", submitted="2028-02-01T00:00:00Z")
    b = report([run_rec(actual_flop=1)], rid="r-a", submitted="2028-02-01T00:00:00Z")
    assert one(T0, [c], [b, a], "2028-06-01", "tr1") == ("breach", ())
    # Another party is another source: no supersession across source_party.
    x = report(
        [run_rec(actual_flop=5)],
        source="other_party",
        source_party="BBB",
        submitted="2028-02-01T00:00:00Z",
    )
    y = report(
        [run_rec(actual_flop=1)],
        source="other_party",
        source_party="CCC",
        submitted="2028-03-01T00:00:00Z",
    )
    assert one(T0, [c], [x, y], "2028-06-01", "tr1") == ("gap", ("contradictory",))


def test_supersession_is_per_record() -> None:
    c = commitment(rules=[BIG])
    old = report(
        [run_rec(rid="tr1", actual_flop=5), run_rec(rid="tr2", actual_flop=5)],
        submitted="2028-02-01T00:00:00Z",
    )
    new = report([run_rec(rid="tr1", actual_flop=1)], submitted="2028-03-01T00:00:00Z")
    got = run(T0, [c], [old, new], "2028-06-01")
    assert got == [("AAA", "AB-1", "tr1", "compliant", ()), ("AAA", "AB-1", "tr2", "breach", ())]


def test_field_level_merge_of_sources() -> None:
    rule = classify(
        {
            "all": [
                {"field": "actual_flop", "op": "gt", "value": 3},
                {"field": "developer", "op": "eq", "value": "Lab"},
            ]
        }
    )
    c = commitment(rules=[rule])
    a = report([run_rec(actual_flop=5)], source="self")
    b = report([run_rec(developer="Lab")], source="open_source")
    assert one(T0, [c], [a, b], "2028-06-01", "tr1") == ("breach", ())
    # The same value from every source stating it: no dispute.
    d = report([run_rec(actual_flop=5.0, developer="Lab")], source="secretariat")
    assert one(T0, [c], [a, b, d], "2028-06-01", "tr1") == ("breach", ())


def test_contradictory_sources_resolved_by_inspection() -> None:
    c = commitment(rules=[BIG])
    s = report([run_rec(actual_flop=1)], source="self")
    o = report([run_rec(actual_flop=5)], source="other_party", source_party="BBB")
    assert one(T0, [c], [s, o], "2028-06-01", "tr1") == ("gap", ("contradictory",))
    i = report([run_rec(actual_flop=5)], source="inspection")
    assert one(T0, [c], [s, o, i], "2028-06-01", "tr1") == ("breach", ())
    i2 = report([run_rec(actual_flop=1)], source="inspection")
    assert one(T0, [c], [s, o, i2], "2028-06-01", "tr1") == ("compliant", ())
    # The evidence level, not the source, settles: a secretariat report backed by an inspection.
    sec = report([run_rec(actual_flop=1)], source="secretariat", evidence_level="inspection")
    assert one(T0, [c], [o, sec], "2028-06-01", "tr1") == ("compliant", ())
    # Secretariat evidence does not settle unless the treaty says so.
    sec2 = report([run_rec(actual_flop=1)], source="secretariat")
    assert one(T0, [c], [o, sec2], "2028-06-01", "tr1") == ("gap", ("contradictory",))
    t = treaty(settling_evidence=["secretariat", "inspection"])
    assert one(t, [c], [o, sec2], "2028-06-01", "tr1") == ("compliant", ())


def test_immaterial_disagreement_keeps_status() -> None:
    c = commitment(rules=[BIG])
    a = report([run_rec(actual_flop=5, developer="X")], source="self")
    b = report([run_rec(actual_flop=7, developer="Y")], source="open_source")
    assert one(T0, [c], [a, b], "2028-06-01", "tr1") == ("breach", ())


def test_version_takes_highest_ranked_value_for_fields_it_does_not_state() -> None:
    # Two disputed fields. open_source states only developer; its version takes actual_flop
    # from the highest-ranked source stating it (secretariat: 5).
    rule = classify(
        {
            "all": [
                {"field": "actual_flop", "op": "gt", "value": 3},
                {"field": "developer", "op": "eq", "value": "Y"},
            ]
        }
    )
    c = commitment(rules=[rule])
    s = report([run_rec(actual_flop=1, developer="X")], source="self")
    sec = report([run_rec(actual_flop=5, developer="X")], source="secretariat")
    o = report([run_rec(developer="Y")], source="open_source")
    # versions: self (1, X) compliant; secretariat (5, X) compliant; open_source (5, Y) breach.
    assert one(T0, [c], [s, sec, o], "2028-06-01", "tr1") == ("gap", ("contradictory",))
    # If open_source's version took self's value (1) it would be compliant too: check the rank
    # rule by making self the higher-ranked source of the low figure.
    o2 = report([run_rec(developer="X")], source="open_source")
    assert one(T0, [c], [s, sec, o2], "2028-06-01", "tr1") == ("compliant", ())


def test_schema_default_applies_but_silence_does_not_dispute() -> None:
    # The lead's ruling: biological_data defaults to false, and a report that does not write it
    # means the default; but silence never disputes another source's statement.
    rule = classify({"field": "biological_data", "op": "eq", "value": False})
    c = commitment(rules=[rule])
    assert one(T0, [c], [report([run_rec()])], "2028-06-01", "tr1") == ("breach", ())
    assert one(T0, [c], [report([run_rec(biological_data=False)])], "2028-06-01", "tr1") == (
        "breach",
        (),
    )
    # Silence of one source does not dispute another's statement.
    a = report([run_rec(biological_data=True)], source="open_source")
    b = report([run_rec()], source="self")
    rule2 = classify({"field": "biological_data", "op": "eq", "value": True})
    assert one(T0, [commitment(rules=[rule2])], [a, b], "2028-06-01", "tr1") == ("breach", ())


def test_timestamps_in_other_zones_are_the_same_value() -> None:
    rule = notify_rule()
    c = commitment(rules=[rule])
    a = report([run_rec(), notif(sent_at="2028-01-10T12:00:00Z")], source="self")
    b = report([notif(sent_at="2028-01-10T21:00:00+09:00")], source="open_source")
    assert one(T0, [c], [a, b], "2028-06-01", "tr1") == ("compliant", ())


def test_highest_settling_sources_disagreeing_settle_nothing() -> None:
    c = commitment(rules=[BIG])
    a = report([run_rec(actual_flop=1)], source="inspection", source_party="BBB")
    b = report([run_rec(actual_flop=5)], source="inspection", source_party="CCC")
    assert one(T0, [c], [a, b], "2028-06-01", "tr1") == ("gap", ("contradictory",))


def test_version_outside_the_selection_counts_as_not_applicable() -> None:
    # One source puts the run above the threshold (the rule applies and it breaches), another
    # below (the rule does not apply): the disagreement is material.
    rule = classify({"field": "developer", "op": "eq", "value": "Lab"})
    rule["subject"]["where"] = {"field": "actual_flop", "op": "gt", "value": 3}
    c = commitment(rules=[rule])
    s = report([run_rec(actual_flop=1, developer="Lab")], source="self")
    o = report([run_rec(actual_flop=5)], source="open_source")
    assert one(T0, [c], [s, o], "2028-06-01", "tr1") == ("gap", ("contradictory",))
    # No version selected: no subject finding at all.
    o2 = report([run_rec(actual_flop=2)], source="open_source")
    assert run(T0, [c], [s, o2], "2028-06-01") == [("AAA", "AB-1", None, "gap", ("unverifiable",))]


def test_reports_about_non_parties_are_ignored() -> None:
    c = commitment(rules=[BIG])
    r = report([run_rec(actual_flop=5)], subject="EEE")
    assert run(T0, [c], [r], "2028-06-01") == [("AAA", "AB-1", None, "gap", ("unverifiable",))]


# ----------------------------------------------------------------------------------------------
# 3: derive, parameters, field references
# ----------------------------------------------------------------------------------------------


def test_derive_and_absent_operands() -> None:
    rule = classify(
        {"field": "spread", "op": "gt", "value": 2},
        derive={
            "spread": {
                "op": "sub",
                "args": [{"field": "compute_upper_flop"}, {"field": "compute_lower_flop"}],
            }
        },
    )
    c = commitment(rules=[rule])
    assert one(
        T0,
        [c],
        [report([run_rec(compute_lower_flop=1, compute_upper_flop=4)])],
        "2028-06-01",
        "tr1",
    ) == (
        "breach",
        (),
    )
    assert one(
        T0,
        [c],
        [report([run_rec(compute_lower_flop=1, compute_upper_flop=3)])],
        "2028-06-01",
        "tr1",
    ) == (
        "compliant",
        (),
    )
    # One operand absent: the derived value is absent, the comparison false.
    assert one(T0, [c], [report([run_rec(compute_upper_flop=9)])], "2028-06-01", "tr1") == (
        "compliant",
        (),
    )
    # requires turns the absence into gap(insufficient_detail).
    c2 = commitment(rules=[{**rule, "requires": ["spread"]}])
    assert one(T0, [c2], [report([run_rec(compute_upper_flop=9)])], "2028-06-01", "tr1") == (
        "gap",
        ("insufficient_detail",),
    )


def test_derive_coalesce_min_max_mul_div_abs() -> None:
    def status(expr: dict[str, Any], op: str, value: Any, **fields: Any) -> str:
        rule = classify({"field": "v", "op": op, "value": value}, derive={"v": expr})
        return one(
            T0, [commitment(rules=[rule])], [report([run_rec(**fields)])], "2028-06-01", "tr1"
        )[0]

    co = {"op": "coalesce", "args": [{"field": "actual_flop"}, {"field": "compute_upper_flop"}]}
    assert status(co, "eq", 4, compute_upper_flop=4) == "breach"
    assert status(co, "eq", 4, actual_flop=2, compute_upper_flop=4) == "compliant"
    assert (
        status({"op": "max", "args": [{"field": "actual_flop"}, 3]}, "eq", 3, actual_flop=2)
        == "breach"
    )
    assert (
        status({"op": "min", "args": [{"field": "actual_flop"}, 3]}, "eq", 2, actual_flop=2)
        == "breach"
    )
    assert (
        status({"op": "mul", "args": [{"field": "actual_flop"}, 2, 2]}, "eq", 8, actual_flop=2)
        == "breach"
    )
    assert (
        status({"op": "div", "args": [{"field": "actual_flop"}, 4]}, "eq", 0.5, actual_flop=2)
        == "breach"
    )
    assert (
        status(
            {"op": "abs", "args": [{"op": "sub", "args": [1, {"field": "actual_flop"}]}]},
            "eq",
            1,
            actual_flop=2,
        )
        == "breach"
    )
    # Dates: the earlier of actual and planned start.
    first = {"op": "min", "args": [{"field": "actual_start"}, {"field": "planned_start"}]}
    assert status(first, "eq", "2028-02-01", actual_start="2028-02-01") == "breach"
    # A parameter inside arithmetic.
    c = commitment(
        rules=[
            classify(
                {"field": "v", "op": "gt", "value": 10},
                derive={"v": {"op": "mul", "args": [{"field": "actual_flop"}, {"param": "k"}]}},
            )
        ],
        parameters={"k": {"value": 3}},
    )
    assert one(T0, [c], [report([run_rec(actual_flop=4)])], "2028-06-01", "tr1") == ("breach", ())


def test_field_reference_operand() -> None:
    rule = classify({"field": "actual_flop", "op": "gt", "value": {"field": "compute_upper_flop"}})
    c = commitment(rules=[rule])
    assert (
        one(T0, [c], [report([run_rec(actual_flop=5, compute_upper_flop=4)])], "2028-06-01", "tr1")[
            0
        ]
        == "breach"
    )
    assert (
        one(T0, [c], [report([run_rec(actual_flop=4, compute_upper_flop=4)])], "2028-06-01", "tr1")[
            0
        ]
        == "compliant"
    )
    assert one(T0, [c], [report([run_rec(actual_flop=5)])], "2028-06-01", "tr1")[0] == "compliant"


THRESHOLD_RULE = classify(
    {"field": "actual_flop", "op": "meets", "value": {"param": "thr"}},
    scope={"event": "planned_start"},
)


def thr_commitment(comparison: str, **param: Any) -> Commitment:
    return commitment(
        rules=[THRESHOLD_RULE],
        parameters={"thr": {"comparison": comparison, "unit": "FLOP", **(param or {"value": 3})}},
    )


@pytest.mark.parametrize(
    ("comparison", "flop", "expected"),
    [
        ("strict", 3, "compliant"),
        ("strict", 3.5, "breach"),
        ("inclusive", 3, "breach"),
        ("inclusive", 2.9, "compliant"),
    ],
)
def test_threshold_exactly_equal_strict_and_inclusive(
    comparison: str, flop: float, expected: str
) -> None:
    c = thr_commitment(comparison)
    assert one(T0, [c], [report([run_rec(actual_flop=flop)])], "2028-06-01", "tr1") == (
        expected,
        (),
    )


def test_below_is_not_meets_and_false_when_absent() -> None:
    for comparison, flop, expected in [
        ("strict", 3, "breach"),
        ("inclusive", 3, "compliant"),
        ("strict", 4, "compliant"),
    ]:
        rule = classify({"field": "actual_flop", "op": "below", "value": {"param": "thr"}})
        c = commitment(rules=[rule], parameters={"thr": {"value": 3, "comparison": comparison}})
        assert one(T0, [c], [report([run_rec(actual_flop=flop)])], "2028-06-01", "tr1") == (
            expected,
            (),
        )
    rule = classify({"field": "actual_flop", "op": "below", "value": {"param": "thr"}})
    c = commitment(rules=[rule], parameters={"thr": {"value": 3, "comparison": "strict"}})
    assert one(T0, [c], [report([run_rec()])], "2028-06-01", "tr1") == ("compliant", ())


def test_parameter_in_force_on_event_date() -> None:
    versions = {
        "versions": [
            {"value": 3, "valid_to": "2028-07-01"},
            {"value": 5, "valid_from": "2028-07-01"},
        ]
    }
    c = thr_commitment("inclusive", **versions)
    r1 = report([run_rec(rid="a", planned_start="2028-06-30", actual_flop=4)])
    r2 = report([run_rec(rid="b", planned_start="2028-07-01", actual_flop=4)])
    got = run(T0, [c], [r1, r2], "2028-12-01")
    assert got == [("AAA", "AB-1", "a", "breach", ()), ("AAA", "AB-1", "b", "compliant", ())]


def test_parameter_not_in_force_gives_insufficient_detail() -> None:
    c = thr_commitment("inclusive", versions=[{"value": 3, "valid_from": "2028-07-01"}])
    r = report([run_rec(planned_start="2028-03-01", actual_flop=9)])
    assert one(T0, [c], [r], "2028-12-01", "tr1") == ("gap", ("insufficient_detail",))
    # Even under a negation (the condition is false, the finding still a gap).
    rule = classify(
        {"not": {"field": "actual_flop", "op": "meets", "value": {"param": "thr"}}},
        scope={"event": "planned_start"},
    )
    c2 = commitment(
        rules=[rule],
        parameters={
            "thr": {"versions": [{"value": 3, "valid_from": "2028-07-01"}], "comparison": "strict"}
        },
    )
    assert one(T0, [c2], [r], "2028-12-01", "tr1") == ("gap", ("insufficient_detail",))


def test_treaty_parameter_used_when_commitment_has_none() -> None:
    rule = classify(
        {"field": "counterpart", "op": "in", "value": {"param": "great_powers"}}, kind="arrangement"
    )
    t = treaty(parameters={"great_powers": {"value": ["USA", "CHN"]}})
    c = commitment(rules=[rule])
    arr = {
        "kind": "arrangement",
        "id": "ar1",
        "name": "Pact",
        "form": "bilateral",
        "counterpart": "USA",
        "signed_on": "2028-02-01",
    }
    assert one(t, [c], [report([arr])], "2028-06-01", "ar1") == ("breach", ())
    # The commitment's own parameter shadows the treaty's.
    c2 = commitment(rules=[rule], parameters={"great_powers": {"value": ["RUS"]}})
    assert one(t, [c2], [report([arr])], "2028-06-01", "ar1") == ("compliant", ())


# ----------------------------------------------------------------------------------------------
# 4: conditions, every form; absent fields
# ----------------------------------------------------------------------------------------------

ARR = {
    "kind": "arrangement",
    "id": "ar1",
    "name": "Pact",
    "form": "multilateral",
    "members": ["AAA", "BBB", "CCC"],
    "domains": ["compute", "models"],
    "signed_on": "2028-02-01",
    "share_members_in_gp_defence_treaty": 0.5,
    "exclusivity_clause": True,
}


@pytest.mark.parametrize(
    ("cond", "holds"),
    [
        ({"field": "form", "op": "eq", "value": "multilateral"}, True),
        ({"field": "form", "op": "ne", "value": "multilateral"}, False),
        ({"field": "form", "op": "ne", "value": "bilateral"}, True),
        # Values of different types do not compare at all (ne included).
        ({"field": "form", "op": "ne", "value": 3}, False),
        ({"field": "share_members_in_gp_defence_treaty", "op": "ne", "value": "0.5"}, False),
        ({"field": "share_members_in_gp_defence_treaty", "op": "gt", "value": 0.5}, False),
        ({"field": "share_members_in_gp_defence_treaty", "op": "ge", "value": 0.5}, True),
        ({"field": "share_members_in_gp_defence_treaty", "op": "lt", "value": 0.5}, False),
        ({"field": "share_members_in_gp_defence_treaty", "op": "le", "value": 0.5}, True),
        ({"field": "signed_on", "op": "lt", "value": "2028-02-02"}, True),
        ({"field": "signed_on", "op": "ge", "value": "2028-02-02"}, False),
        ({"field": "form", "op": "in", "value": ["bilateral", "multilateral"]}, True),
        ({"field": "form", "op": "not_in", "value": ["bilateral"]}, True),
        ({"field": "form", "op": "not_in", "value": ["multilateral"]}, False),
        ({"field": "members", "op": "contains", "value": "BBB"}, True),
        ({"field": "members", "op": "contains", "value": "DDD"}, False),
        ({"field": "domains", "op": "contains_all", "value": ["compute", "models"]}, True),
        ({"field": "domains", "op": "contains_all", "value": ["compute", "data"]}, False),
        ({"field": "domains", "op": "contains_any", "value": ["data", "models"]}, True),
        ({"field": "domains", "op": "contains_any", "value": ["data", "cloud"]}, False),
        ({"field": "exclusivity_clause", "op": "exists"}, True),
        ({"field": "exclusivity_clause", "op": "absent"}, False),
        ({"field": "accession", "op": "absent"}, True),
        ({"field": "exclusivity_clause", "op": "eq", "value": True}, True),
        (
            {
                "all": [
                    {"field": "form", "op": "eq", "value": "multilateral"},
                    {"field": "exclusivity_clause", "op": "eq", "value": False},
                ]
            },
            False,
        ),
        (
            {
                "any": [
                    {"field": "form", "op": "eq", "value": "bilateral"},
                    {"field": "exclusivity_clause", "op": "eq", "value": True},
                ]
            },
            True,
        ),
        ({"not": {"field": "form", "op": "eq", "value": "bilateral"}}, True),
        (
            {
                "at_least": 2,
                "of": [
                    {"field": "exclusivity_clause", "op": "eq", "value": True},
                    {"field": "share_members_in_gp_defence_treaty", "op": "ge", "value": 0.6},
                    {"field": "accession_refused_without_reasons", "op": "eq", "value": True},
                ],
            },
            False,
        ),
        (
            {
                "at_least": 2,
                "of": [
                    {"field": "exclusivity_clause", "op": "eq", "value": True},
                    {"field": "share_members_in_gp_defence_treaty", "op": "ge", "value": 0.5},
                    {"field": "accession_refused_without_reasons", "op": "eq", "value": True},
                ],
            },
            True,
        ),
        # Every comparison with an absent field is false, ne / not_in / below included ...
        ({"field": "accession", "op": "ne", "value": "open"}, False),
        ({"field": "accession", "op": "not_in", "value": ["open"]}, False),
        ({"field": "accession", "op": "eq", "value": "open"}, False),
        ({"field": "oldest_pending_accession_days", "op": "lt", "value": 100}, False),
        ({"field": "excluded_states", "op": "contains_any", "value": ["DDD"]}, False),
        # ... and not of it is true.
        ({"not": {"field": "accession", "op": "eq", "value": "open"}}, True),
        ({"not": {"field": "accession", "op": "ne", "value": "open"}}, True),
    ],
)
def test_condition_forms(cond: dict[str, Any], holds: bool) -> None:
    c = commitment(rules=[classify(cond, kind="arrangement")])
    assert one(T0, [c], [report([ARR])], "2028-06-01", "ar1") == (
        "breach" if holds else "compliant",
        (),
    )


def test_in_with_parameter_list_and_where() -> None:
    rule = classify(
        {"field": "counterpart", "op": "in", "value": {"param": "gp"}},
        kind="arrangement",
    )
    rule["subject"]["where"] = {"field": "form", "op": "eq", "value": "bilateral"}
    c = commitment(rules=[rule], parameters={"gp": {"value": ["USA"]}})
    bil = {**ARR, "id": "b1", "form": "bilateral", "counterpart": "USA"}
    multi = {**ARR, "id": "m1"}
    assert run(T0, [c], [report([bil, multi])], "2028-06-01") == [
        ("AAA", "AB-1", "b1", "breach", ())
    ]


def test_requires_gives_insufficient_detail() -> None:
    rule = classify({"field": "actual_flop", "op": "gt", "value": 3}, requires=["actual_flop"])
    c = commitment(rules=[rule])
    assert one(T0, [c], [report([run_rec()])], "2028-06-01", "tr1") == (
        "gap",
        ("insufficient_detail",),
    )
    assert one(T0, [c], [report([run_rec(actual_flop=1)])], "2028-06-01", "tr1") == (
        "compliant",
        (),
    )


def test_first_matching_case_wins_else_otherwise() -> None:
    rule = {
        "type": "classify",
        "id": "AB-1.R1",
        "clause": "c",
        "subject": {"kind": "training_run"},
        "cases": [
            {
                "when": {"field": "actual_flop", "op": "gt", "value": 5},
                "status": "breach",
                "flags": ["anomaly"],
            },
            {
                "when": {"field": "actual_flop", "op": "gt", "value": 3},
                "status": "gap",
                "flags": ["pending_determination"],
            },
        ],
        "otherwise": {"status": "compliant"},
    }
    c = commitment(rules=[rule])
    reps = [
        report(
            [
                run_rec(rid="a", actual_flop=9),
                run_rec(rid="b", actual_flop=4),
                run_rec(rid="c", actual_flop=1),
            ]
        )
    ]
    assert run(T0, [c], reps, "2028-06-01") == [
        ("AAA", "AB-1", "a", "breach", ("anomaly",)),
        ("AAA", "AB-1", "b", "gap", ("pending_determination",)),
        ("AAA", "AB-1", "c", "compliant", ()),
    ]


# ----------------------------------------------------------------------------------------------
# 5: applicability in time
# ----------------------------------------------------------------------------------------------

ACT_RULE = classify(
    {"field": "actual_flop", "op": "gt", "value": 3}, scope={"event": "planned_start"}
)


def test_act_before_entry_into_force() -> None:
    c = commitment(rules=[ACT_RULE])
    reps = [
        report(
            [
                run_rec(rid="a", planned_start="2027-12-31", actual_flop=9),
                run_rec(rid="b", planned_start="2028-01-01", actual_flop=9),
            ]
        )
    ]
    assert run(T0, [c], reps, "2028-06-01") == [
        ("AAA", "AB-1", "a", "not_applicable", ("before_entry_into_force",)),
        ("AAA", "AB-1", "b", "breach", ()),
    ]


def test_act_after_as_of_is_not_yet_due() -> None:
    c = commitment(rules=[ACT_RULE])
    r = report([run_rec(planned_start="2028-06-02", actual_flop=9)])
    assert one(T0, [c], [r], "2028-06-01", "tr1") == ("not_applicable", ("not_yet_due",))
    assert one(T0, [c], [r], "2028-06-02", "tr1") == ("breach", ())


def test_withdrawal_notice_month_end_clamp() -> None:
    t = treaty(parties=[party(withdrawal_notice_on="2028-08-31")])
    c = commitment(rules=[ACT_RULE])
    reps = [
        report(
            [
                run_rec(rid="a", planned_start="2029-02-27", actual_flop=9),
                run_rec(rid="b", planned_start="2029-02-28", actual_flop=9),
            ]
        )
    ]
    assert run(t, [c], reps, "2029-06-01") == [
        ("AAA", "AB-1", "a", "breach", ()),
        ("AAA", "AB-1", "b", "not_applicable", ("after_withdrawal",)),
    ]
    # The treaty's notice period, and an explicit effective date, are honoured.
    t12 = treaty(
        parties=[party(withdrawal_notice_on="2028-08-31")],
        parameters={"withdrawal_notice_months": {"value": 12}},
    )
    assert one(t12, [c], reps, "2029-06-01", "b") == ("breach", ())
    tx = treaty(
        parties=[party(withdrawal_notice_on="2028-08-31", withdrawal_effective_on="2029-02-27")]
    )
    assert one(tx, [c], reps, "2029-06-01", "a") == ("not_applicable", ("after_withdrawal",))


def test_act_without_event_date_is_a_gap() -> None:
    rule = classify(
        {"field": "actual_flop", "op": "gt", "value": 3}, scope={"event": "actual_start"}
    )
    c = commitment(rules=[rule])
    assert one(T0, [c], [report([run_rec(actual_flop=9)])], "2028-06-01", "tr1") == (
        "gap",
        ("insufficient_detail",),
    )


SITUATION = classify(
    {"field": "exclusivity_clause", "op": "eq", "value": True},
    kind="arrangement",
    scope={"start": "signed_on", "end": "terminated_on"},
)


def arr(signed: str, terminated: str | None = None, rid: str = "ar1") -> dict[str, Any]:
    d = {**ARR, "id": rid, "signed_on": signed}
    if terminated:
        d["terminated_on"] = terminated
    return d


def test_transition_period_running_and_expired() -> None:
    c = commitment(rules=[SITUATION], applicability={"transition": {"months": 12}})
    pre = report([arr("2027-06-01")])
    # EIF 2028-01-01 + 12 months = 2029-01-01: running while the window ends no later than that.
    assert one(T0, [c], [pre], "2028-12-31", "ar1") == ("compliant", ("transition",))
    assert one(T0, [c], [pre], "2029-01-01", "ar1") == ("breach", ())
    # Ended within the transition: compliant for good.
    ended = report([arr("2027-06-01", "2028-11-30")])
    assert one(T0, [c], [ended], "2030-01-01", "ar1") == ("compliant", ("transition",))
    # Began after entry into force: no transition.
    post = report([arr("2028-02-01")])
    assert one(T0, [c], [post], "2028-06-01", "ar1") == ("breach", ())


def test_transition_default_and_treaty_parameter() -> None:
    c = commitment(rules=[SITUATION])
    pre = report([arr("2027-06-01")])
    assert one(T0, [c], [pre], "2029-12-31", "ar1") == ("compliant", ("transition",))  # 24 months
    assert one(T0, [c], [pre], "2030-01-01", "ar1") == ("breach", ())
    t = treaty(parameters={"transition_months": {"value": 6}})
    assert one(t, [c], [pre], "2028-06-30", "ar1") == ("compliant", ("transition",))
    assert one(t, [c], [pre], "2028-07-01", "ar1") == ("breach", ())


def test_continuing_situation_empty_window() -> None:
    c = commitment(rules=[SITUATION])
    ended_before = report([arr("2027-01-01", "2028-01-01")])
    assert one(T0, [c], [ended_before], "2028-06-01", "ar1") == (
        "not_applicable",
        ("before_entry_into_force",),
    )
    future = report([arr("2028-06-02")])
    assert one(T0, [c], [future], "2028-06-01", "ar1") == ("not_applicable", ("not_yet_due",))
    t = treaty(
        parties=[party(withdrawal_notice_on="2028-01-10", withdrawal_effective_on="2028-03-01")]
    )
    after = report([arr("2028-03-01")])
    assert one(t, [c], [after], "2028-06-01", "ar1") == ("not_applicable", ("after_withdrawal",))
    during = report([arr("2028-02-29")])
    assert one(t, [c], [during], "2028-06-01", "ar1") == ("breach", ())


# ----------------------------------------------------------------------------------------------
# 6: classify with counts (inspection quota)
# ----------------------------------------------------------------------------------------------

QUOTA = {
    "type": "classify",
    "id": "AB-1.R1",
    "clause": "A Party may refuse an inspection once it has accepted three in the calendar year.",
    "subject": {"kind": "inspection_refusal"},
    "counts": [
        {
            "name": "accepted",
            "kind": "inspection",
            "same": {"requesting_party": "requesting_party"},
            "same_year": ["access_granted_at", "refused_at"],
            "before": ["access_granted_at", "refused_at"],
        }
    ],
    "cases": [
        {
            "when": {"count": "accepted", "op": "ge", "value": {"param": "quota"}},
            "status": "compliant",
            "flags": ["quota_exhausted"],
        }
    ],
    "otherwise": {"status": "breach"},
}


def insp(i: int, at: str, by: str = "BBB") -> dict[str, Any]:
    return {
        "kind": "inspection",
        "id": f"is{i}",
        "request": f"q{i}",
        "requesting_party": by,
        "access_granted_at": at,
    }


def refusal(at: str, by: str = "BBB") -> dict[str, Any]:
    return {
        "kind": "inspection_refusal",
        "id": "rf1",
        "request": "q9",
        "requesting_party": by,
        "refused_at": at,
    }


def test_exhausted_inspection_quota_makes_refusal_lawful() -> None:
    c = commitment(rules=[QUOTA], parameters={"quota": {"value": 3}})
    three = [
        insp(1, "2028-02-01T10:00:00Z"),
        insp(2, "2028-05-01T10:00:00Z"),
        insp(3, "2028-09-01T10:00:00Z"),
    ]
    ok = report([*three, refusal("2028-10-01T10:00:00Z")])
    assert one(T0, [c], [ok], "2028-12-01", "rf1") == ("compliant", ("quota_exhausted",))
    # Only two before the refusal (the third is later): unlawful.
    early = report([*three, refusal("2028-08-01T10:00:00Z")])
    assert one(T0, [c], [early], "2028-12-01", "rf1") == ("breach", ())
    # ``before`` is strict: an inspection at the very second of the refusal does not count.
    same_time = [*three[:2], insp(3, "2028-10-01T12:00:00+02:00")]
    assert one(
        T0, [c], [report([*same_time, refusal("2028-10-01T10:00:00Z")])], "2028-12-01", "rf1"
    ) == ("breach", ())
    # One of the three was last year.
    last_year = [insp(0, "2027-12-31T23:00:00Z"), *three[1:]]
    assert one(
        T0, [c], [report([*last_year, refusal("2028-10-01T10:00:00Z")])], "2028-12-01", "rf1"
    ) == ("breach", ())
    # One of the three was requested by another party.
    other = [insp(1, "2028-02-01T10:00:00Z", by="CCC"), *three[1:]]
    assert one(
        T0, [c], [report([*other, refusal("2028-10-01T10:00:00Z")])], "2028-12-01", "rf1"
    ) == ("breach", ())
    # The same inspection reported by three sources counts once.
    dup = [
        report([three[0]], source="secretariat"),
        report([three[0]], source="inspection"),
        report([three[0], three[1], refusal("2028-10-01T10:00:00Z")]),
    ]
    assert one(T0, [c], dup, "2028-12-01", "rf1") == ("breach", ())


def test_count_any_version_matches() -> None:
    # The third inspection's date is disputed; one version puts it before the refusal: it counts.
    c = commitment(rules=[QUOTA], parameters={"quota": {"value": 3}})
    base = report(
        [
            insp(1, "2028-02-01T10:00:00Z"),
            insp(2, "2028-05-01T10:00:00Z"),
            insp(3, "2028-11-01T10:00:00Z"),
            refusal("2028-10-01T10:00:00Z"),
        ]
    )
    alt = report([insp(3, "2028-09-01T10:00:00Z")], source="open_source")
    assert one(T0, [c], [base, alt], "2028-12-01", "rf1") == ("compliant", ("quota_exhausted",))


# ----------------------------------------------------------------------------------------------
# 7: deadline rules
# ----------------------------------------------------------------------------------------------


def test_deadline_met_on_the_last_day_leap_year() -> None:
    # 42 days before 2028-03-01 is 2028-01-19 (February 2028 has 29 days).
    c = commitment(rules=[notify_rule()])
    on_last = report([run_rec(), notif(sent_at="2028-01-19T23:59:59Z")])
    assert one(T0, [c], [on_last], "2028-06-01", "tr1") == ("compliant", ())
    next_day = report([run_rec(), notif(sent_at="2028-01-20T00:00:00Z")])
    assert one(T0, [c], [next_day], "2028-06-01", "tr1") == ("breach", ("late",))


def test_late_on_local_date_on_time_in_utc() -> None:
    c = commitment(rules=[notify_rule()])
    # 20 January 05:00 in Tokyo is 19 January 20:00 UTC: on time.
    tokyo = report([run_rec(), notif(sent_at="2028-01-20T05:00:00+09:00")])
    assert one(T0, [c], [tokyo], "2028-06-01", "tr1") == ("compliant", ())
    # 19 January 20:00 in New York is 20 January 01:00 UTC: late.
    ny = report([run_rec(), notif(sent_at="2028-01-19T20:00:00-05:00")])
    assert one(T0, [c], [ny], "2028-06-01", "tr1") == ("breach", ("late",))


def test_missing_and_not_yet_due() -> None:
    c = commitment(rules=[notify_rule()])
    r = report([run_rec()])
    assert one(T0, [c], [r], "2028-01-18", "tr1") == ("not_applicable", ("not_yet_due",))
    # Section 7: not yet due only while the due point is *after* the as-of date; on the due day
    # itself (a verdict as of the end of that day) the notification is missing. (Section 8 says
    # the opposite for cycles: see test_periodic_only_next_not_yet_due_cycle_listed_and_due_day.)
    assert one(T0, [c], [r], "2028-01-19", "tr1") == ("breach", ("missing",))
    assert one(T0, [c], [r], "2028-01-20", "tr1") == ("breach", ("missing",))
    # A notification about another run does not count.
    other = report([run_rec(), notif(about="tr9")])
    assert one(T0, [c], [other], "2028-06-01", "tr1") == ("breach", ("missing",))


def test_custom_late_and_missing_outcomes() -> None:
    rule = notify_rule(
        on_late={"status": "gap", "flags": ["late"]},
        on_missing={"status": "gap", "flags": ["missing_report"]},
    )
    c = commitment(rules=[rule])
    assert one(T0, [c], [report([run_rec()])], "2028-06-01", "tr1") == ("gap", ("missing_report",))
    assert one(
        T0, [c], [report([run_rec(), notif(sent_at="2028-02-01T00:00:00Z")])], "2028-06-01", "tr1"
    ) == ("gap", ("late",))


HOURS_RULE = {
    "type": "deadline",
    "id": "AB-1.R1",
    "clause": "reply within 48 hours",
    "trigger": {"kind": "incident"},
    "fulfil": {"kind": "notification", "match": {"about": "id"}, "at": "sent_at"},
    "deadlines": [{"anchor": "aware_at", "offset": {"amount": 48, "unit": "hours"}}],
}


def incident(aware: str = "2028-03-01T10:00:00Z", rid: str = "in1", **kw: Any) -> dict[str, Any]:
    return {"kind": "incident", "id": rid, "aware_at": aware, "severity_classes": ["serious"], **kw}


def test_exactly_48_hours_complies() -> None:
    c = commitment(rules=[HOURS_RULE])
    exact = report([incident(), notif(about="in1", sent_at="2028-03-03T10:00:00Z")])
    assert one(T0, [c], [exact], "2028-06-01", "in1") == ("compliant", ())
    # The same instant written in another zone.
    exact_local = report(
        [
            incident(aware="2028-03-01T19:00:00+09:00"),
            notif(about="in1", sent_at="2028-03-03T05:00:00-05:00"),
        ]
    )
    assert one(T0, [c], [exact_local], "2028-06-01", "in1") == ("compliant", ())
    one_second = report([incident(), notif(about="in1", sent_at="2028-03-03T10:00:01Z")])
    assert one(T0, [c], [one_second], "2028-06-01", "in1") == ("breach", ("late",))
    # Not yet due until the end of the as-of day passes the due instant.
    assert one(T0, [c], [report([incident()])], "2028-03-02", "in1") == (
        "not_applicable",
        ("not_yet_due",),
    )
    assert one(T0, [c], [report([incident()])], "2028-03-03", "in1") == ("breach", ("missing",))


def test_hours_from_a_date_only_anchor_count_from_midnight_utc() -> None:
    rule = notify_rule(
        deadlines=[{"anchor": "planned_start", "offset": {"amount": 24, "unit": "hours"}}]
    )
    c = commitment(rules=[rule])
    ok = report([run_rec(), notif(sent_at="2028-03-02T00:00:00Z")])
    assert one(T0, [c], [ok], "2028-06-01", "tr1") == ("compliant", ())
    late = report([run_rec(), notif(sent_at="2028-03-02T00:00:01Z")])
    assert one(T0, [c], [late], "2028-06-01", "tr1") == ("breach", ("late",))


def test_working_days_across_weekend_and_holiday() -> None:
    # Anchor Thu 2028-03-02; 3 working days: Fri 3, (Sat 4, Sun 5), Mon 6 holiday, Tue 7, Wed 8.
    rule = notify_rule(
        deadlines=[{"anchor": "planned_start", "offset": {"amount": 3, "unit": "working_days"}}]
    )
    c = commitment(rules=[rule])
    t = treaty(parties=[party(holidays=["2028-03-06"])])
    planned = "2028-03-02"
    on_time = report([run_rec(planned_start=planned), notif(sent_at="2028-03-08T23:59:59Z")])
    late = report([run_rec(planned_start=planned), notif(sent_at="2028-03-09T00:00:00Z")])
    assert one(t, [c], [on_time], "2028-06-01", "tr1") == ("compliant", ())
    assert one(t, [c], [late], "2028-06-01", "tr1") == ("breach", ("late",))
    # Without the holiday the due day is Tue 7.
    late_no_holiday = report(
        [run_rec(planned_start=planned), notif(sent_at="2028-03-08T00:00:00Z")]
    )
    assert one(T0, [c], [late_no_holiday], "2028-06-01", "tr1") == ("breach", ("late",))
    # Another party's holiday does not count.
    t2 = treaty(parties=[party(), party("BBB", holidays=["2028-03-06"])])
    assert one(t2, [c], [late_no_holiday], "2028-06-01", "tr1") == ("breach", ("late",))


def test_working_days_before_the_anchor() -> None:
    # 2 working days before Mon 2028-03-06: Fri 3, Thu 2.
    rule = notify_rule(
        deadlines=[
            {
                "anchor": "planned_start",
                "offset": {"amount": 2, "unit": "working_days"},
                "direction": "before",
            }
        ]
    )
    c = commitment(rules=[rule])
    assert (
        one(
            T0,
            [c],
            [report([run_rec(planned_start="2028-03-06"), notif(sent_at="2028-03-02T23:59:59Z")])],
            "2028-06-01",
            "tr1",
        )[0]
        == "compliant"
    )
    assert (
        one(
            T0,
            [c],
            [report([run_rec(planned_start="2028-03-06"), notif(sent_at="2028-03-03T00:00:00Z")])],
            "2028-06-01",
            "tr1",
        )[0]
        == "breach"
    )


def test_months_deadline_clamped() -> None:
    rule = notify_rule(
        deadlines=[{"anchor": "planned_start", "offset": {"amount": 1, "unit": "months"}}]
    )
    c = commitment(rules=[rule])
    assert (
        one(
            T0,
            [c],
            [report([run_rec(planned_start="2028-01-31"), notif(sent_at="2028-02-29T23:00:00Z")])],
            "2028-06-01",
            "tr1",
        )[0]
        == "compliant"
    )
    assert (
        one(
            T0,
            [c],
            [report([run_rec(planned_start="2028-01-31"), notif(sent_at="2028-03-01T00:00:00Z")])],
            "2028-06-01",
            "tr1",
        )[0]
        == "breach"
    )


def test_strictest_applicable_deadline_wins() -> None:
    rule = {
        **HOURS_RULE,
        "deadlines": [
            {"anchor": "aware_at", "offset": {"amount": 15, "unit": "days"}},
            {
                "anchor": "aware_at",
                "offset": {"amount": 10, "unit": "days"},
                "label": "death",
                "when": {"field": "severity_classes", "op": "contains", "value": "death"},
            },
            {
                "anchor": "aware_at",
                "offset": {"amount": 2, "unit": "days"},
                "when": {"field": "imminent_risk", "op": "eq", "value": True},
            },
        ],
    }
    c = commitment(rules=[rule])
    sent = notif(about="in1", sent_at="2028-03-12T12:00:00Z")  # 11 days after awareness
    assert one(T0, [c], [report([incident(), sent])], "2028-06-01", "in1") == ("compliant", ())
    death = incident(severity_classes=["death"])
    assert one(T0, [c], [report([death, sent])], "2028-06-01", "in1") == ("breach", ("late",))
    imminent = incident(severity_classes=["death"], imminent_risk=True)
    on_day_3 = notif(about="in1", sent_at="2028-03-03T23:59:59Z")
    assert one(T0, [c], [report([imminent, on_day_3])], "2028-06-01", "in1") == ("compliant", ())
    assert one(T0, [c], [report([imminent, sent])], "2028-06-01", "in1") == ("breach", ("late",))


def test_deadline_amount_parameter_and_fulfil_where() -> None:
    rule = notify_rule(
        deadlines=[
            {
                "anchor": "planned_start",
                "offset": {"amount": {"param": "notice"}, "unit": "days"},
                "direction": "before",
            }
        ]
    )
    rule["fulfil"]["where"] = {"field": "channel", "op": "eq", "value": "AB-1"}
    c = commitment(rules=[rule], parameters={"notice": {"value": 10, "unit": "days"}})
    ok = report([run_rec(), notif(sent_at="2028-02-20T10:00:00Z")])
    assert one(T0, [c], [ok], "2028-06-01", "tr1") == ("compliant", ())
    wrong_channel = report([run_rec(), notif(sent_at="2028-02-01T10:00:00Z", channel="XX-1")])
    assert one(T0, [c], [wrong_channel], "2028-06-01", "tr1") == ("breach", ("missing",))


def test_fulfilment_on_time_in_some_versions_only() -> None:
    c = commitment(rules=[notify_rule()])
    s = report([run_rec(), notif(sent_at="2028-01-10T00:00:00Z")], source="self")
    o = report([notif(sent_at="2028-02-10T00:00:00Z")], source="other_party", source_party="BBB")
    assert one(T0, [c], [s, o], "2028-06-01", "tr1") == ("gap", ("contradictory",))
    # An inspection settles it.
    i = report([notif(sent_at="2028-02-10T00:00:00Z")], source="inspection")
    assert one(T0, [c], [s, o, i], "2028-06-01", "tr1") == ("breach", ("late",))
    # Any fulfilment on time in all its versions suffices.
    s2 = report([notif(rid="n2", sent_at="2028-01-01T00:00:00Z")], source="self")
    assert one(T0, [c], [s, o, s2], "2028-06-01", "tr1")[0] == "compliant"


def test_disputed_trigger_versions() -> None:
    # Sources disagree on the planned start: 2028-03-01 (due 01-19) or 2028-02-01 (due 2027-12-21).
    c = commitment(rules=[notify_rule()])
    s = report([run_rec(), notif(sent_at="2028-01-10T00:00:00Z")], source="self")
    o = report([run_rec(planned_start="2028-02-01")], source="open_source")
    assert one(T0, [c], [s, o], "2028-06-01", "tr1") == ("gap", ("contradictory",))
    # Both versions late: immaterial, breach(late).
    s2 = report([run_rec(), notif(sent_at="2028-01-25T00:00:00Z")], source="self")
    assert one(T0, [c], [s2, o], "2028-06-01", "tr1") == ("breach", ("late",))


# ----------------------------------------------------------------------------------------------
# 8: periodic rules
# ----------------------------------------------------------------------------------------------

ANNUAL = {
    "type": "periodic",
    "id": "AB-1.R1",
    "clause": "exchange by 15 December each year for the next year",
    "submission": {"kind": "annual_exchange"},
    "at": "submitted_at",
    "schedule": {"every": "year", "month": 12, "day": 15},
    "cycle_field": "valid_for_year",
    "cycle_offset": 1,
}


def ax(year: int, at: str, rid: str | None = None) -> dict[str, Any]:
    return {
        "kind": "annual_exchange",
        "id": rid or f"ax{year}",
        "valid_for_year": year,
        "submitted_at": at,
    }


def test_periodic_yearly_with_cycle_field() -> None:
    c = commitment(rules=[ANNUAL])
    reps = [report([ax(2029, "2028-12-15T23:59:59Z"), ax(2030, "2029-12-16T00:00:00Z")])]
    assert run(T0, [c], reps, "2031-06-01") == [
        ("AAA", "AB-1", "cycle:2028-12-15", "compliant", ()),
        ("AAA", "AB-1", "cycle:2029-12-15", "breach", ("late",)),
        ("AAA", "AB-1", "cycle:2030-12-15", "breach", ("missing",)),
        ("AAA", "AB-1", "cycle:2031-12-15", "not_applicable", ("not_yet_due",)),
    ]


def test_periodic_only_next_not_yet_due_cycle_listed_and_due_day() -> None:
    c = commitment(rules=[ANNUAL])
    assert run(T0, [c], [], "2028-06-01") == [
        ("AAA", "AB-1", "cycle:2028-12-15", "not_applicable", ("not_yet_due",))
    ]
    # On the due day itself the cycle is not yet missing; the day after it is.
    assert run(T0, [c], [], "2028-12-15") == [
        ("AAA", "AB-1", "cycle:2028-12-15", "not_applicable", ("not_yet_due",))
    ]
    assert run(T0, [c], [], "2028-12-16") == [
        ("AAA", "AB-1", "cycle:2028-12-15", "breach", ("missing",)),
        ("AAA", "AB-1", "cycle:2029-12-15", "not_applicable", ("not_yet_due",)),
    ]
    # An early submission for the next cycle is judged already.
    early = report([ax(2029, "2028-03-01T00:00:00Z")])
    assert run(T0, [c], [early], "2028-06-01") == [
        ("AAA", "AB-1", "cycle:2028-12-15", "compliant", ())
    ]


def test_periodic_first_due_on_or_after_entry_into_force() -> None:
    c = commitment(rules=[ANNUAL])
    t = treaty(parties=[party(eif="2028-12-15")])
    assert run(t, [c], [], "2028-12-15") == [
        ("AAA", "AB-1", "cycle:2028-12-15", "not_applicable", ("not_yet_due",))
    ]
    t2 = treaty(parties=[party(eif="2028-12-16")])
    assert run(t2, [c], [], "2028-12-20") == [
        ("AAA", "AB-1", "cycle:2029-12-15", "not_applicable", ("not_yet_due",))
    ]


def test_periodic_order_assignment_without_cycle_field() -> None:
    rule = {**ANNUAL}
    del rule["cycle_field"]
    del rule["cycle_offset"]
    c = commitment(rules=[rule])
    # One late filing fills the first due date; the second due date has none.
    reps = [report([ax(2029, "2030-01-10T00:00:00Z")])]
    assert run(T0, [c], reps, "2030-06-01") == [
        ("AAA", "AB-1", "cycle:2028-12-15", "breach", ("late",)),
        ("AAA", "AB-1", "cycle:2029-12-15", "breach", ("missing",)),
        ("AAA", "AB-1", "cycle:2030-12-15", "not_applicable", ("not_yet_due",)),
    ]
    # With cycle_field the same filing would belong to 2029-12-15 (valid for 2030) and be late.
    c2 = commitment(rules=[ANNUAL])
    reps2 = [report([ax(2030, "2030-01-10T00:00:00Z")])]
    assert run(T0, [c2], reps2, "2030-06-01")[:2] == [
        ("AAA", "AB-1", "cycle:2028-12-15", "breach", ("missing",)),
        ("AAA", "AB-1", "cycle:2029-12-15", "breach", ("late",)),
    ]


def test_periodic_cycle_field_earliest_submission_counts() -> None:
    c = commitment(rules=[ANNUAL])
    reps = [
        report(
            [ax(2029, "2029-01-05T00:00:00Z", "late1"), ax(2029, "2028-12-01T00:00:00Z", "early1")]
        )
    ]
    assert run(T0, [c], reps, "2029-06-01")[0] == (
        "AAA",
        "AB-1",
        "cycle:2028-12-15",
        "compliant",
        (),
    )


def test_periodic_every_n_months_counted_from_due_date() -> None:
    rule = {
        "type": "periodic",
        "id": "AB-1.R1",
        "clause": "report 24 months after entry into force and every 24 months after that",
        "submission": {"kind": "annual_exchange"},
        "at": "submitted_at",
        "schedule": {"every": "months", "months": {"param": "interval"}},
    }
    c = commitment(rules=[rule], parameters={"interval": {"value": 24, "unit": "months"}})
    t = treaty(parties=[party(eif="2028-02-29")])
    # Due 2030-02-28 (clamped), then 2032-02-28 (from the due date), not 2032-02-29.
    reps = [report([ax(2030, "2030-03-15T00:00:00Z")])]
    assert run(t, [c], reps, "2032-03-01") == [
        ("AAA", "AB-1", "cycle:2030-02-28", "breach", ("late",)),
        ("AAA", "AB-1", "cycle:2032-02-28", "breach", ("missing",)),
        ("AAA", "AB-1", "cycle:2034-02-28", "not_applicable", ("not_yet_due",)),
    ]


def test_periodic_stops_at_withdrawal() -> None:
    c = commitment(rules=[ANNUAL])
    t = treaty(parties=[party(withdrawal_notice_on="2029-06-15")])  # effective 2029-12-15
    assert run(t, [c], [], "2031-01-01") == [
        ("AAA", "AB-1", "cycle:2028-12-15", "breach", ("missing",))
    ]
    t2 = treaty(parties=[party(withdrawal_notice_on="2029-06-16")])  # effective 2029-12-16
    assert run(t2, [c], [], "2031-01-01") == [
        ("AAA", "AB-1", "cycle:2028-12-15", "breach", ("missing",)),
        ("AAA", "AB-1", "cycle:2029-12-15", "breach", ("missing",)),
    ]


def test_periodic_interval_parameter_not_in_force() -> None:
    rule = {
        "type": "periodic",
        "id": "AB-1.R1",
        "clause": "every N months",
        "submission": {"kind": "annual_exchange"},
        "at": "submitted_at",
        "schedule": {"every": "months", "months": {"param": "interval"}},
    }
    c = commitment(
        rules=[rule],
        parameters={"interval": {"versions": [{"value": 12, "valid_to": "2028-06-01"}]}},
    )
    assert run(T0, [c], [], "2028-05-31") == [
        ("AAA", "AB-1", "cycle:2029-01-01", "not_applicable", ("not_yet_due",))
    ]
    assert run(T0, [c], [], "2028-06-01") == [
        ("AAA", "AB-1", None, "gap", ("insufficient_detail",))
    ]


def test_periodic_disputed_submission() -> None:
    c = commitment(rules=[ANNUAL])
    s = report([ax(2029, "2028-12-10T00:00:00Z")], source="self")
    o = report([ax(2029, "2028-12-20T00:00:00Z")], source="secretariat")
    assert run(T0, [c], [s, o], "2029-06-01")[0] == (
        "AAA",
        "AB-1",
        "cycle:2028-12-15",
        "gap",
        ("contradictory",),
    )


# ----------------------------------------------------------------------------------------------
# 9: corroboration
# ----------------------------------------------------------------------------------------------


def test_self_reported_claim_with_no_corroboration() -> None:
    reps = [report([run_rec(), notif(sent_at="2028-01-10T00:00:00Z")], source="self")]
    flag = commitment(rules=[notify_rule(corroboration="flag")])
    assert one(T0, [flag], reps, "2028-06-01", "tr1") == ("compliant", ("uncorroborated",))
    required = commitment(rules=[notify_rule(corroboration="required")])
    assert one(T0, [required], reps, "2028-06-01", "tr1") == ("gap", ("uncorroborated",))
    none = commitment(rules=[notify_rule()])
    assert one(T0, [none], reps, "2028-06-01", "tr1") == ("compliant", ())
    # A second source for the notification corroborates.
    corroborated = [*reps, report([notif(sent_at="2028-01-10T00:00:00Z")], source="secretariat")]
    assert one(T0, [required], corroborated, "2028-06-01", "tr1") == ("compliant", ())
    # Corroboration never touches a breach.
    late = [report([run_rec(), notif(sent_at="2028-02-10T00:00:00Z")], source="self")]
    assert one(T0, [required], late, "2028-06-01", "tr1") == ("breach", ("late",))


def test_corroboration_on_classify_and_periodic() -> None:
    rule = classify({"field": "actual_flop", "op": "gt", "value": 3}, corroboration="required")
    c = commitment(rules=[rule])
    assert one(T0, [c], [report([run_rec(actual_flop=1)])], "2028-06-01", "tr1") == (
        "gap",
        ("uncorroborated",),
    )
    both = [
        report([run_rec(actual_flop=1)]),
        report([run_rec(actual_flop=1)], source="open_source"),
    ]
    assert one(T0, [c], both, "2028-06-01", "tr1") == ("compliant", ())
    p = commitment(rules=[{**ANNUAL, "corroboration": "flag"}])
    assert run(T0, [p], [report([ax(2029, "2028-12-01T00:00:00Z")])], "2029-01-01")[0] == (
        "AAA",
        "AB-1",
        "cycle:2028-12-15",
        "compliant",
        ("uncorroborated",),
    )


# ----------------------------------------------------------------------------------------------
# 10: combination, party-level findings, sanctions
# ----------------------------------------------------------------------------------------------


def test_worst_status_wins_and_flags_merge() -> None:
    r1 = classify(
        {"field": "actual_flop", "op": "gt", "value": 3},
        rid="AB-1.R1",
        hit={"status": "gap", "flags": ["anomaly"]},
    )
    r2 = notify_rule(rid="AB-1.R2")
    c = commitment(rules=[r1, r2])
    reps = [report([run_rec(actual_flop=5), notif(sent_at="2028-02-01T00:00:00Z")])]
    # the worst status wins with its own flags (a gap's flags do not qualify a breach)
    assert one(T0, [c], reps, "2028-06-01", "tr1") == ("breach", ("late",))
    ok = [report([run_rec(actual_flop=5), notif(sent_at="2028-01-01T00:00:00Z")])]
    assert one(T0, [c], ok, "2028-06-01", "tr1") == ("gap", ("anomaly",))


def test_party_level_absence_findings() -> None:
    t = treaty(commitments=["AB-1", "CB-1"])
    report_duty = commitment("CB-1", rules=[{**ANNUAL, "id": "CB-1.R1"}])
    prohibition = commitment(
        rules=[classify({"field": "actual_flop", "op": "gt", "value": 3})],
        verification={"evidence_from": ["CB-1"]},
    )
    # Nothing due yet: unverifiable.
    assert run(t, [prohibition, report_duty], [], "2028-06-01")[0] == (
        "AAA",
        "AB-1",
        None,
        "gap",
        ("unverifiable",),
    )
    # Due and missing.
    assert run(t, [prohibition, report_duty], [], "2029-06-01")[0] == (
        "AAA",
        "AB-1",
        None,
        "gap",
        ("missing_report",),
    )
    # Submitted (late is enough).
    late = [report([ax(2029, "2029-01-10T00:00:00Z")])]
    assert run(t, [prohibition, report_duty], late, "2029-06-01")[0] == (
        "AAA",
        "AB-1",
        None,
        "compliant",
        (),
    )
    # The reporting duty itself is judged by its cycles.
    assert run(t, [prohibition, report_duty], [], "2029-06-01")[1:] == [
        ("AAA", "CB-1", "cycle:2028-12-15", "breach", ("missing",)),
        ("AAA", "CB-1", "cycle:2029-12-15", "not_applicable", ("not_yet_due",)),
    ]
    # No evidence_from: unverifiable. A subject finding replaces the party-level finding.
    bare = commitment(rules=[classify({"field": "actual_flop", "op": "gt", "value": 3})])
    assert run(t, [bare, report_duty], late, "2029-06-01")[0] == (
        "AAA",
        "AB-1",
        None,
        "gap",
        ("unverifiable",),
    )
    assert run(t, [prohibition, report_duty], [report([run_rec(actual_flop=1)])], "2029-06-01")[
        0
    ] == (
        "AAA",
        "AB-1",
        "tr1",
        "compliant",
        (),
    )


def test_no_sanction_available() -> None:
    rule = classify(
        {"field": "actual_flop", "op": "gt", "value": 3}, scope={"event": "planned_start"}
    )
    reps = [
        report(
            [
                run_rec(rid="a", planned_start="2028-03-01", actual_flop=9),
                run_rec(rid="b", planned_start="2028-05-01", actual_flop=9),
            ]
        )
    ]
    no = commitment(rules=[rule], enforcement={"sanction_available": False})
    assert run(T0, [no], reps, "2028-06-01") == [
        ("AAA", "AB-1", "a", "breach", ("no_sanction_available",)),
        ("AAA", "AB-1", "b", "breach", ("no_sanction_available",)),
    ]
    later = commitment(
        rules=[rule], enforcement={"sanction_available": True, "sanction_from": "2028-05-01"}
    )
    assert run(T0, [later], reps, "2028-06-01") == [
        ("AAA", "AB-1", "a", "breach", ("no_sanction_available",)),
        ("AAA", "AB-1", "b", "breach", ()),
    ]
    # Only breaches carry it.
    fine = [report([run_rec(actual_flop=1)])]
    assert one(T0, [no], fine, "2028-06-01", "tr1") == ("compliant", ())


def test_periodic_sanction_from_uses_the_due_date() -> None:
    c = commitment(
        rules=[ANNUAL], enforcement={"sanction_available": True, "sanction_from": "2029-01-01"}
    )
    assert run(T0, [c], [], "2030-01-01")[:2] == [
        ("AAA", "AB-1", "cycle:2028-12-15", "breach", ("missing", "no_sanction_available")),
        ("AAA", "AB-1", "cycle:2029-12-15", "breach", ("missing",)),
    ]


# ----------------------------------------------------------------------------------------------
# Generated bundles: the oracle never raises (smoke test of tests/strategies.py too)
# ----------------------------------------------------------------------------------------------


RULES_MD = Path(__file__).resolve().parents[2] / "docs" / "rules.md"


def reason_table() -> dict[str, str]:
    """docs/rules.md section 13: code -> the status its table row gives (``any``,
    ``excuse outcome``, ``on_late`` and ``on_missing`` leave the status to the rule)."""
    text = RULES_MD.read_text(encoding="utf-8").split("## 13. Reason codes", 1)[1]
    return dict(re.findall(r"^\| `(\w+)` \| ([\w ]+?) \|", text, flags=re.MULTILINE))


def finding_codes() -> list[str]:
    """The codes a finding can carry (the table of section 13, not the codes said only inside
    another reason's words)."""
    return sorted(reason_table())


def test_reason_table_is_read() -> None:
    table = reason_table()
    assert table["deadline_late"] == "on_late"
    assert table["not_bound"] == "not_applicable"
    assert table["excused"] == "excuse outcome"
    assert "settled" not in table
    assert len(table) >= 30


def check_reason(finding: tuple[Any, ...], table: dict[str, str]) -> None:
    """A finding's reason code is one of section 13's table, and fits the status it gives."""
    code, status = finding[5], finding[3]
    assert code in table, finding
    if table[code] in STATUSES:
        assert status == table[code], finding


def _total(bundle: tuple[Any, ...]) -> None:
    t, cs, reps, as_of = bundle
    got = oracle_evaluate(t, cs, reps, as_of)
    assert got == sorted(got, key=lambda f: (f[0], f[1], f[2] or ""))
    keys = [(f[0], f[1], f[2]) for f in got]
    assert len(keys) == len(set(keys))
    in_force = [c for c in t.commitments if c in cs]
    for p in t.parties:
        for cid in in_force:
            if cs[cid].rules:  # a commitment without rules has no findings
                assert any(f[0] == p.code and f[1] == cid for f in got), (p.code, cid)
    table = reason_table()
    for f in got:
        assert f[3] in STATUSES
        assert list(f[4]) == sorted(set(f[4]))
        assert f[2] is None or isinstance(f[2], str)
        check_reason(f, table)
        # the flag that goes with the code (other verdicts of the status may add theirs)
        implied = {
            "transition": "transition",
            "uncorroborated_required": "uncorroborated",
            "readings_disagree": "contradictory",
            "cycle_disputed": "contradictory",
            "deadline_disputed": "contradictory",
            "excuse_disputed": "contradictory",
        }
        if f[5] in implied:
            assert implied[f[5]] in f[4], f
    # The output is a function of the inputs: report order does not matter.
    assert oracle_evaluate(t, cs, list(reversed(reps)), as_of) == got


def _bundle_settings(n: int) -> settings:
    return settings(
        max_examples=n,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        derandomize=True,
        database=None,
    )


@_bundle_settings(100)
@given(bundles())
def test_oracle_total_on_generated_bundles(bundle: tuple[Any, ...]) -> None:
    _total(bundle)


@pytest.mark.slow
@_bundle_settings(2000)
@given(bundles())
def test_oracle_total_on_generated_bundles_long(bundle: tuple[Any, ...]) -> None:
    _total(bundle)
