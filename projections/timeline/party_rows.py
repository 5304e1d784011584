"""Each linked party's rows, kept beside its members' rows (SQLite): which entities are one
party and in what order, its status per segment of cuts over all its members' measures and
over each source's measures, and its sources' and links' JSON, encoded. The all-entity
answers read them (``party_answers``) instead of reading every link and composing each
party's status from its measures' states at each answer.

``timeline_parties``        a row per party of two or more entities: its id (its least
                            member id), its members (in ``parties.build_party``'s order:
                            by registration, then id), whether its rows can answer (every
                            member has rows and a registration on record), each source's
                            JSON around its status (``source_parts``) and its links' JSON
``timeline_party_members``  each linked entity's party
``timeline_party_status``   the party's status per segment ``[cut_from, cut_until)``: over
                            all its measures (``source`` -1) and, where it has two sources
                            or more, over each source's measures (``source``: its index)

The rows are made of the members' stored rows (``timeline_entities``, ``timeline_states``)
and the stored links, never of events, with ``segments``'s rules on bit sets. ``update``
remakes the parties of some entities in the transaction that writes their rows or their
links: every write of the timeline calls it (``tables``). Property tests: the answers read
of them are the fold's, and after every path of the projection they are the rows made
anew (``tests/projections/test_party_answers.py``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from json.encoder import encode_basestring
from typing import Any

from domain.party import pair_groups
from domain.status import ALWAYS
from projections.party_render import source_json
from projections.timeline import links
from projections.timeline.display import decode_display
from projections.timeline.segments import (
    FIRST_CUT,
    LAST_CUT,
    NOT_IMPOSED_BIT,
    ending_bit,
    state_bits,
    status_segments,
)

PARTIES = "timeline_parties"
MEMBERS = "timeline_party_members"
STATUS = "timeline_party_status"
COLUMNS = {
    PARTIES: (
        "party_id TEXT NOT NULL PRIMARY KEY, members TEXT NOT NULL, "
        "composable BOOLEAN NOT NULL, sources TEXT NOT NULL, links TEXT NOT NULL"
    ),
    MEMBERS: "entity_id TEXT NOT NULL PRIMARY KEY, party_id TEXT NOT NULL",
    STATUS: (
        "party_id TEXT NOT NULL, source INTEGER NOT NULL, cut_from BIGINT NOT NULL, "
        "cut_until BIGINT NOT NULL, status TEXT NOT NULL, possible TEXT NOT NULL, "
        "PRIMARY KEY (party_id, source, cut_from)"
    ),
}
INDEX = f"CREATE INDEX IF NOT EXISTS {MEMBERS}_party ON {MEMBERS} (party_id)"
OVERALL = -1  # the ``source`` of the party's status over all its measures
MEMBER_SEPARATOR = " "
PART = "\x1f"  # between a source's two parts
SOURCE = "\x1e"  # between sources
_CHUNK = 500  # ids per ``IN`` list
_ANY = f"SELECT EXISTS (SELECT 1 FROM {links.TABLE}) OR EXISTS (SELECT 1 FROM {MEMBERS})"
_ENCODE = json.JSONEncoder(ensure_ascii=False).encode  # as the answers are encoded
_STRING = encode_basestring  # what ``_ENCODE`` makes of a string

Fetch = Callable[[Any, str, Sequence[Any]], list[tuple[Any, ...]]]  # cursor, SQL, values
Row = tuple[Any, ...]


def clear(cursor: Any) -> None:
    """Remove every party's rows."""
    for table in COLUMNS:
        cursor.execute(f"DELETE FROM {table}")


def update(fetch: Fetch, cursor: Any, mark: str, seeds: Iterable[str]) -> None:
    """Remake the rows of the parties of these entities, whose rows or links this
    transaction changed: the parties they were in go, and those the stored links make of
    them now are made of the stored rows."""
    if not fetch(cursor, _ANY, ())[0][0]:
        return  # nothing linked, before or now: a store without links pays one look-up
    wanted = sorted(set(seeds))
    if not wanted:
        return
    old = {r[0] for r in _select_in(fetch, cursor, mark, f"SELECT party_id FROM {MEMBERS}", wanted)}
    for chunk in _chunks(sorted(old)):
        marks = ", ".join([mark] * len(chunk))
        for table in COLUMNS:
            cursor.execute(f"DELETE FROM {table} WHERE party_id IN ({marks})", chunk)
    groups = _components(fetch, cursor, mark, wanted)
    if groups:
        _insert(fetch, cursor, mark, groups)


