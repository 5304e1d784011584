"""The status timeline: every entity's status over effective time, materialised in tables.

The fold (``projections.views``) is the reference: it reads one entity's events and
computes its status at a cut. The timeline stores the same answers ahead of time, so that
"every entity as of D" is a few SQL look-ups instead of a pass over the whole log.

Status is piecewise constant in effective time: the rules of ``domain.status`` compare a
cut ``c`` only with ``x < c`` or ``x >= c`` for the earliest and latest days ``x`` of the
record's transitions, so the answer can change only at cuts ``x + 1``. For each entity the
projection folds its believed record, evaluates the fold's own functions once per segment
between those cuts, and stores the segments:

``timeline_entities``  name, first log position, and what the status output shows
                       besides states, as JSON (kind, country, aliases, identifiers,
                       measures' authority, program and dates, requests, negotiations,
                       activities and changes, each with its date)
``timeline_status``    entity status: ``[cut_from, cut_until)``, status, possible statuses
``timeline_states``    each measure's state: ``[cut_from, cut_until)``, state (or
                       ``uncertain``), possible states; segments where the measure surely
                       is not imposed yet are left out

"Every entity as of D" reads one status row per entity (``cut_from <= c < cut_until``)
and the state rows of the measures that may be imposed at ``c``; the annotations are
picked from the JSON by the same functions the fold uses.

A projection follows the event log with a tracked position (the library's tracking
recorders: ``SQLiteTrackingRecorder``, ``PostgresTrackingRecorder``). When an event of
entity E arrives, E's rows are recomputed from E's believed record and replaced, in the
same transaction as the tracking position: corrections and retractions are handled, and
processing a notification twice changes nothing. The tracking upsert refuses to go
backwards, so of two processes catching up at once only one commits a page.

SQLite has no subscription: after each successful write (``SanctionsApp.followers``) and
before each read, the projection pages the log from its tracked position ("catch-up"), so
a store written by an older version or by a crashed process is brought up to date. On
PostgreSQL the same catch-up runs, and the library's ``ProjectionRunner`` can follow the
log in a thread as well (``runner``). ``rebuild`` drops the rows and the position and
catches up from the start.

Views that filter the log (``--recorded-by``, ``--reported-by``) are not materialised:
they keep using the fold.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import json
import os
import pickle
import subprocess
import sys
import weakref
from abc import ABC, abstractmethod
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence, Set
from datetime import UTC, date, datetime
from typing import Any, ClassVar, cast
from uuid import UUID

import attrs
from eventsourcing.persistence import (
    IntegrityError,
    Notification,
    PersistenceError,
    StoredEvent,
    Tracking,
    TrackingRecorder,
)
from eventsourcing.projection import Projection
from eventsourcing.sqlite import (
    SQLiteApplicationRecorder,
    SQLiteCursor,
    SQLiteFactory,
    SQLiteTrackingRecorder,
)
from eventsourcing.utils import resolve_topic

from domain.dates import DateInterval
from domain.entity import Entity, to_recorded
from domain.record import (
    ACTIVITY_REPORTED,
    DELISTING_REQUESTED,
    META_TYPES,
    NEGOTIATION_MENTIONED,
    SANCTION_IMPOSED,
    EntityRecord,
    MeasureRecord,
    Recorded,
    RequestRecord,
    Source,
    believe,
    build_record,
)
from domain.status import (
    _STATE_AFTER,
    ALWAYS,
    NEVER,
    STATE_ORDER,
    STATUS_ORDER,
    Chain,
    MeasureAt,
    MeasureState,
    Status,
    StatusAt,
    entity_statuses,
    first_day,
    happened_by,
    headline,
    last_day,
    measure_at,
    pending_requests,
)
from events_log.app import ENTITY_TOPIC_PREFIX, SanctionsApp
from events_log.links import LINK_TOPICS  # links leave each entity's rows as they are
from events_log.store import StoreConfig, StoreError
from projections.views import CHANGES, EntityView, as_of_bounds, effective_key

NAME = "Timeline"
PAGE = 10_000  # notifications per catch-up transaction
BULK_BACKLOG = 50_000  # a backlog this long, and at least 1/BULK_SHARE of the log, is
BULK_SHARE = 4  # projected in key order (SQLite)
KEY_CHUNK = 5_000  # ids (entities, labels) per transaction, projecting in key order
_OVERTAKEN = 3  # exit code of a helper process that found the position moved past its end
WORKERS = min(2, os.cpu_count() or 1)  # processes projecting in key order
FIRST_CUT = ALWAYS + 1  # stands for every cut before the first breakpoint
LAST_CUT = NEVER + 1  # exclusive end of the last segment
SEPARATOR = "|"

# What the timeline does not store: the status output never shows it.
_NOT_STORED = Source(title="(not stored in the timeline: see history)")
_NO_TIME = datetime.min.replace(tzinfo=UTC)
_NOT_IMPOSED = frozenset({MeasureState.NOT_IMPOSED})
_NO_CHAIN = Chain(events=(), states=(), earliest=(), latest=())  # rows read back have none


# -- rows ---------------------------------------------------------------------------------


@attrs.frozen
class EntityRows:
    """Everything the timeline holds for one entity, computed from its believed record."""

    entity_id: str
    name: str
    display: str  # JSON: what the status output shows besides states (see ``_display``)
    status: list[tuple[Any, ...]]  # cut_from, cut_until, status, possible
    states: list[tuple[Any, ...]]  # measure_id, cut_from, cut_until, state, possible


def _cuts(values: Iterable[int]) -> list[int]:
    """The cuts at which a comparison with one of these day ordinals can change."""
    return sorted({v + 1 for v in values if ALWAYS < v < NEVER})


def _segments(breaks: Sequence[int]) -> Iterator[tuple[int, int, int]]:
    """``(cut_from, cut_until, representative cut)`` for each segment between breaks."""
    starts = [ALWAYS, *breaks]
    ends = [*breaks, LAST_CUT]
    for start, end in zip(starts, ends, strict=True):
        yield start, end, max(start, FIRST_CUT)


def _merge(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Join neighbouring segments ``(from, until, *answer)`` with the same answer."""
    merged: list[tuple[Any, ...]] = []
    for row in rows:
        if merged and merged[-1][2:] == row[2:] and merged[-1][1] == row[0]:
            merged[-1] = (merged[-1][0], row[1], *row[2:])
        else:
            merged.append(row)
    return merged


def _date_json(interval: DateInterval | None) -> list[Any] | None:
    if interval is None:
        return None
    return [
        interval.text,
        None if interval.start is None else interval.start.isoformat(),
        None if interval.until is None else interval.until.isoformat(),
        interval.how,
    ]


def _date_from_json(data: Sequence[Any] | None) -> DateInterval | None:
    if data is None:
        return None
    text, start, until, how = data
    return DateInterval(
        text=text,
        start=None if start is None else date.fromisoformat(start),
        until=None if until is None else date.fromisoformat(until),
        how=how,
    )


_COMPACT = json.JSONEncoder(separators=(",", ":"))  # what json.dumps makes with these
_DECODER = json.JSONDecoder()


