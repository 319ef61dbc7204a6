"""Hypothesis strategies for the differential test: random, schema-valid inputs.

``bundles()`` draws ``(treaty, commitments, reports, as_of)``:

* 1-4 parties with random entry into force (sometimes none), withdrawal notices (with and without
  an explicit effective date) and declared holidays;
* 1-4 commitments with random ``classify``, ``deadline`` and ``periodic`` rules over the record
  kinds training_run, notification, incident, arrangement, inspection_refusal, inspection and
  annual_exchange: every comparison op, nesting of all/any/not/at_least, counts, derive,
  parameters (strict and inclusive thresholds, validity windows with gaps), scopes for acts and
  continuing situations, transitions, corroboration, sanctions and evidence_from;
* reports from every source about a small pool of record ids, so the same record often comes
  from several sources with disagreeing values, and corrections from the same source;
* an as-of date.

Dates and numbers come from small pools around a few key dates and figures so that boundaries
(equal thresholds, a deadline met on its last day, a due date equal to the as-of date) are hit
often.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any, TypeVar

from hypothesis import strategies as st

from engine.model.commitment import Commitment, TreatyState
from engine.model.records import Report

T = TypeVar("T")

CODES = ["AAA", "BBB", "CCC", "DDD"]
OUTSIDER = "EEE"  # a State that is not a party: reports about it must be ignored
KEY_DATES = [
    date(2027, 12, 31),
    date(2028, 1, 1),
    date(2028, 1, 19),
    date(2028, 2, 28),
    date(2028, 2, 29),
    date(2028, 3, 1),
    date(2028, 6, 30),
    date(2028, 12, 15),
    date(2029, 1, 1),
    date(2029, 2, 28),
    date(2029, 12, 15),
    date(2030, 1, 1),
]
ZONES = [
    UTC,
    timezone(timedelta(hours=9)),
    timezone(timedelta(hours=-5)),
    timezone(timedelta(hours=2)),
]
TIMES = [
    time(0, 0, 0),
    time(0, 0, 1),
    time(10, 0, 0),
    time(12, 0, 0),
    time(23, 0, 0),
    time(23, 59, 59),
]
NUMS = [0, 1, 2, 3, 3.5, 4, 5]
LEVELS = ["self", "open_source", "other_party", "secretariat", "inspection"]
STATUSES = ["breach", "gap", "compliant", "not_applicable"]
FLAGS = [
    "late",
    "missing",
    "missing_report",
    "uncorroborated",
    "contradictory",
    "pending_determination",
    "not_yet_due",
    "transition",
    "unverifiable",
    "insufficient_detail",
    "anomaly",
    "verification_denied",
    "pattern_below_threshold",
    "quota_exhausted",
]


def pick(draw: Any, items: Sequence[T]) -> T:
    """One of ``items``, like ``draw(st.sampled_from(items))``.

    The drawing functions below are plain functions taking ``draw`` (only :func:`bundles` and
    :func:`timestamps` are strategies) and draw from strategies built once: building a strategy
    per draw (``st.sampled_from(...)``, a ``@st.composite`` call) made hypothesis validate it
    each time, which cost most of the differential test's time.
    """
    index: int = draw(between(0, len(items) - 1))
    return items[index]


@functools.cache
def between(lo: int, hi: int) -> st.SearchStrategy[int]:
    """``st.integers(lo, hi)``, built once per range."""
    return st.integers(lo, hi)


def some_of(draw: Any, items: Sequence[T], min_size: int = 0, max_size: int = 3) -> list[T]:
    """Distinct items in the order drawn, like ``st.lists(st.sampled_from(items), unique=True)``."""
    pool = list(items)
    out = []
    for _ in range(draw(between(min(min_size, len(pool)), min(max_size, len(pool))))):
        out.append(pool.pop(draw(between(0, len(pool) - 1))))
    return out


def rarely(draw: Any, n: int) -> bool:
    """True about once in ``n`` draws. Hypothesis favours 0 and the ends of ranges, so the rare
    branch is a middle value rather than 0."""
    return bool(draw(between(0, n + 1)) == (n + 1) // 2)


# ----------------------------------------------------------------------------------------------
# Basic values
# ----------------------------------------------------------------------------------------------

days = st.builds(lambda k, d: k + timedelta(days=d), st.sampled_from(KEY_DATES), st.integers(-3, 3))
early_days = st.builds(
    lambda k, d: k + timedelta(days=d),
    st.sampled_from(KEY_DATES[1:4] + KEY_DATES[:1]),
    st.integers(-3, 3),
)
late_days = st.builds(
    lambda k, d: k + timedelta(days=d),
    st.sampled_from(KEY_DATES[8:] + KEY_DATES[6:8]),
    st.integers(-3, 3),
)
BOOLEANS = st.booleans()
eif_days = st.one_of(days, early_days, early_days)
"""Mostly early entry into force, so that most parties are bound at the as-of date."""
as_of_days = st.one_of(late_days, days, late_days)


@st.composite
def timestamps(draw: Any) -> datetime:
    """An instant near a key date (often at 00:00:00 or 23:59:59 UTC), written in some zone."""
    d = draw(days)
    t = pick(draw, TIMES)
    utc = datetime.combine(d, t, tzinfo=UTC) + timedelta(hours=pick(draw, [0, 0, 0, 1, -1, 48]))
    return utc.astimezone(pick(draw, ZONES))


instants = timestamps()


def sublists(items: list[str], max_size: int = 3) -> st.SearchStrategy[list[str]]:
    """A strategy for a list field's values (built once per field, below)."""
    if not items:
        return st.just([])
    return st.lists(st.sampled_from(items), max_size=max_size, unique=True)


