"""The ISN and UN readers, and git histories, on the real copies in ``shared/data/``."""

from __future__ import annotations

import hashlib
import io
import os
import re
import subprocess
from datetime import date
from pathlib import Path

import pytest

from cli import main
from domain.status import Status, cut_after, status_at
from events_log.app import SanctionsApp
from events_log.lists.engine import FaultySnapshotError
from events_log.lists.files import read_bytes
from events_log.lists.isn import IsnReader, read_isn
from events_log.lists.isn_cells import decode, endings, notices, split_name
from events_log.lists.series import load_series
from events_log.lists.unsc import UnscReader
from events_log.store import resolve_store
from projections.views import Horizon, record_of

DATA = Path(__file__).resolve().parents[3].parent / "shared" / "data"
# The copies are shared data beside the repository (as in CI), not part of it: without them
# these tests skip, except under CI, where a missing folder must fail loudly.
pytestmark = pytest.mark.skipif(
    not DATA.is_dir() and not os.environ.get("CI"),
    reason=f"the shared list copies are not found at {DATA}",
)
ISN = sorted((DATA / "isn").glob("isn-*.csv"))
UN = sorted((DATA / "un-sc").glob("un-sc-*.xml.gz"))
BUNDLE = DATA / "isn" / "isn-history.bundle"
ISN_PATH = "data/screening_lists/isn/isn.csv"


class Terminal(io.StringIO):
    """Standard error as a terminal."""

    def isatty(self) -> bool:
        return True


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


def status_on(app: SanctionsApp, ref: str, day: date) -> Status:
    entity_id = app.find(ref)
    record = record_of(str(entity_id), app.entity_events(entity_id), Horizon())
    return status_at(record, cut_after(day)).status


@pytest.fixture(scope="module")
def isn_store(tmp_path_factory: pytest.TempPathFactory) -> str:
    store = empty_store(tmp_path_factory.mktemp("isn"))
    assert run("import", *map(str, ISN), "--store", store)[0] == 0
    return store


@pytest.fixture(scope="module")
def un_store(tmp_path_factory: pytest.TempPathFactory) -> str:
    store = empty_store(tmp_path_factory.mktemp("un"))
    assert run("import", *map(str, UN), "--store", store)[0] == 0
    return store


class TestIsnReader:
    @pytest.mark.parametrize("path", ISN, ids=lambda p: p.name)
    def test_every_copy_reads_by_its_own_bytes_without_replacement_characters(
        self, path: Path
    ) -> None:
        copy = IsnReader().parse(read_bytes(path), path.name)

        assert len(copy.entries) > 100
        assert all("\ufffd" not in e.raw and "ÿ" not in e.raw for e in copy.entries.values())

    def test_a_stray_byte_is_read_as_a_space_with_a_note(self) -> None:
        text, notes = decode(b"Programs,Name\r\nINKSNA,7th\xffof Tir\r\n", "x.csv")

        assert "7th of Tir" in text
        assert notes[1] == (
            "x.csv: line 2: byte 0xFF in '\\r\\nINKSNA,7thÿof Tir\\r\\n' is no text in UTF-8 or "
            "Windows-1252: read as a space"
        )

    def test_a_windows_1252_quote_is_read_as_the_quote(self) -> None:
        names = {e.name for e in read_isn(DATA / "isn" / "isn-2016-07-22.csv")}

        assert {n for n in names if "\u2019" in n} == {
            "Khata\u2019ib Hezbollah (KH)",
            "Xi\u2019an Jiate Titanium Industry Company",
        }

    def test_a_notice_dated_after_the_copy_gets_no_publication_day(self) -> None:
        cell = "Vol. 80, No. 170, 09/02/34,; Vol. 81, No. 128, 07/05/2016"  # 2016-07-22 copy

        assert notices(cell, date(2016, 7, 22)) == [
            ("Vol. 80, No. 170, 09/02/34", None),
            ("Vol. 81, No. 128, 07/05/2016", date(2016, 7, 5)),
        ]
        assert notices(cell)[0] == ("Vol. 80, No. 170, 09/02/34", date(2034, 9, 2))

    def test_utf16_is_refused(self) -> None:
        with pytest.raises(FaultySnapshotError, match="NUL bytes"):
            decode("Programs,Name\n".encode("utf-16"), "x.csv")

    @pytest.mark.parametrize(
        ("cell", "kind", "day", "how_part"),
        [
            ("11/17/2000", "sanction_lifted", date(2000, 11, 17), "without saying whether"),
            (
                "09/19/05; Permanently waived on 03/18/07",
                "sanction_lifted",
                date(2005, 9, 19),
                "later waiver",
            ),
            ("Waived on 9/19/03; Extended on 9/19/04", "sanction_waived", date(2003, 9, 19), ""),
            (
                "(partial) 11/2/2001, (remainder) 11/21/2002",
                "sanction_lifted",
                date(2002, 11, 21),
                "in part",
            ),
        ],
    )
    def test_the_end_column_is_read_with_its_reading_in_how(
        self, cell: str, kind: str, day: date, how_part: str
    ) -> None:
        (ending,) = endings(cell, [])

        assert (ending.kind, ending.effective.start) == (kind, day)
        assert how_part in ending.effective.how
        assert repr(cell) in ending.effective.how or cell in ending.effective.how

    def test_a_cell_may_cite_two_notices_each_with_its_publication_day(self) -> None:
        cited = notices("Vol. 68, No. 182, 09/19/03; Vol. 72, No. 55, 03/22/07")

        assert cited == [
            ("Vol. 68, No. 182, 09/19/03", date(2003, 9, 19)),
            ("Vol. 72, No. 55, 03/22/07", date(2007, 3, 22)),
        ]

    def test_acronyms_become_aliases_and_country_tags_the_country(self) -> None:
        assert split_name("Poly Technologies Incorporated (China)") == (
            "Poly Technologies Incorporated",
            [],
            "China",
        )
        assert split_name("China National Precision Machinery Import/Export Corporation (CPMIEC)")[
            1
        ] == ["CPMIEC"]

    def test_a_missing_column_is_refused(self) -> None:
        with pytest.raises(FaultySnapshotError, match="the header lacks 'Effective Date'"):
            IsnReader().parse(b"Programs,Name,Federal Register Notice\r\nX,Y,Z\r\n", "x.csv")