def _display(record: EntityRecord) -> str:
    """The entity's head, measures and annotations, as the status output shows them."""
    return _COMPACT.encode(
        {
            "kind": record.kind,
            "country": record.country,
            "aliases": record.aliases,
            "identifiers": record.identifiers,
            "measures": [
                [
                    m.measure_id,
                    m.authority,
                    m.program,
                    _date_json(m.imposition.effective),
                    _date_json(m.ending.effective) if m.ending else None,
                ]
                for m in record.measures
            ],
            "requests": [
                [
                    r.request.event_id,
                    _date_json(r.request.effective),
                    r.request.fields.get("requested_by"),
                    r.request.fields.get("forum"),
                    None if r.decision is None else [_date_json(r.decision.effective)],
                ]
                for r in record.requests
            ],
            "negotiations": [
                [
                    e.event_id,
                    _date_json(e.effective),
                    e.fields.get("forum"),
                    e.fields.get("summary"),
                ]
                for e in record.negotiations
            ],
            "activities": [
                [e.event_id, _date_json(e.effective), e.fields.get("summary")]
                for e in record.activities
            ],
            "changes": [
                [e.event_id, e.type, _date_json(e.effective), e.fields.get("measure_id"), e.version]
                for e in record.facts
                if e.type in CHANGES
            ],
        }
    )


def entity_rows_by_fold(record: EntityRecord) -> EntityRows:
    """The timeline rows of one entity: the fold's own functions, once per segment of cuts.

    The reference for ``entity_rows``, which gives the same rows faster (property test).
    """
    chains = [Chain.of(m.chain()) for m in record.measures]
    states: list[tuple[Any, ...]] = []
    # Each measure's state per segment of its own breakpoints, kept for the entity status.
    per_measure: list[list[tuple[int, MeasureAt]]] = []
    for measure, chain in zip(record.measures, chains, strict=True):
        segments: list[tuple[int, MeasureAt]] = []
        rows: list[tuple[Any, ...]] = []
        for start, end, cut in _segments(_cuts((*chain.earliest, *chain.latest))):
            state = measure_at(measure, cut, chain)
            segments.append((end, state))
            if state.possible == _NOT_IMPOSED:
                continue
            rows.append((start, end, state.state, SEPARATOR.join(state.sorted_possible())))
        per_measure.append(segments)
        states += [(measure.measure_id, *row) for row in _merge(rows)]
    status_rows: list[tuple[Any, ...]] = []
    breaks = _cuts(v for c in chains for v in (*c.earliest, *c.latest))
    pointers = [0] * len(per_measure)
    for start, end, cut in _segments(breaks):
        at = []
        for number, segments in enumerate(per_measure):
            while segments[pointers[number]][0] <= cut:
                pointers[number] += 1
            at.append(segments[pointers[number]][1])
        status, possible = headline(entity_statuses(at, cut))
        status_rows.append((start, end, status.value, SEPARATOR.join(possible)))
    return EntityRows(record.entity_id, record.name, _display(record), _merge(status_rows), states)


# -- the same rows, specialised -----------------------------------------------------------
#
# A measure's chain of n transitions has, at a cut c, made k of them for every k with
# (k == 0 or earliest[k-1] < c) and (k == n or latest[k] >= c) (``Chain.possible_counts``).
# Both bounds are non-decreasing along the chain, so those k are the range lo..hi with
# hi = #(earliest < c) and lo = #(latest < c). States and statuses are bit sets here, and
# their text comes from tables made once from the fold's own ``MeasureAt`` and ``headline``.

_STATE_BIT = {state: 1 << index for index, state in enumerate(STATE_ORDER)}
_NOT_IMPOSED_BIT = _STATE_BIT[MeasureState.NOT_IMPOSED]
_IN_FORCE_BIT = _STATE_BIT[MeasureState.IN_FORCE]
_WAIVED_BIT = _STATE_BIT[MeasureState.WAIVED]
_LAPSED_BIT = _STATE_BIT[MeasureState.LAPSED]
_STATE_AFTER_BIT = {kind: _STATE_BIT[state] for kind, state in _STATE_AFTER.items()}
_STATUS_BIT = {status: 1 << index for index, status in enumerate(STATUS_ORDER)}


def _state_text(mask: int) -> tuple[str, str]:
    """(state, possible states) as ``MeasureAt`` words them, for a set of states."""
    possible = frozenset(s for s, bit in _STATE_BIT.items() if mask & bit)
    at = MeasureAt(measure=cast(MeasureRecord, None), possible=possible, chain=_NO_CHAIN)
    return at.state, SEPARATOR.join(at.sorted_possible())


def _status_text(mask: int) -> tuple[str, str]:
    """(status, possible statuses) as ``headline`` words them, for a set of statuses."""
    status, possible = headline([s for s, bit in _STATUS_BIT.items() if mask & bit])
    return status.value, SEPARATOR.join(possible)


_STATE_TEXT = [_state_text(mask) for mask in range(1 << len(_STATE_BIT))]
_STATUS_TEXT = [_status_text(mask) for mask in range(1 << len(_STATUS_BIT))]


def _measure_masks(measure: MeasureRecord) -> tuple[list[int], list[int], list[int]]:
    """A measure's chain: earliest and latest days, and the states after 0..n steps."""
    chain = measure.chain()
    # chain_bounds(chain), inline: first_day and last_day of each interval, run forwards
    # (latest start so far) and backwards (earliest last day from there on).
    earliest = []
    latest = []
    running = ALWAYS
    for event in chain:
        interval = event.effective
        if interval is not None and interval.start is not None:
            running = max(running, interval.start.toordinal())
        earliest.append(running)
    running = NEVER
    for event in reversed(chain):
        interval = event.effective
        if interval is not None and interval.until is not None:
            running = min(running, interval.until.toordinal() - 1)
        latest.append(running)
    latest.reverse()
    bits = [_NOT_IMPOSED_BIT, *(_STATE_AFTER_BIT[e.type] for e in chain)]
    return earliest, latest, bits


def _possible(earliest: list[int], latest: list[int], bits: list[int], cut: int) -> int:
    mask = 0
    for k in range(bisect_left(latest, cut), bisect_left(earliest, cut) + 1):
        mask |= bits[k]
    return mask


_SANCTIONED_BIT = _STATUS_BIT[Status.SANCTIONED]
_WAIVED_STATUS_BIT = _STATUS_BIT[Status.WAIVED]
_LAPSED_STATUS_BIT = _STATUS_BIT[Status.LAPSED]
_LIFTED_STATUS_BIT = _STATUS_BIT[Status.LIFTED]
_NOT_SANCTIONED_BIT = _STATUS_BIT[Status.NOT_SANCTIONED]


