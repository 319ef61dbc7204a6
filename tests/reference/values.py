"""The oracle's values: evidence ranks and statuses, its own calendar (months with the month-end
clamp, working days) and comparisons of stated values (docs/rules.md sections 1 and 3)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

# Own copy of the evidence ranks of docs/rules.md section 2 (not imported on purpose).
RANK = {"self": 1, "open_source": 2, "other_party": 2, "secretariat": 3, "inspection": 4}
# Worst first: breach > gap > compliant > not_applicable.
SEVERITY = {"breach": 3, "gap": 2, "compliant": 1, "not_applicable": 0}
STATUSES = frozenset(SEVERITY)


class _Absent:
    """A field that is not stated (or a derived value that cannot be computed)."""

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT: Any = _Absent()

# ----------------------------------------------------------------------------------------------
# Calendar helpers (own implementation)
# ----------------------------------------------------------------------------------------------


def days_in_month(year: int, month: int) -> int:
    if month == 12:
        return 31
    return (date(year, month + 1, 1) - date(year, month, 1)).days


def add_months(d: date, n: int) -> date:
    """``d`` plus ``n`` calendar months, the day clamped to the end of the target month."""
    month_index = d.year * 12 + (d.month - 1) + n
    year, month = month_index // 12, month_index % 12 + 1
    return date(year, month, min(d.day, days_in_month(year, month)))


def add_working_days(d: date, n: int, holidays: frozenset[date]) -> date:
    """The n-th working day after ``d`` (before it if n < 0); ``d`` itself is not counted."""
    step = 1 if n >= 0 else -1
    left = abs(n)
    cur = d
    while left > 0:
        cur = cur + timedelta(days=step)
        if cur.weekday() < 5 and cur not in holidays:
            left -= 1
    return cur


def utc_seconds(ts: datetime) -> datetime:
    """A timestamp in UTC, to the second (docs/rules.md section 3)."""
    return ts.astimezone(UTC).replace(microsecond=0)


def end_of_day(d: date) -> datetime:
    return datetime(d.year, d.month, d.day, 23, 59, 59, tzinfo=UTC)


def start_of_day(d: date) -> datetime:
    return datetime(d.year, d.month, d.day, tzinfo=UTC)


def is_temporal(v: Any) -> bool:
    return isinstance(v, date)  # datetime is a subclass of date


def day_of(v: Any) -> date:
    """The UTC calendar day of a timestamp, or the date itself."""
    if isinstance(v, datetime):
        return utc_seconds(v).date()
    assert isinstance(v, date)
    return v


def instant_of(v: Any) -> datetime:
    """Sort key for a date or timestamp: a date counts from 00:00 UTC."""
    if isinstance(v, datetime):
        return utc_seconds(v)
    return start_of_day(v)


# ----------------------------------------------------------------------------------------------
# Values
# ----------------------------------------------------------------------------------------------


def normalise(v: Any) -> Any:
    """Timestamps are held in UTC to the second; everything else as given."""
    if isinstance(v, datetime):
        return utc_seconds(v)
    if isinstance(v, list):
        return [normalise(x) for x in v]
    return v


def is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def canon(v: Any) -> Any:
    """A hashable key under which two stated values are "the same value" (section 2).

    READING: numbers compare by value (3 == 3.0), timestamps by instant, and lists as sets
    (two sources listing the same members in another order state the same thing).
    """
    if isinstance(v, bool):
        return ("bool", v)
    if is_number(v):
        return ("num", float(v))
    if isinstance(v, datetime):
        return ("ts", utc_seconds(v))
    if isinstance(v, date):
        return ("date", v)
    if isinstance(v, list):
        return ("list", tuple(sorted({canon(x) for x in v}, key=repr)))
    return (type(v).__name__, v)


def parse_temporal(s: str) -> date | None:
    """A string literal in a rule standing for a date or a timestamp (YAML may give either)."""
    try:
        if len(s) == 10:
            return date.fromisoformat(s)
        ts = datetime.fromisoformat(s)
    except ValueError:
        return None
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=UTC)
    return utc_seconds(ts)


def order(a: Any, b: Any) -> int | None:
    """-1, 0 or 1 when a and b are comparable, else None.

    Dates compare as days; timestamps to the second; a timestamp compared with a date is taken
    as its UTC day (section 3). Booleans and lists are not ordered; numbers are not compared
    with strings.
    """
    if isinstance(a, bool) or isinstance(b, bool) or isinstance(a, list) or isinstance(b, list):
        return None
    if is_number(a) and is_number(b):
        return int(a > b) - int(a < b)
    if is_temporal(a) or is_temporal(b):
        if isinstance(a, str):
            a = parse_temporal(a)
        if isinstance(b, str):
            b = parse_temporal(b)
        if not (is_temporal(a) and is_temporal(b)):
            return None
        if isinstance(a, datetime) and isinstance(b, datetime):
            a, b = utc_seconds(a), utc_seconds(b)
        else:
            a, b = day_of(a), day_of(b)
        return int(a > b) - int(a < b)
    if isinstance(a, str) and isinstance(b, str):
        return (a > b) - (a < b)
    return None


def equal(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, list) or isinstance(b, list):
        return isinstance(a, list) and isinstance(b, list) and canon(a) == canon(b)
    return order(a, b) == 0


def comparable(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool)
    if isinstance(a, list) or isinstance(b, list):
        return isinstance(a, list) and isinstance(b, list)
    return order(a, b) is not None