# ----------------------------------------------------------------------------------------------
# The record kinds used: field -> (category, value strategy, required)
# ----------------------------------------------------------------------------------------------

TRIGGER_IDS = ["tr1", "tr2", "in1", "in2", "ar1", "rf1"]
REQUEST_IDS = ["q1", "q2", "q3"]
SEVERITY = ["serious", "critical_infrastructure", "widespread", "death"]
DOMAINS = ["compute", "models", "data", "standards", "cloud", "military"]

FieldSpec = tuple[str, st.SearchStrategy[Any], bool]

FIELDS: dict[str, dict[str, FieldSpec]] = {
    "training_run": {
        "developer": ("str", st.sampled_from(["Lab", "Other"]), False),
        "planned_start": ("date", days, True),
        "actual_start": ("date", days, False),
        "compute_lower_flop": ("num", st.sampled_from(NUMS), False),
        "compute_upper_flop": ("num", st.sampled_from(NUMS), False),
        "actual_flop": ("num", st.sampled_from(NUMS), False),
        "biological_data": ("bool", st.booleans(), False),
        "threshold_known_on": ("date", days, False),
        "excess_known_at": ("ts", instants, False),
    },
    "notification": {
        "channel": ("str", st.sampled_from(["AB-1", "AB-2", "CB-1"]), True),
        "about": ("str", st.sampled_from(TRIGGER_IDS), True),
        "sent_at": ("ts", instants, True),
        "recipients": ("list", sublists(["all", "secretariat"]), False),
    },
    "incident": {
        "aware_at": ("ts", instants, True),
        "reported_at": ("ts", instants, False),
        "severity_classes": ("list", sublists(SEVERITY), True),
        "cross_border": ("bool", st.booleans(), False),
        "imminent_risk": ("bool", st.booleans(), False),
        "affected_parties": ("list", sublists(CODES), False),
    },
    "arrangement": {
        "name": ("str", st.sampled_from(["Pact", "Bloc"]), True),
        "form": ("str", st.sampled_from(["multilateral", "bilateral"]), True),
        "counterpart": ("str", st.sampled_from(CODES), False),
        "members": ("list", sublists(CODES), False),
        "domains": ("list", sublists(DOMAINS), False),
        "signed_on": ("date", days, True),
        "terminated_on": ("date", days, False),
        "accession": ("str", st.sampled_from(["open", "closed", "conditional"]), False),
        "exclusivity_clause": ("bool", st.booleans(), False),
        "share_members_in_gp_defence_treaty": ("num", st.sampled_from([0, 0.25, 0.5, 1]), False),
        "oldest_pending_accession_days": ("num", st.sampled_from([0, 30, 90, 180]), False),
    },
    "inspection_refusal": {
        "request": ("str", st.sampled_from(REQUEST_IDS), True),
        "requesting_party": ("str", st.sampled_from(CODES), True),
        "refused_at": ("ts", instants, True),
        "grounds": ("str", st.sampled_from(["quota", "safety"]), False),
    },
    "inspection": {
        "request": ("str", st.sampled_from(REQUEST_IDS), True),
        "requesting_party": ("str", st.sampled_from(CODES), True),
        "access_granted_at": ("ts", instants, True),
        "hours_on_site": ("num", st.sampled_from([0, 8, 24, 48]), False),
    },
    "calendar": {
        "for_year": ("num", st.integers(2027, 2031), True),
        "submitted_at": ("ts", instants, True),
        "runs": ("list", sublists(["tr1", "tr2", "in1"]), False),
    },
    "annual_exchange": {
        "valid_for_year": ("num", st.integers(2027, 2031), True),
        "submitted_at": ("ts", instants, True),
        "facilities_declared": ("num", st.integers(0, 3), False),
        "holdings_h100e": ("num", st.sampled_from(NUMS), False),
    },
}
KINDS = list(FIELDS)
IDS = {
    "training_run": ["tr1", "tr2"],
    "notification": ["n1", "n2", "n3"],
    "incident": ["in1", "in2"],
    "arrangement": ["ar1", "ar2"],
    "inspection_refusal": ["rf1", "rf2"],
    "inspection": ["is1", "is2", "is3", "is4"],
    "annual_exchange": ["ax1", "ax2", "ax3"],
    "calendar": ["ca1", "ca2"],
}
CONTAINS_SHAPES: dict[str, list[tuple[str, str, str]]] = {
    # subject kind -> [(counted kind, its list field, subject field)] whose values often meet
    "training_run": [("calendar", "runs", "id")],
    "arrangement": [
        ("arrangement", "members", "counterpart"),
        ("incident", "affected_parties", "counterpart"),
    ],
    "inspection": [("arrangement", "members", "requesting_party")],
    "inspection_refusal": [("incident", "affected_parties", "requesting_party")],
}
YEAR_FIELDS = {"valid_for_year", "for_year"}
"""Whole-number year fields, usable in a count's same_year like a date."""
ALL_IDS = [(k, i) for k, ids in IDS.items() for i in ids]