def _statuses_at(
    masks: Sequence[int], kinds: Sequence[int], windows: Sequence[tuple[int, int]], cut: int
) -> int:
    """``entity_statuses`` on bit sets: every status some placement gives at ``cut``."""
    result = _NOT_SANCTIONED_BIT
    for mask in masks:
        if not mask & _NOT_IMPOSED_BIT:
            result = 0
            break
    for mask in masks:
        if mask & _IN_FORCE_BIT:
            result |= _SANCTIONED_BIT
            break
    count = len(masks)
    for i in range(count):
        mask = masks[i]
        if mask & _WAIVED_BIT:
            for j in range(count):
                if j != i and not masks[j] & ~_IN_FORCE_BIT:
                    break
            else:
                result |= _WAIVED_STATUS_BIT
        kind = kinds[i]
        if not kind & mask:
            continue
        latest = min(windows[i][1], cut - 1)
        for j in range(count):
            if (
                j != i
                and not masks[j] & _NOT_IMPOSED_BIT
                and not (kinds[j] & masks[j] and windows[j][0] <= latest)
            ):
                break
        else:
            result |= _LAPSED_STATUS_BIT if kind == _LAPSED_BIT else _LIFTED_STATUS_BIT
    return result


def entity_rows(record: EntityRecord) -> EntityRows:
    """The timeline rows of one entity: ``entity_rows_by_fold``'s rows, computed on bit sets."""
    states: list[tuple[Any, ...]] = []
    per_measure: list[list[tuple[int, int]]] = []  # (segment end, states) per own segment
    kinds: list[int] = []
    windows: list[tuple[int, int]] = []
    breaks: set[int] = set()
    for measure in record.measures:
        earliest, latest, bits = _measure_masks(measure)
        own = _cuts((*earliest, *latest))
        breaks.update(own)
        segments: list[tuple[int, int]] = []
        rows: list[tuple[Any, ...]] = []
        start = ALWAYS
        for end in [*own, LAST_CUT]:
            mask = _possible(earliest, latest, bits, max(start, FIRST_CUT))
            segments.append((end, mask))
            if mask != _NOT_IMPOSED_BIT:
                rows.append((start, end, *_STATE_TEXT[mask]))
            start = end
        per_measure.append(segments)
        states += [(measure.measure_id, *row) for row in _merge(rows)]
        ending = measure.ending
        kinds.append(0 if ending is None else _STATE_AFTER_BIT[ending.type])
        windows.append((earliest[-1], latest[-1]))
    status_rows: list[tuple[Any, ...]] = []
    pointers = [0] * len(per_measure)
    masks = [0] * len(per_measure)
    start = ALWAYS
    for end in [*sorted(breaks), LAST_CUT]:
        cut = max(start, FIRST_CUT)
        for number, segments in enumerate(per_measure):
            while segments[pointers[number]][0] <= cut:
                pointers[number] += 1
            masks[number] = segments[pointers[number]][1]
        status, possible = _STATUS_TEXT[_statuses_at(masks, kinds, windows, cut)]
        if status_rows and status_rows[-1][2] == status and status_rows[-1][3] == possible:
            status_rows[-1] = (status_rows[-1][0], end, status, possible)
        else:
            status_rows.append((start, end, status, possible))
        start = end
    return EntityRows(record.entity_id, record.name, _display(record), status_rows, states)


# -- decoding stored events ---------------------------------------------------------------

_ENVELOPE = frozenset(
    {"timestamp", "originator_topic", "event_id", "effective", "source", "correlation_id"}
)
_ENVELOPE_REST = sorted(_ENVELOPE - {"event_id", "effective", "correlation_id"})
_TYPES: dict[str, str] = {}
_INTERVALS: dict[tuple[Any, ...], DateInterval] = {}


def _event_type(topic: str) -> str:
    found = _TYPES.get(topic)
    if found is None:
        found = _TYPES[topic] = resolve_topic(topic).TYPE
    return found


def _interval(data: Mapping[str, Any] | None) -> DateInterval | None:
    if data is None:
        return None
    inner = data["_data_"]
    key = (inner["text"], inner["from"], inner["until"], inner.get("how", ""))
    found = _INTERVALS.get(key)
    if found is None:
        if len(_INTERVALS) > 10_000:
            _INTERVALS.clear()
        found = _INTERVALS[key] = DateInterval(
            text=key[0],
            start=None if key[1] is None else date.fromisoformat(key[1]),
            until=None if key[2] is None else date.fromisoformat(key[2]),
            how=key[3],
        )
    return found


def decode_stored(stored: StoredEvent, position: int | None = None) -> Recorded:
    """What the status rules read of a stored entity event, without the event class.

    The source and the record time are not decoded (the status rules do not read them):
    this is the projection's fast path; the property tests hold it to the fold's answers.
    """
    return _decode(
        stored.topic, stored.state, str(stored.originator_id), stored.originator_version, position
    )


def _decode(
    topic: str, state: bytes, entity_id: str, version: int, position: int | None = None
) -> Recorded:
    fields = _DECODER.raw_decode(state.decode())[0]  # json.loads, less its checks of
    # the white space around the value (the mapper writes none)
    event_id = fields.pop("event_id")
    effective = fields.pop("effective")
    correlation_id = fields.pop("correlation_id")
    for name in _ENVELOPE_REST:
        fields.pop(name, None)
    changes = fields.get("changes")
    if changes and "effective" in changes:
        fields["changes"] = {**changes, "effective": _interval(changes["effective"])}
    return Recorded(
        type=_event_type(topic),
        event_id=event_id,
        entity_id=entity_id,
        effective=_interval(effective),
        source=_NOT_STORED,
        recorded_at=_NO_TIME,
        fields=fields,
        correlation_id=correlation_id,
        position=position,
        version=version,
    )


# A log entry as the projection reads it: position, originator id (``str`` of the UUID,
# for entity events), version, topic and stored state.
Entry = tuple[int, str, int, str, bytes]


def read_page(app: SanctionsApp, start: int, limit: int) -> list[Entry]:
    """Up to ``limit`` log entries from position ``start``, in log order.

    On SQLite a plain cursor reads the library's events table (reads only): the library's
    ``Notification`` and ``UUID`` objects cost more than the projection's own work.
    Elsewhere the recorder's ``select_notifications``.
    """
    recorder: Any = app.recorder
    if not isinstance(recorder, SQLiteApplicationRecorder):
        return [
            (n.id, str(n.originator_id), n.originator_version, n.topic, n.state)
            for n in recorder.select_notifications(start=start, limit=limit)
        ]
    with recorder.datastore.transaction(commit=False) as cursor:
        plain = cursor.sqlite_cursor
        plain.row_factory = None
        plain.execute(
            "SELECT rowid, originator_id, originator_version, topic, state "
            f"FROM {recorder.events_table_name} WHERE rowid >= ? ORDER BY rowid LIMIT ?",
            (start, limit),
        )
        rows = plain.fetchall()
    prefix = ENTITY_TOPIC_PREFIX
    return [
        (position, _uuid_text(hex_id), version, topic, state)
        if topic.startswith(prefix) and len(hex_id) == 32
        else (position, hex_id, version, topic, state)
        for position, hex_id, version, topic, state in rows
    ]


