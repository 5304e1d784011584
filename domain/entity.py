"""The entity aggregate: one sanctioned party and every event recorded about it.

Public methods check the rules against the believed record, then trigger an event.
An event's ``apply`` only appends it to the aggregate's list: it runs again at every
replay, so it never raises, reads the clock or makes ids.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate

from domain import entity_rules as rules
from domain.dates import DateInterval
from domain.errors import NotFoundError, RuleViolationError
from domain.fold import History, RecordFold, build_record, current_fold
from domain.record import (
    DELISTING_DECIDED,
    DELISTING_REQUESTED,
    ENTITIES_LINKED,
    ENTITIES_UNLINKED,
    SANCTION_IMPOSED,
    SANCTION_LAPSED,
    SANCTION_LIFTED,
    SANCTION_WAIVED,
    WAIVER_ENDED,
    EntityRecord,
    MeasureRecord,
    Recorded,
    Source,
    believe,
    type_word,
)
from domain.text import check_text

_ENVELOPE = frozenset(
    {
        "originator_id",
        "originator_version",
        "timestamp",
        "originator_topic",
        "event_id",
        "effective",
        "source",
        "correlation_id",
    }
)


_LATEST = datetime.max.replace(tzinfo=UTC)  # a candidate event's record time, if not given

# Each event class's own fields (those outside the envelope), in declaration order.
_FIELD_NAMES: dict[type[Any], tuple[str, ...]] = {}


def new_event_id() -> str:
    return uuid4().hex


class Entity(Aggregate):
    """One sanctioned party (company, bank, person, state, vessel...)."""

    class Fact(Aggregate.Event):
        """Envelope shared by every event: id, effective date, source, correlation."""

        TYPE: ClassVar[str] = ""
        event_id: str
        effective: DateInterval | None
        source: Source
        correlation_id: str | None

        def apply(self, aggregate: Any) -> None:
            aggregate.events.append(to_recorded(self))

    class Registered(Aggregate.Created, Fact):
        TYPE = "entity_registered"
        name: str
        kind: str
        country: str | None

    class AliasAdded(Fact):
        TYPE = "alias_added"
        alias: str

    class IdentifierAdded(Fact):
        TYPE = "identifier_added"
        identifier: str

    class SanctionImposed(Fact):
        TYPE = "sanction_imposed"
        authority: str
        program: str
        reason: str | None

    class SanctionLapsed(Fact):
        TYPE = "sanction_lapsed"
        measure_id: str

    class SanctionLifted(Fact):
        TYPE = "sanction_lifted"
        measure_id: str

    class SanctionWaived(Fact):
        TYPE = "sanction_waived"
        measure_id: str

    class WaiverEnded(Fact):
        TYPE = "waiver_ended"
        measure_id: str

    class DelistingRequested(Fact):
        TYPE = "delisting_requested"
        requested_by: str
        forum: str | None

    class DelistingDecided(Fact):
        TYPE = "delisting_decided"
        request_id: str
        outcome: str

    class NegotiationMentioned(Fact):
        TYPE = "negotiation_mentioned"
        forum: str
        summary: str | None

    class ActivityReported(Fact):
        TYPE = "activity_reported"
        summary: str

    class EventCorrected(Fact):
        TYPE = "event_corrected"
        target: str
        changes: dict[str, Any]

    class EventRetracted(Fact):
        TYPE = "event_retracted"
        target: str
        reason: str

    class EntitiesLinked(Fact):
        """This entity and another one are one party (DESIGN.md §10); both carry the link."""

        TYPE = ENTITIES_LINKED
        other_id: str
        link_id: str
        reason: str | None

    class EntitiesUnlinked(Fact):
        """A link between this entity and another one is withdrawn."""

        TYPE = ENTITIES_UNLINKED
        other_id: str
        link_id: str

    def __init__(
        self,
        *,
        name: str,
        kind: str,
        country: str | None,
        event_id: str,
        effective: DateInterval | None,
        source: Source,
        correlation_id: str | None,
    ) -> None:
        self.events: list[Recorded] = History()
        # A bulk writer (events_log/bulk_write.py) sets a list here: each step its rules
        # accept is then noted in it (class, event as recorded), not triggered.
        self.noted: list[tuple[type[Entity.Fact], Recorded]] | None = None

    # -- queries ------------------------------------------------------------------------

    def record(self) -> EntityRecord:
        fold = self._fold()
        if fold is None:
            return build_record(str(self.id), believe(self.events).facts)
        return fold.record()

    def has_event(self, event_id: str) -> bool:
        """Whether an event with this id is on record (retracted or not)."""
        fold = self._fold()
        if fold is None:
            return any(e.event_id == event_id for e in self.events)
        return event_id in fold.belief

    def _fold(self) -> RecordFold | None:
        """The believed record of the events so far (None when they contradict each other)."""
        return current_fold(str(self.id), self.events)

    def find_event(self, event_id: str) -> Recorded:
        for recorded in self.events:
            if recorded.event_id == event_id:
                return recorded
        msg = f"event {event_id!r} is not on record for entity {self.record().name!r}"
        raise NotFoundError(msg)

    def infer_measure(self, event_type: str) -> str:
        """The one measure that an ending or waiver step can apply to, else an error."""
        return rules.infer_measure(self.record(), event_type)

    def resolve_measure(self, measure: str) -> str:
        """A measure id from a full id or unique prefix, or from its program name."""
        return rules.resolve_measure(self.record(), measure)

    # -- commands -----------------------------------------------------------------------

    def add_alias(self, alias: str, **envelope: Any) -> None:
        check_text("alias", alias)
        if alias.casefold() in (a.casefold() for a in self.record().aliases):
            return
        self._trigger(self.AliasAdded, envelope, alias=alias)

    def add_identifier(self, identifier: str, **envelope: Any) -> None:
        check_text("identifier", identifier)
        scheme, _, value = identifier.partition(":")
        if not scheme.strip() or not value.strip():
            msg = f"identifier {identifier!r} must be written SCHEME:VALUE (e.g. ofac-sdn:9753)"
            raise RuleViolationError(msg)
        if identifier.casefold() in (i.casefold() for i in self.record().identifiers):
            return
        self._trigger(self.IdentifierAdded, envelope, identifier=identifier)

    def impose(self, authority: str, program: str, reason: str | None, **envelope: Any) -> str:
        rules.require_text("authority", authority)
        rules.require_text("program", program)
        return self._trigger(
            self.SanctionImposed, envelope, authority=authority, program=program, reason=reason
        )

    def end_measure(self, event_type: str, measure_id: str, **envelope: Any) -> str:
        """Record a lapse or a lifting of a measure that is on record and not ended."""
        measure = self._open_measure(measure_id, event_type)
        event_class = self.SanctionLapsed if event_type == SANCTION_LAPSED else self.SanctionLifted
        return self._trigger(event_class, envelope, measure_id=measure.measure_id)

    def waive(self, measure_id: str, **envelope: Any) -> str:
        measure = self._open_measure(measure_id, SANCTION_WAIVED)
        if measure.is_waived_now():
            msg = f"measure {measure_id[:8]} ({measure.label()}) is already waived"
            raise RuleViolationError(msg)
        return self._trigger(self.SanctionWaived, envelope, measure_id=measure_id)

    def end_waiver(self, measure_id: str, **envelope: Any) -> str:
        measure = self._open_measure(measure_id, WAIVER_ENDED)
        if not measure.is_waived_now():
            msg = f"measure {measure_id[:8]} ({measure.label()}) is not waived: no waiver to end"
            raise RuleViolationError(msg)
        return self._trigger(self.WaiverEnded, envelope, measure_id=measure_id)

    def request_delisting(self, requested_by: str, forum: str | None, **envelope: Any) -> str:
        rules.require_text("requested by", requested_by)
        return self._trigger(
            self.DelistingRequested, envelope, requested_by=requested_by, forum=forum
        )

    def decide_delisting(self, request_id: str | None, outcome: str, **envelope: Any) -> str:
        if outcome not in ("granted", "denied"):
            msg = f"outcome {outcome!r} must be 'granted' or 'denied'"
            raise RuleViolationError(msg)
        request_id = rules.choose_request(self.record(), request_id)
        return self._trigger(
            self.DelistingDecided, envelope, request_id=request_id, outcome=outcome
        )

    def mention_negotiation(self, forum: str, summary: str | None, **envelope: Any) -> str:
        rules.require_text("forum", forum)
        return self._trigger(self.NegotiationMentioned, envelope, forum=forum, summary=summary)

    def report_activity(self, summary: str, **envelope: Any) -> str:
        rules.require_text("summary", summary)
        return self._trigger(self.ActivityReported, envelope, summary=summary)

    def record_link(self, other_id: str, link_id: str, reason: str | None, **envelope: Any) -> str:
        """This entity's half of a link; the party rules (domain/party.py) are checked first,
        over every link on record, by the caller that links both halves in one save."""
        return self._trigger(
            self.EntitiesLinked, envelope, other_id=other_id, link_id=link_id, reason=reason
        )

    def record_unlink(self, other_id: str, link_id: str, **envelope: Any) -> str:
        return self._trigger(self.EntitiesUnlinked, envelope, other_id=other_id, link_id=link_id)

    def correct(self, target: str, changes: Mapping[str, Any], **envelope: Any) -> str:
        """Replace fields of an earlier event; refused if the record would contradict itself."""
        original = self.find_event(target)
        rules.check_correction(original, target, changes)
        return self._trigger(self.EventCorrected, envelope, target=target, changes=dict(changes))

    def retract(self, target: str, reason: str, **envelope: Any) -> str:
        original = self.find_event(target)
        rules.require_text("reason", reason)
        fold = self._fold()
        beliefs = believe(self.events).belief if fold is None else fold.belief
        rules.check_retraction(original, target, beliefs, self.record())
        return self._trigger(self.EventRetracted, envelope, target=target, reason=reason)

    def believed(self, event_id: str) -> Recorded:
        """The event as now believed (corrections applied); refused if retracted."""
        fold = self._fold()
        for fact in believe(self.events).facts if fold is None else fold.facts:
            if fact.event_id == event_id:
                return fact
        self.find_event(event_id)
        msg = f"event {event_id[:8]} is retracted or is itself a correction or retraction"
        raise RuleViolationError(msg)

    def restate(self, fact: Recorded, correlation_id: str | None) -> str:
        """Record on this entity a fact first recorded on another one (a moved event)."""
        envelope: dict[str, Any] = {
            "effective": fact.effective,
            "source": fact.source,
            "correlation_id": correlation_id,
        }
        get = fact.get
        if fact.type == SANCTION_IMPOSED:
            return self.impose(get("authority"), get("program"), get("reason"), **envelope)
        if fact.type == DELISTING_REQUESTED:
            return self.request_delisting(get("requested_by"), get("forum"), **envelope)
        if fact.type == "negotiation_mentioned":
            return self.mention_negotiation(get("forum"), get("summary"), **envelope)
        if fact.type == "activity_reported":
            return self.report_activity(get("summary"), **envelope)
        if fact.type == "alias_added":
            return self._trigger(self.AliasAdded, envelope, alias=get("alias"))
        if fact.type == "identifier_added":
            return self._trigger(self.IdentifierAdded, envelope, identifier=get("identifier"))
        msg = (
            f"a {type_word(fact.type)} cannot move to another entity: it belongs to a measure "
            "or request of its own entity; retract it and append it where it belongs"
        )
        raise RuleViolationError(msg)

    # -- helpers ------------------------------------------------------------------------

    def _open_measure(self, measure_id: str, event_type: str) -> MeasureRecord:
        fold = self._fold()
        if fold is None:
            record = self.record()  # raises: the record contradicts itself
            measure = record.measure(measure_id)
        else:
            measure = fold.measures.get(measure_id)
        if measure is None:
            name = self.record().name
            msg = f"measure {measure_id[:8]!r} is not on record for entity {name!r}"
            raise NotFoundError(msg)
        rules.check_open(measure, measure_id, event_type)
        return measure

    def _trigger(
        self, event_class: type[Entity.Fact], envelope: Mapping[str, Any], **fields: Any
    ) -> str:
        """Check the record with the new event, then trigger it. Returns its event id."""
        rules.check_fields(fields, envelope["source"])
        event_id = envelope.get("event_id") or new_event_id()
        recorded_at = envelope.get("recorded_at")
        payload = {
            "event_id": event_id,
            "effective": envelope.get("effective"),
            "source": envelope["source"],
            "correlation_id": envelope.get("correlation_id"),
            **fields,
        }
        candidate = Recorded(
            type=event_class.TYPE,
            event_id=event_id,
            entity_id=str(self.id),
            effective=payload["effective"],
            source=payload["source"],
            recorded_at=recorded_at or _LATEST,
            fields=fields,
            correlation_id=payload["correlation_id"],
        )
        fold = self._fold()
        folding = fold is not None and fold.admits(candidate)
        if fold is not None and folding:
            fold.check(candidate)  # what the whole record below would refuse, faster
        else:
            build_record(str(self.id), believe([*self.events, candidate]).facts)
        if self.noted is None:
            self.trigger_event(event_class, timestamp=recorded_at, **payload)
        else:
            self.noted.append((event_class, self._note(event_class, candidate, recorded_at)))
        events = self.events
        if fold is not None and folding and isinstance(events, History) and events.fold is fold:
            fold.add(events[-1])  # the event as applied: the candidate, recorded
        return str(event_id)

    def _note(
        self, event_class: type[Entity.Fact], candidate: Recorded, recorded_at: datetime | None
    ) -> Recorded:
        """What ``trigger_event`` records, without the event object: the next version, the
        record time (the clock's unless given), applied as ``apply`` and ``mutate`` do."""
        timestamp = recorded_at or event_class.create_timestamp()
        recorded = Recorded(
            type=candidate.type,
            event_id=candidate.event_id,
            entity_id=candidate.entity_id,
            effective=candidate.effective,
            source=candidate.source,
            recorded_at=timestamp,
            fields=candidate.fields,
            correlation_id=candidate.correlation_id,
            version=self.version + 1,
        )
        self.events.append(recorded)
        self.version = self.version + 1
        self.modified_on = timestamp
        return recorded


def register(
    *,
    name: str,
    kind: str,
    country: str | None,
    source: Source,
    effective: DateInterval | None,
    entity_id: UUID | None = None,
    event_id: str | None = None,
    correlation_id: str | None = None,
    recorded_at: datetime | None = None,
) -> Entity:
    """A new entity, registered under its canonical name."""
    rules.require_text("name", name)
    rules.require_text("kind", kind)
    check_text("country", country, required=False)
    rules.check_fields({}, source)
    return Entity._create(
        Entity.Registered,
        id=entity_id or uuid4(),
        name=name.strip(),
        kind=kind.strip().lower(),
        country=country,
        event_id=event_id or new_event_id(),
        effective=effective,
        source=source,
        correlation_id=correlation_id,
        timestamp=recorded_at,
    )


def to_recorded(event: Entity.Fact, position: int | None = None) -> Recorded:
    """The plain record of a stored event."""
    names = _FIELD_NAMES.get(type(event))
    if names is None:
        names = tuple(f.name for f in dataclasses.fields(event) if f.name not in _ENVELOPE)
        _FIELD_NAMES[type(event)] = names
    fields = {name: getattr(event, name) for name in names}
    return Recorded(
        type=type(event).TYPE,
        event_id=event.event_id,
        entity_id=str(event.originator_id),
        effective=event.effective,
        source=event.source,
        recorded_at=event.timestamp,
        fields=fields,
        correlation_id=event.correlation_id,
        position=position,
        version=event.originator_version,
    )


__all__ = [
    "DELISTING_DECIDED",
    "DELISTING_REQUESTED",
    "SANCTION_IMPOSED",
    "SANCTION_LIFTED",
    "Entity",
    "register",
    "to_recorded",
]


def recorded_list(events: Sequence[Entity.Fact]) -> list[Recorded]:
    return [to_recorded(e) for e in events]
