"""Effective dates as closed-open day intervals (DESIGN.md §4)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest
from dateutil.relativedelta import relativedelta
from hypothesis import example, given, settings
from hypothesis import strategies as st

from domain.dates import DateInterval, parse_date, parse_day
from domain.errors import InvalidDateError

PUBLISHED = date(2013, 10, 4)
MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


class TestDesignTable:
    @pytest.mark.parametrize(
        ("text", "published", "start", "until", "how"),
        [
            # one day
            ("2013-02-05", None, date(2013, 2, 5), date(2013, 2, 6), "exact"),
            # a month, as ISO
            ("2013-08", None, date(2013, 8, 1), date(2013, 9, 1), "month"),
            # a month, written out
            ("August 2013", None, date(2013, 8, 1), date(2013, 9, 1), "month"),
            # a year
            ("2013", None, date(2013, 1, 1), date(2014, 1, 1), "year"),
            # a range of years: the whole of both ends
            ("2000/2003", None, date(2000, 1, 1), date(2004, 1, 1), "range"),
            # a range of months: up to the end of the last month
            ("2013-08/2013-10", None, date(2013, 8, 1), date(2013, 11, 1), "range"),
            # open start, EDTF style: up to the end of that day
            ("..2013-10-04", None, None, date(2013, 10, 5), "open start"),
            # open start, in words: strictly before that day
            ("before 2013-10-05", None, None, date(2013, 10, 5), "open start"),
            # open end, EDTF style
            ("2007..", None, date(2007, 1, 1), None, "open end"),
            # open end, in words (the table's convention: from the start of 2007)
            ("after 2007", None, date(2007, 1, 1), None, "open end"),
            # decade thirds, documented convention
            ("early 2000s", None, date(2000, 1, 1), date(2004, 1, 1), "early decade"),
            ("mid 2000s", None, date(2003, 1, 1), date(2007, 1, 1), "mid decade"),
            ("late 2000s", None, date(2006, 1, 1), date(2010, 1, 1), "late decade"),
            # relative to the source's publication day, up to the end of that day
            (
                "within the past two months",
                PUBLISHED,
                date(2013, 8, 4),
                date(2013, 10, 5),
                "relative to publication 2013-10-04",
            ),
            # undated past-tense report: before the end of the publication day
            ("in the past", PUBLISHED, None, date(2013, 10, 5), "undated"),
            # "undated" is the same as "in the past"
            ("undated", PUBLISHED, None, date(2013, 10, 5), "undated"),
        ],
    )
    def test_each_written_form_gives_the_tables_interval(
        self,
        text: str,
        published: date | None,
        start: date | None,
        until: date | None,
        how: str,
    ) -> None:
        interval = parse_date(text, published=published, cap=published is not None)

        assert (interval.start, interval.until) == (start, until)
        assert interval.how.startswith(how)
        assert interval.text == text


class TestPublicationCap:
    def test_an_event_in_the_year_of_publication_ends_the_day_after_publication(self) -> None:
        interval = parse_date("2013", published=PUBLISHED)

        assert (interval.start, interval.until) == (date(2013, 1, 1), date(2013, 10, 5))
        assert "capped at publication 2013-10-04" in interval.how

    def test_an_open_end_is_closed_by_the_publication_day(self) -> None:
        interval = parse_date("2010..", published=PUBLISHED)

        assert (interval.start, interval.until) == (date(2010, 1, 1), date(2013, 10, 5))
        assert "capped at publication 2013-10-04" in interval.how

    def test_an_interval_ending_before_publication_is_not_capped(self) -> None:
        interval = parse_date("2007", published=PUBLISHED)

        assert (interval.start, interval.until) == (date(2007, 1, 1), date(2008, 1, 1))
        assert "capped" not in interval.how

    def test_without_cap_the_year_is_whole(self) -> None:
        interval = parse_date("2013", published=PUBLISHED, cap=False)

        assert (interval.start, interval.until) == (date(2013, 1, 1), date(2014, 1, 1))
        assert "capped" not in interval.how

    def test_an_event_starting_after_publication_is_refused(self) -> None:
        with pytest.raises(InvalidDateError) as error:
            parse_date("2013-10-06", published=PUBLISHED)

        assert "'2013-10-06'" in str(error.value)
        assert "2013-10-04" in str(error.value)


class TestRefusedDates:
    @pytest.mark.parametrize(
        "text",
        [
            # years the wrong way round
            "2014/2013",
            # months the wrong way round
            "2013-10/2013-09",
            # a day before the month it is said to follow
            "2013-10/2013-09-15",
        ],
    )
    def test_a_reversed_range_is_refused_naming_the_value(self, text: str) -> None:
        with pytest.raises(InvalidDateError) as error:
            parse_date(text, cap=False)

        assert repr(text) in str(error.value)
        assert "reversed" in str(error.value)

    @pytest.mark.parametrize(
        "text",
        [
            # no 13th month
            "2013-13-01",
            # February has 28 days in 2013
            "2013-02-29",
            # no 30th of February
            "2013-02-30",
            # no month 0
            "2013-00",
            # written out, still impossible
            "February 30 2013",
            # an impossible end of a range
            "2013/2014-02-30",
        ],
    )
    def test_an_impossible_date_is_refused_naming_the_value(self, text: str) -> None:
        with pytest.raises(InvalidDateError) as error:
            parse_date(text, cap=False)

        assert repr(text) in str(error.value)

    def test_a_date_that_is_not_a_date_is_refused_naming_the_value(self) -> None:
        with pytest.raises(InvalidDateError) as error:
            parse_date("sometime soonish", cap=False)

        assert "'sometime soonish'" in str(error.value)

    def test_a_time_of_day_is_refused(self) -> None:
        with pytest.raises(InvalidDateError) as error:
            parse_date("2013-10-04 12:30", cap=False)

        assert "'2013-10-04 12:30'" in str(error.value)


class TestMonthWithoutYear:
    def test_a_month_before_publication_is_in_the_publication_year(self) -> None:
        interval = parse_date("July", published=PUBLISHED)

        assert (interval.start, interval.until) == (date(2013, 7, 1), date(2013, 8, 1))

    def test_a_month_after_the_publication_month_is_in_the_year_before(self) -> None:
        interval = parse_date("November", published=PUBLISHED)

        assert (interval.start, interval.until) == (date(2012, 11, 1), date(2012, 12, 1))

    def test_the_publication_month_itself_is_capped_at_publication(self) -> None:
        interval = parse_date("October", published=PUBLISHED)

        assert (interval.start, interval.until) == (date(2013, 10, 1), date(2013, 10, 5))

    def test_a_filler_word_before_the_month_is_ignored(self) -> None:
        interval = parse_date("in July", published=PUBLISHED)

        assert (interval.start, interval.until) == (date(2013, 7, 1), date(2013, 8, 1))


class TestNothingFromToday:
    def test_a_month_without_year_or_publication_is_refused(self) -> None:
        with pytest.raises(InvalidDateError) as error:
            parse_date("July", cap=False)

        assert "'July'" in str(error.value)
        assert "publication date" in str(error.value)

    def test_a_day_and_month_without_year_is_refused(self) -> None:
        with pytest.raises(InvalidDateError) as error:
            parse_date("Aug 5", published=PUBLISHED)

        assert "'Aug 5'" in str(error.value)
        assert "no year" in str(error.value)

    def test_a_relative_date_without_publication_is_refused(self) -> None:
        with pytest.raises(InvalidDateError) as error:
            parse_date("within the past two months")

        assert "'within the past two months'" in str(error.value)

    def test_an_undated_report_without_publication_is_open_at_both_ends(self) -> None:
        interval = parse_date("in the past")

        assert (interval.start, interval.until) == (None, None)


# -- properties -------------------------------------------------------------------------

FIRST = date(1900, 1, 1)
LAST = date(2100, 12, 31)
days = st.dates(min_value=FIRST, max_value=LAST)
# Interval lengths weighted towards the whole-unit shapes canonical() abbreviates.
lengths = st.one_of(
    st.integers(min_value=1, max_value=800),
    st.sampled_from([1, 28, 29, 30, 31, 365, 366]),
)


@st.composite
def intervals(draw: st.DrawFn) -> DateInterval:
    shape = draw(st.sampled_from(["closed", "open start", "open end", "open"]))
    anchor = draw(st.sampled_from(["day", "month", "year"]))
    start = draw(days)
    if anchor == "month":
        start = start.replace(day=1)
    elif anchor == "year":
        start = start.replace(month=1, day=1)
    end_anchor = draw(st.sampled_from(["length", "month", "year"]))
    until = start + timedelta(days=draw(lengths))
    if end_anchor == "month" and until.day != 1:
        until = (until.replace(day=28) + timedelta(days=4)).replace(day=1)
    elif end_anchor == "year" and (until.month, until.day) != (1, 1):
        until = date(until.year + 1, 1, 1)
    return DateInterval(
        text="generated",
        start=None if shape in ("open start", "open") else start,
        until=None if shape in ("open end", "open") else until,
    )


# -- generated texts of the supported forms, each with the bounds the design gives it ---

Bounds = tuple[date | None, date | None]
# The expected bounds for a publication day, or None when the text must be refused.
Expectation = Callable[[date | None], Bounds | None]


def _next_month(first: date) -> date:
    return date(first.year + first.month // 12, first.month % 12 + 1, 1)


@st.composite
def single_dates(draw: st.DrawFn) -> tuple[str, date, date]:
    """A year, month, written month or day, with its first day and the day after it."""
    kind = draw(st.sampled_from(["year", "month", "written month", "day"]))
    if kind == "day":
        day = draw(days)
        return day.isoformat(), day, day + timedelta(days=1)
    year = draw(st.integers(min_value=1900, max_value=2100))
    if kind == "year":
        return f"{year:04d}", date(year, 1, 1), date(year + 1, 1, 1)
    month = draw(st.integers(min_value=1, max_value=12))
    first = date(year, month, 1)
    text = f"{year:04d}-{month:02d}" if kind == "month" else f"{MONTHS[month - 1]} {year}"
    return text, first, _next_month(first)


@st.composite
def supported_texts(draw: st.DrawFn) -> tuple[str, Expectation]:
    form = draw(
        st.sampled_from(
            ["single", "range", "..B", "A..", "before", "after", "decade", "relative", "month"]
        )
    )
    text, start, until = draw(single_dates())
    if form == "single":
        return text, lambda _: (start, until)
    if form == "range":
        right, _, right_until = draw(single_dates())
        reversed_range = right_until <= start
        return f"{text}/{right}", lambda _: None if reversed_range else (start, right_until)
    if form == "..B":
        return ".." + text, lambda _: (None, until)
    if form == "A..":
        return text + "..", lambda _: (start, None)
    if form == "before":
        return "before " + text, lambda _: (None, start)
    if form == "after":
        return "after " + text, lambda _: (start, None)
    if form == "decade":
        decade = draw(st.integers(min_value=190, max_value=209)) * 10
        part = draw(st.sampled_from(["", "early ", "mid ", "mid-", "late "]))
        first, end = {"": (0, 10), "early ": (0, 4), "mid ": (3, 7), "mid-": (3, 7)}.get(
            part, (6, 10)
        )
        bounds = (date(decade + first, 1, 1), date(decade + end, 1, 1))
        return f"{part}{decade}s", lambda _: bounds
    if form == "relative":
        word, amount = draw(
            st.sampled_from([("one", 1), ("two", 2), ("six", 6), ("twelve", 12), ("18", 18)])
        )
        unit = draw(st.sampled_from(["days", "weeks", "months", "years"]))

        def relative(published: date | None) -> Bounds | None:
            if published is None:
                return None
            delta = relativedelta(**{unit: amount})  # type: ignore[arg-type]
            return published - delta, published + timedelta(days=1)

        return f"within the past {word} {unit}", relative
    month = draw(st.integers(min_value=1, max_value=12))

    def anchored(published: date | None) -> Bounds | None:
        if published is None:
            return None
        year = published.year if month <= published.month else published.year - 1
        return date(year, month, 1), _next_month(date(year, month, 1))

    return MONTHS[month - 1], anchored


def capped(bounds: Bounds | None, published: date | None, cap: bool) -> Bounds | None:
    """The design's publication cap: a report cannot describe a later event."""
    if bounds is None or not cap or published is None:
        return bounds
    start, until = bounds
    limit = published + timedelta(days=1)
    if start is not None and start >= limit:
        return None
    return start, limit if until is None or until > limit else until