def _chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


def _select_in(
    fetch: Fetch, cursor: Any, mark: str, select: str, ids: Sequence[str], column: str = "entity_id"
) -> list[Row]:
    """``select``'s rows where ``column`` is one of ``ids``, a chunk of ids at a time."""
    found: list[Row] = []
    for chunk in _chunks(ids):
        marks = ", ".join([mark] * len(chunk))
        found += fetch(cursor, f"{select} WHERE {column} IN ({marks})", chunk)
    return found


def _components(
    fetch: Fetch, cursor: Any, mark: str, seeds: Sequence[str]
) -> list[tuple[str, ...]]:
    """The parties the stored links make of these entities (as ``Parties.groups``)."""
    pairs: set[tuple[str, str]] = set()
    seen = set(seeds)
    frontier = list(seeds)
    while frontier:
        found = []
        for chunk in _chunks(frontier):
            marks = ", ".join([mark] * len(chunk))
            found += fetch(
                cursor,
                f"SELECT entity_a, entity_b FROM {links.TABLE} "
                f"WHERE entity_a IN ({marks}) OR entity_b IN ({marks})",
                [*chunk, *chunk],
            )
        frontier = []
        for a, b in found:
            pairs.add((a, b))
            for entity in (a, b):
                if entity not in seen:
                    seen.add(entity)
                    frontier.append(entity)
    return pair_groups(sorted(pairs))


def _insert(fetch: Fetch, cursor: Any, mark: str, groups: Sequence[tuple[str, ...]]) -> None:
    """Make and write the rows of these parties from their members' stored rows."""
    ids = sorted(m for group in groups for m in group)
    displays: dict[str, bytes] = dict(
        _select_in(fetch, cursor, mark, "SELECT entity_id, display FROM timeline_entities", ids)
    )
    states: dict[str, dict[str, list[tuple[int, int, int]]]] = {}
    for entity_id, measure_id, low, high, possible in _select_in(
        fetch,
        cursor,
        mark,
        "SELECT entity_id, measure_id, cut_from, cut_until, possible FROM timeline_states",
        ids,
    ):
        states.setdefault(entity_id, {}).setdefault(measure_id, []).append(
            (low, high, state_bits(possible))
        )
    for measures in states.values():
        for segments in measures.values():
            segments.sort()  # by ``cut_from``, as ``_segments`` walks them
    stored_links = _select_in(
        fetch,
        cursor,
        mark,
        f"SELECT position, entity_a, entity_b, link_id, reason, source FROM {links.TABLE}",
        ids,
        column="entity_a",
    )
    stored_links.sort()  # in the order made, as ``Parties.links_within`` gives them
    by_group: dict[str, list[Row]] = {}
    party_of = {member: group[0] for group in groups for member in group}
    for row in stored_links:
        by_group.setdefault(party_of[row[1]], []).append(row)
    parties, members, status = [], [], []
    link_sources: dict[str, str] = {}
    for group in groups:
        party_id = group[0]
        shown = {m: decode_display(displays[m]) for m in group if m in displays}
        composable = len(shown) == len(group) and all(
            s["party"][0] is not None for s in shown.values()
        )
        order = sorted(group, key=lambda m: (shown[m]["party"][0], m)) if composable else group
        link_text = ", ".join(_link_text(row, link_sources) for row in by_group[party_id])
        members += [(m, party_id) for m in group]
        if not composable:
            parties.append((party_id, MEMBER_SEPARATOR.join(order), False, "", link_text))
            continue
        sources, segments = party_status([(m, shown[m], states.get(m, {})) for m in order])
        parties.append((party_id, MEMBER_SEPARATOR.join(order), True, sources, link_text))
        status += [(party_id, *row) for row in segments]
    m = mark
    cursor.executemany(f"INSERT INTO {PARTIES} VALUES ({m}, {m}, {m}, {m}, {m})", parties)
    cursor.executemany(f"INSERT INTO {MEMBERS} VALUES ({m}, {m})", members)
    cursor.executemany(f"INSERT INTO {STATUS} VALUES ({m}, {m}, {m}, {m}, {m}, {m})", status)


