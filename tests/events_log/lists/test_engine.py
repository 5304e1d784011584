"""The snapshot engine across readers: guards, key stability, provenance, old stores."""

from __future__ import annotations

import gzip
import io
import json
import os
import sqlite3
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cli import main
from events_log.app import SanctionsApp
from events_log.lists.ofac import LIST_NAME, OfacReader, parse_sdn
from events_log.lists.series import load_series
from events_log.store import resolve_store

DATA = Path(__file__).resolve().parents[3].parent / "shared" / "data"
# The copies are shared data beside the repository (as in CI), not part of it: without them
# these tests skip, except under CI, where a missing folder must fail loudly.
pytestmark = pytest.mark.skipif(
    not DATA.is_dir() and not os.environ.get("CI"),
    reason=f"the shared list copies are not found at {DATA}",
)
OFAC = sorted((DATA / "ofac-sdn").glob("sdn-*.csv.gz"))
ISN = sorted((DATA / "isn").glob("isn-*.csv"))
HEADER = "Programs,Name,Address,Country,Federal Register Notice,Effective Date,"
HEADER += "Date Lifted/Waived/Expired\r\n"
POLY = 'INKSNA,Poly Technologies Incorporated (China),,,"Vol. 78 No. 28, 2/11/2013",2/11/2013,\r\n'
FILLER = [f'ISNA,Filler Company {n},,,"Vol. 72, No. 77, 4/23/07",4/17/2007,\r\n' for n in range(20)]


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err, environ={})
    return code, out.getvalue(), err.getvalue()


def empty_store(tmp_path: Path) -> str:
    store = str(tmp_path / "events.sqlite")
    assert run("init", "--empty", "--store", store)[0] == 0
    return store


def open_app(store: str) -> SanctionsApp:
    return SanctionsApp(resolve_store(store, {}))


def isn_copy(tmp_path: Path, day: str, rows: list[str], header: str = HEADER) -> Path:
    path = tmp_path / f"isn-{day}.csv"
    path.write_bytes((header + "".join(rows)).encode("utf-8"))
    return path


class TestOfacRowCache:
    def test_reading_copies_in_turn_gives_what_reading_each_whole_gives(self) -> None:
        reader = OfacReader()

        for path in OFAC[:3]:
            data = gzip.decompress(path.read_bytes())
            fast = reader.parse(data, path.name).entries
            whole = parse_sdn(data, path.name)
            assert {k: (e.name, e.kind, [m.program for m in e.measures], e.aliases, e.raw)
                    for k, e in fast.items()} == {
                k: (e.name, e.kind, list(e.programs), e.aliases, e.raw) for k, e in whole.items()
            }  # fmt: skip

    @settings(max_examples=30, deadline=None)
    @given(st.data())
    def test_any_two_copies_made_of_real_rows_read_alike_both_ways(
        self, data: st.DataObject
    ) -> None:
        rows = ROWS
        first = data.draw(st.lists(st.sampled_from(rows), max_size=40, unique=True), "first")
        second = data.draw(st.lists(st.sampled_from(rows), min_size=1, max_size=40, unique=True))
        reader = OfacReader()
        for chosen in (first or rows[:1], second):
            body = ("".join(r + "\r\n" for r in chosen)).encode("latin-1") + b"\x1a"

            fast = reader.parse(body, "sdn.csv").entries
            whole = parse_sdn(body, "sdn.csv")

            assert {k: e.raw for k, e in fast.items()} == {k: e.raw for k, e in whole.items()}
            assert [e.name for e in fast.values()] == [e.name for e in whole.values()]


ROWS = [
    line
    for path in OFAC[:1]
    for line in gzip.decompress(path.read_bytes()).decode("latin-1").split("\r\n")[:400]
    if line and not line.startswith("\x1a")
]


