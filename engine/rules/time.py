"""Calendar arithmetic used by the treaty conventions.

All deadlines are evaluated in UTC. A date-only deadline "not later than D" is met by
anything on or before 23:59:59 UTC of D. Months are added with the end-of-month clamp:

>>> add_months(date(2028, 8, 31), 6)
datetime.date(2029, 2, 28)
>>> add_months(date(2027, 8, 31), 6)
datetime.date(2028, 2, 29)
>>> add_working_days(date(2027, 12, 24), 2, holidays=frozenset({date(2027, 12, 27)}))
datetime.date(2027, 12, 29)
"""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, timedelta
from typing import Literal

EPOCH = date(1970, 1, 1)
TimeUnit = Literal["days", "hours", "working_days", "months"]


def add_months(d: date, months: int) -> date:
    """Add (or subtract) calendar months, clamping the day to the end of the month."""
    total = d.year * 12 + (d.month - 1) + months
    year, month0 = divmod(total, 12)
    last = calendar.monthrange(year, month0 + 1)[1]
    return date(year, month0 + 1, min(d.day, last))


def is_working_day(d: date, holidays: frozenset[date]) -> bool:
    """Monday to Friday, and not a holiday the party declared."""
    return d.weekday() < 5 and d not in holidays


def add_working_days(d: date, n: int, holidays: frozenset[date] = frozenset()) -> date:
    """The n-th working day after d (d itself is not counted); n < 0 counts backwards."""
    step = 1 if n >= 0 else -1
    remaining = abs(n)
    cur = d
    while remaining:
        cur += timedelta(days=step)
        if is_working_day(cur, holidays):
            remaining -= 1
    return cur


def working_days_between(start: date, end: date, holidays: frozenset[date]) -> int:
    """Working days after start up to and including end (0 if end <= start)."""
    count, cur = 0, start
    while cur < end:
        cur += timedelta(days=1)
        if is_working_day(cur, holidays):
            count += 1
    return count


def to_utc(ts: datetime) -> datetime:
    """Convert an aware timestamp to UTC. Naive timestamps are refused by the models."""
    return ts.astimezone(UTC)


def day_number(d: date) -> int:
    """Days since 1970-01-01: the integer form dates take inside the rules engine."""
    return (d - EPOCH).days


def epoch_seconds(ts: datetime) -> int:
    """Whole seconds since the epoch, UTC.

    An aware timestamp names one instant, so no conversion is needed first.
    """
    return int(ts.timestamp())


def utc_date(ts: datetime) -> date:
    """The UTC day of an aware timestamp."""
    return to_utc(ts).date()


def end_of_day(d: date) -> datetime:
    """23:59:59 UTC of d: the latest moment that still meets "not later than d"."""
    return datetime(d.year, d.month, d.day, 23, 59, 59, tzinfo=UTC)


def fmt_ts(ts: datetime) -> str:
    """Format a timestamp in UTC, to the minute when seconds are zero."""
    u = to_utc(ts)
    if u.second == 0:
        return u.strftime("%Y-%m-%d %H:%M UTC")
    return u.strftime("%Y-%m-%d %H:%M:%S UTC")


def fmt_duration_hours(seconds: int) -> str:
    """A signed number of seconds as hours and minutes, e.g. ``-49h30``."""
    hours, rem = divmod(abs(seconds), 3600)
    minutes = rem // 60
    sign = "-" if seconds < 0 else ""
    return f"{sign}{hours}h{minutes:02d}"


# ------------------------------------------------------------------------------------------
# Due points (docs/rules.md section 7) and comparisons with them


def clamped_date(year: int, month: int, day: int) -> date:
    """The given day of the month, or the month's last day if it has fewer."""
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def due_point(
    anchor: date | datetime, amount: int, unit: str, direction: str, holidays: frozenset[date]
) -> date | datetime:
    """The due point ``anchor ± amount unit``: a timestamp for ``hours`` (a date-only anchor
    counts from 00:00 UTC), else a date (working days skip weekends and ``holidays``; months
    clamp to the end of the month).
    """
    sign = -1 if direction == "before" else 1
    if unit == "hours":
        start = (
            anchor
            if isinstance(anchor, datetime)
            else datetime(anchor.year, anchor.month, anchor.day, tzinfo=UTC)
        )
        return to_utc(start) + timedelta(hours=sign * amount)
    day = to_utc(anchor).date() if isinstance(anchor, datetime) else anchor
    if unit == "days":
        return day + timedelta(days=sign * amount)
    if unit == "working_days":
        return add_working_days(day, sign * amount, holidays)
    if unit == "months":
        return add_months(day, sign * amount)
    raise ValueError(unit)


def seconds_of(x: date | datetime) -> int:
    """A date (at 00:00 UTC) or a timestamp, as epoch seconds."""
    if isinstance(x, datetime):
        return epoch_seconds(x)
    return day_number(x) * 86400


def as_date(x: date | datetime) -> date:
    """A timestamp's UTC day; a date as it is."""
    return to_utc(x).date() if isinstance(x, datetime) else x


def due_seconds(due: date | datetime) -> int:
    """A due point (or any time) as comparable seconds: a date counts at 23:59:59 UTC."""
    if isinstance(due, datetime):
        return epoch_seconds(due)
    return epoch_seconds(end_of_day(due))


def meets_due(at: date | datetime, due: date | datetime, unit: str) -> bool:
    """Whether ``at`` meets the due point: to the second for hours, by UTC day otherwise."""
    if unit == "hours":
        return seconds_of(at) <= seconds_of(due)
    return as_date(at) <= as_date(due)


def due_after(due: date | datetime, as_of: date) -> bool:
    """Whether the due point falls after the end of the as-of day."""
    return due_seconds(due) > epoch_seconds(end_of_day(as_of))


def after_due_day(at: date | datetime, due: date) -> bool:
    """Whether ``at`` is later than the end of the due day."""
    if isinstance(at, datetime):
        return epoch_seconds(at) > epoch_seconds(end_of_day(due))
    return at > due