VIRTUAL = {"party_entry_into_force": "date", "reported_by": "list", "evidence_levels": "list"}
"""Fields every record has without being reported (docs/rules.md section 3): usable in
conditions, derive, deadline anchors and scopes, never in joins or as ``at``."""


def fields_of(kind: str, cats: tuple[str, ...], derived: bool = False) -> list[str]:
    names = [n for n, (c, _, _) in FIELDS[kind].items() if c in cats]
    if derived and "num" in cats:
        names.append("dv")
    if "str" in cats:
        names.append("id")
    return names


def fix_record(kind: str, rec: dict[str, Any]) -> dict[str, Any]:
    if kind == "training_run":
        lo, hi = rec.get("compute_lower_flop"), rec.get("compute_upper_flop")
        if lo is not None and hi is not None and lo > hi:
            rec["compute_lower_flop"], rec["compute_upper_flop"] = hi, lo
    return rec


def record(draw: Any, kind: str, rid: str) -> dict[str, Any]:
    rec: dict[str, Any] = {"kind": kind, "id": rid}
    for name, (_cat, values, required) in FIELDS[kind].items():
        if required or not rarely(draw, 3):
            rec[name] = draw(values)
    return fix_record(kind, rec)


def variant(draw: Any, kind: str, base: dict[str, Any]) -> dict[str, Any]:
    """What one source says about a record: usually the same, sometimes different or silent."""
    rec = dict(base)
    for _ in range(pick(draw, [0, 0, 0, 1, 1, 2])):
        name = pick(draw, sorted(FIELDS[kind]))
        _cat, values, required = FIELDS[kind][name]
        if not required and rarely(draw, 3):
            rec.pop(name, None)
        else:
            rec[name] = draw(values)
    return fix_record(kind, rec)


# ----------------------------------------------------------------------------------------------
# Parameters
# ----------------------------------------------------------------------------------------------


def windowed(draw: Any, values: Sequence[Any]) -> dict[str, Any]:
    """A plain value, or versions over validity windows (sometimes leaving a gap)."""
    shape = pick(draw, ["plain", "plain", "two", "late_start", "gap"])
    cut = draw(days)
    if shape == "plain":
        return {"value": pick(draw, values)}
    if shape == "two":
        return {
            "versions": [
                {"value": pick(draw, values), "valid_to": cut},
                {"value": pick(draw, values), "valid_from": cut},
            ]
        }
    if shape == "late_start":
        return {"versions": [{"value": pick(draw, values), "valid_from": cut}]}
    later = cut + timedelta(days=draw(between(1, 200)))
    return {
        "versions": [
            {"value": pick(draw, values), "valid_to": cut},
            {"value": pick(draw, values), "valid_from": later},
        ]
    }


