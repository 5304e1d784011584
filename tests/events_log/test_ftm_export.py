"""``export --format ftm``: valid FtM, one entity a line, dates no finer than the record."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

from domain.dates import DateInterval, parse_date
from domain.entity import Entity
from domain.record import Source
from events_log.app import SanctionsApp
from events_log.bundled import load_bundled
from events_log.ftm.export import export
from events_log.ftm.importer import import_file
from events_log.store import resolve_store

Check = Callable[[str], list[dict[str, Any]]]
SOURCE = Source(title="Test report", publisher="Desk", published=date(2020, 6, 1), quote="q")


def open_store(path: Path) -> SanctionsApp:
    return SanctionsApp(resolve_store(str(path), {}))


def exported(app: SanctionsApp) -> str:
    out = io.StringIO()
    export(app, out)
    return out.getvalue()


def impose(entity: Entity, effective: DateInterval) -> str:
    return entity.impose("A", "P", None, effective=effective, source=SOURCE)


def by_name(entities: list[dict[str, Any]], name: str) -> dict[str, Any]:
    return next(e for e in entities if name in e["properties"].get("name", []))


def sanctions_of(entities: list[dict[str, Any]], party: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for e in entities if e["properties"].get("entity") == [party["id"]]]


class TestBundledDataset:
    def test_every_line_is_a_valid_proxy_and_every_reference_is_in_the_file(
        self, tmp_path: Path, check_ftm: Check
    ) -> None:
        app = open_store(tmp_path / "s.sqlite")
        load_bundled(app)

        entities = check_ftm(exported(app))

        schemas = {e["schema"] for e in entities}
        assert schemas <= {"Company", "LegalEntity", "Sanction"}
        imposed = [e for e in app.iter_recorded() if e.type == "sanction_imposed"]
        assert sum(e["schema"] == "Sanction" for e in entities) == len(imposed)

    def test_a_decade_third_goes_in_no_date_property_and_the_summary_says_it(
        self, tmp_path: Path, check_ftm: Check
    ) -> None:
        app = open_store(tmp_path / "s.sqlite")
        load_bundled(app)

        entities = check_ftm(exported(app))

        norinco = by_name(entities, "China North Industries Corp.")
        assert norinco["schema"] == "Company"
        assert norinco["properties"]["alias"] == ["Norinco"]
        assert norinco["properties"]["country"] == ["cn"]
        assert "topics" not in norinco["properties"]  # its only measure lapsed
        [measure] = sanctions_of(entities, norinco)
        props = measure["properties"]
        assert "startDate" not in props
        assert props["endDate"] == ["2007"]
        assert props["status"] == ["expired"]
        assert props["summary"] == [
            "U.S. government / U.S. sanctions (program not named in source): imposed early "
            "2000s [2000/2003]; lapsed 2007; the imposition date (early 2000s [2000/2003]) "
            "fits no FtM date, so startDate is left out"
        ]

    def test_the_same_store_exports_the_same_lines(self, tmp_path: Path) -> None:
        app = open_store(tmp_path / "s.sqlite")
        load_bundled(app)

        assert exported(app) == exported(open_store(tmp_path / "s.sqlite"))


class TestDates:
    def test_each_interval_is_written_at_the_precision_it_has(
        self, tmp_path: Path, check_ftm: Check
    ) -> None:
        app = open_store(tmp_path / "s.sqlite")
        texts = ["2013-02-11", "2013-01-01/2013-10-04", "2013-08", "..2013-10-04"]
        for index, text in enumerate(texts):
            entity_id = app.register_entity(
                name=f"Party {index}", kind="vessel", country=None, effective=None, source=SOURCE
            )
            when = parse_date(text, published=SOURCE.published)
            app.act([entity_id], partial(impose, effective=when))

        entities = check_ftm(exported(app))

        starts = [
            sanctions_of(entities, by_name(entities, f"Party {i}"))[0]["properties"].get(
                "startDate"
            )
            for i in range(4)
        ]
        assert starts == [["2013-02-11"], ["2013"], ["2013-08"], None]
        assert by_name(entities, "Party 0")["schema"] == "Vessel"


class TestImportedRecords:
    def test_an_imported_opensanctions_file_exports_as_valid_ftm(
        self, tmp_path: Path, zala: Path, check_ftm: Check
    ) -> None:
        app = open_store(tmp_path / "s.sqlite")
        with zala.open(encoding="utf-8") as lines:
            import_file(app, lines, zala.name)

        entities = check_ftm(exported(app))

        cst = by_name(entities, "LLC CST")
        assert "ftm:NK-abdzbEBkqyT29GyREbiURZ" in cst["properties"]["idNumber"]
        assert len(sanctions_of(entities, cst)) == 28
        ended = [s for s in sanctions_of(entities, cst) if s["properties"]["status"] == ["expired"]]
        assert [s["properties"]["endDate"] for s in ended] == [["2024-10-30"]]
        assert json.loads(json.dumps(entities)) == entities
