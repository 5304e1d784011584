"""The import's faster ways to save and to look up give what the plain ones give."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.dates import DateInterval
from domain.entity import Entity, register
from domain.label import Label, label_key
from domain.record import Source
from events_log.app import SanctionsApp
from events_log.session import ImportSession
from events_log.store import resolve_store

SOURCE_DAY = date(2013, 10, 4)


@pytest.fixture
def app(store_url: str) -> Iterator[SanctionsApp]:
    opened = SanctionsApp(resolve_store(store_url, {}))
    yield opened
    opened.close()


def stored_rows(app: SanctionsApp) -> list[tuple[Any, ...]]:
    return [
        (n.originator_id, n.originator_version, n.topic, n.state)
        for n in app.recorder.select_notifications(start=1, limit=10_000)
    ]


TEXT = st.text(
    st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), min_size=1, max_size=12
)
NAMES = TEXT.filter(lambda t: bool(t.strip()))


def entity_with_events(number: int, name: str, quote: str | None, days: int) -> Entity:
    """An entity with a few events of several kinds, all ids and times fixed."""
    source = Source(title=f"Report {name}", published=SOURCE_DAY, quote=quote)
    at = datetime(2020, 1, 1, tzinfo=UTC) + timedelta(seconds=10 * number)
    when = DateInterval("day", date(2001, 1, 1) + timedelta(days=days), None)
    entity = register(
        name=name,
        kind="company",
        country=None,
        source=source,
        effective=None,
        entity_id=UUID(int=number + 1),
        event_id=f"{number:030x}01",
        recorded_at=at,
    )
    envelope: dict[str, Any] = {"source": source, "effective": when}
    measure = entity.impose(
        "OFAC", name, None, event_id=f"{number:030x}02", recorded_at=at, **envelope
    )
    entity.add_alias(f"{name} Ltd", event_id=f"{number:030x}03", recorded_at=at, **envelope)
    entity.correct(
        measure,
        {"effective": DateInterval("year", date(2000, 1, 1), date(2001, 1, 1))},
        event_id=f"{number:030x}04",
        recorded_at=at,
        source=source,
        effective=None,
    )
    return entity


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    names=st.lists(NAMES, min_size=1, max_size=4, unique_by=label_key),
    quote=st.none() | TEXT,
    days=st.integers(0, 3000),
)
def test_saving_events_stores_the_rows_that_save_stores(
    tmp_path_factory: pytest.TempPathFactory, names: list[str], quote: str | None, days: int
) -> None:
    folder = tmp_path_factory.mktemp("stores")
    plain = SanctionsApp(resolve_store(str(folder / "plain.sqlite"), {}))
    fast = SanctionsApp(resolve_store(str(folder / "fast.sqlite"), {}))
    plain.after_save = fast.after_save = []

    entities = [entity_with_events(n, name, quote, days) for n, name in enumerate(names)]
    labels = [Label.create(name) for name in names]  # their times come from the clock
    for entity, label in zip(entities, labels, strict=True):
        label.claim(str(entity.id), entity.record().name)
    twins, twin_labels = copy.deepcopy((entities, labels))

    plain.save(*entities, *labels)
    fast.save_events([e for entity in twins for e in entity.collect_events()], twin_labels)

    assert stored_rows(fast) == stored_rows(plain)
    assert [e.event_id for e in fast.entity_events(UUID(int=1))] == [
        e.event_id for e in plain.entity_events(UUID(int=1))
    ]
    plain.close()
    fast.close()


class TestLookingUp:
    def test_existing_names_the_aggregates_on_record(self, app: SanctionsApp) -> None:
        app.after_save = []
        entity = entity_with_events(0, "Acme", None, 0)
        app.save(entity)

        found = app.existing([UUID(int=1), UUID(int=99), UUID(int=1)])

        assert found == {UUID(int=1)}

    def test_entities_found_absent_are_found_once_registered_and_saved(
        self, app: SanctionsApp
    ) -> None:
        session = ImportSession(app)
        session.prefetch([UUID(int=1), UUID(int=2)])
        assert session.entity(UUID(int=1)) is None

        session.register(
            entity_id=UUID(int=1),
            name="Acme",
            kind="company",
            country=None,
            effective=None,
            source=entity_with_events(5, "x", None, 0).events[0].source,
        )
        session.flush()

        assert session.entity(UUID(int=1)) is not None
        assert session.entity(UUID(int=2)) is None
        assert session.find_label("Acme") == [UUID(int=1)]

    def test_a_session_that_flushes_in_its_own_way_still_finds_what_it_saved(
        self, app: SanctionsApp
    ) -> None:
        class SavingAggregates(ImportSession):
            """As the OFAC importer's session did: it clears only entities and labels, and
            saves the aggregates through the library (so without direct rows)."""

            def flush(self) -> int:
                dirty = [e for e in self.entities.values() if e.pending_events]
                for entity in dirty:
                    self._claim(entity)
                labels = [x for x in self.labels.values() if x.pending_events]
                self.app.save(*dirty, *labels)
                self.entities.clear()
                self.labels.clear()
                return len(dirty)

        session = SavingAggregates(app, direct=False)  # it saves through the library
        assert session.find_label("Acme") == []
        assert session.entity(UUID(int=1)) is None
        source = entity_with_events(5, "x", None, 0).events[0].source

        session.register(
            entity_id=UUID(int=1),
            name="Acme",
            kind="company",
            country=None,
            effective=None,
            source=source,
        )
        session.flush()

        assert session.entity(UUID(int=1)) is not None
        assert session.find_label("Acme") == [UUID(int=1)]
