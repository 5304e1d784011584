"""Parties: entities that links say are one party, and what their sources say together.

A link is a pair of events (one on each entity, sharing a ``link_id``); an unlink withdraws
one link. Links are transitive: the linked entities form a party (DESIGN.md §10). A party's
record is its members' records together; its status follows the rules of section 5 over all
its members' measures. Nothing here touches storage or the clock.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

import attrs

from domain.dates import DateInterval
from domain.errors import RuleViolationError
from domain.record import (
    ENTITIES_LINKED,
    ENTITIES_UNLINKED,
    ENTITY_REGISTERED,
    EntityRecord,
    MeasureRecord,
    Recorded,
    Source,
)
from domain.status import NEVER, Status, chain_bounds, first_day, last_day, status_at


@attrs.frozen
class Link:
    """Two entities said to be one party, by a source, for a reason."""

    link_id: str
    entity_ids: tuple[str, str]
    reason: str | None
    source: Source
    recorded_at: datetime


def pair(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a <= b else (b, a)


def join(party: dict[str, set[str]], a: str, b: str) -> None:
    """Put ``a`` and ``b`` in one party (``party``: each linked entity's party, the one set
    its members share): the smaller party into the larger."""
    party_a = party.get(a)
    party_b = party.get(b)
    if party_a is None:
        if party_b is None:
            party[a] = party[b] = {a, b}
        else:
            party_b.add(a)
            party[a] = party_b
    elif party_b is None:
        party_a.add(b)
        party[b] = party_a
    elif party_a is not party_b:
        if len(party_a) < len(party_b):
            party_a, party_b = party_b, party_a
        party_a |= party_b
        for member in party_b:
            party[member] = party_a


def groups_of(party: Mapping[str, set[str]]) -> list[tuple[str, ...]]:
    """Each party of ``join``'s map once, sorted by id."""
    unique = {id(p): p for p in party.values()}
    return [tuple(sorted(p)) for p in unique.values()]


def pair_groups(pairs: Iterable[tuple[str, str]]) -> list[tuple[str, ...]]:
    """The parties of two or more entities these linked pairs make, as ``Parties.groups``
    gives them (without the links)."""
    party: dict[str, set[str]] = {}
    for a, b in pairs:
        join(party, a, b)
    return groups_of(party)


class Parties:
    """The links in force after the link events given (in recorded order), and the parties
    they make. Kept up to date one event at a time: a link merges two parties (the smaller
    into the larger), an unlink splits one party again by walking its links."""

    def __init__(self, events: Iterable[Recorded] = ()) -> None:
        self.links: dict[tuple[str, str], Link] = {}
        self._added: dict[tuple[str, str], int] = {}  # each link's place in ``links``
        self._counter = itertools.count()
        self._neighbours: dict[str, set[str]] = {}
        self._party: dict[str, set[str]] = {}
        for event in events:
            self.add(event)

    @classmethod
    def of_links(cls, links: Iterable[Link]) -> Parties:
        """The parties these links in force make (in the order they were made: what
        ``links`` is after the events that made them)."""
        made = cls()
        for link in links:
            made.put(link)
        return made

    def add(self, event: Recorded) -> None:
        """Apply one half of a link or unlink (the other half changes nothing more)."""
        a, b = event.entity_id, str(event.get("other_id"))
        key = pair(a, b)
        link_id = str(event.get("link_id"))
        if event.type == ENTITIES_LINKED and key not in self.links:
            self.put(Link(link_id, key, event.get("reason"), event.source, event.recorded_at))
        elif event.type == ENTITIES_UNLINKED:
            found = self.links.get(key)
            if found is not None and found.link_id == link_id:
                del self.links[key]
                del self._added[key]
                self._neighbours[a].discard(b)
                self._neighbours[b].discard(a)
                self._split(a)
                self._split(b)

    def put(self, link: Link) -> None:
        """Add a link in force between two entities not linked directly yet."""
        a, b = key = link.entity_ids
        self.links[key] = link
        self._added[key] = next(self._counter)
        self._neighbours.setdefault(a, set()).add(b)
        self._neighbours.setdefault(b, set()).add(a)
        join(self._party, a, b)

    def _split(self, start: str) -> None:
        """The party of ``start`` again, from its links (after one of them was withdrawn)."""
        seen, todo = {start}, [start]
        while todo:
            for other in self._neighbours.get(todo.pop(), ()):
                if other not in seen:
                    seen.add(other)
                    todo.append(other)
        for member in seen:
            if len(seen) == 1:
                self._party.pop(member, None)
            else:
                self._party[member] = seen

    def members(self, entity_id: str) -> tuple[str, ...]:
        """The entity's party (the entity alone when it has no links), sorted by id."""
        found = self._party.get(entity_id)
        return (entity_id,) if found is None else tuple(sorted(found))

    def same_party(self, a: str, b: str) -> bool:
        found = self._party.get(a)
        return a == b or (found is not None and b in found)

    def groups(self) -> list[tuple[str, ...]]:
        """Every party of two or more entities."""
        return groups_of(self._party)

    def linked(self) -> set[str]:
        return set(self._party)

    def links_within(self, members: Sequence[str]) -> list[Link]:
        """The links between these entities, in the order they were made (from each
        member's neighbours: not a scan of every link)."""
        inside = set(members)
        keys = {
            pair(member, other)
            for member in inside
            for other in self._neighbours.get(member, ())
            if other in inside
        }
        return [self.links[key] for key in sorted(keys, key=self._added.__getitem__)]

    def check_link(self, a: str, b: str, names: dict[str, str]) -> None:
        """Refuse a link of an entity to itself or to a member of its own party."""
        if a == b:
            msg = f"entity {names[a]!r} cannot be linked to itself"
            raise RuleViolationError(msg)
        if self.same_party(a, b):
            how = "directly" if pair(a, b) in self.links else "through other links"
            msg = (
                f"entities {names[a]!r} and {names[b]!r} are already one party ({how}): "
                "a link would add nothing"
            )
            raise RuleViolationError(msg)

    def check_unlink(self, a: str, b: str, names: dict[str, str]) -> Link:
        """The link between the two, or a refusal saying why there is none to withdraw."""
        found = self.links.get(pair(a, b))
        if found is not None:
            return found
        if a == b:
            msg = f"entity {names[a]!r} is not linked to itself: nothing to unlink"
        elif self.same_party(a, b):
            msg = (
                f"entities {names[a]!r} and {names[b]!r} are not linked directly (they are one "
                "party through other links): unlink one of those links instead"
            )
        else:
            msg = f"entities {names[a]!r} and {names[b]!r} are not linked: nothing to unlink"
        raise RuleViolationError(msg)