class TestProperties:
    @settings(max_examples=500)
    @given(intervals())
    def test_the_canonical_text_parses_back_to_the_same_bounds(
        self, interval: DateInterval
    ) -> None:
        text = interval.canonical()

        parsed = parse_date(text, cap=False)

        assert parsed.bounds() == interval.bounds(), text

    @settings(max_examples=500)
    @given(supported_texts(), st.one_of(st.none(), days), st.booleans())
    def test_a_parsed_interval_is_never_reversed_and_refusals_have_a_reason(
        self, case: tuple[str, Expectation], published: date | None, cap: bool
    ) -> None:
        text, expectation = case
        expected = capped(expectation(published), published, cap)

        refusal = ""
        try:
            parsed: Bounds | None = parse_date(text, published=published, cap=cap).bounds()
        except InvalidDateError as error:
            refusal = str(error)
            parsed = None

        assert parsed == expected, (text, refusal)
        if parsed is None:
            assert repr(text) in refusal
        if parsed is not None and parsed[0] is not None and parsed[1] is not None:
            assert parsed[0] < parsed[1]


class TestRefusedForms:
    @pytest.mark.parametrize(
        ("text", "message"),
        [
            ("", "date '' is empty: write a date (2013, 2013-10-04, ...), or 'in the past' "
                 "for an undated event"),
            ("-2013", "date '-2013' is not in a known form: use YYYY, YYYY-MM, YYYY-MM-DD "
                      "(four-digit year, two-digit month and day), a range A/B, or an open "
                      "end (..B, A..)"),
            ("\u0662\u0660\u0661\u0663", "date '\u0662\u0660\u0661\u0663' holds the character "
             "'\u0662' (U+0662 ARABIC-INDIC DIGIT TWO) at position 1: dates are written in "
             "ASCII, with the digits 0-9"),
            ("2013\x1b", "date '2013\\x1b' holds the character '\\x1b' (U+001B ESCAPE) at "
                         "position 5: dates are written in ASCII, with the digits 0-9"),
            ("9999-12-31", "date '9999-12-31' is out of range: an interval must start on or "
                           "after 0001-01-01 and end by 9999-12-31, so the last day a date "
                           "can name is 9999-12-30"),
        ],
    )  # fmt: skip
    def test_text_outside_the_forms_is_refused_naming_the_character_or_form(
        self, text: str, message: str
    ) -> None:
        with pytest.raises(InvalidDateError) as raised:
            parse_date(text)

        assert str(raised.value) == message

    @pytest.mark.parametrize("text", ["9999", "9999-12", "late 9990s", "0000", "9990s"])
    def test_an_interval_past_the_calendar_is_refused(self, text: str) -> None:
        with pytest.raises(InvalidDateError, match="is out of range"):
            parse_date(text)

    def test_relative_dates_before_year_one_are_refused(self) -> None:
        with pytest.raises(InvalidDateError, match="is out of range"):
            parse_date("within the past two years", published=date(1, 6, 1))

    def test_the_first_and_last_days_are_accepted(self) -> None:
        first, last = parse_date("0001-01-01"), parse_date("9999-12-30", cap=False)

        assert first.bounds() == (date(1, 1, 1), date(1, 1, 2))
        assert last.bounds() == (date(9999, 12, 30), date(9999, 12, 31))

    def test_undated_must_be_said(self) -> None:
        interval = parse_date("in the past", published=PUBLISHED)

        assert interval.bounds() == (None, PUBLISHED + timedelta(days=1))


class TestParseDay:
    @given(st.dates(), st.sampled_from(["{}", " {}", "{} ", "{}\n"]))
    @example(date.max, "{}")
    @example(date.max - timedelta(days=1), "{}")
    @example(date.min, "{}")
    def test_an_iso_day_reads_as_the_full_parser_reads_it(self, day: date, shape: str) -> None:
        text = shape.format(day.isoformat())
        try:
            expected: date | str = parse_date(text, cap=False).start  # type: ignore[assignment]
            assert parse_date(text, cap=False).is_day
        except InvalidDateError as error:
            expected = str(error)

        try:
            found: date | str = parse_day(text)
        except InvalidDateError as error:
            found = str(error)

        assert found == expected

    @pytest.mark.parametrize("text", ["2013-02-30", "2013-13-01", "2013-00-10"])
    def test_an_impossible_iso_day_is_refused_by_the_full_parser(self, text: str) -> None:
        with pytest.raises(InvalidDateError) as fast:
            parse_day(text)
        with pytest.raises(InvalidDateError) as full:
            parse_date(text, cap=False)

        assert str(fast.value) == str(full.value)