def commitment_parameters(draw: Any, codes: list[str]) -> dict[str, Any]:
    return {
        "thr": {
            "comparison": pick(draw, ["strict", "inclusive"]),
            "unit": "FLOP",
            **windowed(draw, [2, 3, 4]),
        },
        "lim": windowed(draw, NUMS),
        "codes": {"value": some_of(draw, CODES)},
        "days_n": {"unit": "days", **windowed(draw, [0, 1, 2, 10, 42])},
        "quota": {"value": draw(between(0, 3))},
        "interval": {"value": pick(draw, [6, 12, 24, 3])},
    }


# ----------------------------------------------------------------------------------------------
# Conditions
# ----------------------------------------------------------------------------------------------


def literal(draw: Any, kind: str, name: str) -> Any:
    """A literal for comparison with field ``name`` (dates and timestamps as ISO strings)."""
    if name == "dv":
        return pick(draw, NUMS)
    if name == "id":
        return pick(draw, IDS[kind] + TRIGGER_IDS)
    if name in VIRTUAL:
        return draw(days).isoformat() if VIRTUAL[name] == "date" else pick(draw, LEVELS)
    cat, values, _ = FIELDS[kind][name]
    if cat == "date":
        return draw(values).isoformat()
    if cat == "ts":
        if draw(BOOLEANS):
            return draw(days).isoformat()
        return draw(values).isoformat()
    if cat == "list":
        return pick(draw, CODES + SEVERITY + DOMAINS + ["all", "tr1"])
    return draw(values)


def category(kind: str, name: str) -> str:
    if name == "dv":
        return "num"
    if name == "id":
        return "str"
    if name in VIRTUAL:
        return VIRTUAL[name]
    return FIELDS[kind][name][0]


def compare(draw: Any, kind: str, derived: bool) -> dict[str, Any]:
    names = sorted(FIELDS[kind]) + ["id"] + sorted(VIRTUAL) + (["dv"] if derived else [])
    name = pick(draw, names)
    cat = category(kind, name)
    ops = ["exists", "absent"]
    if cat == "num":
        ops += ["eq", "ne", "gt", "ge", "lt", "le", "meets", "below"]
    elif cat in ("date", "ts"):
        ops += ["eq", "ne", "gt", "ge", "lt", "le"]
    elif cat == "bool":
        ops += ["eq", "ne"]
    elif cat == "str":
        ops += ["eq", "ne", "in", "not_in"]
    elif cat == "list":
        ops += ["contains", "contains_all", "contains_any"]
    op = pick(draw, ops)
    if op in ("exists", "absent"):
        return {"field": name, "op": op}
    if op in ("meets", "below"):
        return {
            "field": name,
            "op": op,
            "value": {"param": pick(draw, ["thr", "thr", "gthr"])},
        }
    if op in ("in", "not_in"):
        if rarely(draw, 4):
            return {
                "field": name,
                "op": op,
                "value": {"param": pick(draw, ["codes", "gp"])},
            }
        return {
            "field": name,
            "op": op,
            "value": sorted({str(literal(draw, kind, name)) for _ in range(draw(between(0, 3)))}),
        }
    if op in ("contains_all", "contains_any"):
        return {
            "field": name,
            "op": op,
            "value": sorted({literal(draw, kind, name) for _ in range(draw(between(0, 3)))}),
        }
    # Sometimes compare with a parameter or with another field of the same category.
    choice = draw(between(0, 5))
    if cat == "num" and choice == 0:
        return {"field": name, "op": op, "value": {"param": pick(draw, ["lim", "thr"])}}
    if choice == 1:
        same_cat = [
            n
            for n in names
            if category(kind, n) == cat or {category(kind, n), cat} == {"date", "ts"}
        ]
        return {"field": name, "op": op, "value": {"field": pick(draw, same_cat)}}
    if cat == "num" and choice == 2:
        other = pick(draw, fields_of(kind, ("num",), derived))
        return {
            "field": name,
            "op": op,
            "value": {"op": "add", "args": [{"field": other}, pick(draw, [0, 1])]},
        }
    return {"field": name, "op": op, "value": literal(draw, kind, name)}


def condition(
    draw: Any, kind: str, depth: int, derived: bool = False, counts: tuple[str, ...] = ()
) -> dict[str, Any]:
    shape = "leaf" if depth <= 0 else pick(draw, ["leaf", "leaf", "all", "any", "not", "at_least"])
    if shape == "leaf":
        if counts and draw(BOOLEANS):
            return {
                "count": pick(draw, counts),
                "op": pick(draw, ["eq", "ne", "gt", "ge", "lt", "le"]),
                "value": draw(between(0, 3)) if draw(BOOLEANS) else {"param": "quota"},
            }
        return compare(draw, kind, derived)
    if shape == "not":
        return {"not": condition(draw, kind, depth - 1, derived, counts)}
    items = [condition(draw, kind, depth - 1, derived, counts) for _ in range(draw(between(1, 3)))]
    if shape == "at_least":
        return {"at_least": draw(between(1, len(items))), "of": items}
    return {shape: items}