def _uuid_text(hex_id: str) -> str:
    """``str(UUID(hex_id))`` for the lower-case hex the SQLite recorder stores."""
    return f"{hex_id[:8]}-{hex_id[8:12]}-{hex_id[12:16]}-{hex_id[16:20]}-{hex_id[20:]}"


# -- the view: tables with a tracked position ---------------------------------------------

_TABLES = ("timeline_entities", "timeline_status", "timeline_states")
_COLUMNS = {
    "timeline_entities": (
        "entity_id TEXT NOT NULL PRIMARY KEY, name TEXT NOT NULL, "
        "first_position BIGINT NOT NULL, display TEXT NOT NULL"
    ),
    "timeline_status": (
        "entity_id TEXT NOT NULL, cut_from BIGINT NOT NULL, cut_until BIGINT NOT NULL, "
        "status TEXT NOT NULL, possible TEXT NOT NULL, PRIMARY KEY (entity_id, cut_from)"
    ),
    "timeline_states": (
        "entity_id TEXT NOT NULL, measure_id TEXT NOT NULL, cut_from BIGINT NOT NULL, "
        "cut_until BIGINT NOT NULL, state TEXT NOT NULL, possible TEXT NOT NULL, "
        "PRIMARY KEY (entity_id, measure_id, cut_from)"
    ),
}