def party_status(
    members: Sequence[tuple[str, dict[str, Any], dict[str, list[tuple[int, int, int]]]]],
) -> tuple[str, list[Row]]:
    """A party's sources' JSON parts (``source_parts``) and its status rows ``(source,
    cut_from, cut_until, status, possible)``, from its members in order: each one's id,
    decoded display and its measures' stored states (``[cut_from, cut_until)`` and bit set,
    by measure)."""
    ids: list[str] = []
    owners: list[str] = []
    kinds: list[int] = []
    windows: list[tuple[int, int]] = []
    rows: list[list[tuple[int, int, int]]] = []
    grouped: dict[str, list[int]] = {}  # by the source's publisher, else title
    for entity_id, shown, stored in members:
        _, ends, stored_sources = shown["party"]
        keys = [source[1] or source[0] for source in stored_sources]
        for measure, (ending, low, high, source) in zip(shown["measures"], ends, strict=True):
            grouped.setdefault(keys[source], []).append(len(ids))
            ids.append(measure[0])
            owners.append(entity_id.replace("-", ""))
            kinds.append(ending_bit(ending))
            windows.append((low, high))
            rows.append(stored.get(measure[0], []))
    every = list(range(len(ids)))
    status = [(OVERALL, *row) for row in _segments(every, rows, kinds, windows)]
    if len(grouped) > 1:
        for index, alone in enumerate(grouped.values()):
            status += [(index, *row) for row in _segments(alone, rows, kinds, windows)]
    parts = []
    for key, alone in grouped.items():
        head = f'{{"source": {_STRING(key)}, "status": '
        tail = (
            f', "measure_ids": {_ENCODE([ids[i] for i in alone])}, '
            f'"entity_ids": {_ENCODE(list(dict.fromkeys(owners[i] for i in alone)))}}}'
        )
        parts.append(f"{head}{PART}{tail}")
    return SOURCE.join(parts), status


def source_parts(stored: str) -> list[tuple[str, str]]:
    """Each source's JSON before and after its status, as ``party_status`` stored them."""
    if not stored:
        return []
    return [(head, tail) for head, tail in (part.split(PART) for part in stored.split(SOURCE))]


def _segments(
    chosen: Sequence[int],
    rows: Sequence[Sequence[tuple[int, int, int]]],
    kinds: Sequence[int],
    windows: Sequence[tuple[int, int]],
) -> list[tuple[int, int, str, str]]:
    """The status of these measures per segment of cuts (``segments.status_segments``): it
    changes only where a measure's stored states change. ``status_text`` also compares
    an ending's window with the cut, from a day after the window opens; there the
    measure's states change too (its ending becomes possible), so no break is missed."""
    per_measure = []
    breaks: set[int] = set()
    for index in chosen:
        # the stored states, with the gaps between them (not imposed yet) filled
        own: list[tuple[int, int]] = []
        reached = ALWAYS
        for low, high, bits in rows[index]:
            if low > reached:
                own.append((low, NOT_IMPOSED_BIT))
            own.append((high, bits))
            breaks.update((low, high))
            reached = high
        if reached < LAST_CUT:
            own.append((LAST_CUT, NOT_IMPOSED_BIT))
        per_measure.append(own)
    return status_segments(
        per_measure,
        [kinds[i] for i in chosen],
        [windows[i] for i in chosen],
        sorted(b for b in breaks if FIRST_CUT < b < LAST_CUT),
    )


def _link_text(row: Row, sources: dict[str, str]) -> str:
    """A stored link as ``party_render.extend_entity_json`` writes it, encoded as the
    answers encode it (its source's JSON made once per stored text)."""
    _, a, b, link_id, reason, stored = row
    source = sources.get(stored)
    if source is None:
        made = source_json(links.source_of(stored).as_json())
        source = sources[stored] = _ENCODE(made)
    return (
        f'{{"link_id": {_STRING(link_id)}, '
        f'"entity_ids": [{_STRING(a.replace("-", ""))}, {_STRING(b.replace("-", ""))}], '
        f'"reason": {"null" if reason is None else _STRING(reason)}, "source": {source}}}'
    )
