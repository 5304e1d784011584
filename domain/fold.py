"""Folding an entity's believed facts into its record, and the rules the fold checks.

``build_record`` groups facts by measure and request in one pass; ``RecordFold`` keeps the
same record up to date one appended event at a time. Both refuse facts that contradict
each other (an ending before its imposition, a measure ended twice).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Sequence
from typing import Any

from domain.dates import DateInterval
from domain.errors import RuleViolationError
from domain.record import (
    ACTIVITY_REPORTED,
    ALIAS_ADDED,
    DELISTING_DECIDED,
    DELISTING_REQUESTED,
    ENDINGS,
    ENTITY_REGISTERED,
    IDENTIFIER_ADDED,
    META_TYPES,
    NEGOTIATION_MENTIONED,
    SANCTION_IMPOSED,
    SANCTION_WAIVED,
    WAIVER_ENDED,
    WAIVER_STEPS,
    EntityRecord,
    MeasureRecord,
    Recorded,
    RequestRecord,
    believe,
    type_word,
)


def build_record(entity_id: str, facts: Sequence[Recorded], *, strict: bool = True) -> EntityRecord:
    """Group believed facts by measure and request; raise if they contradict each other.

    With ``strict`` off (reading a partial view, e.g. only what was published by a day),
    steps whose measure or request is not in view are left out instead.
    """
    name = ""
    kind = ""
    country: str | None = None
    aliases: list[str] = []
    identifiers: list[str] = []
    impositions: dict[str, Recorded] = {}
    steps: dict[str, list[Recorded]] = {}
    endings: dict[str, Recorded] = {}
    requests: dict[str, Recorded] = {}
    decisions: dict[str, Recorded] = {}
    negotiations: list[Recorded] = []
    activities: list[Recorded] = []
    for fact in facts:
        kind_of = fact.type
        if kind_of == ENTITY_REGISTERED:
            name = fact.get("name")
            kind = fact.get("kind")
            country = fact.get("country")
        elif kind_of == ALIAS_ADDED:
            if fact.get("alias") not in aliases:
                aliases.append(fact.get("alias"))
        elif kind_of == IDENTIFIER_ADDED:
            if fact.get("identifier") not in identifiers:
                identifiers.append(fact.get("identifier"))
        elif kind_of == SANCTION_IMPOSED:
            impositions[fact.event_id] = fact
        elif kind_of in ENDINGS:
            measure_id = fact.get("measure_id")
            if measure_id in endings and not strict:
                continue
            if measure_id in endings:
                raise _ended_twice(measure_id, endings[measure_id])
            endings[measure_id] = fact
        elif kind_of in WAIVER_STEPS:
            steps.setdefault(fact.get("measure_id"), []).append(fact)
        elif kind_of == DELISTING_REQUESTED:
            requests[fact.event_id] = fact
        elif kind_of == DELISTING_DECIDED:
            request_id = fact.get("request_id")
            if request_id in decisions and not strict:
                continue
            if request_id in decisions:
                raise _decided_twice(request_id)
            decisions[request_id] = fact
        elif kind_of == NEGOTIATION_MENTIONED:
            negotiations.append(fact)
        elif kind_of == ACTIVITY_REPORTED:
            activities.append(fact)
    for measure_id in [*endings, *steps]:
        if measure_id not in impositions and not strict:
            endings.pop(measure_id, None)
            steps.pop(measure_id, None)
        elif measure_id not in impositions:
            raise _no_measure(measure_id)
    for request_id in list(decisions):
        if request_id not in requests and not strict:
            del decisions[request_id]
        elif request_id not in requests:
            raise _no_request(request_id)
    measures = []
    for measure_id, imposition in impositions.items():
        # Waiver steps alternate in the order they were recorded; their dates need only
        # allow that order (check_order), a coarser date may start before the step before.
        ordered_steps = steps.get(measure_id, [])
        if strict:
            for index, step in enumerate(ordered_steps):
                _check_step(measure_id, index, step)
        measure = MeasureRecord(imposition, tuple(ordered_steps), endings.get(measure_id))
        if strict:
            _check_chain(measure)
        measures.append(measure)
    request_records = []
    for request_id, request in requests.items():
        decision = decisions.get(request_id)
        if decision is not None and strict:
            _check_decision(request, decision)
        request_records.append(RequestRecord(request, decision))
    return EntityRecord(
        entity_id=entity_id,
        name=name,
        kind=kind,
        country=country,
        aliases=tuple(aliases),
        identifiers=tuple(identifiers),
        measures=tuple(measures),
        requests=tuple(request_records),
        negotiations=tuple(negotiations),
        activities=tuple(activities),
        facts=tuple(facts),
    )


def _ended_twice(measure_id: str, ending: Recorded) -> RuleViolationError:
    return RuleViolationError(
        f"measure {measure_id[:8]} already ended "
        f"({ending.type.removeprefix('sanction_')}, event "
        f"{ending.event_id[:8]}): it cannot end twice"
    )


def _decided_twice(request_id: str) -> RuleViolationError:
    return RuleViolationError(f"delisting request {request_id[:8]} is already decided")


def _no_measure(measure_id: str) -> RuleViolationError:
    return RuleViolationError(f"measure {measure_id[:8]} is not on record for this entity")


def _no_request(request_id: str) -> RuleViolationError:
    return RuleViolationError(
        f"delisting request {request_id[:8]} is not on record for this entity"
    )


def _check_step(measure_id: str, index: int, step: Recorded) -> None:
    """Waiver steps alternate, starting with a waiver."""
    expected = SANCTION_WAIVED if index % 2 == 0 else WAIVER_ENDED
    if step.type != expected:
        msg = (
            f"measure {measure_id[:8]}: a waiver end ({step.event_id[:8]}) needs a waiver before it"
        )
        raise RuleViolationError(msg)


def _check_chain(measure: MeasureRecord) -> None:
    check_order([(e, e.effective) for e in measure.chain()], f"measure {measure.label()}")


def _check_decision(request: Recorded, decision: Recorded) -> None:
    check_order([(request, request.effective), (decision, decision.effective)], "delisting request")


class RecordFold:
    """An entity's believed record, kept up to date one appended event at a time.

    After every step it equals ``build_record(entity_id, believe(events).facts)`` over the
    events folded so far (a property test holds it to that), at the cost of the one measure
    or request the new event touches instead of the whole record. Only an event that
    cannot change the belief in earlier ones can be folded (``admits``): not a correction
    or retraction, and not an event whose id is already on record or named by one. For
    the others, fold from scratch.

    Built from scratch it raises like ``build_record`` when the events contradict each
    other; ``check`` raises exactly what ``build_record`` would raise with the new event.
    """

    def __init__(self, entity_id: str, events: Sequence[Recorded]) -> None:
        belief = believe(events)
        record = build_record(entity_id, belief.facts)
        self.entity_id = entity_id
        self.count = len(events)
        self.belief: dict[str, str] = dict(belief.belief)
        self.corrections = belief.corrections
        self.retractions = belief.retractions
        self.facts: list[Recorded] = list(record.facts)
        self.name, self.kind, self.country = record.name, record.kind, record.country
        self.aliases = list(record.aliases)
        self.identifiers = list(record.identifiers)
        self.measures = {m.measure_id: m for m in record.measures}
        self.requests = {r.request.event_id: r for r in record.requests}
        self.negotiations = list(record.negotiations)
        self.activities = list(record.activities)
        self._record: EntityRecord | None = record

    def admits(self, event: Recorded) -> bool:
        """Whether the event can be folded onto the record (else fold from scratch)."""
        event_id = event.event_id
        return (
            event.type not in META_TYPES
            and event_id not in self.belief
            and event_id not in self.corrections
            and event_id not in self.retractions
        )

    def check(self, event: Recorded) -> None:
        """Raise what ``build_record`` raises for the record with this admitted event."""
        kind_of = event.type
        if kind_of in ENDINGS:
            measure_id = event.get("measure_id")
            measure = self.measures.get(measure_id)
            if measure is not None and measure.ending is not None:
                raise _ended_twice(measure_id, measure.ending)
            if measure is None:
                raise _no_measure(measure_id)
            _check_chain(MeasureRecord(measure.imposition, measure.steps, event))
        elif kind_of in WAIVER_STEPS:
            measure_id = event.get("measure_id")
            measure = self.measures.get(measure_id)
            if measure is None:
                raise _no_measure(measure_id)
            _check_step(measure_id, len(measure.steps), event)
            _check_chain(MeasureRecord(measure.imposition, (*measure.steps, event), measure.ending))
        elif kind_of == DELISTING_DECIDED:
            request_id = event.get("request_id")
            request = self.requests.get(request_id)
            if request is not None and request.decision is not None:
                raise _decided_twice(request_id)
            if request is None:
                raise _no_request(request_id)
            _check_decision(request.request, event)

    def add(self, event: Recorded) -> None:
        """Fold an admitted event that ``check`` accepted."""
        self._record = None
        self.count += 1
        self.belief[event.event_id] = "current"
        self.facts.append(event)
        kind_of = event.type
        if kind_of == ENTITY_REGISTERED:
            self.name = event.get("name")
            self.kind = event.get("kind")
            self.country = event.get("country")
        elif kind_of == ALIAS_ADDED:
            if event.get("alias") not in self.aliases:
                self.aliases.append(event.get("alias"))
        elif kind_of == IDENTIFIER_ADDED:
            if event.get("identifier") not in self.identifiers:
                self.identifiers.append(event.get("identifier"))
        elif kind_of == SANCTION_IMPOSED:
            self.measures[event.event_id] = MeasureRecord(event, (), None)
        elif kind_of in ENDINGS:
            measure = self.measures[event.get("measure_id")]
            self.measures[measure.measure_id] = MeasureRecord(
                measure.imposition, measure.steps, event
            )
        elif kind_of in WAIVER_STEPS:
            measure = self.measures[event.get("measure_id")]
            self.measures[measure.measure_id] = MeasureRecord(
                measure.imposition, (*measure.steps, event), measure.ending
            )
        elif kind_of == DELISTING_REQUESTED:
            self.requests[event.event_id] = RequestRecord(event, None)
        elif kind_of == DELISTING_DECIDED:
            request = self.requests[event.get("request_id")]
            self.requests[request.request.event_id] = RequestRecord(request.request, event)
        elif kind_of == NEGOTIATION_MENTIONED:
            self.negotiations.append(event)
        elif kind_of == ACTIVITY_REPORTED:
            self.activities.append(event)

    def record(self) -> EntityRecord:
        if self._record is None:
            self._record = EntityRecord(
                entity_id=self.entity_id,
                name=self.name,
                kind=self.kind,
                country=self.country,
                aliases=tuple(self.aliases),
                identifiers=tuple(self.identifiers),
                measures=tuple(self.measures.values()),
                requests=tuple(self.requests.values()),
                negotiations=tuple(self.negotiations),
                activities=tuple(self.activities),
                facts=tuple(self.facts),
            )
        return self._record


def check_order(chain: Sequence[tuple[Recorded, DateInterval | None]], what: str) -> None:
    """Refuse a chain of events whose dates cannot be placed in the chain's order."""
    latest_start: tuple[Recorded, DateInterval] | None = None
    for event, interval in chain:
        if interval is None:
            continue
        if (
            latest_start is not None
            and interval.until is not None
            and latest_start[1].start is not None
            and interval.until <= latest_start[1].start
        ):
            earlier, earlier_interval = latest_start
            msg = (
                f"{type_word(event.type)} date {interval.text} is before "
                f"{type_word(earlier.type)} date {earlier_interval.text} of {what}"
            )
            raise RuleViolationError(msg)
        if interval.start is not None and (
            latest_start is None
            or latest_start[1].start is None
            or interval.start > latest_start[1].start
        ):
            latest_start = (event, interval)