# ----------------------------------------------------------------------------------------------
# Rules
# ----------------------------------------------------------------------------------------------


def outcome(draw: Any) -> dict[str, Any]:
    return {"status": pick(draw, STATUSES), "flags": some_of(draw, FLAGS, 0, 2)}


def scope(draw: Any, kind: str) -> dict[str, Any] | None:
    shape = pick(draw, ["none", "event", "event", "situation"])
    temporal = fields_of(kind, ("date", "ts"))
    if shape == "none" or not temporal:
        return None
    if shape == "event":
        # sometimes a duty that arises at entry into force (registering what pre-dates it)
        return {"event": pick(draw, temporal + ["party_entry_into_force"])}
    dates = fields_of(kind, ("date",)) or temporal
    start = pick(draw, dates)
    out = {"start": start}
    ends = [f for f in temporal if f != start]
    if ends and draw(BOOLEANS):
        out["end"] = pick(draw, ends)
    return out


def derive(draw: Any, kind: str) -> dict[str, Any]:
    nums = fields_of(kind, ("num",))
    lists = fields_of(kind, ("list",)) + [n for n, c in VIRTUAL.items() if c == "list"]
    if rarely(draw, 3):
        # the number of distinct items of a list field (requested by two Parties or more)
        return {"dv": {"op": "count_distinct", "args": [{"field": pick(draw, lists)}]}}
    if not nums or draw(BOOLEANS):
        return {}
    op = pick(draw, ["add", "sub", "mul", "div", "abs", "min", "max", "coalesce"])
    args: list[Any] = [{"field": pick(draw, nums)}]
    if op != "abs":
        other = {"field": pick(draw, nums)}
        args.append(pick(draw, [pick(draw, [0, 1, 2]), other, {"param": "lim"}]))
    return {"dv": {"op": op, "args": args}}


def common(draw: Any, rid: str, kind: str, derived: dict[str, Any]) -> dict[str, Any]:
    optional = [n for n, (_c, _v, req) in FIELDS[kind].items() if not req] + (
        ["dv"] if "dv" in derived else []
    )
    out: dict[str, Any] = {
        "id": rid,
        "clause": f"clause of {rid}",
        "derive": derived,
        "requires": some_of(draw, optional, 0, 1),
        "corroboration": pick(draw, ["none", "none", "flag", "required"]),
    }
    sc = scope(draw, kind)
    if sc is not None:
        out["scope"] = sc
    return out


def count_spec(draw: Any, kind: str, derived: dict[str, Any]) -> dict[str, Any]:
    """A count ``n`` of a classify rule on ``kind``: records of some kind correlated with the
    subject by ``same``, ``contains``, ``same_year`` and ``before`` (docs/rules.md section 6)."""
    shapes = CONTAINS_SHAPES.get(kind, [])
    ckind = pick(draw, KINDS)
    listing = None
    if shapes and draw(BOOLEANS):
        ckind, list_field, subject_field = pick(draw, shapes)
        listing = {list_field: subject_field}
    spec: dict[str, Any] = {"name": "n", "kind": ckind}

    def often() -> bool:
        # with a list join, no other condition most of the time: the count should often be
        # above 0 (hypothesis favours the "rare" middle value, so a plain coin would not do)
        return (draw(between(0, 9)) == 9) if listing else bool(draw(BOOLEANS))

    if often():
        spec["where"] = condition(draw, ckind, 0)
    for cat in ("str", "num"):
        mine = fields_of(ckind, (cat,))
        theirs = fields_of(kind, (cat,))
        if mine and theirs and often():
            spec["same"] = {pick(draw, mine): pick(draw, theirs)}
            break
    lists, texts = fields_of(ckind, ("list",)), fields_of(kind, ("str",))
    if listing is None and lists and rarely(draw, 3):
        listing = {pick(draw, lists): pick(draw, texts)}
    if listing is not None:
        # the counted record's list holds the subject's value (a calendar listing the run)
        spec["contains"] = listing
    t_mine, t_theirs = fields_of(ckind, ("date", "ts")), fields_of(kind, ("date", "ts"))
    t_theirs += [n for n in derived if n == "ds"]
    if t_mine and t_theirs:
        years = [n for n in FIELDS[ckind] if n in YEAR_FIELDS]
        if years and (draw(between(0, 3)) == 3 if listing else rarely(draw, 2)):
            spec["same_year"] = [pick(draw, years), pick(draw, t_theirs)]
        elif often():
            spec["same_year"] = [pick(draw, t_mine), pick(draw, t_theirs)]
        if often():
            spec["before"] = [pick(draw, t_mine), pick(draw, t_theirs)]
    return spec


