"""FtM prefix dates and our date intervals, in both directions.

FtM writes a date as a prefix of an ISO timestamp: ``2013``, ``2013-08``, ``2013-08-05``
(or longer, down to seconds). A prefix stands for the whole period it names. Writing an
interval as a prefix is honest only when the prefix's period contains the interval: the
reader then knows less than we do, never more. :func:`prefix_date` picks the most precise
such prefix, and none when no year contains the interval (``early 2000s``) or an end is
open.
"""

from __future__ import annotations

from datetime import date, timedelta

import prefixdate
from dateutil.relativedelta import relativedelta

from domain.dates import DateInterval
from domain.errors import InvalidDateError

ONE_DAY = timedelta(days=1)


def prefix_date(interval: DateInterval | None) -> str | None:
    """The most precise FtM prefix date whose period contains ``interval``, if any."""
    if interval is None or interval.start is None or interval.last_day is None:
        return None
    first, last = interval.start, interval.last_day
    if first == last:
        return first.isoformat()
    if (first.year, first.month) == (last.year, last.month):
        return f"{first.year:04d}-{first.month:02d}"
    if first.year == last.year:
        return f"{first.year:04d}"
    return None


def prefix_interval(text: str, how: str) -> DateInterval:
    """The period an FtM date names: a day, a month or a year (a time is cut to its day)."""
    parsed = prefixdate.parse(text)
    if parsed.dt is None or parsed.text is None:
        msg = f"date {text!r} is not an FtM date (YYYY, YYYY-MM or YYYY-MM-DD...)"
        raise InvalidDateError(msg)
    day = parsed.dt.date()
    precision = parsed.precision
    if precision == prefixdate.Precision.YEAR:
        start = date(day.year, 1, 1)
        return DateInterval(
            text=f"{day.year:04d}", start=start, until=date(day.year + 1, 1, 1), how=how
        )
    if precision == prefixdate.Precision.MONTH:
        start = date(day.year, day.month, 1)
        return DateInterval(
            text=f"{day.year:04d}-{day.month:02d}",
            start=start,
            until=start + relativedelta(months=1),
            how=how,
        )
    return DateInterval(text=day.isoformat(), start=day, until=day + ONE_DAY, how=how)


def before_day(day: date, how: str) -> DateInterval:
    """An unknown day on or before ``day``: ``[open, day + 1)``."""
    return DateInterval(text=f"..{day.isoformat()}", start=None, until=day + ONE_DAY, how=how)


def timestamp_day(text: str | None) -> date | None:
    """The day of an FtM metadata timestamp (``first_seen``, ``last_seen``), if given."""
    if not text:
        return None
    parsed = prefixdate.parse(text)
    return None if parsed.dt is None else parsed.dt.date()