def registered_at(record: EntityRecord) -> datetime | None:
    """When the entity was registered (the latest fact's record time without a registration):
    a party is named by its first registered member (ties: the lower entity id)."""
    for fact in record.facts:
        if fact.type == ENTITY_REGISTERED:
            return fact.recorded_at
    return max(f.recorded_at for f in record.facts) if record.facts else None


def merge(records: Sequence[EntityRecord]) -> EntityRecord:
    """One record for a party: the first record's name and identity, every member's facts."""
    first = records[0]
    if len(records) == 1:
        return first
    return attrs.evolve(
        first,
        measures=tuple(m for r in records for m in r.measures),
        requests=tuple(q for r in records for q in r.requests),
        negotiations=tuple(n for r in records for n in r.negotiations),
        activities=tuple(a for r in records for a in r.activities),
        facts=tuple(f for r in records for f in r.facts),
    )


def source_key(source: Source) -> str:
    """Which source a fact belongs to when a party's status is broken down per source: its
    publisher (a list, a newspaper), else its title."""
    return source.publisher or source.title


@attrs.frozen
class SourceStatus:
    """What one source's measures alone say about a party at a cut."""

    source: str
    status: Status
    possible_statuses: list[str]
    measure_ids: list[str]
    entity_ids: list[str]


def by_source(record: EntityRecord, cut: int) -> list[SourceStatus]:
    """The party's status per source of its measures (a measure belongs to the source of
    its imposition), in order of first appearance."""
    grouped: dict[str, list[MeasureRecord]] = {}
    for measure in record.measures:
        grouped.setdefault(source_key(measure.imposition.source), []).append(measure)
    result = []
    for key, measures in grouped.items():
        alone = attrs.evolve(record, measures=tuple(measures), requests=(), facts=())
        at = status_at(alone, cut)
        result.append(
            SourceStatus(
                source=key,
                status=at.status,
                possible_statuses=at.possible_statuses,
                measure_ids=[m.measure_id for m in measures],
                entity_ids=list(dict.fromkeys(m.imposition.entity_id for m in measures)),
            )
        )
    return result


def disagreement(sources: Sequence[SourceStatus]) -> bool:
    """True when two sources give different certain statuses."""
    certain = {s.status for s in sources if s.status is not Status.UNCERTAIN}
    return len(certain) > 1


@attrs.frozen
class Conflict:
    """Facts on record that cannot all be true."""

    kind: str
    event: Recorded
    message: str


REQUEST_WITHOUT_MEASURE = "delisting_request_without_measure"


def conflicts(record: EntityRecord) -> list[Conflict]:
    """A delisting request made when no measure of the party can have been in force (nor
    waived) on any day the request may fall on."""
    windows = [measure_window(m) for m in record.measures]
    found = []
    for request in record.requests:
        event = request.request
        low, high = first_day(event.effective), last_day(event.effective)
        message = request_conflict(event.get("requested_by"), event.effective, low, high, windows)
        if message is not None:
            found.append(Conflict(REQUEST_WITHOUT_MEASURE, event, message))
    return found


def measure_window(measure: MeasureRecord) -> tuple[int, int]:
    """The first day a measure can begin and the last it can be in force or waived (its
    chain's bounds: they depend only on its imposition and its ending)."""
    earliest, latest = chain_bounds(measure.chain())
    return earliest[0], NEVER if measure.ending is None else latest[-1]


def request_conflict(
    requested_by: object,
    effective: DateInterval | None,
    low: int,
    high: int,
    windows: Sequence[tuple[int, int]],
) -> str | None:
    """The message of a request's conflict when no measure (by its window) can be on any
    day from ``low`` to ``high``, the days the request may fall on; else ``None``."""
    if any(begins <= high and ends >= low for begins, ends in windows):
        return None
    when = "undated" if effective is None else effective.describe()
    why = (
        "no measure is on record"
        if not windows
        else "no measure on record can have begun by then"
        if all(begins > high for begins, _ in windows)
        else "every measure on record had ended by then"
        if not any(begins > high for begins, _ in windows)
        else "no measure on record can have been in force then"
    )
    return (
        f"delisting requested by {requested_by} ({when}), "
        f"but {why}: the request implies a sanction in force"
    )