def classify_rule(draw: Any, rid: str) -> dict[str, Any]:
    kind = pick(draw, KINDS)
    derived = derive(draw, kind)
    dates = fields_of(kind, ("date",))
    if len(dates) >= 2 and rarely(draw, 3):
        # a derived date (CB-3's start: the actual start, else the planned one)
        op = pick(draw, ["coalesce", "min", "max"])
        derived["ds"] = {"op": op, "args": [{"field": d} for d in some_of(draw, dates, 2, 2)]}
    shapes = CONTAINS_SHAPES.get(kind, [])
    counts = []
    if rarely(draw, 3) or (shapes and rarely(draw, 2)):
        counts.append(count_spec(draw, kind, derived))
    names = tuple(c["name"] for c in counts)
    rule = {
        "type": "classify",
        **common(draw, rid, kind, derived),
        "subject": {"kind": kind},
        "counts": counts,
        "cases": [
            {"when": condition(draw, kind, 2, "dv" in derived, names), **outcome(draw)}
            for _ in range(draw(between(1, 3)))
        ],
        "otherwise": outcome(draw),
    }
    if draw(BOOLEANS):
        rule["subject"]["where"] = condition(draw, kind, 1, "dv" in derived)
    if "ds" in derived and rarely(draw, 2):
        rule["scope"] = {"event": "ds"}
    if names and draw(BOOLEANS):
        # test the count first, so that it is read (a calendar listing the run)
        op = pick(draw, ["ge", "eq", "lt"])
        first = {"when": {"count": names[0], "op": op, "value": draw(between(0, 2))}}
        rule["cases"].insert(0, {**first, **outcome(draw)})
    return rule


DEADLINE_SHAPES = [
    # (trigger kind, fulfilment kind, match, fulfilment at, anchors)
    (
        "training_run",
        "notification",
        {"about": "id"},
        "sent_at",
        ["planned_start", "threshold_known_on", "excess_known_at"],
    ),
    ("incident", "notification", {"about": "id"}, "sent_at", ["aware_at", "reported_at"]),
    ("arrangement", "notification", {"about": "id"}, "sent_at", ["signed_on", "terminated_on"]),
    ("inspection_refusal", "notification", {"about": "id"}, "sent_at", ["refused_at"]),
    (
        "inspection",
        "inspection_refusal",
        {"request": "request"},
        "refused_at",
        ["access_granted_at"],
    ),
]


EXCUSE_SHAPES: dict[str, list[tuple[str, dict[str, str]]]] = {
    # trigger kind -> [(excusing kind, match)]: shapes whose values often coincide, including
    # excuses of the trigger's own kind (a record may excuse itself)
    "training_run": [
        ("notification", {"about": "id"}),
        ("training_run", {"developer": "developer"}),
    ],
    "incident": [("notification", {"about": "id"}), ("incident", {"id": "id"})],
    "arrangement": [
        ("notification", {"about": "id"}),
        ("arrangement", {"counterpart": "counterpart"}),
    ],
    "inspection_refusal": [
        ("inspection", {"request": "request"}),
        ("notification", {"about": "id"}),
    ],
    "inspection": [
        ("inspection_refusal", {"request": "request"}),
        ("inspection_refusal", {"requesting_party": "requesting_party", "request": "request"}),
    ],
}


OFFSETS = st.one_of(st.sampled_from([0, 1, 2, 3, 10, 42, 48]), st.just({"param": "days_n"}))
INTERVALS = st.one_of(st.sampled_from([12, 6, 24]), st.just({"param": "interval"}))


