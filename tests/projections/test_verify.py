"""``sanctions verify``: the hash chain kept beside the log finds every tampering with the
stored rows, on SQLite and PostgreSQL, and names the first position that no longer matches.

The tests tamper with the real database, as someone with write access to it would: the
``sqlite3`` module on the SQLite file, a superuser connection on the PostgreSQL database.
"""

from __future__ import annotations

import hashlib
import io
import json
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from datetime import date
from typing import TYPE_CHECKING, Any
from uuid import UUID, uuid4

import pytest

from cli import main
from events_log.app import SanctionsApp
from events_log.compression import compress_state, plain_state
from events_log.store import resolve_store
from projections import chain

NORINCO = "China North Industries Corp."  # "Norinco" also names its ISN entries

if TYPE_CHECKING:
    from tests.conftest import PostgresServer

TODAY = date(2026, 11, 28)
AT = 40  # the index (from 0) of the row tampered with


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err, environ={}, today=TODAY)
    return code, out.getvalue(), err.getvalue()


class RawLog:
    """The store's events table, reached around the tracker (as a tamperer would)."""

    def __init__(self, store: str, server: PostgresServer | None) -> None:
        self.store = store
        self.server = server
        postgres = server is not None
        self.table = "sanctions_events" if postgres else "stored_events"
        self.column = "notification_id" if postgres else "rowid"
        self.mark = "%s" if postgres else "?"

    @contextmanager
    def connection(self) -> Iterator[Callable[..., list[tuple[Any, ...]]]]:
        if self.server is None:
            with closing(sqlite3.connect(self.store)) as database, database:

                def sqlite_query(sql: str, *params: Any) -> list[tuple[Any, ...]]:
                    return database.execute(sql.format(**self.names), params).fetchall()

                yield sqlite_query
            return
        with self.server.admin(self.store.rsplit("/", 1)[1]) as admin:

            def postgres_query(sql: str, *params: Any) -> list[tuple[Any, ...]]:
                cursor = admin.execute(sql.format(**self.names), params)
                return cursor.fetchall() if cursor.description else []

            yield postgres_query

    @property
    def names(self) -> dict[str, str]:
        return {"table": self.table, "col": self.column, "m": self.mark}

    def positions(self) -> list[int]:
        with self.connection() as query:
            return [row[0] for row in query("SELECT {col} FROM {table} ORDER BY {col}")]

    def edit(self, position: int) -> None:
        """Change one byte of an event's JSON, stored again as the store stores states
        (compressed, in a store made now): a forged state that still reads."""
        with self.connection() as query:
            state = bytes(query("SELECT state FROM {table} WHERE {col} = {m}", position)[0][0])
            text = plain_state(state)
            edited = text.replace(b'"', b"'", 1)
            assert edited != text
            changed = edited if text == state else compress_state(edited)
            query("UPDATE {table} SET state = {m} WHERE {col} = {m}", changed, position)

    def delete(self, position: int) -> None:
        with self.connection() as query:
            query("DELETE FROM {table} WHERE {col} = {m}", position)

    def insert(self, position: int) -> None:
        """Make room at ``position`` (every later row moves down one) and put a forged
        event there: a copy of the row at that place, for a new originator."""
        forged = uuid4()
        with self.connection() as query:
            row = query(
                "SELECT originator_version, topic, state FROM {table} WHERE {col} = {m}", position
            )[0]
            query("UPDATE {table} SET {col} = {col} + 1000000 WHERE {col} >= {m}", position)
            query("UPDATE {table} SET {col} = {col} - 999999 WHERE {col} >= 1000000")
            query(
                "INSERT INTO {table} (originator_id, originator_version, topic, state, {col}) "
                "VALUES ({m}, {m}, {m}, {m}, {m})",
                forged if self.server else forged.hex,
                *row,
                position,
            )

    def swap(self, position: int, other: int) -> None:
        """Exchange the log positions of two rows."""
        with self.connection() as query:
            query("UPDATE {table} SET {col} = -1 WHERE {col} = {m}", position)
            query("UPDATE {table} SET {col} = {m} WHERE {col} = {m}", position, other)
            query("UPDATE {table} SET {col} = {m} WHERE {col} = -1", other)

    def query(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        with self.connection() as query:
            return query(sql, *params)


@pytest.fixture
def raw(store_url: str, request: pytest.FixtureRequest) -> RawLog:
    """The store, created with the bundled dataset and verified once; and its raw table."""
    assert run("init", "--store", store_url)[0] == 0
    server = None
    if store_url.startswith("postgresql://"):
        server = request.getfixturevalue("postgres_server")
    return RawLog(store_url, server)


def documented_head(raw: RawLog) -> str:
    """The head as the design describes it, computed here from the stored rows."""
    link = hashlib.sha256(b"sanctions-tracker log hash chain, version 1").digest()
    rows = raw.query(
        "SELECT {col}, originator_id, originator_version, topic, state FROM {table} ORDER BY {col}"
    )
    for _, originator, version, topic, state in rows:
        uuid = originator if isinstance(originator, UUID) else UUID(hex=originator)
        stored = (
            b"U" + uuid.bytes,
            b"I" + version.to_bytes(8, "big", signed=True),
            b"S" + len(topic.encode()).to_bytes(8, "big") + topic.encode(),
            b"B" + len(state).to_bytes(8, "big") + bytes(state),
        )
        event = hashlib.sha256(b"".join(stored)).digest()
        link = hashlib.sha256(link + event).digest()
    return f"{rows[-1][0]}:{link.hex()}"


def mismatch(position: int, detail: str, matching: int) -> str:
    return (
        f"error: the log no longer matches its hash chain at position {position}: {detail}; "
        f"the {matching} entries before it match\n"
    )


EDITED = "the event stored there is not the one chained there (edited)"
DELETED = "the event chained there is no longer in the log (deleted)"
INSERTED = "the log holds an event there that was never chained (inserted)"


class TestVerifyUntouched:
    def test_an_untouched_log_verifies_and_prints_the_documented_head(self, raw: RawLog) -> None:
        positions = raw.positions()

        code, out, err = run("verify", "--store", raw.store)

        assert (code, err) == (0, "")
        assert out == (
            f"verified {len(positions)} log entries: the log matches its hash chain\n"
            f"head {documented_head(raw)}\n"
        )

    def test_json_gives_the_head_and_no_mismatch(self, raw: RawLog) -> None:
        head = documented_head(raw)

        code, out, err = run("verify", "--store", raw.store, "--format", "json")

        assert (code, err) == (0, "")
        position, hash_ = head.split(":")
        entries = len(raw.positions())
        assert json.loads(out) == {
            "verified": True,
            "entries": entries,
            "matching": entries,
            "head": {"position": int(position), "hash": hash_},
            "mismatch": None,
            "head_check": None,
        }

    def test_each_write_extends_the_kept_chain_at_once(self, raw: RawLog) -> None:
        code, _, err = run(
            "append", "activity", "--store", raw.store, "--entity", NORINCO,
            "--date", "2013", "--source", "Desk note", "--summary", "one more",
        )  # fmt: skip

        assert (code, err) == (0, "")
        kept = raw.query(
            "SELECT notification_id FROM chain_tracking WHERE application_name = 'Sanctions'"
        )
        assert kept == [(raw.positions()[-1],)]  # chained by the write, before any verify

    def test_a_later_log_extends_an_earlier_head(self, raw: RawLog) -> None:
        earlier = documented_head(raw)
        for number in range(3):
            run(
                "append", "activity", "--store", raw.store, "--entity", NORINCO,
                "--date", "2013", "--source", "Desk note", "--summary", f"later {number}",
            )  # fmt: skip
        later = documented_head(raw)

        code, out, err = run("verify", "--store", raw.store, "--head", earlier)

        assert (code, err) == (0, "")
        entries = len(raw.positions())
        after = entries - raw.positions().index(int(earlier.split(":")[0])) - 1
        assert out == (
            f"verified {entries} log entries: the log matches its hash chain\n"
            f"head {later}\n"
            f"the log extends head {earlier} (at position {earlier.split(':')[0]}, "
            f"{after} {'entry' if after == 1 else 'entries'} after it)\n"
        )
        assert after > 0

    def test_a_head_given_by_its_hash_alone_is_found(self, raw: RawLog) -> None:
        head = documented_head(raw)

        code, out, err = run("verify", "--store", raw.store, "--head", head.split(":")[1])

        assert (code, err) == (0, "")
        assert out.splitlines()[-1] == (
            f"the log extends head {head.split(':')[1]} (at position {head.split(':')[0]}, "
            "0 entries after it)"
        )

    @pytest.mark.parametrize("head", ["12:abc", "0:" + "a" * 64, "x" * 64, ""])
    def test_a_head_not_as_verify_prints_it_is_refused(self, raw: RawLog, head: str) -> None:
        code, out, err = run("verify", "--store", raw.store, "--head", head)

        assert (code, out) == (2, "")
        assert err == (
            f"error: head {head!r} must be POSITION:HASH or HASH, with HASH of 64 hexadecimal "
            "digits, as 'sanctions verify' prints it (e.g. 65:9f86d0...)\n"
        )


class TestVerifyTampered:
    def test_an_edited_event_is_named(self, raw: RawLog) -> None:
        positions = raw.positions()
        raw.edit(positions[AT])

        code, out, err = run("verify", "--store", raw.store)

        assert (code, out) == (1, "")
        assert err == mismatch(positions[AT], EDITED, AT)

    def test_a_deleted_event_is_named(self, raw: RawLog) -> None:
        positions = raw.positions()
        raw.delete(positions[AT])

        code, out, err = run("verify", "--store", raw.store)

        assert (code, out) == (1, "")
        assert err == mismatch(positions[AT], DELETED, AT)

    def test_the_last_event_deleted_is_named(self, raw: RawLog) -> None:
        positions = raw.positions()
        raw.delete(positions[-1])

        code, _, err = run("verify", "--store", raw.store)

        assert code == 1
        assert err == mismatch(positions[-1], DELETED, len(positions) - 1)

    def test_an_inserted_event_is_named(self, raw: RawLog) -> None:
        positions = raw.positions()
        raw.insert(positions[AT])

        code, out, err = run("verify", "--store", raw.store)

        assert (code, out) == (1, "")
        assert err == mismatch(positions[AT], INSERTED, AT)

    def test_two_swapped_events_are_named(self, raw: RawLog) -> None:
        positions = raw.positions()
        raw.swap(positions[AT], positions[AT + 1])

        code, out, err = run("verify", "--store", raw.store)

        assert (code, out) == (1, "")
        moved = f"the event stored there was chained at position {positions[AT + 1]} (rows moved)"
        assert err == mismatch(positions[AT], moved, AT)

    def test_json_names_the_kind_and_position(self, raw: RawLog) -> None:
        positions = raw.positions()
        raw.delete(positions[AT])

        code, out, _ = run("verify", "--store", raw.store, "--format", "json")

        assert code == 1
        report = json.loads(out)
        assert report["verified"] is False
        assert report["matching"] == AT
        assert report["mismatch"] == {
            "position": positions[AT],
            "kind": "deleted",
            "detail": DELETED,
        }

    def test_an_altered_kept_chain_is_named(self, raw: RawLog) -> None:
        positions = raw.positions()
        raw.query(
            "UPDATE chain_links SET link = {m} WHERE position = {m}", b"\0" * 32, positions[AT]
        )

        code, _, err = run("verify", "--store", raw.store)

        assert code == 1
        altered = "the event matches but its kept link does not (the kept chain was altered)"
        assert err == mismatch(positions[AT], altered, AT)

    def test_a_log_rewritten_with_its_chain_does_not_extend_a_published_head(
        self, raw: RawLog
    ) -> None:
        published = documented_head(raw)
        positions = raw.positions()
        raw.edit(positions[AT])
        raw.query("DELETE FROM chain_links")  # the chain made afresh over the edited log
        raw.query("DELETE FROM chain_tracking WHERE application_name = 'Sanctions'")
        assert run("verify", "--store", raw.store)[0] == 0  # nothing kept to compare with

        code, out, err = run("verify", "--store", raw.store, "--head", published)

        assert (code, out) == (1, "")
        assert err.startswith(
            f"error: the log does not extend head {published}: at position {positions[-1]} "
            "the log's link is "
        )
        assert err.endswith(": history changed\n")

    def test_tampering_before_a_head_fails_both_checks_in_one_line(self, raw: RawLog) -> None:
        published = documented_head(raw)
        positions = raw.positions()
        raw.delete(positions[AT])

        code, _, err = run("verify", "--store", raw.store, "--head", published)

        assert code == 1
        assert err.count("\n") == 1
        assert err.startswith(mismatch(positions[AT], DELETED, AT).rstrip("\n"))
        assert f"; and the log does not extend head {published}: " in err


class TestChainCatchUp:
    def test_a_second_catch_up_finds_nothing_left_to_chain(self, raw: RawLog) -> None:
        config = resolve_store(raw.store, {})
        first, second = SanctionsApp(config), SanctionsApp(config)
        raw.query("DELETE FROM chain_links")
        raw.query("DELETE FROM chain_tracking WHERE application_name = 'Sanctions'")

        done = [chain.catch_up(first), chain.catch_up(second)]

        assert done == [len(raw.positions()), 0]
        assert run("verify", "--store", raw.store)[0] == 0
        first.close()
        second.close()