class TestIsnImport:
    def test_poly_technologies_is_sanctioned_from_its_effective_day(self, isn_store: str) -> None:
        app = open_app(isn_store)

        assert status_on(app, "Poly Technologies Incorporated", date(2013, 2, 10)) == (
            Status.NOT_SANCTIONED
        )
        assert status_on(app, "Poly Technologies Incorporated", date(2013, 2, 11)) == (
            Status.SANCTIONED
        )

    def test_the_notice_is_the_source_with_its_publication_day(self, isn_store: str) -> None:
        app = open_app(isn_store)
        (imposed,) = [
            e
            for e in app.entity_events(app.find("Poly Technologies Incorporated"))
            if e.type == "sanction_imposed"
        ]

        assert imposed.source.title.endswith("; Federal Register Vol. 78 No. 28, 2/11/2013")
        assert imposed.source.published == date(2013, 2, 11)

    def test_an_entry_in_force_that_leaves_in_2015_08_is_lifted_within_the_interval(
        self, isn_store: str
    ) -> None:
        app = open_app(isn_store)
        (lifted,) = [
            e
            for e in app.entity_events(app.find("Poly Technologies Incorporated"))
            if e.type == "sanction_lifted"
        ]

        assert lifted.effective is not None
        assert (lifted.effective.start, lifted.effective.until) == (
            date(2015, 4, 24),
            date(2015, 8, 12),
        )

    def test_an_entry_whose_recorded_end_passed_is_not_lifted_again(self, isn_store: str) -> None:
        app = open_app(isn_store)
        events = app.entity_events(app.find("Polyus Scientific Production Association"))

        assert [e.type for e in events if e.type.startswith("sanction_")] == [
            "sanction_imposed",
            "sanction_lifted",
        ]
        ended = next(e for e in events if e.type == "sanction_lifted")
        assert ended.effective is not None
        assert ended.effective.start == date(2000, 11, 17)

    def test_reimporting_adds_nothing(self, isn_store: str) -> None:
        code, out, _ = run("import", *map(str, ISN), "--store", isn_store)

        assert code == 0
        assert out.splitlines()[-1] == "imported 10 ISN snapshots: 0 new events"