def deadline_rule(draw: Any, rid: str) -> dict[str, Any]:
    kind, fkind, match, at, anchors = pick(draw, DEADLINE_SHAPES)
    derived = derive(draw, kind)
    deadlines = []
    for _ in range(draw(between(1, 3))):
        d: dict[str, Any] = {
            "anchor": pick(draw, [*anchors, "party_entry_into_force"]),
            "offset": {
                "amount": draw(OFFSETS),
                "unit": pick(draw, ["days", "hours", "working_days", "months"]),
            },
            "direction": pick(draw, ["after", "after", "before"]),
        }
        if rarely(draw, 3):
            d["when"] = condition(draw, kind, 1, bool(derived))
        deadlines.append(d)
    fulfil: dict[str, Any] = {"kind": fkind, "match": match, "at": at}
    if rarely(draw, 3):
        fulfil["where"] = condition(draw, fkind, 1)
    rule = {
        "type": "deadline",
        **common(draw, rid, kind, derived),
        "trigger": {"kind": kind},
        "fulfil": fulfil,
        "deadlines": deadlines,
    }
    if draw(BOOLEANS):
        rule["trigger"]["where"] = condition(draw, kind, 1, bool(derived))
    if rarely(draw, 4):
        rule["on_late"] = outcome(draw)
    if rarely(draw, 4):
        rule["on_missing"] = outcome(draw)
    if rarely(draw, 2):
        xkind, xmatch = pick(draw, EXCUSE_SHAPES[kind])
        excuse: dict[str, Any] = {"kind": xkind, "match": xmatch}
        if rarely(draw, 2):
            excuse["where"] = condition(draw, xkind, 1)
        if draw(BOOLEANS):
            excuse["outcome"] = outcome(draw)
        rule["excused_by"] = excuse
    return rule


def periodic_rule(draw: Any, rid: str) -> dict[str, Any]:
    kind = pick(draw, ["annual_exchange", "annual_exchange", "notification"])
    if draw(BOOLEANS):
        schedule: dict[str, Any] = {
            "every": "year",
            "month": pick(draw, [1, 2, 6, 12]),
            "day": pick(draw, [1, 15, 28, 29, 31]),
        }
    else:
        schedule = {
            "every": "months",
            "months": draw(INTERVALS),
        }
    rule: dict[str, Any] = {
        "type": "periodic",
        "id": rid,
        "clause": f"clause of {rid}",
        "corroboration": pick(draw, ["none", "none", "flag", "required"]),
        "submission": {"kind": kind},
        "at": "submitted_at" if kind == "annual_exchange" else "sent_at",
        "schedule": schedule,
    }
    if kind == "annual_exchange" and draw(BOOLEANS):
        rule["cycle_field"] = "valid_for_year"
        rule["cycle_offset"] = pick(draw, [0, 1])
    if kind == "notification" and draw(BOOLEANS):
        rule["submission"]["where"] = {"field": "channel", "op": "eq", "value": rid.split(".")[0]}
    if rarely(draw, 3):
        # a submission that must state a field (a list stated empty counts as not reported)
        optional = [n for n, (_c, _v, req) in FIELDS[kind].items() if not req]
        rule["requires"] = [pick(draw, optional)]
    if rarely(draw, 4):
        rule["on_late"] = outcome(draw)
    if rarely(draw, 4):
        rule["on_missing"] = outcome(draw)
    return rule


def commitment(draw: Any, cid: str, others: list[str], codes: list[str]) -> Commitment:
    rules = []
    for i in range(draw(between(0, 3))):
        make = pick(draw, [classify_rule, deadline_rule, periodic_rule])
        rules.append(make(draw, f"{cid}.R{i + 1}"))
    doc: dict[str, Any] = {
        "document": "commitment",
        "id": cid,
        "title": cid,
        "category": "general",
        "modality": "obligation",
        "severity": "medium",
        "text": [{"lang": "en", "text": "The Parties shall ..."}],
        "parameters": commitment_parameters(draw, codes),
        "rules": rules,
        "verification": {"evidence_from": some_of(draw, others, 0, 2)},
        "enforcement": {"sanction_available": draw(BOOLEANS)},
    }
    if draw(BOOLEANS):
        doc["enforcement"]["sanction_from"] = draw(days)
    applicability: dict[str, Any] = {}
    if rarely(draw, 4):
        applicability["parties"] = some_of(draw, codes, 0, 4)
    if draw(BOOLEANS):
        applicability["transition"] = {"months": pick(draw, [0, 1, 6, 12, 24])}
    doc["applicability"] = applicability
    return Commitment.model_validate(doc)


# ----------------------------------------------------------------------------------------------
# Parties, treaty, reports
# ----------------------------------------------------------------------------------------------


