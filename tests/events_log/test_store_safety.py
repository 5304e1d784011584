"""Stores that must not be written: a URL of another kind of database, another
program's SQLite file, a read-only store; and an upper-case PostgreSQL URL, which is one."""

from __future__ import annotations

import io
import os
import shutil
import sqlite3
import subprocess
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from cli import main
from events_log.store import StoreError, resolve_store

if TYPE_CHECKING:
    from tests.conftest import PostgresServer

TODAY = date(2026, 11, 28)


def run(*argv: str, home: Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err, environ={"HOME": str(home)}, today=TODAY)
    return code, out.getvalue(), err.getvalue()


class TestUrls:
    @pytest.mark.parametrize(
        "url", ["mysql://u:pw-1@h/db", "MySQL://u:pw-1@h/db", "sqlite:///x.db", "https://h/x"]
    )
    def test_a_url_of_another_scheme_is_refused_without_a_folder_or_the_password(
        self, url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.chdir(tmp_path)

        code, out, err = run("init", "--store", url, home=tmp_path)

        scheme = url.split("://")[0]
        assert (code, out) == (2, "")
        assert err.startswith(f"error: store '{scheme}://")
        assert f"is a {scheme}:// URL: a store is an SQLite file path or a postgresql://" in err
        assert "pw-1" not in err
        assert list(tmp_path.iterdir()) == []

    def test_the_password_is_masked_in_the_refusal(self) -> None:
        with pytest.raises(StoreError, match=r"^store 'mysql://u:\*\*\*@h/db' is a mysql://"):
            resolve_store("mysql://u:pw-1@h/db", {})

    @pytest.mark.postgres
    @pytest.mark.parametrize("scheme", ["POSTGRESQL", "Postgres"])
    def test_an_upper_case_postgresql_url_is_a_postgresql_store(
        self,
        postgres_server: PostgresServer,
        scheme: str,
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        dbname = postgres_server.create_database()
        url = postgres_server.url(dbname).replace("postgresql", scheme, 1)
        monkeypatch.chdir(tmp_path)

        code, out, err = run("init", "--empty", "--store", url, home=tmp_path)

        assert (code, err) == (0, "")
        assert out == f"created empty store {postgres_server.display(dbname)}\n"
        assert list(tmp_path.iterdir()) == []


class TestForeignSqlite:
    def test_another_programs_database_is_refused_and_left_as_it_was(self, tmp_path: Path) -> None:
        path = tmp_path / "another-apps.sqlite"
        with sqlite3.connect(path) as connection:
            connection.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
        connection.close()
        before = path.read_bytes()

        code, out, err = run("status", "--store", str(path), home=tmp_path)

        assert (code, out) == (2, "")
        assert err == (
            f"error: store {path} is a database of another program (tables: customers), "
            "not a sanctions tracker store: nothing was written to it\n"
        )
        assert path.read_bytes() == before
        assert sorted(p.name for p in tmp_path.iterdir()) == ["another-apps.sqlite"]

    def test_an_empty_file_is_a_new_store(self, tmp_path: Path) -> None:
        path = tmp_path / "empty.sqlite"
        path.touch()

        code, out, _ = run("init", "--empty", "--store", str(path), home=tmp_path)

        assert (code, out) == (0, f"created empty store {path}\n")


@pytest.fixture
def read_only_store(tmp_path: Path) -> object:
    path = tmp_path / "ro.sqlite"
    assert run("init", "--store", str(path), home=tmp_path)[0] == 0
    path.chmod(0o444)
    chattr = shutil.which("chattr")
    immutable = os.geteuid() == 0
    if immutable:
        if chattr is None:
            pytest.skip("root can write any file, and chattr is missing to prevent it")
        subprocess.run([chattr, "+i", str(path)], check=True)
    yield path
    if immutable and chattr:
        subprocess.run([chattr, "-i", str(path)], check=True)


class TestReadOnly:
    def test_an_append_says_the_store_is_read_only(self, read_only_store: Path) -> None:
        code, out, err = run(
            "append", "activity", "--entity", "Norinco", "--summary", "s", "--date", "2013",
            "--source", "S", "--store", str(read_only_store), home=read_only_store.parent,
        )  # fmt: skip

        assert (code, out) == (2, "")
        assert err == (
            f"error: store {read_only_store} is read-only (attempt to write a readonly "
            "database): nothing was written\n"
        )

    def test_reading_a_read_only_store_works(self, read_only_store: Path) -> None:
        code, out, err = run(
            "status", "Norinco", "--as-of", "2005", "--store", str(read_only_store),
            home=read_only_store.parent,
        )  # fmt: skip

        assert (code, err) == (0, "")
        assert "China North Industries Corp." in out