class TimelineView(TrackingRecorder, ABC):
    """The timeline tables, written in the same transaction as the tracked position."""

    mark: ClassVar[str] = "?"  # the driver's parameter placeholder
    without_rowid: ClassVar[str] = ""

    def create_statements(self) -> list[str]:
        return [
            f"CREATE TABLE IF NOT EXISTS {table} ({columns}){self.without_rowid}"
            for table, columns in _COLUMNS.items()
        ]

    @abstractmethod
    def create_table(self) -> None:
        """Create the tracking table and the timeline tables if they do not exist."""

    @abstractmethod
    def _transaction(self, *, commit: bool) -> Any:
        """A context manager giving a cursor in one transaction."""

    @abstractmethod
    def _write_tracking(self, cursor: Any, tracking: Tracking) -> None:
        """Advance the tracked position; raise IntegrityError if it would not advance."""

    @abstractmethod
    def _delete_tracking(self, cursor: Any, application_name: str) -> None:
        """Forget the tracked position."""

    def replace(
        self,
        rows: Sequence[EntityRows],
        tracking: Tracking,
        first_positions: Mapping[str, int],
        gone: Sequence[str] = (),
        fresh: Set[str] = frozenset(),
    ) -> None:
        """Replace the rows of these entities and advance the position, in one transaction.

        ``fresh`` entities have their first event in this transaction: no rows to delete.
        """
        m = self.mark
        ids = [(r.entity_id,) for r in rows if r.entity_id not in fresh] + [(g,) for g in gone]
        entities = [
            (r.entity_id, r.name, first_positions.get(r.entity_id, 0), r.display) for r in rows
        ]
        status = [(r.entity_id, *row) for r in rows for row in r.status]
        states = [(r.entity_id, *row) for r in rows for row in r.states]
        if self.without_rowid:
            # Tables kept in key order: rows in that order go to neighbouring B-tree pages
            # (and reads come back in key order whatever the order of writing).
            for table_rows in (ids, entities, status, states):
                table_rows.sort()
        with self._transaction(commit=True) as cursor:
            for table in _TABLES:
                if ids:
                    cursor.executemany(f"DELETE FROM {table} WHERE entity_id = {m}", ids)
            cursor.executemany(
                f"INSERT INTO timeline_entities VALUES ({m}, {m}, {m}, {m})", entities
            )
            cursor.executemany(
                f"INSERT INTO timeline_status VALUES ({m}, {m}, {m}, {m}, {m})", status
            )
            cursor.executemany(
                f"INSERT INTO timeline_states VALUES ({m}, {m}, {m}, {m}, {m}, {m})", states
            )
            self._write_tracking(cursor, tracking)

    def first_positions(self, entity_ids: Sequence[str]) -> dict[str, int]:
        found: dict[str, int] = {}
        with self._transaction(commit=False) as cursor:
            for entity_id in entity_ids:
                cursor.execute(
                    f"SELECT first_position FROM timeline_entities WHERE entity_id = {self.mark}",
                    (entity_id,),
                )
                row = cursor.fetchone()
                if row is not None:
                    found[entity_id] = row["first_position"]
        return found

    def forget(self, application_name: str) -> None:
        """Forget the tracked position (the rows stay, to be replaced)."""
        with self._transaction(commit=True) as cursor:
            self._delete_tracking(cursor, application_name)

    def reset(self, application_name: str) -> None:
        """Drop the tables (so a new layout takes effect) and the tracked position."""
        with self._transaction(commit=True) as cursor:
            for table in _TABLES:
                cursor.execute(f"DROP TABLE IF EXISTS {table}")
            for statement in self.create_statements():
                cursor.execute(statement)
            self._delete_tracking(cursor, application_name)

    def select(self, statement: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Rows as tuples (``?`` marks the parameters, whatever the driver)."""
        with self._transaction(commit=False) as cursor:
            return self._fetch(cursor, statement.replace("?", self.mark), params)

    def _fetch(self, cursor: Any, statement: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        cursor.execute(statement, params)
        return [tuple(row.values()) for row in cursor.fetchall()]


class _OvertakenError(Exception):
    """The tracked position went past the end of the backlog being projected."""


class SQLiteTimelineView(SQLiteTrackingRecorder, TimelineView):
    without_rowid = " WITHOUT ROWID"

    def construct_create_table_statements(self) -> list[str]:
        return [*super().construct_create_table_statements(), *self.create_statements()]

    def _transaction(self, *, commit: bool) -> Any:
        return self.datastore.transaction(commit=commit)

    def _write_tracking(self, cursor: Any, tracking: Tracking) -> None:
        self._insert_tracking(cast(SQLiteCursor, cursor), tracking)

    def _delete_tracking(self, cursor: Any, application_name: str) -> None:
        cursor.execute("DELETE FROM tracking WHERE application_name = ?", (application_name,))

    def _fetch(self, cursor: Any, statement: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        plain = cast(SQLiteCursor, cursor).sqlite_cursor
        plain.row_factory = None  # tuples: the library's sqlite3.Row costs here
        plain.execute(statement, params)
        return plain.fetchall()

    def layout_is_current(self) -> bool:
        """Whether the tables are there, as ``create_statements`` would make them now."""
        with self._transaction(commit=False) as cursor:
            found = dict(
                self._fetch(
                    cursor,
                    "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name IN "
                    f"({', '.join('?' * len(_TABLES))})",
                    _TABLES,
                )
            )
        return all(
            found.get(table) == f"CREATE TABLE {table} ({columns}){self.without_rowid}"
            for table, columns in _COLUMNS.items()
        )

    def replace_entities(
        self,
        rows: Sequence[EntityRows],
        first_positions: Mapping[str, int],
        entity_ids: Sequence[str],
        application_name: str,
        until: int,
        span: tuple[str, bool, str, bool] | None = None,
    ) -> bool:
        """Replace every row of these entities, as of log position ``until``, without
        moving the tracked position; False (and nothing written) when the position is
        already past ``until``: their rows may then be newer than these. With a ``span``
        ``(low, low included, high, high included)`` of entity ids, every row in it goes."""
        try:
            with self._transaction(commit=True) as cursor:
                # A write first: a read first would make SQLite refuse the write at once
                # (not wait for the lock) when another process wrote in between.
                ids = sorted((i,) for i in entity_ids)
                for table in _TABLES:
                    if span is not None:
                        low, with_low, high, with_high = span
                        cursor.execute(
                            f"DELETE FROM {table} WHERE entity_id {'>=' if with_low else '>'} ? "
                            f"AND entity_id {'<=' if with_high else '<'} ?",
                            (low, high),
                        )
                    cursor.executemany(f"DELETE FROM {table} WHERE entity_id = ?", ids)
                if (self._max_tracking_id(application_name, cursor) or 0) > until:
                    raise _OvertakenError
                self._insert_rows(cursor, rows, first_positions)
        except _OvertakenError:
            return False
        return True

    def _insert_rows(
        self, cursor: Any, rows: Sequence[EntityRows], first_positions: Mapping[str, int]
    ) -> None:
        cursor.executemany(
            "INSERT INTO timeline_entities VALUES (?, ?, ?, ?)",
            sorted((r.entity_id, r.name, first_positions[r.entity_id], r.display) for r in rows),
        )
        cursor.executemany(
            "INSERT INTO timeline_status VALUES (?, ?, ?, ?, ?)",
            sorted((r.entity_id, *row) for r in rows for row in r.status),
        )
        cursor.executemany(
            "INSERT INTO timeline_states VALUES (?, ?, ?, ?, ?, ?)",
            sorted((r.entity_id, *row) for r in rows for row in r.states),
        )


def _postgres_view_class() -> type[TimelineView]:
    """The PostgreSQL view (imported only when a PostgreSQL store is used)."""
    from eventsourcing.postgres import PostgresDatastore, PostgresTrackingRecorder
    from psycopg.sql import SQL, Identifier

    class PostgresTimelineView(PostgresTrackingRecorder, TimelineView):
        mark = "%s"

        def __init__(self, datastore: PostgresDatastore, **kwargs: Any) -> None:
            super().__init__(datastore, **kwargs)
            for statement in self.create_statements():
                self.sql_create_statements.append(SQL(statement))  # type: ignore[arg-type]

        def _transaction(self, *, commit: bool) -> Any:
            return self.datastore.transaction(commit=commit)

        def _write_tracking(self, cursor: Any, tracking: Tracking) -> None:
            self._insert_tracking(cursor, tracking)

        def _delete_tracking(self, cursor: Any, application_name: str) -> None:
            cursor.execute(
                SQL("DELETE FROM {0}.{1} WHERE application_name = %s").format(
                    Identifier(self.datastore.schema), Identifier(self.tracking_table_name)
                ),
                (application_name,),
            )

    return PostgresTimelineView


_VIEWS: weakref.WeakKeyDictionary[SanctionsApp, TimelineView] = weakref.WeakKeyDictionary()


def timeline_view(app: SanctionsApp) -> TimelineView:
    """The app's timeline view, on the app's own datastore (created on first use)."""
    view = _VIEWS.get(app)
    if view is not None:
        return view
    factory: Any = app.factory
    if isinstance(factory, SQLiteFactory):
        view = SQLiteTimelineView(datastore=factory.datastore)
    else:
        view_class: Any = _postgres_view_class()
        view = cast(
            TimelineView,
            view_class(datastore=factory.datastore, tracking_table_name=f"{NAME.lower()}_tracking"),
        )
    view.create_table()
    _VIEWS[app] = view
    return view


# -- the projection -----------------------------------------------------------------------


class TimelineProjection(Projection[TimelineView]):
    """Recomputes an entity's rows whenever one of its events arrives.

    ``process_event`` is the library's one-event-at-a-time interface (used by the
    ``ProjectionRunner``); ``process`` takes a page of notifications at once and folds each
    entity once per page (used by catch-up and rebuild).
    """

    name = NAME

    def __init__(self, view: TimelineView, app: SanctionsApp | None = None) -> None:
        super().__init__(view)
        self.app = app

    def _app(self) -> SanctionsApp:
        assert self.app is not None, "the projection needs the app to read entity histories"
        return self.app

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        app = self._app()
        if not isinstance(domain_event, Entity.Fact):
            self.view.insert_tracking(tracking)
            return
        entity_id = str(domain_event.originator_id)
        version = domain_event.originator_version
        events = [to_recorded(e) for e in app.events.get(domain_event.originator_id, lte=version)]  # type: ignore[arg-type]
        firsts = {entity_id: tracking.notification_id} if version == 1 else None
        self._replace({entity_id: events}, tracking, firsts)

    def process(self, notifications: Sequence[Notification]) -> None:
        """Project a page of notifications in one transaction with its last position."""
        self.process_entries(
            [
                (n.id, str(n.originator_id), n.originator_version, n.topic, n.state)
                for n in notifications
            ]
        )

    def process_entries(self, entries: Sequence[Entry]) -> None:
        """Project a page of log entries (``read_page``) in one transaction with its last
        position."""
        app = self._app()
        grouped: dict[str, list[Entry]] = {}
        prefix = ENTITY_TOPIC_PREFIX
        for entry in entries:
            if entry[3].startswith(prefix) and entry[3] not in LINK_TOPICS:
                items = grouped.get(entry[1])
                if items is None:
                    grouped[entry[1]] = [entry]
                else:
                    items.append(entry)
        histories: dict[str, list[Recorded]] = {}
        firsts: dict[str, int] = {}
        fast = app.mapper.cipher is None and app.mapper.compressor is None
        for entity_id, items in grouped.items():
            if items[0][2] == 1:
                # The page holds the entity's whole history up to its last event here.
                firsts[entity_id] = items[0][0]
                stored = [(topic, state, version) for _, _, version, topic, state in items]
            else:
                stored = [
                    (e.topic, e.state, e.originator_version)
                    for e in app.recorder.select_events(UUID(entity_id), lte=items[-1][2])
                ]
            if fast:
                histories[entity_id] = [
                    _decode(topic, state, entity_id, version) for topic, state, version in stored
                ]
            else:
                events: Any = [
                    app.mapper.to_domain_event(
                        StoredEvent(
                            originator_id=UUID(entity_id),
                            originator_version=version,
                            topic=topic,
                            state=state,
                        )
                    )
                    for topic, state, version in stored
                ]
                histories[entity_id] = [to_recorded(e) for e in events]
        self._replace(histories, Tracking(app.name, entries[-1][0]), firsts)

    def _replace(
        self,
        histories: Mapping[str, list[Recorded]],
        tracking: Tracking,
        firsts: Mapping[str, int] | None,
    ) -> None:
        rows, gone = rows_of(histories)
        known = dict(firsts or {})
        missing = [r.entity_id for r in rows if r.entity_id not in known]
        if missing:
            known.update(self.view.first_positions(missing))
        self.view.replace(rows, tracking, known, gone, fresh=set(firsts or ()))


def rows_of(histories: Mapping[str, list[Recorded]]) -> tuple[list[EntityRows], list[str]]:
    """The rows of each entity from its history, and the entities without a name (none)."""
    rows = []
    gone = []
    for entity_id, events in histories.items():
        # record_of(entity_id, events, Horizon()): every event is within that horizon;
        # without corrections or retractions the belief is the events as recorded.
        if any(e.type in META_TYPES for e in events):
            record = build_record(entity_id, believe(events).facts, strict=False)
        else:
            record = build_record(entity_id, events, strict=False)
        if record.name:
            rows.append(entity_rows(record))
        else:
            gone.append(entity_id)
    return rows, gone


def catch_up(app: SanctionsApp, page: int = PAGE, workers: int = WORKERS) -> int:
    """Project every notification after the tracked position; returns how many.

    Stops without error when another process advanced the position first: its rows
    already cover what this one would have written, and the next call goes on from there.
    A long backlog on SQLite is projected in key order instead (``project_in_key_order``).
    """
    view = timeline_view(app)
    projection = TimelineProjection(view, app)
    position = view.max_tracking_id(app.name) or 0
    if isinstance(view, SQLiteTimelineView):
        end = app.max_position()
        if _in_key_order(end - position, end):
            return project_in_key_order(app, position, end, workers)
    done = 0
    while True:
        entries = read_page(app, position + 1, page)
        if not entries:
            return done
        try:
            projection.process_entries(entries)
        except IntegrityError:
            return done
        done += len(entries)
        position = entries[-1][0]


def rebuild(app: SanctionsApp, page: int = PAGE, workers: int = WORKERS) -> int:
    """Drop the timeline and project the whole log again; returns notifications read.

    A long log on SQLite, with the tables in the current layout, is projected in key order
    over the rows there, each span of entity ids replaced whole: the same rows as after
    dropping the tables, without the cost of dropping them.
    """
    view = timeline_view(app)
    end = app.max_position()
    if isinstance(view, SQLiteTimelineView) and end >= BULK_BACKLOG and view.layout_is_current():
        view.forget(app.name)
        return project_in_key_order(app, 0, end, workers)
    view.reset(app.name)
    return catch_up(app, page, workers=workers)


# -- a long backlog, in key order (SQLite) ------------------------------------------------
#
# Rows keyed by random entity ids, written page by page of the log, land all over tables
# that soon outgrow the page cache: each entity's rows cost a few page writes. A backlog
# that is a good part of the log (a rebuild, a large import) is instead projected entity
# by entity in key order: the entities with entries in the backlog, each with its whole
# history up to the backlog's end, their rows replaced in key order. The tracked position
# moves once, at the end; until then a crash or a concurrent catch-up leaves rows that a
# later catch-up replaces (every entity's rows are deleted before they are written).


def _in_key_order(backlog: int, end: int) -> bool:
    return backlog >= BULK_BACKLOG and backlog * BULK_SHARE >= end


def project_in_key_order(app: SanctionsApp, start: int, end: int, workers: int = WORKERS) -> int:
    """Project log positions ``start + 1 .. end`` entity by entity, in key order, then move
    the tracked position to ``end``; returns how many log entries that was (0 when another
    process got further first). With ``workers`` > 1, processes share the key space."""
    view = timeline_view(app)
    assert isinstance(view, SQLiteTimelineView)
    if not _shared(app):
        workers = 1
    ranges = _key_ranges(max(1, workers))
    # Each process replaces the rows of its range of ids, in transactions of its own.
    helpers = [_apart("range", app.store, start, end, lo, hi) for lo, hi in ranges[1:]]
    done = _project_range(app, view, start, end, *ranges[0])
    for (lo, hi), helper in zip(ranges[1:], helpers, strict=True):
        code = _wait(helper)
        if code == _OVERTAKEN:
            done = False
        elif code != 0 and done:  # it failed: its range is done here instead
            done = _project_range(app, view, start, end, lo, hi)
    if not done:
        return 0
    try:
        view.insert_tracking(Tracking(app.name, end))
    except IntegrityError:
        return 0
    return _count_entries(app, start, end)


def _key_ranges(parts: int) -> list[tuple[str, str]]:
    """``parts`` ranges of lower-case hex entity ids (as the SQLite recorder keeps them)."""
    bounds = ["", *(f"{(256 * n) // parts:02x}" for n in range(1, parts)), "g"]
    return list(itertools.pairwise(bounds))


# -- helper processes ---------------------------------------------------------------------
#
# A helper is ``python -c`` importing this module (not the caller's main module, as a
# multiprocessing "spawn" would, running its top level again), given its task as a pickle
# on its standard input.


def _shared(app: SanctionsApp) -> bool:
    """Whether another process opening the app's store sees the same log (not so for an
    SQLite database in memory)."""
    pool = getattr(getattr(app.recorder, "datastore", None), "pool", None)
    return not getattr(pool, "is_sqlite_memory_mode", False)


def _apart(task: str, *args: Any) -> subprocess.Popen[bytes] | None:
    """A helper process doing ``task`` (``_TASKS``), or None if it cannot be started."""
    path = [p for p in sys.path if p]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(path)}
    try:
        helper = subprocess.Popen(
            [sys.executable, "-c", f"import {__name__} as m; m._helper_main()"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
        )
        assert helper.stdin is not None
        pickle.dump((task, args), helper.stdin)
        helper.stdin.flush()
    except OSError:
        return None
    return helper


def _wait(helper: subprocess.Popen[bytes] | None) -> int:
    """The helper's exit code, once it has exited (1 if it never started)."""
    if helper is None:
        return 1
    if helper.stdin is not None:
        helper.stdin.close()
    if helper.stdout is not None:
        helper.stdout.read()
        helper.stdout.close()
    return helper.wait()


