"""Links in the log: one event on each entity, in one transaction; refusals write nothing."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from domain.entity import to_recorded
from domain.errors import NotFoundError, RuleViolationError
from domain.record import ENTITIES_LINKED, ENTITIES_UNLINKED, Source
from events_log.app import LINK_TOPICS, LINK_TOPICS_SQL, SanctionsApp
from events_log.bundled import load_article
from events_log.jsonl import JsonlImporter, export
from events_log.link_file import link_lines
from events_log.links import link, link_events, parties, unlink
from events_log.store import resolve_store

REVIEW = Source("Desk review", published=None)


@pytest.fixture
def app(tmp_path: Path) -> SanctionsApp:
    app = SanctionsApp(resolve_store(str(tmp_path / "s.sqlite"), {}))
    load_article(app)
    return app


def members(app: SanctionsApp, name: str) -> set[str]:
    found = parties(app).members(str(app.find(name)))
    return {app.entity(app.find(m)).record().name for m in found}


def line(a: str, b: str, **extra: str) -> str:
    return json.dumps({"a": a, "b": b, "source": "Desk review", **extra})


class TestLink:
    def test_a_link_is_one_event_on_each_entity_saved_together(self, app: SanctionsApp) -> None:
        before = app.max_position()

        link_id = link(app, "Norinco", "CPMIEC", REVIEW, "same company")

        events = list(app.iter_recorded(start=before + 1))
        assert [e.type for e in events] == [ENTITIES_LINKED, ENTITIES_LINKED]
        assert [e.position for e in events] == [before + 1, before + 2]
        assert {e.entity_id for e in events} == {str(app.find("Norinco")), str(app.find("CPMIEC"))}
        assert {e.get("other_id") for e in events} == {e.entity_id for e in events}
        assert {(e.get("link_id"), e.correlation_id, e.get("reason")) for e in events} == {
            (link_id, link_id, "same company")
        }

    def test_links_make_parties_and_an_unlink_splits_them(self, app: SanctionsApp) -> None:
        link(app, "Norinco", "CPMIEC", REVIEW, None)
        link(app, "CPMIEC", "Kunlun Bank", REVIEW, None)

        assert members(app, "Kunlun Bank") == {
            "China North Industries Corp.",
            "China Precision Machinery Import/Export Corporation",
            "Kunlun Bank",
        }
        unlink(app, "Kunlun Bank", "CPMIEC", REVIEW)
        assert members(app, "Kunlun Bank") == {"Kunlun Bank"}
        assert [e.type for e in app.iter_recorded(start=app.max_position() - 1)] == [
            ENTITIES_UNLINKED,
            ENTITIES_UNLINKED,
        ]

    @pytest.mark.parametrize(
        ("a", "b", "message"),
        [
            ("Norinco", "China North Industries Corp.", "cannot be linked to itself"),
            ("Norinco", "CPMIEC", "are already one party"),  # linked below first
            ("Norinco", "Kunlun Bank", "are already one party (through other links)"),
        ],
    )
    def test_a_refused_link_writes_nothing(
        self, app: SanctionsApp, a: str, b: str, message: str
    ) -> None:
        link(app, "Norinco", "CPMIEC", REVIEW, None)
        link(app, "CPMIEC", "Kunlun Bank", REVIEW, None)
        before = app.max_position()

        with pytest.raises(
            RuleViolationError, match=message.replace("(", r"\(").replace(")", r"\)")
        ):
            link(app, a, b, REVIEW, None)

        assert app.max_position() == before

    def test_a_name_of_several_entities_is_refused_with_their_names(
        self, app: SanctionsApp
    ) -> None:
        app.register_entity(
            name="Norinco Ltd.",
            kind="company",
            country=None,
            effective=None,
            source=REVIEW,
            aliases=["NOR"],
        )
        app.register_entity(
            name="Norinco Holdings",
            kind="company",
            country=None,
            effective=None,
            source=REVIEW,
            aliases=["NOR"],
            allow_same_name=True,
        )
        before = app.max_position()

        with pytest.raises(
            RuleViolationError,
            match=r"'NOR' is ambiguous: it names 2 entities "
            r"\(Norinco Ltd\. \([0-9a-f]{8}\), Norinco Holdings",
        ):
            link(app, "NOR", "CPMIEC", REVIEW, None)

        assert app.max_position() == before

    def test_a_link_without_a_source_is_refused(self, app: SanctionsApp) -> None:
        with pytest.raises(RuleViolationError, match="needs --source"):
            link(app, "Norinco", "CPMIEC", Source(" "), None)

    def test_unlinking_entities_that_are_not_linked_is_refused(self, app: SanctionsApp) -> None:
        with pytest.raises(RuleViolationError, match="are not linked: nothing to unlink"):
            unlink(app, "Norinco", "CPMIEC", REVIEW)

    def test_a_link_is_neither_corrected_nor_retracted(self, app: SanctionsApp) -> None:
        link(app, "Norinco", "CPMIEC", REVIEW, None)
        [half, _] = list(app.iter_recorded(start=app.max_position() - 1))
        entity = app.entity(app.find("Norinco"))

        with pytest.raises(RuleViolationError, match="withdraw it with 'unlink'"):
            entity.retract(half.event_id, "wrong", source=REVIEW, effective=None)

    def test_links_survive_export_and_import(self, app: SanctionsApp, tmp_path: Path) -> None:
        link(app, "Norinco", "CPMIEC", REVIEW, "same")
        out = io.StringIO()
        export(app, out)
        other = SanctionsApp(resolve_store(str(tmp_path / "other.sqlite"), {}))

        JsonlImporter(other).import_lines(out.getvalue().splitlines(), "export.jsonl")

        assert parties(other).links == parties(app).links


class TestLinkFile:
    def test_every_line_is_linked_in_one_transaction(self, app: SanctionsApp) -> None:
        before = app.max_position()
        lines = [line("Norinco", "CPMIEC"), "", line("CPMIEC", "Kunlun Bank", reason="x")]

        result = link_lines(app, lines, "links.jsonl")

        assert (result.lines, result.linked, result.already) == (2, 2, 0)
        assert app.max_position() == before + 4
        assert members(app, "Norinco") == members(app, "Kunlun Bank")
        assert len(members(app, "Norinco")) == 3

    def test_a_file_given_again_adds_nothing(self, app: SanctionsApp) -> None:
        lines = [line("Norinco", "CPMIEC")]
        link_lines(app, lines, "links.jsonl")
        before = app.max_position()

        result = link_lines(app, lines, "links.jsonl")

        assert (result.linked, result.already, app.max_position()) == (0, 1, before)

    @pytest.mark.parametrize(
        ("bad", "message"),
        [
            ("{not json", "links.jsonl:2: not valid JSON"),
            (line("Kunlun Bank", "Kunlun Bank"), "links.jsonl:2: entity 'Kunlun Bank' cannot be"),
            # valid itself, it makes the third line's pair one party already
            (line("Kunlun Bank", "Norinco"), "links.jsonl:3: entities 'China Precision"),
            (json.dumps({"a": "Norinco", "b": "Chembay"}), "links.jsonl:2: 'source' is required"),
            (json.dumps({"a": "Norinco", "source": "x"}), "links.jsonl:2: 'b' (a name"),
        ],
    )
    def test_one_bad_line_refuses_the_file_and_names_the_line(
        self, app: SanctionsApp, bad: str, message: str
    ) -> None:
        lines = [line("Norinco", "CPMIEC"), bad, line("CPMIEC", "Kunlun Bank")]
        before = app.max_position()

        with pytest.raises(RuleViolationError) as raised:
            link_lines(app, lines, "links.jsonl")

        assert str(raised.value).startswith(message)
        assert app.max_position() == before

    def test_a_name_not_on_record_names_its_line(self, app: SanctionsApp) -> None:
        with pytest.raises(NotFoundError, match=r"^links.jsonl:1: entity 'Norinko' is not on"):
            link_lines(app, [line("Norinko", "CPMIEC")], "links.jsonl")


def test_the_link_events_read_by_one_query_are_the_librarys(app: SanctionsApp) -> None:
    source = Source("Desk review")
    ids = [e.hex for e in app.entity_ids()][:4]
    link(app, ids[0], ids[1], source, "same")
    link(app, ids[2], ids[1], source, None)
    unlink(app, ids[0], ids[1], source)
    by_library = [
        to_recorded(app.mapper.to_domain_event(n), position=n.id)  # type: ignore[arg-type]
        for n in app.iter_notifications(topics=LINK_TOPICS)
    ]

    found = list(link_events(app))

    assert len(found) == 6
    assert found == by_library


def test_the_link_events_are_read_through_their_partial_index(tmp_path: Path) -> None:
    app = SanctionsApp(resolve_store(str(tmp_path / "s.sqlite"), {}))
    recorder: Any = app.recorder
    table = recorder.events_table_name
    with recorder.datastore.transaction(commit=False) as cursor:
        cursor.execute(
            f"EXPLAIN QUERY PLAN SELECT rowid FROM {table} WHERE topic IN ({LINK_TOPICS_SQL})"
        )
        plan = " ".join(str(row[3]) for row in cursor.fetchall())

    assert f"USING COVERING INDEX {table}_links" in plan