class History(list[Recorded]):
    """An entity's recorded events, with the believed record folded from them so far.

    The fold is a cache, not state: it is not in the aggregate's ``__dict__`` (so not in
    snapshots, nor in aggregate equality), copies leave it behind, and it is checked against
    the list's length before use. ``apply`` only appends, as before.
    """

    __slots__ = ("fold",)

    def __init__(self, events: Iterable[Recorded] = ()) -> None:
        super().__init__(events)
        self.fold: RecordFold | None = None

    def __copy__(self) -> History:
        return History(self)

    def __deepcopy__(self, memo: dict[int, Any]) -> History:
        return History(copy.deepcopy(list(self), memo))

    def __reduce__(self) -> tuple[Any, ...]:
        return (History, (list(self),))


def current_fold(entity_id: str, events: list[Recorded]) -> RecordFold | None:
    """The believed record of these events, kept in a ``History`` between commands and
    brought up to date; None when the events contradict each other (then every query folds
    them again, and raises)."""
    if not isinstance(events, History):
        try:
            return RecordFold(entity_id, events)
        except RuleViolationError:
            return None
    fold = events.fold
    if fold is not None and fold.count < len(events):
        for event in events[fold.count :]:
            if not fold.admits(event):
                fold = None
                break
            try:
                fold.check(event)
            except RuleViolationError:
                fold = None
                break
            fold.add(event)
    if fold is None or fold.count != len(events):
        events.fold = None
        try:
            fold = RecordFold(entity_id, events)
        except RuleViolationError:
            return None
    events.fold = fold
    return fold
