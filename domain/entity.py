"""The entity aggregate: one sanctioned party and every event recorded about it.

Public methods check the rules against the believed record, then trigger an event.
An event's ``apply`` only appends it to the aggregate's list: it runs again at every
replay, so it never raises, reads the clock or makes ids.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate

from domain.dates import DateInterval
from domain.errors import NotFoundError, RuleViolationError
from domain.fold import RecordFold, build_record
from domain.record import (
    CORRECTABLE_FIELDS,
    DELISTING_DECIDED,
    DELISTING_REQUESTED,
    ENDINGS,
    ENTITIES_LINKED,
    ENTITIES_UNLINKED,
    EVENT_CORRECTED,
    EVENT_RETRACTED,
    LINK_TYPES,
    META_TYPES,
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
        """The believed record of the events so far, kept between commands; None when the
        events contradict each other (then every query folds them again, and raises)."""
        events = self.events
        if not isinstance(events, History):
            try:
                return RecordFold(str(self.id), events)
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
                fold = RecordFold(str(self.id), events)
            except RuleViolationError:
                return None
        events.fold = fold
        return fold

    def find_event(self, event_id: str) -> Recorded:
        for recorded in self.events:
            if recorded.event_id == event_id:
                return recorded
        msg = f"event {event_id!r} is not on record for entity {self.record().name!r}"
        raise NotFoundError(msg)

    def infer_measure(self, event_type: str) -> str:
        """The one measure that an ending or waiver step can apply to, else an error."""
        record = self.record()
        fits = [m for m in record.measures if _fits(m, event_type)]
        if len(fits) == 1:
            return fits[0].measure_id
        word = type_word(event_type)
        if not fits:
            ended = [
                f"{m.measure_id[:8]} {type_word(m.ending.type)} "
                f"{m.ending.effective.text if m.ending.effective else 'undated'}"
                for m in record.measures
                if m.ending is not None
            ]
            msg = (
                f"entity {record.name!r} has no measure that a {word} can apply to "
                f"({_fit_rule(event_type)}"
                + (f"; already ended: {', '.join(ended)}" if ended else "")
                + ")"
            )
            raise RuleViolationError(msg)
        choices = ", ".join(f"{m.measure_id[:8]} ({m.label()})" for m in fits)
        msg = (
            f"entity {record.name!r} has {len(fits)} measures a {word} fits: "
            f"name one with --measure: {choices}"
        )
        raise RuleViolationError(msg)

    def resolve_measure(self, measure: str) -> str:
        """A measure id from a full id or unique prefix, or from its program name."""
        record = self.record()
        needle = measure.casefold()
        matches = [
            m for m in record.measures if needle in (m.program.casefold(), m.label().casefold())
        ]
        if not matches and len(needle) >= 6:
            matches = [m for m in record.measures if m.measure_id.startswith(needle)]
        if len(matches) == 1:
            return matches[0].measure_id
        if not matches:
            known = ", ".join(f"{m.measure_id[:8]} ({m.label()})" for m in record.measures)
            if 0 < len(needle) < 6 and all(c in "0123456789abcdef" for c in needle):
                known += "; an id prefix needs at least 6 characters"
            msg = f"measure {measure!r} is not on record for entity {record.name!r}" + (
                f"; its measures: {known}" if known else "; it has no measures"
            )
            raise NotFoundError(msg)
        msg = (
            f"measure {measure!r} is ambiguous for entity {record.name!r}: "
            "use its id (or a longer id prefix)"
        )
        raise RuleViolationError(msg)

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
        _require_text("authority", authority)
        _require_text("program", program)
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
        _require_text("requested by", requested_by)
        return self._trigger(
            self.DelistingRequested, envelope, requested_by=requested_by, forum=forum
        )

    def decide_delisting(self, request_id: str | None, outcome: str, **envelope: Any) -> str:
        if outcome not in ("granted", "denied"):
            msg = f"outcome {outcome!r} must be 'granted' or 'denied'"
            raise RuleViolationError(msg)
        record = self.record()
        open_requests = [r for r in record.requests if r.decision is None]
        if request_id is None:
            if len(open_requests) != 1:
                msg = (
                    f"entity {record.name!r} has no delisting request awaiting a decision"
                    if not open_requests
                    else f"entity {record.name!r} has {len(open_requests)} open delisting "
                    "requests: name one with --request"
                )
                raise RuleViolationError(msg)
            request_id = open_requests[0].request.event_id
        else:
            matches = [r for r in record.requests if r.request.event_id.startswith(request_id)]
            if len(matches) != 1:
                msg = f"delisting request {request_id!r} is not on record for {record.name!r}"
                raise NotFoundError(msg)
            if matches[0].decision is not None:
                msg = f"delisting request {request_id!r} is already decided"
                raise RuleViolationError(msg)
            request_id = matches[0].request.event_id
        return self._trigger(
            self.DelistingDecided, envelope, request_id=request_id, outcome=outcome
        )

    def mention_negotiation(self, forum: str, summary: str | None, **envelope: Any) -> str:
        _require_text("forum", forum)
        return self._trigger(self.NegotiationMentioned, envelope, forum=forum, summary=summary)

    def report_activity(self, summary: str, **envelope: Any) -> str:
        _require_text("summary", summary)
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
        _refuse_link_fix(original, "correct")
        if original.type in META_TYPES:
            msg = (
                f"event {target[:8]} is a {type_word(original.type)}: correct the "
                "original event instead, or retract this one"
            )
            raise RuleViolationError(msg)
        allowed = CORRECTABLE_FIELDS.get(original.type, ())
        if not changes:
            msg = "a correction must change at least one field"
            raise RuleViolationError(msg)
        for name in changes:
            if name not in allowed:
                msg = (
                    f"field {name!r} cannot be corrected on a "
                    f"{type_word(original.type)}; correctable: {', '.join(allowed)}"
                )
                raise RuleViolationError(msg)
        return self._trigger(self.EventCorrected, envelope, target=target, changes=dict(changes))

    def retract(self, target: str, reason: str, **envelope: Any) -> str:
        original = self.find_event(target)
        _require_text("reason", reason)
        _refuse_link_fix(original, "retract")
        if original.type == EVENT_RETRACTED:
            msg = f"event {target[:8]} is a retraction: a retraction cannot be retracted"
            raise RuleViolationError(msg)
        fold = self._fold()
        beliefs = believe(self.events).belief if fold is None else fold.belief
        if beliefs.get(target) == "retracted":
            msg = f"event {target[:8]} is already retracted"
            raise RuleViolationError(msg)
        record = self.record()
        measure = record.measure(target)
        if measure is not None and len(measure.chain()) > 1:
            later = ", ".join(f"{type_word(e.type)} {e.event_id[:8]}" for e in measure.chain()[1:])
            msg = f"imposition {target[:8]} has later events ({later}): retract those first"
            raise RuleViolationError(msg)
        for request in record.requests:
            if request.request.event_id == target and request.decision is not None:
                msg = (
                    f"delisting request {target[:8]} has a decision "
                    f"({request.decision.event_id[:8]}): retract that first"
                )
                raise RuleViolationError(msg)
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
        if measure.ending is not None and event_type not in (EVENT_CORRECTED,):
            ended = measure.ending
            when = ended.effective.text if ended.effective else "undated"
            msg = (
                f"measure {measure_id[:8]} ({measure.label()}) already "
                f"{ended.type.removeprefix('sanction_')} ({when}): "
                f"no {type_word(event_type)} after its end"
            )
            raise RuleViolationError(msg)
        return measure

    def _trigger(
        self, event_class: type[Entity.Fact], envelope: Mapping[str, Any], **fields: Any
    ) -> str:
        """Check the record with the new event, then trigger it. Returns its event id."""
        check_fields(fields, envelope["source"])
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
        self.trigger_event(event_class, timestamp=recorded_at, **payload)
        events = self.events
        if fold is not None and folding and isinstance(events, History) and events.fold is fold:
            fold.add(events[-1])  # the event as applied: the candidate, recorded
        return str(event_id)


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
    _require_text("name", name)
    _require_text("kind", kind)
    check_text("country", country, required=False)
    check_fields({}, source)
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


def _require_text(what: str, value: str | None) -> None:
    check_text(what, value)


def check_fields(fields: Mapping[str, Any], source: Source) -> None:
    """Refuse control characters (and blank text) in an event's own fields and its source."""
    for field, value in fields.items():
        if isinstance(value, str):
            check_text(field.replace("_", " "), value, required=False)
        elif field == "changes" and isinstance(value, Mapping):
            check_fields(value, source)
    check_text("source", source.title)
    check_text("source publisher", source.publisher, required=False)
    check_text("source URL", source.url, required=False)
    check_text("source quote", source.quote, required=False)


def _refuse_link_fix(event: Recorded, verb: str) -> None:
    if event.type in LINK_TYPES:
        msg = (
            f"event {event.event_id[:8]} is a {type_word(event.type)}: a link is not "
            f"corrected or retracted (cannot {verb} it); withdraw it with 'unlink'"
        )
        raise RuleViolationError(msg)


def _fits(measure: MeasureRecord, event_type: str) -> bool:
    if measure.ending is not None:
        return False
    if event_type in ENDINGS:
        return True
    if event_type == SANCTION_WAIVED:
        return not measure.is_waived_now()
    if event_type == WAIVER_ENDED:
        return measure.is_waived_now()
    return False


def _fit_rule(event_type: str) -> str:
    if event_type in ENDINGS:
        return "no measure in force or waived"
    if event_type == SANCTION_WAIVED:
        return "no measure in force"
    return "no measure waived"


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