class TestUnReader:
    def test_the_copy_day_is_the_utc_day_of_date_generated(self) -> None:
        days = [UnscReader().parse(read_bytes(p), p.name).observed for p in UN]

        assert days == [date(2022, 10, 22), date(2023, 3, 27), date(2026, 2, 27)]

    def test_entity_expansion_is_refused(self) -> None:
        bomb = (
            b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]>'
            b"<CONSOLIDATED_LIST><ENTITY><FIRST_NAME>&a;</FIRST_NAME></ENTITY>"
            b"</CONSOLIDATED_LIST>"
        )
        with pytest.raises(FaultySnapshotError, match="cannot be read"):
            UnscReader().parse(bomb, "x.xml")

    def test_a_truncated_copy_is_one_error_line_with_nothing_written(self, tmp_path: Path) -> None:
        store = empty_store(tmp_path)
        cut = tmp_path / "un-sc-2023-03-27.xml"
        cut.write_bytes(read_bytes(UN[1])[:50_000])

        code, out, err = run("import", str(cut), "--store", store)

        assert (code, out) == (2, "")
        assert err.startswith("error: un-sc-2023-03-27.xml: the XML cannot be read (")
        assert err.count("\n") == 1
        assert open_app(store).max_position() == 0

    @pytest.mark.parametrize(
        ("data", "message"),
        [
            (b"", "un-sc-2023-03-27.xml: the file is empty: not a UN consolidated list copy"),
            (
                b"<?xml version='1.0'?><html><body/></html>",
                "un-sc-2023-03-27.xml: the root element is <html>, not <CONSOLIDATED_LIST>",
            ),
            (
                b"<CONSOLIDATED_LIST dateGenerated='2023-03-27T10:00:00Z'/>",
                "un-sc-2023-03-27.xml: the file holds no records",
            ),
        ],
    )
    def test_a_faulty_copy_is_refused_with_its_reason(self, data: bytes, message: str) -> None:
        with pytest.raises(FaultySnapshotError) as refused:
            UnscReader().parse(data, "un-sc-2023-03-27.xml")

        assert str(refused.value).startswith(message)


class TestUnImport:
    def test_listed_on_dates_an_entry_of_the_first_copy(self, un_store: str) -> None:
        app = open_app(un_store)
        imposed = [
            e for e in app.entity_events(app.find("un-sc:IRe.001")) if e.type == "sanction_imposed"
        ]

        assert [(e.get("program"), e.effective.text if e.effective else None) for e in imposed] == [
            ("Iran", "2006-12-23")
        ]

    def test_a_relisting_under_its_old_date_is_dated_by_the_copies(self, un_store: str) -> None:
        app = open_app(un_store)
        (imposed,) = [
            e for e in app.entity_events(app.find("un-sc:IRi.002")) if e.type == "sanction_imposed"
        ]

        assert imposed.effective is not None
        assert (imposed.effective.start, imposed.effective.until) == (
            date(2023, 3, 28),
            date(2026, 2, 28),
        )
        assert "the list states '2006-12-23'" in imposed.effective.how

    def test_a_removed_record_is_lifted_within_the_interval(self, un_store: str) -> None:
        app = open_app(un_store)
        first = UnscReader().parse(read_bytes(UN[0]), "a").entries
        second = UnscReader().parse(read_bytes(UN[1]), "b").entries
        gone = sorted(set(first) - set(second))[0]

        lifted = [e for e in app.entity_events(app.find(f"un-sc:{gone}")) if "lifted" in e.type]

        assert lifted
        assert lifted[0].effective is not None
        assert lifted[0].effective.start == date(2022, 10, 23)


