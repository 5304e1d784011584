"""What the record says: recorded events, the belief after corrections and retractions.

These are plain values, shared by the aggregate (to check a command against the record)
and by the read side (to answer questions). Nothing here touches storage or the clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

import attrs

from domain.dates import DateInterval
from domain.errors import RuleViolationError

# Event type names, as DESIGN.md §8 spells them.
ENTITY_REGISTERED = "entity_registered"
ALIAS_ADDED = "alias_added"
IDENTIFIER_ADDED = "identifier_added"
SANCTION_IMPOSED = "sanction_imposed"
SANCTION_LAPSED = "sanction_lapsed"
SANCTION_LIFTED = "sanction_lifted"
SANCTION_WAIVED = "sanction_waived"
WAIVER_ENDED = "waiver_ended"
DELISTING_REQUESTED = "delisting_requested"
DELISTING_DECIDED = "delisting_decided"
NEGOTIATION_MENTIONED = "negotiation_mentioned"
ACTIVITY_REPORTED = "activity_reported"
EVENT_CORRECTED = "event_corrected"
EVENT_RETRACTED = "event_retracted"
ENTITIES_LINKED = "entities_linked"
ENTITIES_UNLINKED = "entities_unlinked"

ENDINGS = (SANCTION_LAPSED, SANCTION_LIFTED)
WAIVER_STEPS = (SANCTION_WAIVED, WAIVER_ENDED)
MEASURE_STEPS = (*ENDINGS, *WAIVER_STEPS)
IDENTITY_TYPES = (ENTITY_REGISTERED, ALIAS_ADDED, IDENTIFIER_ADDED)
META_TYPES = (EVENT_CORRECTED, EVENT_RETRACTED)
LINK_TYPES = (ENTITIES_LINKED, ENTITIES_UNLINKED)

# Fields a correction may replace, per event type ("effective" is the date).
CORRECTABLE_FIELDS: Mapping[str, tuple[str, ...]] = {
    ENTITY_REGISTERED: ("effective", "name", "kind", "country"),
    ALIAS_ADDED: ("effective", "alias"),
    IDENTIFIER_ADDED: ("effective", "identifier"),
    SANCTION_IMPOSED: ("effective", "authority", "program", "reason"),
    SANCTION_LAPSED: ("effective", "measure_id"),
    SANCTION_LIFTED: ("effective", "measure_id"),
    SANCTION_WAIVED: ("effective", "measure_id"),
    WAIVER_ENDED: ("effective", "measure_id"),
    DELISTING_REQUESTED: ("effective", "requested_by", "forum"),
    DELISTING_DECIDED: ("effective", "outcome", "request_id"),
    NEGOTIATION_MENTIONED: ("effective", "forum", "summary"),
    ACTIVITY_REPORTED: ("effective", "summary"),
}


@attrs.frozen
class Source:
    """Where a fact comes from: a title, who published it and when, and its own words."""

    title: str
    publisher: str | None = None
    published: date | None = None
    url: str | None = None
    quote: str | None = None

    def as_json(self) -> dict[str, str | None]:
        return {
            "title": self.title,
            "publisher": self.publisher,
            "published": None if self.published is None else self.published.isoformat(),
            "url": self.url,
            "quote": self.quote,
        }


@attrs.frozen
class Recorded:
    """One event as the store holds it: envelope plus the fields of its kind."""

    type: str
    event_id: str
    entity_id: str
    effective: DateInterval | None
    source: Source
    recorded_at: datetime
    fields: Mapping[str, Any] = attrs.field(factory=dict)
    correlation_id: str | None = None
    position: int | None = None
    version: int | None = None

    def get(self, name: str) -> Any:
        return self.fields.get(name)

    @property
    def reported_on(self) -> date:
        """The day the event became public: its source's date, else the day it was recorded."""
        if self.source.published is not None:
            return self.source.published
        return self.recorded_at.date()


@attrs.frozen
class Belief:
    """The record after corrections and retractions, and what happened to each event."""

    facts: tuple[Recorded, ...]
    belief: Mapping[str, str]
    corrections: Mapping[str, tuple[Recorded, ...]]
    retractions: Mapping[str, Recorded]