def party(draw: Any, code: str) -> dict[str, Any]:
    p: dict[str, Any] = {
        "code": code,
        "name": f"State {code}",
        "holidays": draw(st.lists(days, max_size=3, unique=True)),
    }
    if rarely(draw, 6):
        return p
    eif = draw(eif_days)
    p["entry_into_force"] = eif
    if rarely(draw, 3):
        notice = eif + timedelta(days=draw(between(0, 400)))
        p["withdrawal_notice_on"] = notice
        if draw(BOOLEANS):
            p["withdrawal_effective_on"] = notice + timedelta(days=draw(between(0, 200)))
    return p


def rule_kinds(commitments: dict[str, Commitment]) -> list[str]:
    """The record kinds the rules look at (subjects, triggers, fulfilments, excuses, counts,
    submissions)."""
    kinds: set[str] = set()
    for c in commitments.values():
        for r in c.rules:
            if r.type == "classify":
                kinds.add(r.subject.kind)
                kinds.update(cs.kind for cs in r.counts)
            elif r.type == "deadline":
                kinds.update({r.trigger.kind, r.fulfil.kind})
                if r.excused_by is not None:
                    kinds.add(r.excused_by.kind)
            else:
                kinds.add(r.submission.kind)
    return sorted(kinds)


def reports(draw: Any, codes: list[str], focus: list[str] | None = None) -> list[Report]:
    """Reports about the parties (rarely about a non-party), mostly carrying records of the
    ``focus`` kinds, from random sources; the same record id recurs across reports."""
    # A few record ids per bundle (one or two of each focus kind, some others), so that the same
    # record recurs in several reports, from several sources and as corrections.
    live = []
    for kind in focus or []:
        live.append((kind, IDS[kind][0]))
        if draw(BOOLEANS):
            live.append((kind, IDS[kind][1]))
    extras = some_of(draw, ALL_IDS, 0 if live else 1, 3)
    live += [x for x in extras if x not in live]
    base: dict[tuple[str, str, str], dict[str, Any]] = {}
    out = []
    main = pick(draw, codes)  # most reports are about one party
    for i in range(draw(between(1, 10))):
        subject = OUTSIDER if rarely(draw, 10) else pick(draw, [main, main, *codes])
        source = pick(draw, LEVELS)
        items = some_of(draw, live, 1, len(live))
        records = []
        for kind, rid in items:
            key = (subject, kind, rid)
            if key not in base:
                base[key] = record(draw, kind, rid)
                triggers = [i for k, i in live if i in TRIGGER_IDS]
                if kind == "notification" and triggers and not rarely(draw, 3):
                    base[key]["about"] = pick(draw, triggers)
            records.append(variant(draw, kind, base[key]))
        doc: dict[str, Any] = {
            "document": "report",
            "id": f"r{i}",
            "source": source,
            "subject_party": subject,
            "period": {"start": "2027-01-01", "end": "2030-12-31"},
            "submitted_at": draw(instants),
            "records": records,
        }
        if source == "other_party" or rarely(draw, 5):
            doc["source_party"] = pick(draw, codes + [OUTSIDER])
        if rarely(draw, 5):
            doc["evidence_level"] = pick(draw, LEVELS)
        out.append(Report.model_validate(doc))
    return out


@st.composite
def bundles(draw: Any) -> tuple[TreatyState, dict[str, Commitment], list[Report], date]:
    """(treaty, commitments by id, reports, as_of)."""
    codes = some_of(draw, CODES, 1, 4)
    cids = [f"AB-{i + 1}" for i in range(draw(between(1, 4)))]
    commitments = {cid: commitment(draw, cid, [c for c in cids if c != cid], codes) for cid in cids}
    in_force = some_of(draw, [*cids, "ZZ-9"], 1, 5)
    params: dict[str, Any] = {
        "gp": {"value": some_of(draw, CODES)},
        "gthr": {
            "comparison": pick(draw, ["strict", "inclusive"]),
            **windowed(draw, [2, 3, 4]),
        },
    }
    if draw(BOOLEANS):
        params["transition_months"] = {"value": pick(draw, [0, 1, 6, 12, 24])}
    if draw(BOOLEANS):
        params["withdrawal_notice_months"] = {"value": pick(draw, [1, 6, 12])}
    treaty_doc: dict[str, Any] = {
        "document": "treaty",
        "id": "T",
        "title": "Treaty",
        "version": "2027.1",
        "commitments": in_force,
        "parameters": params,
        "parties": [party(draw, c) for c in codes],
    }
    if rarely(draw, 4):
        treaty_doc["settling_evidence"] = some_of(draw, LEVELS, 1, 2)
    treaty = TreatyState.model_validate(treaty_doc)
    reps = reports(draw, codes, rule_kinds(commitments))
    as_of = draw(as_of_days)
    return treaty, commitments, reps, as_of
