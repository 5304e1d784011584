"""Every bad input is refused in one line, with nothing written: the matrix of
``tests/bad_input_cases.py`` run on SQLite and on PostgreSQL.

Each case runs ``main`` in-process against a store loaded once for the whole run (the
cases write nothing, so one store serves them all) and asserts: the exit code, exactly one
line on standard error and it starts with ``error:``, the words the case names, no
exception out of ``main``, no password anywhere, no file made in the working folder or the
home folder, and the same digest of the events table before and after.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import importlib.util
import io
import json
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import pytest

from cli import main

if TYPE_CHECKING:
    from tests.conftest import PostgresServer


def _load_cases() -> ModuleType:
    """The matrix's data module, beside this file (the tests folder is not a package)."""
    path = Path(__file__).with_name("bad_input_cases.py")
    spec = importlib.util.spec_from_file_location("bad_input_cases", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_DATA = _load_cases()
CASES: list[Any] = _DATA.CASES

TODAY = date(2026, 11, 28)
SECRET = "secret"  # the password in the cases' own URLs
OWN_STORES = ("{readonly}", "{foreign}", "{notdb}")


def _line(**fields: Any) -> str:
    source = {"title": "Matrix source", "published": "2014-01-15"}
    return json.dumps({"source": source, "date": "2013", **fields}, ensure_ascii=False) + "\n"


GOOD = _line(key="mx-co", type="entity_registered", entity="Matrix Test Co", kind="company")
GOOD_2 = _line(key="mx-co-act", type="activity_reported", entity="Matrix Test Co", summary="s")


def _write_files(folder: Path) -> None:
    texts = {
        "good.jsonl": GOOD + GOOD_2,
        "good-changed.jsonl": GOOD.replace("Matrix Test Co", "Matrix Other Co"),
        "garbage.jsonl": "this is not JSON\n",
        "late-error.jsonl": GOOD.replace("mx-co", "mx-late") + "{oops\n",
        "duplicate-field.jsonl": GOOD.replace(
            '"kind": "company"', '"kind": "company", "kind": "bank"'
        ),
        "reused-key.jsonl": GOOD + GOOD.replace("Matrix Test Co", "Matrix Other Co"),
        "not-object.jsonl": "[1, 2]\n",
        "no-key.jsonl": _line(type="entity_registered", entity="Keyless Co", kind="company"),
        "bad-type.jsonl": _line(key="k", type="bribery", entity="Norinco"),
        "control-name.jsonl": GOOD.replace("mx-co", "mx-evil").replace(
            "Matrix Test", "Evil\\u001b[2J"
        ),
        "empty-alias.jsonl": _line(key="k", type="alias_added", entity="Norinco", alias=""),
        "empty-date.jsonl": GOOD.replace('"date": "2013"', '"date": ""'),
        "far-date.jsonl": GOOD.replace('"date": "2013"', '"date": "9999-12-31"'),
        "fullwidth-date.jsonl": GOOD.replace(
            '"date": "2013"', '"date": "\uff12\uff10\uff11\uff13"'
        ),
        "empty-source-date.jsonl": GOOD.replace('"2014-01-15"', '""'),
        "unknown-entity.jsonl": _line(
            key="k", type="activity_reported", entity="Nobody", summary="s"
        ),
        "sdn-2021-08-18.csv": '36,"AEROCARIBBEAN AIRLINES","-0-","CUBA",-0-,-0-,-0-,-0-,-0-,-0-,'
        '-0-,"Havana, Cuba."\n',
    }
    for name, text in texts.items():
        (folder / name).write_text(text, encoding="utf-8")
    (folder / "binary.jsonl").write_bytes(bytes(range(255, -1, -1)) * 4)
    (folder / "utf16.jsonl").write_bytes(GOOD.encode("utf-16"))
    (folder / "latin1.jsonl").write_bytes(
        GOOD.replace("Test", "Soci\u00e9t\u00e9").encode("latin-1")
    )
    (folder / "sdn.csv.gz").write_bytes(gzip.compress(texts["sdn-2021-08-18.csv"].encode()))
    (folder / "garbage.csv").write_bytes(b"\x00\x01\x02 binary \xff\xfe\n" * 10)
    isn = "Programs,Name,Federal Register Notice,Effective Date\r\n"
    isn += "INKSNA,Matrix Co,Vol. 1,1/1/2016\r\n"
    (folder / "isn-2017-01-01.csv").write_bytes(isn.replace("Effective Date", "Day").encode())
    (folder / "utf16-isn-2017-01-01.csv").write_bytes(isn.encode("utf-16"))
    (folder / "isn-cut-2017-01-01.csv").write_bytes((isn + "INKSNA,Cut\r\n").encode())
    un = '<?xml version="1.0"?><CONSOLIDATED_LIST dateGenerated="2023-03-27T10:00:00Z"><ENTITY>'
    (folder / "un-sc-2023-03-27.xml").write_bytes(un.encode())
    bomb = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><CONSOLIDATED_LIST>&a;'
    (folder / "entities-2023-03-27.xml").write_bytes((bomb + "</CONSOLIDATED_LIST>").encode())


def _run(argv: list[str], home: Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    environ = {"HOME": str(home), "XDG_DATA_HOME": str(home / "data")}
    code = main(argv, stdout=out, stderr=err, environ=environ, today=TODAY)
    return code, out.getvalue(), err.getvalue()


@functools.cache
def _connection(url: str) -> Any:
    """One connection per database for the digests (a new one per case costs more than
    the case)."""
    import psycopg

    return psycopg.connect(url, autocommit=True)


def _digest(store: str) -> str:
    """A hash of every row of the events table (and, for an SQLite file, its tables)."""
    rows: list[Any]
    if store.startswith("postgresql://"):
        connection = _connection(store)
        with connection.transaction():
            rows = connection.execute(
                "SELECT notification_id, originator_id::text, originator_version, topic, state "
                "FROM sanctions_events ORDER BY notification_id"
            ).fetchall()
    else:
        path = Path(store)
        if not path.is_file():
            return "absent"
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as connection:
            try:
                tables = connection.execute(
                    "SELECT name, sql FROM sqlite_master ORDER BY name"
                ).fetchall()
            except sqlite3.DatabaseError:
                return hashlib.sha256(path.read_bytes()).hexdigest()
            rows = [tables]
            if any(name == "stored_events" for name, _ in tables):
                rows += connection.execute("SELECT * FROM stored_events ORDER BY rowid").fetchall()
            else:
                rows.append(hashlib.sha256(path.read_bytes()).hexdigest())
    return hashlib.sha256(repr(rows).encode()).hexdigest()


def _make_read_only(path: Path) -> bool:
    """Make an SQLite file read-only, even for root (``chattr +i``); False if impossible."""
    path.chmod(0o444)
    if os.geteuid() == 0:
        chattr = shutil.which("chattr")
        if chattr is None:
            return False
        done = subprocess.run([chattr, "+i", str(path)], capture_output=True, check=False)
        return done.returncode == 0
    return True


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("inputs")
    _write_files(folder)
    return folder


@pytest.fixture(scope="module")
def own_stores(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    folder = tmp_path_factory.mktemp("own-stores")
    read_only = folder / "read-only.sqlite"
    code, _, err = _run(["init", "--store", str(read_only)], folder)
    assert code == 0, err
    foreign = folder / "another-apps.sqlite"
    with sqlite3.connect(foreign) as connection:
        connection.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
        connection.execute("INSERT INTO customers (name) VALUES ('Alice')")
    connection.close()
    not_db = folder / "notes.sqlite"
    not_db.write_text("these are my notes, not a database\n", encoding="utf-8")
    stores = {"{foreign}": str(foreign), "{notdb}": str(not_db)}
    if _make_read_only(read_only):  # else the read-only cases skip, and only they
        stores["{readonly}"] = str(read_only)
    try:
        yield stores
    finally:
        chattr = shutil.which("chattr")
        if os.geteuid() == 0 and chattr:
            subprocess.run([chattr, "-i", str(read_only)], capture_output=True, check=False)


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def shared_store(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """One store loaded with the bundled dataset, for all the cases of one backend."""
    if request.param == "sqlite":
        store = str(tmp_path_factory.mktemp("shared") / "events.sqlite")
    else:
        server: PostgresServer = request.getfixturevalue("postgres_server")
        store = server.url(server.create_database())
    code, _, err = _run(["init", "--store", store], tmp_path_factory.mktemp("home"))
    assert code == 0, err
    return store


def _argv(case: Any, store: str, files: Path, own: dict[str, str]) -> list[str]:
    argv = [arg.replace("{files}", str(files)) for arg in case.argv]
    argv = [own.get(arg, arg) for arg in argv]
    if "--store" not in case.argv:
        argv += ["--store", store]
    return argv


def _own_store(case: Any) -> bool:
    return "--store" in case.argv


@pytest.mark.parametrize(
    "case", CASES, ids=[f"{i}-{c.argv[0] if c.argv else ''}" for i, c in enumerate(CASES)]
)
def test_bad_input_is_refused_in_one_line_with_nothing_written(
    case: Any,
    shared_store: str,
    files: Path,
    own_stores: dict[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if _own_store(case) and not shared_store.endswith(".sqlite"):
        pytest.skip("a case with a store of its own runs once, with the SQLite run")
    if "{readonly}" in case.argv and "{readonly}" not in own_stores:
        pytest.skip("cannot make a file read-only here (root without a working chattr)")
    argv = _argv(case, shared_store, files, own_stores)
    named = argv[argv.index("--store") + 1]
    watched = named if named in own_stores.values() else shared_store
    work, home = tmp_path / "work", tmp_path / "home"
    work.mkdir()
    home.mkdir()
    monkeypatch.chdir(work)
    before = _digest(watched)

    code, out, err = _run(argv, home)

    assert code == case.exit, (argv, out, err)
    lines = err.splitlines()
    assert len(lines) == 1, (argv, err)
    assert lines[0].startswith("error: "), (argv, err)
    assert case.needle in lines[0], (argv, err)
    assert "Traceback" not in err
    assert SECRET not in out + err
    assert _digest(watched) == before, (argv, "the store changed")
    made = [str(p) for p in [*work.rglob("*"), *home.rglob("*")]]
    assert made == [], (argv, made)
    assert not [p for p in files.parent.rglob("*") if SECRET in str(p)]


def test_the_matrix_has_at_least_200_cases_across_every_verb() -> None:
    verbs = {c.argv[0] for c in CASES if c.argv}
    kinds = {c.argv[1] for c in CASES if c.argv[:1] == ("append",) and len(c.argv) > 1}

    assert len(CASES) >= 200
    assert verbs >= {
        "init",
        "status",
        "history",
        "replay",
        "append",
        "import",
        "export",
        "entities",
        "explain",
        "diff",
        "log",
        "rebuild",
    }
    assert kinds >= {
        "registration",
        "alias",
        "identifier",
        "imposition",
        "lapse",
        "waiver",
        "delisting-request",
        "delisting-decision",
        "negotiation",
        "activity",
        "correction",
        "retraction",
    }
