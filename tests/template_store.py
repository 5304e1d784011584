"""A new bundled store in milliseconds: copy the rows of one made once by the real path.

Loading the bundled dataset (the article, ten ISN copies, the links) takes seconds, and
many tests make new stores. The session builds one store with ``sanctions init`` (the real
path, once); afterwards, wherever the command line would load the bundled dataset into a
new SQLite store, the fixtures copy that store's rows instead, table by table and in log
order (row ids kept, so positions and the hash chain are the same), and answer with what
the real load reported. PostgreSQL stores, other links files and tests marked
``bundled_import`` take the real path.
"""

from __future__ import annotations

import io
import sqlite3
from collections.abc import Callable
from pathlib import Path

import attrs
import pytest

import cli
from events_log.app import SanctionsApp
from events_log.bundled import BUNDLED_LINKS, Loaded, load_bundled
from events_log.store import META_TABLE
from projections import console

Load = Callable[..., Loaded]


@attrs.frozen
class Template:
    path: Path
    loaded: Loaded


def build_template(path: Path) -> Template:
    """``sanctions init --store PATH``, recording what the bundled load reported."""
    reported: list[Loaded] = []

    def spy(app: SanctionsApp, links: Path = BUNDLED_LINKS) -> Loaded:
        reported.append(load_bundled(app, links))
        return reported[-1]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(console, "load_bundled", spy)
        code = cli.main(["init", "--store", str(path)], stdout=io.StringIO())
    assert code == 0
    (loaded,) = reported
    return Template(path, loaded)


def copy_rows(template: Path, target: Path) -> None:
    """Every table of the template but the store's own marks, into a new store's file."""
    db = sqlite3.connect(target)
    try:
        with db:
            db.execute("ATTACH DATABASE ? AS template", (f"file:{template}?mode=ro",))
            have = {row[0] for row in db.execute("SELECT name FROM main.sqlite_master")}
            tables = db.execute(
                "SELECT name, sql FROM template.sqlite_master WHERE type = 'table' AND name != ?",
                (META_TABLE,),
            ).fetchall()
            for name, sql in tables:
                if name not in have:
                    db.execute(sql)
                columns = ", ".join(
                    f'"{row[1]}"' for row in db.execute(f'PRAGMA template.table_info("{name}")')
                )
                if "WITHOUT ROWID" not in sql.upper():
                    columns = f"rowid, {columns}"
                db.execute(
                    f'INSERT INTO main."{name}" ({columns}) SELECT {columns} FROM template."{name}"'
                )
            indexes = db.execute(
                "SELECT name, sql FROM template.sqlite_master "
                "WHERE type = 'index' AND sql IS NOT NULL AND tbl_name != ?",
                (META_TABLE,),
            ).fetchall()
            for name, sql in indexes:
                if name not in have:
                    db.execute(sql)
    finally:
        db.close()


def copying(template: Template, real: Load) -> Load:
    """A stand-in for ``console.load_bundled`` that copies the template into SQLite stores."""

    def load(app: SanctionsApp, links: Path = BUNDLED_LINKS) -> Loaded:
        if app.store.kind != "sqlite" or links != BUNDLED_LINKS or app.max_position():
            return real(app, links)
        assert app.store.path is not None
        copy_rows(template.path, app.store.path)
        return template.loaded

    return load