def _helper_main() -> None:
    """The helper's entry point: read the task from standard input and do it."""
    task, args = pickle.load(sys.stdin.buffer)
    _TASKS[task](*args)


def _project_range_apart(store: StoreConfig, start: int, end: int, lo: str, hi: str) -> None:
    """``_project_range`` in a process of its own (exit code ``_OVERTAKEN`` if overtaken)."""
    app = SanctionsApp(store)
    try:
        view = timeline_view(app)
        assert isinstance(view, SQLiteTimelineView)
        done = _project_range(app, view, start, end, lo, hi)
    finally:
        app.close()
    if not done:
        raise SystemExit(_OVERTAKEN)


# What replaces one chunk of rows: the rows, the entities' first positions, the entities,
# and the span of ids whose rows all go (projecting the whole log), as ``replace_entities``
# takes them.
Chunk = tuple[list[EntityRows], dict[str, int], list[str], tuple[str, bool, str, bool] | None]


def _project_range(
    app: SanctionsApp, view: SQLiteTimelineView, start: int, end: int, lo: str, hi: str
) -> bool:
    """Replace the rows of the entities with ids in ``[lo, hi)`` that have entries in the
    backlog, in key order; False if the tracked position went past ``end`` meanwhile."""
    return all(_write(app, view, end, chunk) for chunk in _chunks(app, start, end, lo, hi))