def git(repo: Path, *args: str, when: str | None = None) -> None:
    env = {
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.org",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.org",
        "HOME": str(repo),
        "PATH": "/usr/bin:/bin",
    }
    if when:
        env |= {"GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when}
    subprocess.run(["git", "-C", str(repo), *args], check=True, env=env, capture_output=True)


def commit(repo: Path, data: bytes, when: str) -> None:
    (repo / "isn.csv").write_bytes(data)
    git(repo, "add", "isn.csv")
    git(repo, "commit", "-q", "-m", "update", when=when)


class TestGitHistories:
    def test_the_real_history_imports_and_its_deletion_is_skipped(self, tmp_path: Path) -> None:
        clone = tmp_path / "clone"
        subprocess.run(["git", "clone", "-q", str(BUNDLE), str(clone)], check=True)
        store = empty_store(tmp_path)

        code, out, err = run("import", "--git", str(clone), "--path", ISN_PATH, "--store", store)

        assert code == 0
        assert out.splitlines()[-1] == (
            f"read 11 versions of {ISN_PATH} from {clone}: 10 imported, 0 already on record, "
            "1 skipped; 1942 new events"
        )
        assert f"skipped {ISN_PATH}@bc3a52ec6d6d (2019-11-13): the file was deleted" in err
        assert "(ISN snapshot 2015-08-12)" in out  # the commit's UTC day

        code, out, _ = run("import", "--git", str(clone), "--path", ISN_PATH, "--store", store)

        assert (code, out.splitlines()[-1]) == (
            0,
            f"read 2 versions of {ISN_PATH} from {clone}: 0 imported, 1 already on record, "
            "1 skipped; 0 new events",
        )

    def test_a_bare_repository_with_faulty_versions_and_reruns(self, tmp_path: Path) -> None:
        work = tmp_path / "work"
        work.mkdir()
        git(work, "init", "-q")
        good = ISN[-2].read_bytes()
        commit(work, ISN[-3].read_bytes(), "2016-04-21T10:00:00Z")
        commit(work, b"", "2016-05-01T10:00:00Z")  # an empty version
        commit(work, good[:5000], "2016-06-01T09:00:00Z")  # cut short
        commit(work, good, "2016-07-22T09:00:00Z")
        commit(work, ISN[-1].read_bytes(), "2016-07-22T23:00:00Z")  # the day's last
        bare = tmp_path / "bare.git"
        subprocess.run(["git", "clone", "-q", "--bare", str(work), str(bare)], check=True)
        store = empty_store(tmp_path)

        code, out, err = run("import", "--git", str(bare), "--path", "isn.csv", "--store", store)

        assert code == 0
        assert out.splitlines()[-1].startswith(
            f"read 4 versions of isn.csv from {bare}: 2 imported, 0 already on record, 2 skipped; "
        )
        assert "skipped isn.csv@" in err
        assert "(2016-05-01): the file is empty (0 bytes)" in err
        assert "(2016-06-01): line " in err
        commit(work, ISN[-1].read_bytes() + b"ISN,INKSNA,New Co,,Iran,,1/1/2017,,\r\n",
               "2017-01-02T10:00:00Z")  # fmt: skip
        git(bare, "fetch", "-q", str(work), "+HEAD:refs/heads/master", "+HEAD:HEAD")

        code, out, _ = run("import", "--git", str(bare), "--path", "isn.csv", "--store", store)

        assert code == 0
        assert "(ISN snapshot 2017-01-02)" in out
        assert out.splitlines()[-1].startswith(
            f"read 2 versions of isn.csv from {bare}: 1 imported, 1 already on record, 0 skipped; "
        )
        assert "2016-04-21" not in out
        assert "2016-07-22" in out  # the latest on record: already there, 0 new events
        series = load_series(open_app(store), "isn")
        on_day = series.on_record(date(2016, 7, 22))
        assert on_day is not None
        assert on_day["sha256"] == hashlib.sha256(ISN[-1].read_bytes()).hexdigest()

    def test_a_version_that_drops_most_of_the_list_is_skipped(self, tmp_path: Path) -> None:
        work = tmp_path / "work"
        work.mkdir()
        git(work, "init", "-q")
        rows = ISN[-1].read_bytes().splitlines()
        commit(work, ISN[-1].read_bytes(), "2016-12-02T10:00:00Z")
        commit(work, b"\n".join(rows[:50]) + b"\n", "2016-12-03T10:00:00Z")
        store = empty_store(tmp_path)

        code, out, err = run("import", "--git", str(work), "--path", "isn.csv", "--store", store)

        assert code == 0
        assert out.splitlines()[-1].startswith(
            f"read 2 versions of isn.csv from {work}: 1 imported, 0 already on record, 1 skipped; "
        )
        assert err.splitlines()[-1].startswith("skipped isn.csv@")
        assert "(2016-12-03): " in err
        assert "more than the 10% that may be delisted at once" in err

    def test_a_file_no_commit_changed_is_one_error_line(self, tmp_path: Path) -> None:
        work = tmp_path / "work"
        work.mkdir()
        git(work, "init", "-q")
        commit(work, ISN[0].read_bytes(), "2014-10-27T10:00:00Z")
        store = empty_store(tmp_path)

        code, out, err = run("import", "--git", str(work), "--path", "sdn.csv", "--store", store)

        assert (code, out) == (2, "")
        assert err == (
            f"error: no commit of git repository '{work}' changed 'sdn.csv': "
            "give the file's path inside the repository with --path\n"
        )

    def test_git_without_path_is_a_usage_error(self, tmp_path: Path) -> None:
        code, out, err = run("import", "--git", str(tmp_path), "--store", empty_store(tmp_path))

        assert (code, out) == (2, "")
        assert err == "error: --git REPO and --path FILE go together, without FILE arguments\n"

    def test_progress_shows_on_a_terminal(self, tmp_path: Path) -> None:
        work = tmp_path / "work"
        work.mkdir()
        git(work, "init", "-q")
        commit(work, ISN[-2].read_bytes(), "2016-07-22T10:00:00Z")
        commit(work, ISN[-1].read_bytes(), "2016-12-02T10:00:00Z")
        store = empty_store(tmp_path)
        out, err = io.StringIO(), Terminal()

        code = main(
            ["import", "--git", str(work), "--path", "isn.csv", "--store", store],
            stdout=out,
            stderr=err,
            environ={},
        )

        assert code == 0
        assert "| 2/2 [" in err.getvalue()
        assert re.search(r"\r {20,}\r", err.getvalue())  # the bar is wiped

    def test_not_a_repository_is_one_error_line(self, tmp_path: Path) -> None:
        store = empty_store(tmp_path)

        code, out, err = run(
            "import", "--git", str(tmp_path), "--path", "isn.csv", "--store", store
        )

        assert (code, out) == (2, "")
        assert err.startswith(f"error: git repository '{tmp_path}' cannot be read: ")
        assert err.count("\n") == 1