def believe(events: Iterable[Recorded]) -> Belief:
    """Apply corrections and retractions, in recorded order, to the events given.

    The latest recorded correction of a field wins; a retracted correction no longer
    applies, so retracting it restores the belief it replaced.
    """
    ordered = list(events)
    retractions: dict[str, Recorded] = {}
    for event in ordered:
        if event.type == EVENT_RETRACTED:
            retractions[event.get("target")] = event
    corrections: dict[str, list[Recorded]] = {}
    for event in ordered:
        if event.type == EVENT_CORRECTED and event.event_id not in retractions:
            corrections.setdefault(event.get("target"), []).append(event)
    facts: list[Recorded] = []
    belief: dict[str, str] = {}
    for event in ordered:
        if event.event_id in retractions:
            belief[event.event_id] = "retracted"
            continue
        if event.type in META_TYPES:
            belief[event.event_id] = "current"
            continue
        fixes = corrections.get(event.event_id)
        if fixes:
            belief[event.event_id] = "corrected"
            event = apply_corrections(event, fixes)
        else:
            belief[event.event_id] = "current"
        facts.append(event)
    return Belief(
        facts=tuple(facts),
        belief=belief,
        corrections={k: tuple(v) for k, v in corrections.items()},
        retractions=retractions,
    )


def apply_corrections(event: Recorded, fixes: Sequence[Recorded]) -> Recorded:
    effective = event.effective
    fields = dict(event.fields)
    for fix in fixes:
        changes: Mapping[str, Any] = fix.get("changes") or {}
        for name, value in changes.items():
            if name == "effective":
                effective = value
            else:
                fields[name] = value
    return attrs.evolve(event, effective=effective, fields=fields)


@attrs.frozen
class MeasureRecord:
    """One measure: its imposition, its waiver steps, and how it ended (if it did)."""

    imposition: Recorded
    steps: tuple[Recorded, ...]
    ending: Recorded | None

    @property
    def measure_id(self) -> str:
        return self.imposition.event_id

    @property
    def authority(self) -> str:
        return str(self.imposition.get("authority"))

    @property
    def program(self) -> str:
        return str(self.imposition.get("program"))

    def chain(self) -> list[Recorded]:
        """The measure's transitions in the only order the record allows."""
        return [self.imposition, *self.steps, *([self.ending] if self.ending else [])]

    def label(self) -> str:
        return f"{self.authority} / {self.program}"

    def is_waived_now(self) -> bool:
        return bool(self.steps) and self.steps[-1].type == SANCTION_WAIVED


@attrs.frozen
class RequestRecord:
    request: Recorded
    decision: Recorded | None


@attrs.frozen
class EntityRecord:
    """An entity's believed record, grouped for the status rules."""

    entity_id: str
    name: str
    kind: str
    country: str | None
    aliases: tuple[str, ...]
    identifiers: tuple[str, ...]
    measures: tuple[MeasureRecord, ...]
    requests: tuple[RequestRecord, ...]
    negotiations: tuple[Recorded, ...]
    activities: tuple[Recorded, ...]
    facts: tuple[Recorded, ...]

    def measure(self, measure_id: str) -> MeasureRecord | None:
        for measure in self.measures:
            if measure.measure_id == measure_id:
                return measure
        return None


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


def type_word(event_type: str) -> str:
    """How a person calls an event of this type ("lapse", "waiver end")."""
    return {
        SANCTION_IMPOSED: "imposition",
        SANCTION_LAPSED: "lapse",
        SANCTION_LIFTED: "lifting",
        SANCTION_WAIVED: "waiver",
        WAIVER_ENDED: "waiver end",
        DELISTING_REQUESTED: "request",
        DELISTING_DECIDED: "decision",
        EVENT_CORRECTED: "correction",
        EVENT_RETRACTED: "retraction",
        ENTITIES_LINKED: "link",
        ENTITIES_UNLINKED: "unlink",
        NEGOTIATION_MENTIONED: "negotiation mention",
        ACTIVITY_REPORTED: "reported activity",
        ENTITY_REGISTERED: "registration",
        ALIAS_ADDED: "alias",
        IDENTIFIER_ADDED: "identifier",
    }.get(event_type, event_type.replace("_", " "))
