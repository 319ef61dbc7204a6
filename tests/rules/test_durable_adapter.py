"""The durable_rules adapter defeats each silent failure listed in the shared research notes."""

from __future__ import annotations

import random
from typing import Any

import pytest
from durable import engine as durable_engine
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.errors import EngineFault
from engine.rules import backend as _durable
from engine.rules.backend import DurableMatcher, encode, encode_fact

THRESHOLD = {
    "big": {"all": [{"m": {"$and": [{"kind": "run"}, {"$gt": {"flop": 1e26}}]}}], "run": "big"},
    "k_run": {"all": [{"m": {"kind": "run"}}], "run": "k_run"},
}
JOIN = {
    "j": {
        "all": [
            {"t": {"kind": "run"}},
            {
                "f": {
                    # The shape the compiler emits: kind, then join equalities, then filters on the
                    # fact itself. An ordered comparison between the two facts after the
                    # equality would segfault durable_rules; a nested $and/$or before the
                    # equality would silently drop it.
                    "$and": [
                        {"kind": "notif"},
                        {"about": {"t": "_rid"}},
                        {"$lte": {"day": 100.0}},
                    ]
                }
            },
        ],
        "run": "j",
    },
    "k_run": {"all": [{"m": {"kind": "run"}}], "run": "k_run"},
    "k_notif": {"all": [{"m": {"kind": "notif"}}], "run": "k_notif"},
}


class TestEncoding:
    def test_exponent_floats_get_a_fraction(self) -> None:
        """durable_rules' JSON parser rejects 1e+26; the encoder writes 1.0e+26."""
        assert encode(1e26) == "1.0e+26"
        assert encode(2.5e25) == "2.5e+25"
        assert encode(1e-05) == "1.0e-05"

    def test_huge_integers_become_floats(self) -> None:
        """Integers above 2^63 saturate silently in durable_rules; they are sent as floats."""
        assert encode(10**26) == "1.0e+26"

    def test_non_finite_is_refused(self) -> None:
        with pytest.raises(EngineFault):
            encode(float("nan"))

    def test_big_numbers_compare_correctly_in_the_engine(self) -> None:
        """10**27 > 1e26 and 1e26 is not > 1e26 (strict), both through the real engine."""
        m = DurableMatcher(THRESHOLD)
        facts = [
            {"id": "a", "kind": "run", "flop": 10**27},
            {"id": "b", "kind": "run", "flop": 1e26},
            {"id": "c", "kind": "run", "flop": 1.5e26},
        ]

        fired = {ids["m"] for name, ids in m.match(facts) if name == "big"}

        assert fired == {"a", "c"}


class TestMatching:
    def test_facts_fire_every_matching_rule(self) -> None:
        """Facts, not events: one fact fires both rules that match it."""
        m = DurableMatcher(THRESHOLD)

        names = [n for n, _ in m.match([{"id": "x", "kind": "run", "flop": 2e26}])]

        assert names == ["big", "k_run"]

    def test_result_does_not_depend_on_assertion_order(self) -> None:
        m = DurableMatcher(JOIN)
        facts: list[dict[str, Any]] = [
            {"id": f"r{i}", "_rid": f"run{i}", "kind": "run", "due": 100.0} for i in range(30)
        ] + [
            {
                "id": f"n{i}",
                "_rid": f"n{i}",
                "kind": "notif",
                "about": f"run{i % 30}",
                "day": 90.0 + i % 20,
            }
            for i in range(60)
        ]
        first = m.match(facts)
        shuffled = list(facts)
        random.Random(7).shuffle(shuffled)

        assert m.match(shuffled) == first
        assert sum(1 for n, _ in first if n == "j") == sum(
            1 for f in facts if f["kind"] == "notif" and f["day"] <= 100
        )

    def test_facts_are_retracted_after_each_match(self) -> None:
        """A second evaluation does not see the first one's facts (no cross-party joins)."""
        m = DurableMatcher(JOIN)
        m.match([{"id": "r", "_rid": "run", "kind": "run", "due": 10.0}])

        fired = m.match([{"id": "n", "_rid": "n", "kind": "notif", "about": "run", "day": 1.0}])

        assert [n for n, _ in fired] == ["k_notif"]

    def test_same_definition_registers_once(self) -> None:
        """durable_rules cannot register a ruleset twice; the adapter reuses it by digest."""
        a, b = DurableMatcher(THRESHOLD), DurableMatcher(dict(THRESHOLD))

        assert a.name == b.name
        assert a.match([{"id": "q", "kind": "run", "flop": 3e26}]) == b.match(
            [{"id": "q", "kind": "run", "flop": 3e26}]
        )

    def test_many_facts_in_one_partition_lose_nothing(self) -> None:
        """20k distinct facts in one sid: every one fires (hash collisions are recovered)."""
        m = DurableMatcher(THRESHOLD)
        facts = [{"id": f"x{i}", "kind": "run", "flop": 2e26} for i in range(20_000)]

        fired = {ids["m"] for n, ids in m.match(facts) if n == "big"}

        assert len(fired) == 20_000

    def test_unmatched_fact_is_not_an_error(self) -> None:
        m = DurableMatcher(THRESHOLD)

        assert m.match([{"id": "z", "kind": "other"}]) == []


