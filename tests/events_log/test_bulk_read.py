"""Reading many entities at once gives what reading them one by one gives."""

from __future__ import annotations

from pathlib import Path
from uuid import UUID

from domain.record import Source
from events_log.app import SanctionsApp
from events_log.bulk_read import histories
from events_log.bundled import load_article
from events_log.links import link
from events_log.store import resolve_store


def test_histories_equal_the_libraries_reads_entity_by_entity(store_url: str) -> None:
    app = SanctionsApp(resolve_store(store_url, {}))
    load_article(app)
    link(app, "Norinco", "Kunlun Bank", Source("Desk"), "same")
    ids = [str(i) for i in app.entity_ids()]

    found = histories(app, ids)

    assert found == {i: app.entity_events(UUID(i)) for i in ids}
    assert sum(len(events) for events in found.values()) == app.max_position() - len(
        list(app.all_labels())
    ) - sum(1 for _ in app.iter_notifications(topics=["domain.label:Label.Claimed"]))


def test_an_entity_without_events_has_an_empty_history(tmp_path: Path) -> None:
    app = SanctionsApp(resolve_store(str(tmp_path / "s.sqlite"), {}))

    assert histories(app, ["00000000-0000-0000-0000-000000000001"]) == {
        "00000000-0000-0000-0000-000000000001": []
    }