class TestIsnGuards:
    def refused(self, tmp_path: Path, path: Path, *extra: str) -> str:
        store = empty_store(tmp_path)
        code, out, err = run("import", str(path), "--store", store, *extra)
        assert (code, out) == (2, "")
        assert err.count("\n") == 1
        assert open_app(store).max_position() == 0
        return err

    def test_an_empty_copy_is_refused(self, tmp_path: Path) -> None:
        path = isn_copy(tmp_path, "2016-01-01", [], header="")

        err = self.refused(tmp_path, path, "--format", "isn-csv")

        assert err == (
            "error: isn-2016-01-01.csv: the file is empty (0 bytes): the ISN list holds "
            "hundreds of entries, so this looks like a faulty copy; nothing was imported\n"
        )

    def test_a_utf16_copy_is_refused(self, tmp_path: Path) -> None:
        path = tmp_path / "isn-2016-01-01.csv"
        path.write_bytes((HEADER + POLY).encode("utf-16"))

        err = self.refused(tmp_path, path, "--format", "isn-csv")

        assert err.startswith("error: isn-2016-01-01.csv: the file holds NUL bytes (binary")

    def test_a_copy_cut_short_is_refused(self, tmp_path: Path) -> None:
        path = isn_copy(tmp_path, "2016-01-01", [POLY, "INKSNA,Cut Short Co\r\n"])

        err = self.refused(tmp_path, path)

        assert err == (
            "error: isn-2016-01-01.csv: line 3 has 2 columns, the header 7: the copy looks "
            "cut short; nothing was imported\n"
        )

    def test_a_copy_without_the_isn_columns_is_refused(self, tmp_path: Path) -> None:
        path = isn_copy(tmp_path, "2016-01-01", ["a,b\r\n"], header="Name,Program\r\n")

        err = self.refused(tmp_path, path, "--format", "isn-csv")

        assert err.startswith(
            "error: isn-2016-01-01.csv: the header lacks 'Programs', 'Federal Register Notice', "
        )

    def test_an_older_copy_than_the_latest_on_record_is_refused(self, tmp_path: Path) -> None:
        store = empty_store(tmp_path)
        run("import", str(ISN[1]), "--store", store)
        before = open_app(store).max_position()

        code, _, err = run("import", str(ISN[0]), "--store", store)

        assert code == 2
        assert err.startswith(
            "error: isn-2014-10-27.csv: snapshot observed 2014-10-27 is older than the latest "
            "ISN snapshot on record (2015-04-23)"
        )
        assert open_app(store).max_position() == before

    def test_a_mass_removal_in_one_layout_is_refused(self, tmp_path: Path) -> None:
        store = empty_store(tmp_path)
        run("import", str(isn_copy(tmp_path, "2016-01-01", [POLY, *FILLER])), "--store", store)
        before = open_app(store).max_position()

        code, _, err = run(
            "import", str(isn_copy(tmp_path, "2016-02-01", [POLY, *FILLER[:10]])), "--store", store
        )

        assert code == 2
        assert err == (
            "error: isn-2016-02-01.csv: 10 of the 21 entries of the snapshot of 2016-01-01 are "
            "missing (47.6%), more than the 10% that may be delisted at once: this looks like a "
            "faulty download; nothing was imported (pass --allow-mass-removal if ISN really "
            "delisted them)\n"
        )
        assert open_app(store).max_position() == before


class TestIsnKeys:
    def test_a_re_spelled_row_keeps_its_entity_and_gains_an_alias(self, tmp_path: Path) -> None:
        store = empty_store(tmp_path)
        respelled = POLY.replace("Technologies Incorporated", "Technologies Inc.")
        first = isn_copy(tmp_path, "2016-01-01", [POLY, *FILLER])
        second = isn_copy(tmp_path, "2016-02-01", [respelled, *FILLER])

        code, out, _ = run("import", str(first), str(second), "--store", store)

        assert code == 0
        app = open_app(store)
        (entity_id,) = app.lookup("Poly Technologies Inc.")
        assert app.lookup("Poly Technologies Incorporated") == [entity_id]
        types = [e.type for e in app.entity_events(entity_id)]
        assert "sanction_lifted" not in types
        assert types.count("sanction_imposed") == 1
        assert "1 renamed" in out.splitlines()[1]


