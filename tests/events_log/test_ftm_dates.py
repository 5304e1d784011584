"""FtM prefix dates: never more precise than the record, and as precise as it allows."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.dates import DateInterval, parse_date
from domain.errors import InvalidDateError
from events_log.ftm.dates import prefix_date, prefix_interval


def interval(start: date, until: date) -> DateInterval:
    return DateInterval(text="t", start=start, until=until)


def contains(outer: DateInterval, inner: DateInterval) -> bool:
    assert outer.start is not None
    assert outer.until is not None
    assert inner.start is not None
    assert inner.until is not None
    return outer.start <= inner.start and inner.until <= outer.until


@pytest.mark.parametrize(
    ("start", "until", "expected"),
    [
        (date(2013, 2, 11), date(2013, 2, 12), "2013-02-11"),  # a day
        (date(2013, 1, 1), date(2013, 10, 5), "2013"),  # within one year, not a month
        (date(2013, 8, 1), date(2013, 9, 1), "2013-08"),  # a whole month
        (date(2013, 8, 4), date(2013, 8, 20), "2013-08"),  # part of one month
        (date(2000, 1, 1), date(2004, 1, 1), None),  # "early 2000s": no prefix holds it
        (date(2012, 12, 31), date(2013, 1, 2), None),  # across a new year
        (date(2013, 12, 31), date(2014, 1, 1), "2013-12-31"),  # the last day of a year
    ],
)
def test_the_prefix_is_the_most_precise_that_contains_the_interval(
    start: date, until: date, expected: str | None
) -> None:
    assert prefix_date(interval(start, until)) == expected


@pytest.mark.parametrize("text", ["..2013-10-04", "2007..", ".."])
def test_an_open_interval_has_no_prefix_date(text: str) -> None:
    assert prefix_date(parse_date(text, cap=False)) is None


def reference_prefix(value: DateInterval) -> str | None:
    """The brute-force answer: of the year, month and day of the start (the only prefixes
    that can hold the interval), the finest one that contains it."""
    assert value.start is not None
    start = value.start
    candidates = [start.isoformat(), start.isoformat()[:7], start.isoformat()[:4]]
    for text in candidates:
        if contains(prefix_interval(text, ""), value):
            return text
    return None


@given(
    start=st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 1, 1)),
    days=st.integers(min_value=1, max_value=800),
)
def test_the_chosen_prefix_contains_the_interval_and_is_the_finest_that_does(
    start: date, days: int
) -> None:
    value = interval(start, start + timedelta(days=days))

    chosen = prefix_date(value)

    assert chosen == reference_prefix(value)
    if chosen is not None:
        assert contains(prefix_interval(chosen, ""), value)


@pytest.mark.parametrize(
    ("text", "start", "until"),
    [
        ("2013", date(2013, 1, 1), date(2014, 1, 1)),
        ("2013-08", date(2013, 8, 1), date(2013, 9, 1)),
        ("2023-08-16", date(2023, 8, 16), date(2023, 8, 17)),
        ("2023-08-16T10:12:34", date(2023, 8, 16), date(2023, 8, 17)),  # a time: its day
    ],
)
def test_an_ftm_date_reads_as_the_period_it_names(text: str, start: date, until: date) -> None:
    assert prefix_interval(text, "how").bounds() == (start, until)


def test_text_that_is_no_ftm_date_is_refused() -> None:
    with pytest.raises(InvalidDateError, match="'early 2000s' is not an FtM date"):
        prefix_interval("early 2000s", "")
