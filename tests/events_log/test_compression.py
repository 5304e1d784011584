"""Compressed stored states: new stores compress and say so; stores written before (a
store made by the code before compression, kept as a file) open and answer the same."""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.dates import DateInterval
from domain.record import Source
from events_log.app import SanctionsApp
from events_log.bundled import load_article, load_bundled
from events_log.compression import (
    DICTIONARY,
    FORMAT,
    MARKER,
    compress_state,
    compresses,
    plain_state,
)
from events_log.store import META_TABLE, StoreError, resolve_store
from projections import timeline
from projections.verify import verify

SOURCE = Source(title="Test note")
AS_OF = DateInterval("2013-10-04", date(2013, 10, 4), date(2013, 10, 5), "exact")
BEFORE = Path(__file__).parent / "data" / "store-before-compression.sqlite"


def _states(path: Path) -> list[bytes]:
    with sqlite3.connect(path) as connection:
        return [row[0] for row in connection.execute("SELECT state FROM stored_events")]


def _marker(path: Path) -> list[tuple[str]]:
    with sqlite3.connect(path) as connection:
        return connection.execute(
            f"SELECT value FROM {META_TABLE} WHERE name = ?", (MARKER,)
        ).fetchall()


def test_the_dictionary_of_format_1_never_changes() -> None:
    # Every state of a compressed store was written with it: a change loses them all.
    digest = hashlib.sha256(DICTIONARY).hexdigest()

    assert digest == "07586a44d7bff0191dd2eaf69e75586b3c15c7104e4eb7590831546050860bfe"


@given(st.binary(max_size=2000))
def test_a_compressed_state_comes_back_as_it_was(data: bytes) -> None:
    state = b"{" + data

    assert plain_state(compress_state(state)) == state
    assert plain_state(state) == state


def test_a_new_store_compresses_and_says_so(tmp_path: Path) -> None:
    path = tmp_path / "new.sqlite"
    app = SanctionsApp(resolve_store(str(path), {}))

    load_bundled(app)

    states = _states(path)
    assert app.compressed
    assert states
    assert all(s[:1] == b"\x01" for s in states)
    assert all(plain_state(s).startswith(b"{") for s in states)
    assert sum(map(len, states)) < sum(len(plain_state(s)) for s in states) / 2.5
    assert _marker(path) == [(FORMAT,)]


def test_a_store_written_before_compression_opens_answers_the_same_and_stays_plain(
    tmp_path: Path,
) -> None:
    new = SanctionsApp(resolve_store(str(tmp_path / "new.sqlite"), {}))
    load_article(new)  # the old store holds the article alone
    expected = timeline.statuses(new, AS_OF)
    expected_history = {i: new.entity_events(i) for i in new.entity_ids()}
    old = tmp_path / "old.sqlite"
    shutil.copy(BEFORE, old)

    config = resolve_store(str(old), {})
    app = SanctionsApp(config)
    answers = timeline.statuses(app, AS_OF)
    history = {i: app.entity_events(i) for i in app.entity_ids()}
    ids = sorted(history)
    app.act(ids[:1], lambda entity: entity.report_activity("seen", effective=None, source=SOURCE))

    assert not compresses(config)
    assert not app.compressed
    assert answers == expected
    assert {
        i: [(e.event_id, e.type, e.effective, e.source, e.fields) for e in events]
        for i, events in history.items()
    } == {
        i: [(e.event_id, e.type, e.effective, e.source, e.fields) for e in events]
        for i, events in expected_history.items()
    }
    assert all(s.startswith(b"{") for s in _states(old))
    assert _marker(old) == []
    assert verify(app).mismatch is None


def test_a_store_compressed_by_a_later_format_is_refused_by_name(tmp_path: Path) -> None:
    path = tmp_path / "later.sqlite"
    app = SanctionsApp(resolve_store(str(path), {}))
    load_bundled(app)
    app.close()
    with sqlite3.connect(path) as connection:
        connection.execute(
            f"UPDATE {META_TABLE} SET value = 'zlib-dict-9' WHERE name = ?", (MARKER,)
        )

    with pytest.raises(StoreError) as raised:
        SanctionsApp(resolve_store(str(path), {}))

    assert str(raised.value) == (
        f"store {path} holds states compressed as 'zlib-dict-9', which this version cannot "
        "read (it reads 'zlib-dict-1' and plain JSON): use the newer version that wrote it"
    )
