"""Export to FtM, import into an empty store: the same statuses wherever FtM can say them.

FtM dates are prefixes, so an interval that is no day, month or year comes back wider
(or, with no date property, as "on or before first_seen"). Wider intervals only add
placements: the statuses after the trip include the original ones, and equal them when
every date of the entity is a whole day, month or year. Waivers, which FtM has no property
for, come back from the Sanction's summary (events_log/ftm/waivers.py).
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.dates import DateInterval
from domain.entity import Entity
from domain.record import (
    SANCTION_LAPSED,
    SANCTION_LIFTED,
    SANCTION_WAIVED,
    WAIVER_ENDED,
    EntityRecord,
    Source,
)
from events_log.app import SanctionsApp
from events_log.ftm.dates import prefix_date
from events_log.ftm.export import export, records
from events_log.ftm.importer import import_file
from events_log.store import resolve_store
from projections import console
from projections.views import view

SOURCE = Source(title="Test report", publisher="Desk", published=date(2030, 1, 1), quote="q")
DAYS = [date(year, month, 1) for year in range(1985, 2031) for month in (1, 7)]


def open_store(path: Path) -> SanctionsApp:
    return SanctionsApp(resolve_store(str(path), {}))


def trip(
    app: SanctionsApp, folder: Path, check: Callable[[str], Any] | None = None
) -> SanctionsApp:
    out = io.StringIO()
    export(app, out)
    if check is not None:
        check(out.getvalue())
    copy = open_store(folder / "copy.sqlite")
    import_file(copy, io.StringIO(out.getvalue()), "export.ftm.json")
    return copy


def statuses(record: EntityRecord) -> list[set[str]]:
    return [
        set(view(record, DateInterval("d", day, day + timedelta(days=1))).at_end.possible_statuses)
        for day in DAYS
    ]


def exact(record: EntityRecord) -> bool:
    """Every date of the record's measures is a whole day, month or year."""
    for measure in record.measures:
        for event in measure.chain():
            interval = event.effective
            if interval is None or prefix_date(interval) is None:
                return False
            if interval.bounds() != _prefix_bounds(interval):
                return False
    return True


def _prefix_bounds(interval: DateInterval) -> tuple[date | None, date | None]:
    from events_log.ftm.dates import prefix_interval

    text = prefix_date(interval)
    assert text is not None
    return prefix_interval(text, "").bounds()


def compare(original: SanctionsApp, copy: SanctionsApp) -> int:
    """Assert the trip's promise for every entity; returns how many were exact."""
    after = {r.name: r for r in records(copy)}
    exact_count = 0
    for record in records(original):
        imported = after[record.name]
        assert len(imported.measures) == len(record.measures), record.name
        for before_day, after_day in zip(statuses(record), statuses(imported), strict=True):
            assert before_day <= after_day, record.name
        if exact(record):
            assert statuses(record) == statuses(imported), record.name
            exact_count += 1
    return exact_count


class TestBundledDataset:
    def test_the_statuses_after_the_trip_include_the_originals(
        self, tmp_path: Path, check_ftm: Callable[[str], Any]
    ) -> None:
        app = open_store(tmp_path / "s.sqlite")
        console.load_bundled(app)  # the article and the ISN copies, with their waivers

        copy = trip(app, tmp_path, check_ftm)

        assert compare(app, copy) > 0
        waived = [r for r in records(app) if any(m.steps for m in r.measures)]
        assert waived  # the ISN list's waived measures are among those compared


# One measure: imposition (year, month or day, from a start day), perhaps a waiver (and
# its end), perhaps an ending; each step some days after the one before.
units = st.sampled_from(["day", "month", "year", "range"])
measures = st.tuples(
    st.dates(min_value=date(1990, 1, 1), max_value=date(2020, 12, 31)),
    units,
    st.sampled_from([None, SANCTION_LAPSED, SANCTION_LIFTED]),
    st.integers(min_value=1, max_value=3000),
    units,
    st.sampled_from([(), (SANCTION_WAIVED,), (SANCTION_WAIVED, WAIVER_ENDED)]),
    st.integers(min_value=1, max_value=900),
    units,
)


def interval(start: date, unit: str) -> DateInterval:
    if unit == "day":
        return DateInterval("d", start, start + timedelta(days=1))
    if unit == "month":
        first = start.replace(day=1)
        return DateInterval("m", first, (first + timedelta(days=32)).replace(day=1))
    if unit == "year":
        return DateInterval("y", date(start.year, 1, 1), date(start.year + 1, 1, 1))
    return DateInterval("r", start, start + timedelta(days=45))  # may fit no prefix


class TestRandomRecords:
    @settings(max_examples=30, deadline=None)
    @given(plan=st.lists(st.lists(measures, min_size=0, max_size=3), min_size=1, max_size=3))
    def test_statuses_agree_where_ftm_can_say_them(
        self, plan: list[list[tuple[date, str, str | None, int, str, tuple[str, ...], int, str]]]
    ) -> None:
        with tempfile.TemporaryDirectory() as folder:
            app = open_store(Path(folder) / "a.sqlite")
            for index, entity_measures in enumerate(plan):
                entity_id = app.register_entity(
                    name=f"Party {index}",
                    kind="company",
                    country=None,
                    effective=None,
                    source=SOURCE,
                )
                for start, unit, ending, later, end_unit, steps, gap, step_unit in entity_measures:
                    imposed = interval(start, unit)
                    dated: list[tuple[str, DateInterval]] = []
                    previous = imposed
                    for step in steps:
                        assert previous.until is not None
                        previous = interval(previous.until + timedelta(days=gap), step_unit)
                        dated.append((step, previous))
                    assert previous.until is not None
                    ended = interval(previous.until + timedelta(days=later), end_unit)

                    def command(
                        e: Entity,
                        i: DateInterval = imposed,
                        w: tuple[tuple[str, DateInterval], ...] = tuple(dated),
                        x: DateInterval = ended,
                        how: str | None = ending,
                    ) -> str:
                        made = e.impose("A", "P", None, effective=i, source=SOURCE)
                        for step, when in w:
                            act = e.waive if step == SANCTION_WAIVED else e.end_waiver
                            act(made, effective=when, source=SOURCE)
                        if how is not None:
                            e.end_measure(how, made, effective=x, source=SOURCE)
                        return made

                    app.act([entity_id], command)

            copy = trip(app, Path(folder))

            compare(app, copy)
