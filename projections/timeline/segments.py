"""An entity's timeline rows: its status and each measure's state per segment of cuts.

Status is piecewise constant in effective time (see the package's description), so each
answer is computed once per segment between the cuts where a comparison can change.
``entity_rows_by_fold`` evaluates the fold's own functions per segment (the reference);
``entity_rows`` gives the same rows on bit sets (property test).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, cast

import attrs

from domain.fold import build_record
from domain.record import META_TYPES, EntityRecord, MeasureRecord, Recorded, believe
from domain.status import (
    ALWAYS,
    NEVER,
    STATE_AFTER,
    STATE_ORDER,
    STATUS_ORDER,
    Chain,
    MeasureAt,
    MeasureState,
    Status,
    entity_statuses,
    headline,
    measure_at,
)
from projections.timeline.display import display

FIRST_CUT = ALWAYS + 1  # stands for every cut before the first breakpoint
LAST_CUT = NEVER + 1  # exclusive end of the last segment
SEPARATOR = "|"
NO_CHAIN = Chain(events=(), states=(), earliest=(), latest=())  # rows read back have none
_NOT_IMPOSED = frozenset({MeasureState.NOT_IMPOSED})


@attrs.frozen
class EntityRows:
    """Everything the timeline holds for one entity, computed from its believed record."""

    entity_id: str
    name: str
    display: bytes  # what the status output shows besides states (``display.display``)
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
    return EntityRows(record.entity_id, record.name, display(record), _merge(status_rows), states)


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
_STATE_AFTER_BIT = {kind: _STATE_BIT[state] for kind, state in STATE_AFTER.items()}
_STATUS_BIT = {status: 1 << index for index, status in enumerate(STATUS_ORDER)}


def _state_text(mask: int) -> tuple[str, str]:
    """(state, possible states) as ``MeasureAt`` words them, for a set of states."""
    possible = frozenset(s for s, bit in _STATE_BIT.items() if mask & bit)
    at = MeasureAt(measure=cast(MeasureRecord, None), possible=possible, chain=NO_CHAIN)
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


NOT_IMPOSED_BIT = _NOT_IMPOSED_BIT
_BIT_OF_STATE = {state.value: bit for state, bit in _STATE_BIT.items()}


def state_bits(possible: str) -> int:
    """The set of states a row's ``possible`` text names (``|``-separated)."""
    found = _BITS_OF_TEXT.get(possible)
    if found is None:
        found = 0
        for state in possible.split(SEPARATOR):
            found |= _BIT_OF_STATE[state]
        _BITS_OF_TEXT[possible] = found  # a few texts only: the sets of states
    return found


_BITS_OF_TEXT: dict[str, int] = {}


def ending_bit(ending_type: str | None) -> int:
    """The state a measure's ending leads to, as a bit (0 without an ending)."""
    return 0 if ending_type is None else _STATE_AFTER_BIT[ending_type]


def status_text(
    masks: Sequence[int], kinds: Sequence[int], windows: Sequence[tuple[int, int]], cut: int
) -> tuple[str, str]:
    """(status, possible statuses) as ``headline(entity_statuses(...))`` words them, for the
    measures' possible states at ``cut`` (bit sets), ending kinds and end windows."""
    return _STATUS_TEXT[_statuses_at(masks, kinds, windows, cut)]


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
    status_rows = status_segments(per_measure, kinds, windows, sorted(breaks))
    return EntityRows(record.entity_id, record.name, display(record, windows), status_rows, states)


def status_segments(
    per_measure: Sequence[Sequence[tuple[int, int]]],
    kinds: Sequence[int],
    windows: Sequence[tuple[int, int]],
    breaks: Sequence[int],
) -> list[tuple[int, int, str, str]]:
    """``(cut_from, cut_until, status, possible)`` of these measures per segment between
    the sorted ``breaks`` (each cut where an answer can change, strictly between
    ``FIRST_CUT`` and ``LAST_CUT``), neighbours with the same status joined. Each measure
    comes as its states per segment of its own, ``(segment end, bit set)``, the last
    ending at ``LAST_CUT``; ``kinds`` and ``windows`` are their ending kinds and end
    windows (``status_text``)."""
    found: list[tuple[int, int, str, str]] = []
    pointers = [0] * len(per_measure)
    masks = [0] * len(per_measure)
    start = ALWAYS
    for end in [*breaks, LAST_CUT]:
        cut = max(start, FIRST_CUT)
        for number, segments in enumerate(per_measure):
            while segments[pointers[number]][0] <= cut:
                pointers[number] += 1
            masks[number] = segments[pointers[number]][1]
        status, possible = _STATUS_TEXT[_statuses_at(masks, kinds, windows, cut)]
        if found and found[-1][2] == status and found[-1][3] == possible:
            found[-1] = (found[-1][0], end, status, possible)
        else:
            found.append((start, end, status, possible))
        start = end
    return found


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
