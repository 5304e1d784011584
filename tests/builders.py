"""Record builders the tests share: events as the fold reads them, and their dates."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from hypothesis import strategies as st

from domain.dates import DateInterval
from domain.record import Recorded, Source

SOURCE = Source(title="Test source", published=date(2013, 10, 4))
ENTITY_ID = "00000000-0000-0000-0000-000000000001"
RECORDED_AT = datetime(2020, 1, 1, tzinfo=UTC)


def recorded(
    type_: str,
    event_id: str,
    effective: DateInterval | None,
    *,
    entity_id: str = ENTITY_ID,
    source: Source = SOURCE,
    recorded_at: datetime = RECORDED_AT,
    position: int | None = None,
    version: int | None = None,
    **fields: Any,
) -> Recorded:
    """One recorded event with these fields."""
    return Recorded(
        type=type_,
        event_id=event_id,
        entity_id=entity_id,
        effective=effective,
        source=source,
        recorded_at=recorded_at,
        fields=fields,
        position=position,
        version=version,
    )


def intervals(
    base: date, days: int, *, months: bool = False, longest_range: int = 900
) -> st.SearchStrategy[DateInterval | None]:
    """Days, years, ranges, open starts and ends, undated (and months, if asked), starting
    within ``days`` of ``base``: often overlapping."""
    shapes = ["day", *(["month"] if months else []), "year", "range", "before", "after", "none"]

    @st.composite
    def interval(draw: st.DrawFn) -> DateInterval | None:
        shape = draw(st.sampled_from(shapes))
        if shape == "none":
            return None
        start = base + timedelta(days=draw(st.integers(0, days)))
        if shape == "day":
            return DateInterval("day", start, start + timedelta(days=1))
        if shape == "month":
            first = start.replace(day=1)
            return DateInterval("month", first, (first + timedelta(days=32)).replace(day=1))
        if shape == "year":
            return DateInterval("year", date(start.year, 1, 1), date(start.year + 1, 1, 1))
        if shape == "range":
            length = draw(st.integers(2, longest_range))
            return DateInterval("range", start, start + timedelta(days=length))
        if shape == "before":
            return DateInterval("before", None, start)
        return DateInterval("after", start, None)

    return interval()