class TestSilentFailures:
    def test_hash_collision_is_recovered_under_a_salted_id(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A MessageObservedException for a fact we know is unique is a 32-bit hash collision:
        the fact is re-asserted under a salted id and reported under its own id."""
        m = DurableMatcher(THRESHOLD)
        real = m._rs.assert_fact
        seen = {"n": 0}

        def flaky(fact: dict[str, Any], text: str | None = None) -> Any:
            if fact["id"] == "victim" and seen["n"] == 0:
                seen["n"] += 1
                raise durable_engine.MessageObservedException(fact)
            return real(fact, text)

        monkeypatch.setattr(m._rs, "assert_fact", flaky)

        fired = m.match(
            [
                {"id": "victim", "kind": "run", "flop": 5e26},
                {"id": "other", "kind": "run", "flop": 5e26},
            ]
        )

        assert ("big", {"m": "victim"}) in fired
        assert m.collisions == 1

    def test_no_action_runs_so_none_can_be_swallowed(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """durable_rules swallows exceptions raised in actions; the adapter never lets it run
        one (it records each firing itself), so an action that would fail changes nothing."""
        original = _durable._Host.get_action

        def boom(self: Any, name: str) -> Any:
            def act(c: Any) -> None:
                raise ValueError("bad action")

            return original(self, name) if name != "big" else act

        monkeypatch.setattr(_durable._Host, "get_action", boom)
        faulty = DurableMatcher(
            {**THRESHOLD, "k_other2": {"all": [{"m": {"kind": "other"}}], "run": "k_other2"}}
        )

        assert faulty.match([{"id": "x", "kind": "run", "flop": 5e26}]) == [
            ("big", {"m": "x"}),
            ("k_run", {"m": "x"}),
        ]

    def test_an_unreadable_firing_is_raised_not_swallowed(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        m = DurableMatcher(THRESHOLD)
        monkeypatch.setattr(_durable, "_BOUND", "\x01never")  # every firing is decoded
        monkeypatch.setattr(_durable.json, "loads", lambda _s: {"big": None})

        with pytest.raises(EngineFault, match="unreadable firing"):
            m.match([{"id": "x", "kind": "run", "flop": 5e26}])
        monkeypatch.undo()
        assert m.match([{"id": "y", "kind": "run", "flop": 1.0}]) == [("k_run", {"m": "y"})]

    def test_too_many_properties_is_refused(self) -> None:
        m = DurableMatcher(THRESHOLD)
        fact = {"id": "wide", "kind": "run", **{f"p{i}": 1.0 for i in range(300)}}

        with pytest.raises(EngineFault, match="properties"):
            m.match([fact])

    def test_no_background_threads_are_started(self) -> None:
        import threading

        DurableMatcher(THRESHOLD).match([{"id": "t", "kind": "run", "flop": 5e26}])

        assert not [t for t in threading.enumerate() if isinstance(t, threading.Timer)]


def test_join_equality_before_nested_filters_keeps_the_join() -> None:
    """durable_rules silently drops a join equality placed after a nested $or (every pair then
    fires); the compiler therefore emits equalities first. This pins the safe shape."""
    safe = {
        "j": {
            "all": [
                {"t": {"$and": [{"kind": "run"}, {"$or": [{"x": 1.0}, {"x": 2.0}]}]}},
                {
                    "f": {
                        "$and": [
                            {"kind": "notif"},
                            {"about": {"t": "_rid"}},
                            {"$or": [{"ch": "c"}, {"ch": "d"}]},
                        ]
                    }
                },
            ],
            "run": "j",
        },
        "k_run": {"all": [{"m": {"kind": "run"}}], "run": "k_run"},
        "k_notif": {"all": [{"m": {"kind": "notif"}}], "run": "k_notif"},
    }
    facts = [
        {"id": "t1", "kind": "run", "_rid": "x1", "x": 1.0},
        {"id": "t2", "kind": "run", "_rid": "x2", "x": 1.0},
        {"id": "f1", "kind": "notif", "about": "x1", "ch": "c"},
        {"id": "f2", "kind": "notif", "about": "x2", "ch": "c"},
        {"id": "f3", "kind": "notif", "about": "zz", "ch": "c"},
    ]

    pairs = sorted((ids["t"], ids["f"]) for n, ids in DurableMatcher(safe).match(facts) if n == "j")

    assert pairs == [("t1", "f1"), ("t2", "f2")]


def test_one_fact_never_binds_both_patterns_of_a_rule() -> None:
    """durable_rules never pairs a fact with itself, even when it satisfies both patterns; the
    evaluator adds such self-pairs (a record counts itself, spec section 6). If a durable_rules
    upgrade starts pairing a fact with itself, the evaluator would count it twice: this fails."""
    rules = {
        "c": {
            "all": [
                {"s": {"kind": "run"}},
                {"c": {"$and": [{"kind": "run"}, {"party": {"s": "party"}}]}},
            ],
            "run": "c",
        }
    }
    one = [{"id": "a", "kind": "run", "party": "P"}]
    two = [*one, {"id": "b", "kind": "run", "party": "P"}]

    assert DurableMatcher(rules).match(one) == []
    assert sorted((i["s"], i["c"]) for _, i in DurableMatcher(rules).match(two)) == [
        ("a", "b"),
        ("b", "a"),
    ]


class TestFiringsAreReadWithoutDecoding:
    """Firings are read from the message text when the facts start with their id; every other
    message is decoded. Both ways give the same firings."""

    def test_id_not_first_and_odd_ids_are_decoded(self) -> None:
        m = DurableMatcher(JOIN)
        facts = [
            {"kind": "run", "id": 'r"1', "_rid": "A"},  # id not first, a quote in the id
            {"id": "n\\1", "kind": "notif", "about": "A", "day": 5.0},  # a backslash
            {"id": "n2", "kind": "notif", "about": "A", "day": 7.0},
        ]

        assert m.match(facts) == [
            ("j", {"f": "n2", "t": 'r"1'}),
            ("j", {"f": "n\\1", "t": 'r"1'}),
            ("k_notif", {"m": "n2"}),
            ("k_notif", {"m": "n\\1"}),
            ("k_run", {"m": 'r"1'}),
        ]

    def test_text_inside_a_value_is_never_read_as_a_firing(self) -> None:
        m = DurableMatcher(JOIN)
        trap = '"t":{"id":"evil"},"f":{"id":"evil"}'
        facts = [
            {"id": "r1", "kind": "run", "_rid": "A", "note": trap, "tags": [trap, "{"]},
            {"id": "n1", "kind": "notif", "about": "A", "day": 1.0, "note": "\\" + trap},
        ]

        assert m.match(facts) == [
            ("j", {"f": "n1", "t": "r1"}),
            ("k_notif", {"m": "n1"}),
            ("k_run", {"m": "r1"}),
        ]


_VALUES = [
    0.0,
    -0.0,
    1.0,
    1e-4,
    9.99e-5,
    1e16,
    9999999999999998.0,
    -1e15 - 3,
    1e26,
    2.5e-7,
    "",
    'a"b',
    "\u2028",
    "\\",
    True,
    False,
    ["x", 'y"z'],
    [],
    None,
    3,
    [1.0],
    10**20,
]


@pytest.mark.parametrize("value", _VALUES, ids=repr)
def test_the_fast_fact_encoder_writes_what_encode_writes(value: Any) -> None:
    fact = {"id": "f1", "kind": "k", "v": value}
    assert encode_fact(fact) == encode(fact)


def test_the_fast_fact_encoder_refuses_what_encode_refuses() -> None:
    for bad in (float("nan"), float("inf")):
        with pytest.raises(EngineFault):
            encode_fact({"id": "f1", "v": bad})


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(
        st.text(max_size=5),
        st.one_of(
            st.floats(allow_nan=False, allow_infinity=False),
            st.text(max_size=8),
            st.booleans(),
            st.lists(st.text(max_size=4), max_size=3),
        ),
        max_size=6,
    )
)
def test_the_fast_fact_encoder_agrees_on_random_facts(fact: dict[str, Any]) -> None:
    assert encode_fact(fact) == encode(fact)
