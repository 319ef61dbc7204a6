"""engine.rules.semantics: one comparison decided in Python (docs/rules.md sections 3 and 4)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.model.rules import Compare
from engine.rules.semantics import (
    COMPARE_OPS,
    compare_numbers,
    compare_predicate,
    compare_values,
    literal_value,
    threshold_op,
    unstated,
)


def test_threshold_op_resolves_meets_and_below() -> None:
    assert threshold_op("meets", "strict") == "gt"
    assert threshold_op("meets", "inclusive") == "ge"
    assert threshold_op("below", "strict") == "le"
    assert threshold_op("below", "inclusive") == "lt"
    assert threshold_op("meets", None) is None
    assert threshold_op("le", None) == "le"


def test_literal_value_reads_text_by_the_field_type() -> None:
    assert literal_value("2030-01-02", "date") == date(2030, 1, 2)
    assert literal_value("2030-01-02T10:00:00Z", "datetime") == datetime(2030, 1, 2, 10, tzinfo=UTC)
    # a day against a timestamp field: the timestamp is compared by its UTC day
    assert literal_value("2030-01-02", "datetime") == date(2030, 1, 2)
    assert literal_value("2030-01-02T10:00:00", "datetime") is None  # no zone
    assert literal_value("not a date", "date") is None
    assert literal_value(3, "number") == 3.0 and isinstance(literal_value(3, "number"), float)
    assert literal_value(True, "bool") is True
    assert literal_value("ARC", "str") == "ARC"
    assert literal_value(["a", "b"], "list") == ["a", "b"]


@given(st.floats(allow_nan=False), st.sampled_from(COMPARE_OPS), st.floats(allow_nan=False))
def test_numbers_compare_as_compare_numbers(a: float, op: str, b: float) -> None:
    assert compare_values(a, op, b) == compare_numbers(a, op, b)


@given(st.dates(), st.sampled_from(COMPARE_OPS), st.dates())
def test_dates_compare_as_days(a: date, op: str, b: date) -> None:
    assert compare_values(a, op, b) == compare_numbers(a.toordinal(), op, b.toordinal())


def test_a_timestamp_against_a_date_is_its_utc_day() -> None:
    late = datetime(2030, 1, 1, 23, 30, tzinfo=timezone(timedelta(hours=-5)))  # 04:30 UTC, 2 Jan
    assert compare_values(late, "eq", date(2030, 1, 2))
    assert compare_values(date(2030, 1, 1), "lt", late)
    assert not compare_values(late, "eq", date(2030, 1, 1))
    # two timestamps: to the second, whatever their zones
    same = datetime(2030, 1, 2, 4, 30, 0, 900_000, tzinfo=UTC)
    assert compare_values(late, "eq", same)


def test_membership_and_lists() -> None:
    assert compare_values("ARC", "in", ["ARC", "BOR"])
    assert not compare_values("CAL", "in", ["ARC", "BOR"])
    assert compare_values("CAL", "not_in", ["ARC", "BOR"])
    assert not compare_values("ARC", "in", [])
    assert compare_values("ARC", "not_in", [])
    assert compare_values(["a", "b"], "contains", "a")
    assert compare_values(("a", "b"), "contains_all", ["a", "b"])
    assert not compare_values(["a"], "contains_all", ["a", "b"])
    assert compare_values(["a"], "contains_all", [])
    assert compare_values(["a"], "contains_any", ["b", "a"])
    assert not compare_values(["a"], "contains_any", [])
    assert not compare_values("a", "contains", "a")  # not a list


def test_values_of_different_kinds_never_compare() -> None:
    assert not compare_values("5", "eq", 5.0)
    assert compare_values("5", "ne", 5.0)
    assert not compare_values("5", "gt", 1.0)
    assert not compare_values(True, "eq", 1.0)
    assert not compare_values(date(2030, 1, 1), "gt", 5.0)


def _decide(c: dict[str, Any], values: dict[str, Any], **params: Any) -> bool:
    comparisons = {"cap": "strict", "floor": "inclusive"}
    types = {"n": "number", "d": "date", "t": "datetime", "s": "str", "l": "list", "m": "number"}
    holds = compare_predicate(
        Compare.model_validate(c), lambda f: types.get(f, "str"), params.get, comparisons.get
    )
    return holds(values)


def test_comparisons_on_absent_fields_and_operands() -> None:
    # every comparison with an absent field is false, ne / not_in / below included
    for op, value in (("eq", 1), ("ne", 1), ("not_in", ["a"]), ("below", {"param": "cap"})):
        assert not _decide({"field": "n", "op": op, "value": value}, {}, cap=5)
    assert _decide({"field": "n", "op": "absent"}, {})
    assert not _decide({"field": "n", "op": "exists"}, {"n": None})
    assert _decide({"field": "n", "op": "exists"}, {"n": 0.0})
    # a parameter with no value makes the comparison false
    assert not _decide({"field": "n", "op": "ne", "value": {"param": "k"}}, {"n": 1.0})


def test_comparisons_with_thresholds_fields_and_arithmetic() -> None:
    assert _decide({"field": "n", "op": "meets", "value": {"param": "floor"}}, {"n": 5.0}, floor=5)
    assert not _decide({"field": "n", "op": "meets", "value": {"param": "cap"}}, {"n": 5.0}, cap=5)
    assert _decide({"field": "n", "op": "below", "value": {"param": "cap"}}, {"n": 5.0}, cap=5)
    # meets needs a strict/inclusive choice
    assert not _decide({"field": "n", "op": "meets", "value": {"param": "k"}}, {"n": 9.0}, k=5)
    assert _decide({"field": "n", "op": "gt", "value": {"field": "m"}}, {"n": 2.0, "m": 1.0})
    assert not _decide({"field": "n", "op": "gt", "value": {"field": "m"}}, {"n": 2.0})
    add = {"op": "add", "args": [{"field": "m"}, 1]}
    assert _decide({"field": "n", "op": "eq", "value": add}, {"n": 2.0, "m": 1.0})
    assert _decide(
        {"field": "t", "op": "lt", "value": "2030-01-02"},
        {"t": datetime(2030, 1, 1, 23, 59, tzinfo=UTC)},
    )
    assert _decide(
        {"field": "d", "op": "eq", "value": {"param": "day"}},
        {"d": date(2030, 1, 1)},
        day="2030-01-01",
    )


def test_unstated_is_absent_or_an_empty_list() -> None:
    assert unstated(None) and unstated([]) and unstated(())
    assert not unstated(0.0) and not unstated(False) and not unstated(["a"]) and not unstated("")


@pytest.mark.parametrize("op", ["gt", "ge", "lt", "le"])
def test_text_is_never_ordered(op: str) -> None:
    assert not compare_values("b", op, "a")
