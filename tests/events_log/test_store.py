"""Where the event log lives: resolution, new stores, both backends, and credentials."""

from __future__ import annotations

import io
import json
import re
import socket
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from cli import main
from events_log.app import SanctionsApp
from events_log.bundled import BUNDLED_DATASET
from events_log.store import StoreError, resolve_store

if TYPE_CHECKING:
    from tests.conftest import PostgresServer

TODAY = date(2026, 11, 28)
ARTICLE_EVENTS = sum(1 for line in BUNDLED_DATASET.read_text(encoding="utf-8").splitlines() if line)
BUNDLED_EVENTS = ARTICLE_EVENTS + 1942 + 2 * 7  # the article, ten ISN copies, seven links
LOADED = (
    f"{ARTICLE_EVENTS} events from {BUNDLED_DATASET.name}, 1942 from 10 copies of the ISN list "
    "(2014-10-27 to 2016-12-02), 7 reviewed links from links-article-isn.jsonl"
)


def run(*argv: str, environ: dict[str, str] | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(
        list(argv),
        stdout=out,
        stderr=err,
        environ={} if environ is None else environ,
        today=TODAY,
    )
    return code, out.getvalue(), err.getvalue()


def created_note(display: str) -> str:
    return (
        f"note: created store {display} with the bundled dataset ({LOADED}); "
        "'sanctions init --empty' makes an empty one\n"
    )


def log_events(store: str) -> list[dict[str, Any]]:
    code, out, err = run("log", "--format", "json", "--store", store)
    assert (code, err) == (0, "")
    events: list[dict[str, Any]] = json.loads(out)["events"]
    return events


class TestStoreResolution:
    def test_the_default_store_is_under_xdg_data_home(self, tmp_path: Path) -> None:
        config = resolve_store(None, {"XDG_DATA_HOME": str(tmp_path), "HOME": "/nowhere"})

        assert config.kind == "sqlite"
        assert config.path == tmp_path / "sanctions-tracker" / "events.sqlite"
        assert config.display == str(tmp_path / "sanctions-tracker" / "events.sqlite")

    def test_without_xdg_data_home_the_default_store_is_under_home(self, tmp_path: Path) -> None:
        config = resolve_store(None, {"HOME": str(tmp_path)})

        assert config.path == tmp_path / ".local/share/sanctions-tracker/events.sqlite"

    def test_sanctions_store_names_the_store(self, tmp_path: Path) -> None:
        environ = {"SANCTIONS_STORE": str(tmp_path / "env.sqlite"), "XDG_DATA_HOME": "/x"}

        config = resolve_store(None, environ)

        assert config.path == tmp_path / "env.sqlite"

    def test_the_store_option_wins_over_sanctions_store(self, tmp_path: Path) -> None:
        environ = {"SANCTIONS_STORE": "postgresql://ana:pw@db.example.org/sanctions"}

        config = resolve_store(str(tmp_path / "option.sqlite"), environ)

        assert (config.kind, config.path) == ("sqlite", tmp_path / "option.sqlite")

    def test_the_command_line_creates_the_default_store_it_resolves(self, tmp_path: Path) -> None:
        expected = tmp_path / "data" / "sanctions-tracker" / "events.sqlite"

        code, _, err = run("entities", environ={"XDG_DATA_HOME": str(tmp_path / "data")})

        assert (code, err) == (0, created_note(str(expected)))
        assert expected.is_file()

    def test_a_directory_is_refused(self, tmp_path: Path) -> None:
        code, out, err = run("status", "--store", str(tmp_path))

        assert (code, out) == (2, "")
        assert err == (
            f"error: store {str(tmp_path)!r} is a directory: give the path of an SQLite file\n"
        )

    def test_a_file_that_is_not_an_sqlite_database_is_refused(self, tmp_path: Path) -> None:
        notes = tmp_path / "notes.txt"
        notes.write_text("Norinco was sanctioned in the early 2000s.\n" * 100, encoding="utf-8")

        code, out, err = run("status", "--store", str(notes))

        assert (code, out) == (2, "")
        assert err == f"error: store {notes} cannot be opened: file is not a database\n"

    def test_a_postgres_url_becomes_the_library_settings(self) -> None:
        url = "postgresql://ana:s%3Acr%40t%2Fpw@db.example.org:6543/sanctions"

        config = resolve_store(url, {})

        assert config.kind == "postgresql"
        assert config.path is None
        assert config.display == "postgresql://ana@db.example.org:6543/sanctions"
        assert (
            config.env.items()
            >= {
                "PERSISTENCE_MODULE": "eventsourcing.postgres",
                "POSTGRES_HOST": "db.example.org",
                "POSTGRES_PORT": "6543",
                "POSTGRES_DBNAME": "sanctions",
                "POSTGRES_USER": "ana",
                "POSTGRES_PASSWORD": "s:cr@t/pw",
            }.items()
        )

    @pytest.mark.parametrize(
        ("url", "display"),
        [
            # no port: PostgreSQL's own default
            ("postgresql://ana:pw@db.example.org/sanctions", "postgresql://ana@db.example.org:5432/sanctions"),
            # the short scheme libpq also accepts
            ("postgres://ana:pw@db.example.org:6543/sanctions", "postgresql://ana@db.example.org:6543/sanctions"),
            # no user nor password
            ("postgresql://db.example.org/sanctions", "postgresql://db.example.org:5432/sanctions"),
        ],
    )  # fmt: skip
    def test_postgres_urls_are_displayed_without_password(self, url: str, display: str) -> None:
        config = resolve_store(None, {"SANCTIONS_STORE": url})

        assert config.display == display

    def test_the_store_settings_never_show_the_password(self) -> None:
        config = resolve_store("postgresql://ana:Tr0ub4dor@db.example.org/sanctions", {})

        assert "Tr0ub4dor" not in repr(config)
        assert "Tr0ub4dor" not in config.display

    @pytest.mark.parametrize(
        ("url", "rule"),
        [
            ("postgresql://ana:Tr0ub4dor@db.example.org", ""),
            ("postgresql://ana:Tr0ub4dor@db.example.org:port/sanctions", " (bad port)"),
        ],
    )
    def test_a_malformed_postgres_url_is_refused_without_echoing_it(
        self, url: str, rule: str
    ) -> None:
        code, out, err = run("status", "--store", url)

        assert (code, out) == (2, "")
        assert err == (
            f"error: store URL must look like postgresql://user:password@host:port/dbname{rule}\n"
        )


class TestNewStore:
    def test_a_new_store_is_created_with_the_bundled_dataset_and_a_note(
        self, store_url: str, store_display: str
    ) -> None:
        code, out, err = run("entities", "--store", store_url)

        assert code == 0
        assert err == created_note(store_display)
        assert "China North Industries Corp." in out
        assert len(log_events(store_url)) == BUNDLED_EVENTS

    def test_an_existing_store_is_opened_without_a_note_or_a_second_load(
        self, store_url: str
    ) -> None:
        run("entities", "--store", store_url)

        code, _, err = run("entities", "--store", store_url)

        assert (code, err) == (0, "")
        assert len(log_events(store_url)) == BUNDLED_EVENTS

    def test_init_creates_the_store_with_the_bundled_dataset(
        self, store_url: str, store_display: str
    ) -> None:
        code, out, err = run("init", "--store", store_url)

        assert (code, err) == (0, "")
        assert out == f"created store {store_display} with {LOADED}\n"

    def test_init_on_an_existing_store_changes_nothing(
        self, store_url: str, store_display: str
    ) -> None:
        run("init", "--store", store_url)
        entries = SanctionsApp(resolve_store(store_url, {})).max_position()

        code, out, err = run("init", "--store", store_url)

        assert (code, err) == (0, "")
        assert out == f"store {store_display} already exists ({entries} entries)\n"
        assert len(log_events(store_url)) == BUNDLED_EVENTS

    def test_init_empty_makes_an_empty_store_that_stays_empty(
        self, store_url: str, store_display: str
    ) -> None:
        code, out, err = run("init", "--empty", "--store", store_url)

        assert (code, out, err) == (0, f"created empty store {store_display}\n", "")
        assert log_events(store_url) == []
        assert run("init", "--store", store_url) == (
            0,
            f"store {store_display} already exists (0 entries)\n",
            "",
        )

    def test_an_empty_store_never_initialised_is_new(
        self, store_url: str, store_display: str
    ) -> None:
        # a first run that stopped after the library made its tables, before any event
        SanctionsApp(resolve_store(store_url, {}))

        code, _, err = run("entities", "--store", store_url)

        assert (code, err) == (0, created_note(store_display))
        assert len(log_events(store_url)) == BUNDLED_EVENTS


class TestRoundTrip:
    def test_an_appended_event_is_read_back(self, store_url: str) -> None:
        run("init", "--store", store_url)

        code, out, err = run(
            "append",
            "activity",
            *("--entity", "Norinco", "--date", "2013", "--source", "Cable 42"),
            *("--source-date", "2013-10-04", "--summary", "sold gyroscopes"),
            *("--store", store_url),
        )

        assert (code, err) == (0, "")
        recorded = re.fullmatch(
            r"recorded activity ([0-9a-f]{8}) for China North Industries Corp\.\n", out
        )
        assert recorded is not None
        last = log_events(store_url)[-1]
        assert last["event_id"].startswith(recorded[1])
        assert (last["type"], last["summary"]) == ("activity_reported", "sold gyroscopes")
        assert last["source"]["title"] == "Cable 42"
        assert last["source"]["published"] == "2013-10-04"
        assert (last["effective"]["from"], last["effective"]["until"]) == (
            "2013-01-01",
            "2013-10-05",
        )
        app = SanctionsApp(resolve_store(store_url, {}))
        assert app.entity_events(app.find("Norinco"))[-1].get("summary") == "sold gyroscopes"


@pytest.mark.postgres
class TestPostgresCredentials:
    """Whatever goes wrong, the user sees one line naming the store, never the password."""

    @pytest.mark.parametrize(
        ("case", "reason"),
        [
            ("wrong password", 'FATAL: password authentication failed for user "sanctions_tester"'),
            ("nothing listening", "Connection refused"),
            ("no such database", 'FATAL: database "no_such_db" does not exist'),
        ],
    )  # fmt: skip
    def test_a_store_that_cannot_be_opened_is_one_line_without_the_password(
        self, postgres_server: PostgresServer, case: str, reason: str
    ) -> None:
        dbname, password, port = postgres_server.create_database(), None, None
        if case == "wrong password":
            password = "Wr0ng-h0rse-battery"
        elif case == "nothing listening":
            port = _closed_port()
        else:
            dbname = "no_such_db"
        url = postgres_server.url(dbname, password=password, port=port)
        display = postgres_server.display(dbname, port=port)

        code, out, err = run("status", "--store", url)

        assert (code, out) == (2, "")
        assert err.startswith(f"error: store {display} cannot be opened: connection failed: ")
        assert reason in err
        assert err.count("\n") == 1
        assert postgres_server.password not in err
        assert "Wr0ng-h0rse-battery" not in err

    def test_a_store_the_role_may_not_write_is_one_line_without_the_password(
        self, postgres_server: PostgresServer, postgres_url: str
    ) -> None:
        run("init", "--store", postgres_url)
        dbname = postgres_url.rsplit("/", 1)[1]
        with postgres_server.admin(dbname) as connection:
            connection.execute(
                "REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON sanctions_events FROM sanctions_tester"
            )

        code, out, err = run(
            "append",
            "activity",
            *("--entity", "Norinco", "--date", "2013", "--source", "S", "--summary", "n"),
            *("--store", postgres_url),
        )

        assert (code, out) == (2, "")
        assert err == (
            f"error: store {postgres_server.display(dbname)} is read-only "
            "(permission denied for table sanctions_events): nothing was written\n"
        )

    def test_an_error_while_reading_names_the_store_without_the_password(
        self, postgres_server: PostgresServer, postgres_url: str
    ) -> None:
        run("init", "--store", postgres_url)
        dbname = postgres_url.rsplit("/", 1)[1]
        app = SanctionsApp(resolve_store(postgres_url, {}))
        with postgres_server.admin(dbname) as connection:
            connection.execute("DROP TABLE sanctions_events")

        with pytest.raises(StoreError) as raised:
            app.max_position()

        message = str(raised.value)
        assert message.startswith(
            f"store {postgres_server.display(dbname)} cannot be used: "
            'relation "public.sanctions_events" does not exist'
        )
        assert "\n" not in message
        assert postgres_server.password not in message


def _closed_port() -> int:
    """A local port nothing listens on (free a moment ago)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port