def _write(app: SanctionsApp, view: SQLiteTimelineView, end: int, chunk: Chunk) -> bool:
    rows, firsts, entity_ids, span = chunk
    return view.replace_entities(rows, firsts, entity_ids, app.name, end, span)


def _chunks(app: SanctionsApp, start: int, end: int, lo: str, hi: str) -> Iterator[Chunk]:
    """The chunks of rows of the entities with ids in ``[lo, hi)`` that have entries in
    the backlog, in key order."""
    recorder: Any = app.recorder
    table = recorder.events_table_name
    fast = app.mapper.cipher is None and app.mapper.compressor is None
    after = lo
    first = True
    # The whole log: every row from the range's start up to here is replaced.
    done, with_done = lo, False
    while True:
        with recorder.datastore.transaction(commit=False) as cursor:
            plain = cursor.sqlite_cursor
            plain.row_factory = None
            plain.execute(
                f"SELECT DISTINCT originator_id FROM {table} WHERE originator_id "
                f"{'>=' if first else '>'} ? AND originator_id < ? AND rowid > ? AND rowid <= ? "
                "AND topic NOT IN (?, ?) ORDER BY originator_id LIMIT ?",
                (after, hi, start, end, *LINK_TOPICS, KEY_CHUNK),
            )
            ids = [row[0] for row in plain.fetchall()]
            if not ids:
                if start == 0:  # nor beyond the last entity, up to the range's end
                    yield [], {}, [], (done, not with_done, hi, False)
                return
            plain.execute(
                "SELECT originator_id, originator_version, rowid, topic, state "
                f"FROM {table} WHERE originator_id >= ? AND originator_id <= ? "
                "AND rowid <= ? ORDER BY originator_id, originator_version",
                (ids[0], ids[-1], end),
            )
            entries = plain.fetchall()
        wanted = set(ids) if start else None  # ids in the span without a new entry: left
        first = False
        after = ids[-1]
        histories: dict[str, list[Recorded]] = {}
        firsts: dict[str, int] = {}
        prefix = ENTITY_TOPIC_PREFIX
        entity_id = last = ""
        for hex_id, version, position, topic, state in entries:
            if not topic.startswith(prefix) or (wanted is not None and hex_id not in wanted):
                continue
            if hex_id != last:
                entity_id, last = _uuid_text(hex_id), hex_id
            if version == 1:
                firsts[entity_id] = position
            if fast:
                event = _decode(topic, state, entity_id, version)
            else:
                stored = StoredEvent(
                    originator_id=UUID(hex_id),
                    originator_version=version,
                    topic=topic,
                    state=state,
                )
                event = to_recorded(cast(Entity.Fact, app.mapper.to_domain_event(stored)))
            histories.setdefault(entity_id, []).append(event)
        rows, _ = rows_of(histories)
        # Projecting the whole log, every row in the chunk's span of ids goes: what a
        # reset would have dropped (rows of entities not in the log, say) cannot stay.
        span: tuple[str, bool, str, bool] | None = None
        if start == 0:
            span = (done, not with_done, _uuid_text(ids[-1]), True)
            done, with_done = span[2], True
        if histories or span:
            yield rows, firsts, list(histories), span


def _count_entries(app: SanctionsApp, start: int, end: int) -> int:
    recorder: Any = app.recorder
    with recorder.datastore.transaction(commit=False) as cursor:
        cursor.execute(
            f"SELECT COUNT(*) FROM {recorder.events_table_name} WHERE rowid > ? AND rowid <= ?",
            (start, end),
        )
        return int(cursor.fetchone()[0])


def follow(app: SanctionsApp, workers: int = WORKERS) -> None:
    """Catch up after a write. A failure here loses nothing: the next read catches up."""
    try:
        catch_up(app, workers=workers)
    except PersistenceError:
        return


SanctionsApp.followers.append(follow)


def _peak_mib() -> float:
    """This process's peak resident set in MiB (0 where the platform does not say)."""
    try:
        import resource
    except ImportError:
        return 0.0
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class FollowerApart:
    """Follows the log from a process of its own, for a writer of many batches (an import).

    Use it as the app's follower (``app.after_save = [follower]``): after each save it
    tells the other process, which catches up (all saves so far at once) on the other
    core while this one goes on writing. ``close`` waits until it has caught up with every
    save, and catches up here whatever it did not (if it failed, say). Catch-up is safe
    from two processes at once, so nothing else changes; a crash loses nothing either.
    """

    def __init__(self, app: SanctionsApp) -> None:
        self.app = app
        self.peak_mib = 0.0  # the other process's peak resident set, once closed
        self._helper = _apart("follow", app.store) if _shared(app) else None

    def __call__(self, app: SanctionsApp) -> None:
        self._tell(_SAVED)

    def _tell(self, message: bytes) -> None:
        try:
            if self._helper is not None and self._helper.stdin is not None:
                self._helper.stdin.write(message)
                self._helper.stdin.flush()
        except OSError:
            return  # it is gone: close catches up

    def close(self) -> None:
        if self._helper is not None and self._helper.stdout is not None:
            self._tell(_DONE)
            with contextlib.suppress(ValueError):
                self.peak_mib = float(self._helper.stdout.read() or 0)
        _wait(self._helper)
        follow(self.app)

    def __enter__(self) -> FollowerApart:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _follow_apart(store: StoreConfig) -> None:
    """The loop of ``FollowerApart``'s process: catch up after each message (all that
    came meanwhile at once); when told it is done, or when the writer is gone, catch up
    a last time, write the peak memory and stop."""
    app = SanctionsApp(store)
    app.after_save = []
    try:
        while True:
            messages = cast(io.BufferedReader, sys.stdin.buffer).read1(4096)  # all that came
            follow(app, workers=1)
            if not messages or _DONE in messages:
                break
        sys.stdout.write(f"{_peak_mib()}")
        sys.stdout.flush()
    finally:
        app.close()


_SAVED = b"s"  # FollowerApart's messages: a batch was saved,
_DONE = b"d"  # the writer is done
_TASKS: dict[str, Callable[..., None]] = {
    "range": _project_range_apart,
    "follow": _follow_apart,
}


class FollowedApp(SanctionsApp):
    """The app as the library's ProjectionRunner constructs it: from an env mapping."""

    name = SanctionsApp.name  # the same log, the same tracked application name

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        settings = dict(env or {})
        module = settings.get("PERSISTENCE_MODULE", "")
        kind = "postgresql" if module.endswith("postgres") else "sqlite"
        super().__init__(StoreConfig(kind=kind, env=settings, display=f"({kind} store)"))


