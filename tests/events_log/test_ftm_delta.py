"""``import --format ftm-delta``: an OpenSanctions delta feed read as a snapshot series."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from domain.errors import DomainError
from domain.record import SANCTION_LAPSED, SANCTION_LIFTED, MeasureRecord
from events_log.app import SanctionsApp
from events_log.ftm.delta import read_feed, snapshots
from events_log.ftm.delta_import import import_feeds
from events_log.ftm.importer import event_key
from events_log.store import resolve_store

AQI = "ftm:NK-2T3S8Hu29ktYnKSTgQp2wL"
POLTERGEIST = "ftm:NK-500Poltergeist"


def open_store(path: Path) -> SanctionsApp:
    return SanctionsApp(resolve_store(str(path), {}))


def listing(app: SanctionsApp, ref: str) -> tuple[str | None, str | None, str | None]:
    [measure] = app.entity(app.find(ref)).record().measures
    imposed = measure.imposition.effective
    ended = measure.ending.effective if measure.ending and measure.ending.effective else None
    return (
        imposed.canonical() if imposed else None,
        ended.canonical() if ended else None,
        measure.ending.type if measure.ending else None,
    )


def copy_feed(feed: Path, into: Path, drop: str | None = None) -> Path:
    target = into / "feed"
    shutil.copytree(feed.parent, target)
    if drop is not None:
        index = (target / "delta.json").read_text(encoding="utf-8")
        lines = [line for line in index.splitlines() if drop not in line]
        (target / "delta.json").write_text("\n".join(lines), encoding="utf-8")
    return target / "delta.json"


class TestReading:
    def test_each_version_is_a_whole_copy_compared_with_the_one_before(self, feed: Path) -> None:
        series = snapshots(read_feed(feed))

        assert [
            (s.version.version_id, len(s.entries), s.added, s.removed, s.changed) for s in series
        ] == [
            ("20240527134702-zbn", 0, (), (), ()),
            (
                "20240527194702-wnk",
                2,
                ("NK-2T3S8Hu29ktYnKSTgQp2wL", "NK-2sJaJRaPJcWUfMbHjTtWcL"),
                (),
                (),
            ),
            ("20240528014702-pfh", 3, ("NK-500Poltergeist",), (), ("NK-2T3S8Hu29ktYnKSTgQp2wL",)),
            ("20240528074703-npf", 2, (), ("NK-500Poltergeist",), ()),
            ("20240528134729-3iv", 3, ("Q4365364",), (), ()),
        ]


class TestImport:
    def test_add_and_del_date_listing_and_lifting_within_the_versions_around_them(
        self, tmp_path: Path, feed: Path
    ) -> None:
        app = open_store(tmp_path / "s.sqlite")

        import_feeds(app, [feed])

        # ADD in 19:47, after the empty version of 13:47 the same day
        assert listing(app, AQI) == ("2024-05-27", None, None)
        # ADD in 2024-05-28 01:47 after 2024-05-27 19:47; DEL in 07:47 after 01:47
        assert listing(app, POLTERGEIST) == ("2024-05-27/2024-05-28", "2024-05-28", SANCTION_LIFTED)
        assert listing(app, "ftm:Q4365364") == ("2024-05-28", None, None)

    def test_a_mod_adds_the_new_name_as_an_alias(self, tmp_path: Path, feed: Path) -> None:
        app = open_store(tmp_path / "s.sqlite")

        import_feeds(app, [feed])

        record = app.entity(app.find(AQI)).record()
        assert record.name == "AL-QAIDA IN IRAQ"
        assert "Foobar Foobargroup" in record.aliases
        assert app.find("Foobar Foobargroup") == app.find(AQI)

    def test_the_empty_version_is_a_real_copy_that_dates_the_next_one(
        self, tmp_path: Path, feed: Path
    ) -> None:
        app = open_store(tmp_path / "s.sqlite")
        without_empty = copy_feed(feed, tmp_path, drop="20240527134702-zbn")

        import_feeds(app, [without_empty])

        # Without the empty first version, the first ADD is only "on or before" its version.
        assert listing(app, AQI) == ("..2024-05-27", None, None)

    def test_each_version_gets_a_summary_line_and_a_second_import_adds_nothing(
        self, tmp_path: Path, feed: Path
    ) -> None:
        app = open_store(tmp_path / "s.sqlite")

        first = import_feeds(app, [feed])
        position = app.max_position()
        second = import_feeds(app, [feed])

        assert first[0] == (
            "imported delta version 20240527134702-zbn (2024-05-27T13:47:02+00:00): no "
            "operations, a copy equal to the one before; 0 new events"
        )
        assert first[3] == (
            "imported delta version 20240528074703-npf (2024-05-28T07:47:03+00:00): 1 DEL; "
            "2 parties listed, 0 added, 1 removed, 0 changed; 1 new events"
        )
        assert all(line.endswith("; 0 new events") for line in second)
        assert app.max_position() == position


def feed_of(feed: Path, into: Path, versions: list[str]) -> Path:
    """A copy of the feed that lists only these versions."""
    target = into / "-".join(v[-3:] for v in versions)
    shutil.copytree(feed.parent, target)
    index = json.loads((target / "delta.json").read_text(encoding="utf-8"))
    index["versions"] = {v: u for v, u in index["versions"].items() if v in versions}
    (target / "delta.json").chmod(0o644)
    (target / "delta.json").write_text(json.dumps(index), encoding="utf-8")
    return target / "delta.json"


class TestLaterFeeds:
    def test_a_del_whose_add_came_in_an_earlier_feed_lifts_what_is_on_record(
        self, tmp_path: Path, feed: Path
    ) -> None:
        app = open_store(tmp_path / "s.sqlite")
        early = feed_of(feed, tmp_path, ["20240527194702-wnk", "20240528014702-pfh"])
        late = feed_of(feed, tmp_path, ["20240528074703-npf"])

        import_feeds(app, [early])
        lines = import_feeds(app, [late])

        assert lines == [
            "imported delta version 20240528074703-npf (2024-05-28T07:47:03+00:00): 1 DEL; "
            "0 parties listed, 0 added, 0 removed, 0 changed, 1 DEL of parties not in the "
            "feed; 1 new events"
        ]
        # imposed within (2024-05-27 19:47, 2024-05-28 01:47] by the earlier feed
        assert listing(app, POLTERGEIST) == (
            "2024-05-27/2024-05-28",
            "..2024-05-28",
            SANCTION_LIFTED,
        )


class TestRefusals:
    def test_a_missing_version_file_refuses_the_feed_and_nothing_is_written(
        self, tmp_path: Path, feed: Path
    ) -> None:
        index = copy_feed(feed, tmp_path)
        shutil.rmtree(index.parent / "20240528134729-3iv")
        app = open_store(tmp_path / "s.sqlite")

        with pytest.raises(DomainError, match="version 20240528134729-3iv has no entities"):
            import_feeds(app, [index])

        assert app.max_position() == 0

    def test_an_unknown_operation_is_refused_with_its_line(
        self, tmp_path: Path, feed: Path
    ) -> None:
        index = copy_feed(feed, tmp_path)
        bad = index.parent / "20240528074703-npf" / "entities.delta.json"
        bad.chmod(0o644)
        bad.write_text('{"op":"DROP","entity":{"id":"x"}}\n', encoding="utf-8")
        app = open_store(tmp_path / "s.sqlite")

        with pytest.raises(DomainError) as refused:
            import_feeds(app, [index])

        assert str(refused.value) == (
            "20240528074703-npf/entities.delta.json:1: op 'DROP' is not one of ADD, MOD, DEL"
        )
        assert app.max_position() == 0


def write_feed(folder: Path, versions: dict[str, list[dict[str, object]]]) -> Path:
    for version, operations in versions.items():
        (folder / version).mkdir(parents=True)
        text = "".join(json.dumps(o) + "\n" for o in operations)
        (folder / version / "entities.delta.json").write_text(text, encoding="utf-8")
    index = {"versions": {v: f"https://example.org/artifacts/demo/{v}/x" for v in versions}}
    (folder / "delta.json").write_text(json.dumps(index), encoding="utf-8")
    return folder / "delta.json"


def sanction(ftm_id: str, **props: list[str]) -> dict[str, object]:
    return {
        "id": ftm_id,
        "schema": "Sanction",
        "properties": {"entity": ["p-1"], "authority": ["Council"], **props},
        "first_seen": "2024-01-10T00:00:00",
        "last_seen": "2024-06-01T00:00:00",
    }


def dates(measure: MeasureRecord) -> tuple[str | None, str | None, str | None]:
    imposed, ending = measure.imposition.effective, measure.ending
    return (
        imposed.canonical() if imposed else None,
        ending.effective.canonical() if ending and ending.effective else None,
        ending.type if ending else None,
    )


class TestSanctionsInAFeed:
    def test_a_sanction_is_dated_by_its_own_dates_ended_by_a_mod_and_lifted_by_a_del(
        self, tmp_path: Path
    ) -> None:
        party = {"id": "p-1", "schema": "Company", "properties": {"name": ["Acme"]}}
        index = write_feed(
            tmp_path / "feed",
            {
                "20240101000000-aaa": [],
                "20240201000000-bbb": [
                    {"op": "ADD", "entity": party},
                    {"op": "ADD", "entity": sanction("s-1", startDate=["2020-01-15"])},
                    {"op": "ADD", "entity": sanction("s-2", startDate=["2021"])},
                ],
                "20240301000000-ccc": [
                    {
                        "op": "MOD",
                        "entity": sanction(
                            "s-1",
                            startDate=["2020-01-15"],
                            endDate=["2024-02-20"],
                            status=["expired"],
                        ),
                    },
                ],
                "20240401000000-ddd": [{"op": "DEL", "entity": {"id": "s-2"}}],
            },
        )
        app = open_store(tmp_path / "s.sqlite")

        lines = import_feeds(app, [index])

        record = app.entity(app.find("ftm:p-1")).record()
        first = record.measure(event_key("s-1", "imposed"))
        second = record.measure(event_key("s-2", "imposed"))
        assert first is not None
        assert second is not None
        assert dates(first) == ("2020-01-15", "2024-02-20", SANCTION_LAPSED)
        # DEL in 2024-04-01 after 2024-03-01
        assert dates(second) == ("2021", "2024-03/2024-04-01", SANCTION_LIFTED)
        assert lines[1].endswith("; 2 Sanctions, 2 added, 0 removed, 0 changed; 5 new events")
        assert import_feeds(app, [index])[1].endswith("; 0 new events")

    def test_an_ending_before_its_start_refuses_the_whole_feed(self, tmp_path: Path) -> None:
        party = {"id": "p-1", "schema": "Company", "properties": {"name": ["Acme"]}}
        index = write_feed(
            tmp_path / "feed",
            {
                "20240201000000-bbb": [
                    {"op": "ADD", "entity": party},
                    {"op": "ADD", "entity": sanction("s-1", startDate=["2020-01-15"])},
                ],
                "20240301000000-ccc": [
                    {
                        "op": "MOD",
                        "entity": sanction(
                            "s-1", startDate=["2020-01-15"], endDate=["2019"], status=["lifted"]
                        ),
                    },
                ],
            },
        )
        app = open_store(tmp_path / "s.sqlite")

        with pytest.raises(DomainError) as refused:
            import_feeds(app, [index])

        assert str(refused.value) == (
            "delta version 20240301000000-ccc: Sanction s-1 of p-1: lifting date 2019 is "
            "before imposition date 2020-01-15 of measure Council / FtM listing"
        )
        assert app.max_position() == 0
