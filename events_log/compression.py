"""Stored event states compressed with a preset dictionary, and the store's marker that
says so.

A store made now has its events' states compressed by the library's mapper
(``COMPRESSOR_TOPIC`` names ``StateCompressor``) and says so in ``sanctions_store_meta``
(``state_compression = zlib-dict-1``). A store that already holds events without that
marker was written before: it is read and written as it was, plain JSON, so that every
entry of one store is of one kind.

Each state is one raw deflate stream primed with a fixed dictionary of the JSON that
every state repeats (field names, the transcodings' ``_type_`` wrappers, common values:
``data/state-dictionary-1.json``, skeleton states of every event type with generic
values), after a first byte that names the dictionary. A small JSON row shrinks to about
a third of what plain zlib leaves of it. The dictionary of a format never changes (a test
holds its digest); a new one would be format 2, with a new first byte.

A JSON state always starts with ``{``: ``plain_state`` takes both kinds, for the readers
that decode stored states themselves.
"""

from __future__ import annotations

import zlib
from pathlib import Path
from typing import Any

from eventsourcing.persistence import Compressor

from events_log.store import EVENTS_TABLES, META_TABLE, StoreConfig, StoreError, store_query

COMPRESSOR_TOPIC = "events_log.compression:StateCompressor"
MARKER = "state_compression"
FORMAT = "zlib-dict-1"
FORMAT_BYTE = b"\x01"  # the first byte of a state compressed with dictionary 1
DICTIONARY = (Path(__file__).parent / "data" / "state-dictionary-1.json").read_bytes()
# A 4 KiB window (the dictionary's last 4 KiB) and a small hash table: a state is a few
# hundred bytes, and the primed compressor is copied once per state.
WBITS = -12
_WINDOW = DICTIONARY[-(1 << -WBITS) :]
_PRIMED = zlib.compressobj(6, zlib.DEFLATED, WBITS, 4, zlib.Z_DEFAULT_STRATEGY, _WINDOW)


class StateCompressor(Compressor):
    """The library's compressor interface over ``compress_state`` and ``plain_state``."""

    def compress(self, data: bytes) -> bytes:
        return compress_state(data)

    def decompress(self, data: bytes) -> bytes:
        return plain_state(data)


def compress_state(state: bytes) -> bytes:
    deflate = _PRIMED.copy()
    return FORMAT_BYTE + deflate.compress(state) + deflate.flush()


def plain_state(state: bytes) -> bytes:
    """The JSON of a stored state, compressed or not."""
    if state[:1] != FORMAT_BYTE:
        return state
    inflate = zlib.decompressobj(WBITS, zdict=_WINDOW)
    return inflate.decompress(state[1:]) + inflate.flush()


def compresses(config: StoreConfig) -> bool:
    """Whether this store's states are (or, for a store without events yet, will be)
    compressed. Reads only."""
    if config.kind == "sqlite":
        assert config.path is not None
        if not config.path.exists():
            return True
    schema = "public." if config.kind == "postgresql" else ""
    events = EVENTS_TABLES[config.kind]
    with store_query(config, "cannot be opened") as query:
        tables = {row[0] for row in query(_TABLES[config.kind], ())}
        if events not in tables or not query(f"SELECT 1 FROM {schema}{events} LIMIT 1", ()):
            return True
        if META_TABLE not in tables:
            return False
        found = query(f"SELECT value FROM {schema}{META_TABLE} WHERE name = {{}}", (MARKER,))
        if found and found[0][0] != FORMAT:
            msg = (
                f"store {config.display} holds states compressed as {found[0][0]!r}, which "
                f"this version cannot read (it reads {FORMAT!r} and plain JSON): "
                "use the newer version that wrote it"
            )
            raise StoreError(msg)
        return bool(found)


def mark_compressed(config: StoreConfig) -> None:
    """Record in the store that its states are compressed (before its first event).

    A store that cannot be written to is left as it is: no event can be written either.
    """
    table = f"{'public.' if config.kind == 'postgresql' else ''}{META_TABLE}"
    try:
        with store_query(config, "cannot be written to") as query:
            query(
                f"CREATE TABLE IF NOT EXISTS {table} (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
                (),
            )
            query(
                f"INSERT INTO {table} (name, value) VALUES ({{}}, {{}}) "
                "ON CONFLICT (name) DO NOTHING",
                (MARKER, FORMAT),
            )
    except StoreError:
        return


_TABLES = {
    "sqlite": "SELECT name FROM sqlite_master WHERE type = 'table'",
    "postgresql": "SELECT tablename FROM pg_tables WHERE schemaname = 'public'",
}


def readable_states(mapper: Any) -> bool:
    """Whether ``plain_state`` reads the states this mapper writes (no cipher, and no
    compressor or ours): then readers may decode stored states without the mapper."""
    compressor = mapper.compressor
    return mapper.cipher is None and (compressor is None or isinstance(compressor, StateCompressor))