def runner(store: StoreConfig) -> Any:
    """The library's ``ProjectionRunner`` following a PostgreSQL log (LISTEN/NOTIFY).

    It projects in a thread as events are recorded, into the same tables and tracked
    position as catch-up; use it as a context manager, and ``wait(position)`` to block
    until a position is projected. SQLite has no subscription: there, catch-up does it.
    """
    from eventsourcing.projection import ProjectionRunner

    if store.kind != "postgresql":
        msg = f"the projection runner needs a PostgreSQL store, not {store.kind}"
        raise StoreError(msg)
    reader = FollowedApp(store.env)

    class FollowingProjection(TimelineProjection):
        name = NAME

        def __init__(self, view: TimelineView) -> None:
            super().__init__(view, reader)

    return ProjectionRunner(
        application_class=FollowedApp,
        projection_class=FollowingProjection,
        view_class=_postgres_view_class(),
        env=dict(store.env),
    )


# -- reading ------------------------------------------------------------------------------


@attrs.frozen
class EntityStatus:
    """One entity's headline status at the end and at the start of an as-of period."""

    entity_id: str
    status: str
    possible_statuses: list[str]
    status_at_start: str
    possible_statuses_at_start: list[str]


def statuses(app: SanctionsApp, as_of: DateInterval) -> dict[str, EntityStatus]:
    """Every entity's status over an as-of period, from two look-ups of the timeline."""
    catch_up(app)
    start, end = as_of_bounds(as_of)
    return _statuses(timeline_view(app), start, end)


def _statuses(view: TimelineView, start: int, end: int) -> dict[str, EntityStatus]:
    """One scan: the segments that meet ``[start, end]`` hold both answers."""
    rows = view.select(
        "SELECT entity_id, cut_from, cut_until, status, possible FROM timeline_status "
        "WHERE cut_from <= ? AND cut_until > ?",
        (end, start),
    )
    at_start: dict[str, tuple[str, str]] = {}
    at_end: dict[str, tuple[str, str]] = {}
    for entity_id, cut_from, cut_until, status, possible in rows:
        if cut_from <= start:
            at_start[entity_id] = (status, possible)
        if cut_until > end:
            at_end[entity_id] = (status, possible)
    found = {}
    for entity_id, (status, possible) in at_end.items():
        before, before_possible = at_start[entity_id]
        found[entity_id] = EntityStatus(
            entity_id,
            status,
            possible.split(SEPARATOR),
            before,
            before_possible.split(SEPARATOR),
        )
    return found


def views(app: SanctionsApp, as_of: DateInterval) -> list[EntityView]:
    """Every entity's view over an as-of period, sorted by name, as the fold gives it."""
    catch_up(app)
    view = timeline_view(app)
    start, end = as_of_bounds(as_of)
    heads = sorted(
        view.select("SELECT entity_id, name, first_position, display FROM timeline_entities"),
        key=lambda h: (h[1].casefold(), h[2]),
    )
    status = {cut: _status_rows(view, cut) for cut in (start, end)}
    states = {cut: _state_rows(view, cut) for cut in (start, end)}
    result = []
    for entity_id, name, _, display in heads:
        shown = json.loads(display)
        record = EntityRecord(
            entity_id=entity_id,
            name=name,
            kind=shown["kind"],
            country=shown["country"],
            aliases=tuple(shown["aliases"]),
            identifiers=tuple(shown["identifiers"]),
            measures=(),
            requests=(),
            negotiations=(),
            activities=(),
            facts=(),
        )
        measures = {
            m[0]: MeasureRecord(
                _recorded(
                    SANCTION_IMPOSED,
                    m[0],
                    entity_id,
                    _date_from_json(m[3]),
                    {"authority": m[1], "program": m[2]},
                ),
                (),
                None if m[4] is None else _recorded("", "", entity_id, _date_from_json(m[4]), {}),
            )
            for m in shown["measures"]
        }
        order = list(measures)
        requests = [
            RequestRecord(
                _recorded(
                    DELISTING_REQUESTED,
                    r[0],
                    entity_id,
                    _date_from_json(r[1]),
                    {"requested_by": r[2], "forum": r[3]},
                ),
                None
                if r[4] is None
                else _recorded("", "", entity_id, _date_from_json(r[4][0]), {}),
            )
            for r in shown["requests"]
        ]
        negotiations = [
            _recorded(
                NEGOTIATION_MENTIONED,
                n[0],
                entity_id,
                _date_from_json(n[1]),
                {"forum": n[2], "summary": n[3]},
            )
            for n in shown["negotiations"]
        ]
        activities = [
            _recorded(ACTIVITY_REPORTED, a[0], entity_id, _date_from_json(a[1]), {"summary": a[2]})
            for a in shown["activities"]
        ]
        # The measures' and requests' dates, for the rules that read the whole record
        # (a party's conflicts, projections/parties.py).
        record = attrs.evolve(record, measures=tuple(measures.values()), requests=tuple(requests))
        at = {}
        for cut in (start, end):
            value, possible = status[cut][entity_id]
            found = states[cut].get(entity_id, {})
            at[cut] = StatusAt(
                record=record,
                cut=cut,
                status=Status(value),
                possible_statuses=possible,
                measures=[
                    MeasureAt(measure=measures[i], possible=found[i], chain=_NO_CHAIN)
                    for i in order
                    if i in found
                ],
                pending_requests=pending_requests(requests, cut),
                negotiations=happened_by(negotiations, cut),
                activities=happened_by(activities, cut),
            )
        changes = []
        for event_id, type_, effective, measure_id, version in shown["changes"]:
            interval = _date_from_json(effective)
            if first_day(interval) < end and last_day(interval) >= start:
                fields = {} if measure_id is None else {"measure_id": measure_id}
                changes.append(_recorded(type_, event_id, entity_id, interval, fields, version))
        result.append(EntityView(record, at[end], at[start], sorted(changes, key=effective_key)))
    return result


def _status_rows(view: TimelineView, cut: int) -> dict[str, tuple[str, list[str]]]:
    rows = view.select(
        "SELECT entity_id, status, possible FROM timeline_status "
        "WHERE cut_from <= ? AND cut_until > ?",
        (cut, cut),
    )
    return {r[0]: (r[1], r[2].split(SEPARATOR)) for r in rows}


def _state_rows(view: TimelineView, cut: int) -> dict[str, dict[str, frozenset[MeasureState]]]:
    rows = view.select(
        "SELECT entity_id, measure_id, possible FROM timeline_states "
        "WHERE cut_from <= ? AND cut_until > ?",
        (cut, cut),
    )
    found: dict[str, dict[str, frozenset[MeasureState]]] = {}
    for entity_id, measure_id, possible in rows:
        found.setdefault(entity_id, {})[measure_id] = frozenset(
            MeasureState(s) for s in possible.split(SEPARATOR)
        )
    return found


def _recorded(
    type_: str,
    event_id: str,
    entity_id: str,
    effective: DateInterval | None,
    fields: dict[str, Any],
    version: int | None = None,
) -> Recorded:
    return Recorded(
        type=type_,
        event_id=event_id,
        entity_id=entity_id,
        effective=effective,
        source=_NOT_STORED,
        recorded_at=_NO_TIME,
        fields=fields,
        version=version,
    )


__all__ = [
    "EntityStatus",
    "TimelineProjection",
    "TimelineView",
    "catch_up",
    "rebuild",
    "statuses",
    "views",
]
