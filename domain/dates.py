"""Effective dates as closed-open day intervals.

A source rarely gives a day. An effective date is one unknown day inside
``[start, until)``; either end may be open (``None``). The verbatim text and how the
bounds were derived are kept beside the bounds, and bounds are never padded silently.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

import attrs
from dateutil import parser as dateutil_parser
from dateutil.relativedelta import relativedelta

from domain.errors import InvalidDateError
from domain.text import describe_character

ONE_DAY = timedelta(days=1)

# Two different sentinel defaults: a field that comes back equal to the sentinel in one
# parse and different in the other was filled from the default, not from the text.
_SENTINEL_A = datetime(1, 1, 1)  # noqa: DTZ001 - a naive sentinel, never a clock reading
_SENTINEL_B = datetime(2, 2, 2)  # noqa: DTZ001 - a naive sentinel, never a clock reading

_NUMBER_WORDS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
}

_ISO_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_ISO_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_ISO_YEAR = re.compile(r"^(\d{4})$")
_DECADE = re.compile(r"^(?:the\s+)?(early|mid|mid-|late)?\s*(\d{3}0)'?s$")
_YEAR_PART = re.compile(r"^(early|mid|mid-|late)\s+(\d{4})$")
_WITHIN_PAST = re.compile(r"^(?:within\s+)?the\s+(?:past|last)\s+(\w+)\s+(day|week|month|year)s?$")
_UNDATED = {"in the past", "undated", "unknown", "in the past tense", "previously"}
_FILLERS = re.compile(r"^(?:in|during|on|by|around|circa|c\.)\s+(?:the\s+)?", re.IGNORECASE)


@attrs.frozen
class DateInterval:
    """One unknown day inside ``[start, until)``; ``None`` is an open end.

    ``text`` is what the user or source wrote; ``how`` says how the bounds were derived.
    """

    text: str
    start: date | None
    until: date | None
    how: str = ""

    def __attrs_post_init__(self) -> None:
        if self.start is not None and self.until is not None and self.until <= self.start:
            msg = (
                f"date {self.text!r} is reversed: its interval "
                f"[{self.start.isoformat()}, {self.until.isoformat()}) is empty"
            )
            raise InvalidDateError(msg)

    @property
    def last_day(self) -> date | None:
        """The latest day the interval allows, or None when the end is open."""
        return None if self.until is None else self.until - ONE_DAY

    @property
    def is_day(self) -> bool:
        return (
            self.start is not None and self.until is not None and self.until - self.start == ONE_DAY
        )

    def bounds(self) -> tuple[date | None, date | None]:
        return (self.start, self.until)

    def as_json(self) -> dict[str, str | None]:
        return {
            "text": self.text,
            "from": None if self.start is None else self.start.isoformat(),
            "until": None if self.until is None else self.until.isoformat(),
        }

    def canonical(self) -> str:
        """The shortest text that parses back to these bounds."""
        if self.start is None and self.until is None:
            return ".."
        if self.start is None:
            assert self.last_day is not None
            return ".." + _end_text(self.last_day)
        if self.until is None:
            return _start_text(self.start) + ".."
        whole = _whole_unit_text(self.start, self.until)
        if whole is not None:
            return whole
        assert self.last_day is not None
        return _start_text(self.start) + "/" + _end_text(self.last_day)

    def describe(self) -> str:
        """A compact human form: the text as written, plus the bounds when they differ."""
        canonical = self.canonical()
        if canonical == self.text:
            return self.text
        return f"{self.text} [{canonical}]"


def _whole_unit_text(start: date, until: date) -> str | None:
    if until - start == ONE_DAY:
        return start.isoformat()
    if start.day == 1 and until == start + relativedelta(months=1):
        return f"{start.year:04d}-{start.month:02d}"
    if start.month == 1 and start.day == 1 and until == date(start.year + 1, 1, 1):
        return f"{start.year:04d}"
    return None


def _start_text(day: date) -> str:
    """The coarsest text whose first day is ``day``."""
    if day.month == 1 and day.day == 1:
        return f"{day.year:04d}"
    if day.day == 1:
        return f"{day.year:04d}-{day.month:02d}"
    return day.isoformat()


def _end_text(day: date) -> str:
    """The coarsest text whose last day is ``day``."""
    following = day + ONE_DAY
    if following.month == 1 and following.day == 1:
        return f"{day.year:04d}"
    if following.day == 1:
        return f"{day.year:04d}-{day.month:02d}"
    return day.isoformat()


def parse_date(text: str, *, published: date | None = None, cap: bool = True) -> DateInterval:
    """Read a date text as an interval.

    ``published`` is the source's publication day: it anchors relative phrases ("within
    the past two months", "July") and, with ``cap``, caps past-tense reports at the
    publication day. Nothing is ever filled from today.
    """
    raw = text
    check_date_text(raw)
    cleaned = " ".join(text.strip().split())
    lowered = cleaned.lower()
    if lowered not in _UNDATED:
        lowered = _FILLERS.sub("", lowered).strip()
    try:
        return _capped(raw, lowered, published, cap=cap)
    except (OverflowError, ValueError):
        raise InvalidDateError(_out_of_range(raw)) from None


def check_date_text(raw: str) -> None:
    """Refuse what no date form allows: empty or blank text, a non-ASCII character (such
    as a full-width or Arabic-Indic digit), a control character."""
    if not raw.strip():
        msg = (
            f"date {raw!r} is empty: write a date (2013, 2013-10-04, ...), "
            "or 'in the past' for an undated event"
        )
        raise InvalidDateError(msg)
    for index, char in enumerate(raw):
        if char.isascii() and char.isprintable():
            continue
        msg = (
            f"date {raw!r} holds the character {describe_character(char)} at position "
            f"{index + 1}: dates are written in ASCII, with the digits 0-9"
        )
        raise InvalidDateError(msg)


def _out_of_range(raw: str) -> str:
    return (
        f"date {raw!r} is out of range: an interval must start on or after 0001-01-01 and "
        "end by 9999-12-31, so the last day a date can name is 9999-12-30"
    )


def _capped(raw: str, lowered: str, published: date | None, *, cap: bool) -> DateInterval:
    start, until, how = _parse_bounds(lowered, raw, published)
    if start is not None and until is not None and until <= start:
        msg = f"date {raw!r} is reversed: it ends ({until - ONE_DAY}) before it starts ({start})"
        raise InvalidDateError(msg)
    if cap and published is not None:
        limit = published + ONE_DAY
        if start is not None and start >= limit:
            msg = (
                f"date {raw!r} starts after its source's publication date "
                f"{published.isoformat()}: a report cannot describe a later event"
            )
            raise InvalidDateError(msg)
        if until is None or until > limit:
            until = limit
            how += f", capped at publication {published.isoformat()}"
    return DateInterval(text=raw, start=start, until=until, how=how)


ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")


def parse_day(text: str) -> date:
    """Read text that must name one day (YYYY-MM-DD or an unambiguous written day).

    ``YYYY-MM-DD`` (most of what an import reads) is read at once, with the answer the
    full parser gives (a property test holds the two to each other).
    """
    if ISO_DAY.match(text):
        try:
            day = date.fromisoformat(text)
        except ValueError:
            day = date.max  # 2013-02-30: the full parser says why
        if day < date.max:  # the last day's interval would end past 9999-12-31
            return day
    interval = parse_date(text, cap=False)
    if not interval.is_day:
        msg = f"{text!r} is not a single day: write it as YYYY-MM-DD"
        raise InvalidDateError(msg)
    assert interval.start is not None
    return interval.start


def _parse_bounds(
    lowered: str, raw: str, published: date | None
) -> tuple[date | None, date | None, str]:
    if lowered in _UNDATED:
        if published is None:
            return None, None, "undated, no publication date to bound it"
        return None, None, "undated"
    if lowered in ("..", "../.."):
        return None, None, "open"
    for prefix, kind in (("before ", "before"), ("after ", "after"), ("since ", "since")):
        if lowered.startswith(prefix):
            inner = lowered[len(prefix) :]
            start, until, _ = _parse_single(inner, raw, published)
            if kind == "before":
                return None, start, f"open start, before {inner}"
            return start, None, f"open end, {kind} {inner}"
    if lowered.startswith(".."):
        _, until, _ = _parse_single(lowered[2:].lstrip("/"), raw, published)
        return None, until, "open start"
    if lowered.endswith(".."):
        start, _, _ = _parse_single(lowered[:-2].rstrip("/"), raw, published)
        return start, None, "open end"
    within = _WITHIN_PAST.match(lowered)
    if within:
        return _within_past(within.group(1), within.group(2), raw, published)
    if "/" in lowered:
        left, _, right = lowered.partition("/")
        start, _, _ = _parse_single(left.strip(), raw, published)
        _, until, _ = _parse_single(right.strip(), raw, published)
        if start is not None and until is not None and until <= start:
            msg = f"date range {raw!r} is reversed: {right.strip()} is before {left.strip()}"
            raise InvalidDateError(msg)
        return start, until, "range"
    return _parse_single(lowered, raw, published)


def _parse_single(text: str, raw: str, published: date | None) -> tuple[date, date, str]:
    text = _FILLERS.sub("", text).strip()
    try:
        match = _ISO_DAY.match(text)
        if match:
            day = date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
            return day, day + ONE_DAY, "exact"
        match = _ISO_MONTH.match(text)
        if match:
            first = date(int(match.group(1)), int(match.group(2)), 1)
            return first, first + relativedelta(months=1), "month"
        match = _ISO_YEAR.match(text)
        if match:
            year = int(match.group(1))
            if year == 9999:
                raise InvalidDateError(_out_of_range(raw))
            return date(year, 1, 1), date(year + 1, 1, 1), "year"
    except ValueError as error:
        if str(error).startswith("year "):  # year 0, or an end past 9999-12-31
            raise InvalidDateError(_out_of_range(raw)) from None
        msg = f"date {raw!r} is not a calendar date: {error}"
        raise InvalidDateError(msg) from None
    except OverflowError:
        raise InvalidDateError(_out_of_range(raw)) from None
    match = _DECADE.match(text)
    if match:
        return _decade(match.group(1), int(match.group(2)))
    match = _YEAR_PART.match(text)
    if match:
        return _year_part(match.group(1), int(match.group(2)))
    return _parse_free_text(text, raw, published)


def _decade(part: str | None, decade: int) -> tuple[date, date, str]:
    # Documented convention: early = years 0-3, mid = 3-6, late = 6-9 of the decade.
    if part is None:
        return date(decade, 1, 1), date(decade + 10, 1, 1), "decade"
    offsets = {"early": (0, 4), "mid": (3, 7), "mid-": (3, 7), "late": (6, 10)}
    first, end = offsets[part]
    label = part.rstrip("-")
    return (
        date(decade + first, 1, 1),
        date(decade + end, 1, 1),
        f"{label} decade (years {first}-{end - 1} by convention)",
    )


def _year_part(part: str, year: int) -> tuple[date, date, str]:
    # Documented convention: early = Jan-Apr, mid = May-Aug, late = Sep-Dec.
    months = {"early": (1, 5), "mid": (5, 9), "mid-": (5, 9), "late": (9, 13)}
    first, end = months[part]
    until = date(year + 1, 1, 1) if end == 13 else date(year, end, 1)
    label = part.rstrip("-")
    return date(year, first, 1), until, f"{label} year (months {first}-{end - 1} by convention)"


def _within_past(
    amount_text: str, unit: str, raw: str, published: date | None
) -> tuple[date | None, date | None, str]:
    if published is None:
        msg = (
            f"date {raw!r} is relative: it needs the source's publication date "
            "(--source-date) to anchor it"
        )
        raise InvalidDateError(msg)
    amount = _NUMBER_WORDS.get(amount_text)
    if amount is None and amount_text.isdigit():
        amount = int(amount_text)
    if amount is None:
        msg = f"date {raw!r}: cannot read {amount_text!r} as a number"
        raise InvalidDateError(msg)
    delta = relativedelta(**{unit + "s": amount})  # type: ignore[arg-type]
    start = published - delta
    return start, published + ONE_DAY, f"relative to publication {published.isoformat()}"


def _parse_free_text(text: str, raw: str, published: date | None) -> tuple[date, date, str]:
    if not any(char.isalpha() for char in text):
        # Only a month's name is read freely; digits alone must be in one of the ISO forms.
        msg = (
            f"date {raw!r} is not in a known form: use YYYY, YYYY-MM, YYYY-MM-DD (four-digit "
            "year, two-digit month and day), a range A/B, or an open end (..B, A..)"
        )
        raise InvalidDateError(msg)
    try:
        parsed_a = dateutil_parser.parse(text, default=_SENTINEL_A)
        parsed_b = dateutil_parser.parse(text, default=_SENTINEL_B)
    except (ValueError, OverflowError):
        msg = (
            f"cannot read date {raw!r}: use YYYY, YYYY-MM, YYYY-MM-DD, a range A/B, "
            "an open end (..B, A..), 'early/mid/late 2000s', or 'within the past N months'"
        )
        raise InvalidDateError(msg) from None
    has_year = parsed_a.year == parsed_b.year
    has_month = parsed_a.month == parsed_b.month
    has_day = parsed_a.day == parsed_b.day
    if parsed_a.time() != datetime.min.time() or parsed_b.time() != datetime.min.time():
        msg = f"date {raw!r} has a time of day; give a day, month or year"
        raise InvalidDateError(msg)
    if not has_month and has_day:
        msg = f"date {raw!r} gives a day but no month"
        raise InvalidDateError(msg)
    if not has_year:
        if not has_month or has_day:
            msg = f"date {raw!r} has no year"
            raise InvalidDateError(msg)
        if published is None:
            msg = (
                f"date {raw!r} names a month without a year: give the year, or the "
                "source's publication date to anchor it"
            )
            raise InvalidDateError(msg)
        year = published.year if parsed_a.month <= published.month else published.year - 1
        first = date(year, parsed_a.month, 1)
        return (
            first,
            first + relativedelta(months=1),
            f"month without year: the latest before publication {published.isoformat()}",
        )
    if has_day:
        day = parsed_a.date()
        return day, day + ONE_DAY, "exact"
    if has_month:
        first = date(parsed_a.year, parsed_a.month, 1)
        return first, first + relativedelta(months=1), "month"
    return date(parsed_a.year, 1, 1), date(parsed_a.year + 1, 1, 1), "year"


def parse_instant(text: str) -> datetime:
    """An ISO timestamp (UTC unless it says otherwise), or a day meaning its end."""
    check_date_text(text)
    stripped = text.strip()
    try:
        if len(stripped) == 10:
            return datetime.combine(date.fromisoformat(stripped), time.max, tzinfo=UTC)
        instant = datetime.fromisoformat(stripped.replace("Z", "+00:00"))
    except ValueError:
        msg = f"recorded-by {text!r} is not an ISO timestamp (2013-10-04T12:00:00Z) or a day"
        raise InvalidDateError(msg) from None
    return instant if instant.tzinfo else instant.replace(tzinfo=UTC)


def as_of_period(text: str | None, today: date) -> DateInterval:
    """An as-of period (``--as-of``): a date with both ends; ``today`` when not given."""
    if text is None:
        return DateInterval(
            text=today.isoformat(),
            start=today,
            until=date.fromordinal(today.toordinal() + 1),
            how="today",
        )
    interval = parse_date(text, cap=False)
    if interval.start is None or interval.until is None:
        msg = f"as-of date {text!r} must have both ends (a day, month, year or range A/B)"
        raise InvalidDateError(msg)
    return interval