class TestProvenance:
    def test_status_shows_the_notice_as_the_source(self, tmp_path: Path) -> None:
        store = empty_store(tmp_path)
        run("import", str(isn_copy(tmp_path, "2016-01-01", [POLY])), "--store", store)

        code, out, _ = run(
            "status", "Poly Technologies Incorporated", "--as-of", "2014", "--store", store
        )

        assert code == 0
        assert out.splitlines()[-6:-1] == [
            "Poly Technologies Incorporated (legal entity, China)",
            "  status: sanctioned",
            "  measure 6f921eea US State Dept / INKSNA: in_force; imposed 2/11/2013",
            "    [2013-02-11]",
            "    source: State Department ISN nonproliferation sanctions list, copy of",
        ]
        assert out.endswith(
            "      2016-01-01; Federal Register Vol. 78 No. 28, 2/11/2013, 2013-02-11\n"
        )

    def test_reported_by_uses_the_notices_publication_day(self, tmp_path: Path) -> None:
        store = empty_store(tmp_path)
        run("import", str(isn_copy(tmp_path, "2016-01-01", [POLY])), "--store", store)

        def status(reported_by: str) -> list[str]:
            code, out, _ = run(
                "status", "Poly Technologies Incorporated", "--as-of", "2014",
                "--reported-by", reported_by, "--store", store, "--format", "json",
            )  # fmt: skip
            assert code == 0
            return [e["status"] for e in json.loads(out)["entities"]]

        assert status("2013-02-10") != ["sanctioned"]
        assert status("2013-02-11") == ["sanctioned"]

    def test_two_notices_in_one_cell_are_both_cited(self, tmp_path: Path) -> None:
        store = empty_store(tmp_path)
        run("import", str(ISN[1]), "--store", store)
        app = open_app(store)

        (imposed,) = [
            e
            for e in app.entity_events(app.find("China North Industrial Corp. (NORINCO)"))
            if e.type == "sanction_imposed"
        ]
        (ended,) = [
            e
            for e in app.entity_events(app.find("China North Industrial Corp. (NORINCO)"))
            if e.type == "sanction_lifted"
        ]

        assert imposed.source.title.endswith(
            "; Federal Register Vol. 68, No. 182, 09/19/03; Vol. 72, No. 55, 03/22/07"
        )
        assert imposed.source.published == date(2003, 9, 19)
        assert ended.effective is not None
        assert ended.effective.start == date(2005, 9, 19)
        assert ended.source.published == date(2007, 3, 22)  # the notice after the end
        assert "Permanently waived on 03/18/07" in ended.effective.how


class TestOldStores:
    def test_a_series_recorded_under_the_old_module_name_still_loads(self, tmp_path: Path) -> None:
        store = empty_store(tmp_path)
        sdn = tmp_path / "sdn-2021-08-18.csv"
        sdn.write_bytes(("".join(r + "\r\n" for r in ROWS[:30])).encode("latin-1") + b"\x1a")
        run("import", str(sdn), "--store", store)
        with sqlite3.connect(store) as db:
            tables = [r[0] for r in db.execute("select name from sqlite_master where type='table'")]
            events = next(t for t in tables if t.endswith("events"))
            changed = db.execute(
                f"update {events} set topic = replace(topic, 'events_log.lists.series:', "
                "'events_log.ofac:') where topic like 'events_log.lists.series:%'"
            ).rowcount

        series = load_series(open_app(store), LIST_NAME)

        assert changed == 2
        assert series.latest() == date(2021, 8, 18)
        assert len(series.entries) == 30


class TestExport:
    def test_a_restored_store_compares_the_next_copy_with_the_last_on_record(
        self, tmp_path: Path
    ) -> None:
        (tmp_path / "a").mkdir()
        (tmp_path / "b").mkdir()
        first = empty_store(tmp_path / "a")
        run("import", *map(str, ISN[:3]), "--store", first)
        exported = tmp_path / "log.jsonl"
        code, out, _ = run("export", "--store", first)
        exported.write_text(out, encoding="utf-8")
        restored = empty_store(tmp_path / "b")
        run("import", str(exported), "--store", restored)

        code, out, _ = run("import", *map(str, ISN[:4]), "--store", restored)

        assert code == 0
        assert out.splitlines()[-2].startswith(
            "imported isn-2015-09-04.csv (ISN snapshot 2015-09-04): 150 entries, 20 added, "
            "0 removed"
        )
        assert [
            line.endswith("already on record, 0 new events") for line in out.splitlines()[:3]
        ] == [True] * 3
