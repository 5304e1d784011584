"""The checks an entity's commands make on its believed record before an event is recorded.

Each is a function of the record (or of the event it concerns): it returns the measure or
request a command applies to, or raises with the rule that refuses it. ``domain/entity.py``
calls them, then triggers the event.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from domain.errors import NotFoundError, RuleViolationError
from domain.record import (
    CORRECTABLE_FIELDS,
    ENDINGS,
    EVENT_CORRECTED,
    EVENT_RETRACTED,
    LINK_TYPES,
    META_TYPES,
    SANCTION_WAIVED,
    WAIVER_ENDED,
    EntityRecord,
    MeasureRecord,
    Recorded,
    Source,
    type_word,
)
from domain.text import check_text


def require_text(what: str, value: str | None) -> None:
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


def infer_measure(record: EntityRecord, event_type: str) -> str:
    """The one measure that an ending or waiver step can apply to, else an error."""
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


def resolve_measure(record: EntityRecord, measure: str) -> str:
    """A measure id from a full id or unique prefix, or from its program name."""
    needle = measure.casefold()
    matches = [m for m in record.measures if needle in (m.program.casefold(), m.label().casefold())]
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


def check_open(measure: MeasureRecord, measure_id: str, event_type: str) -> None:
    """Refuse a step on a measure that has already ended."""
    if measure.ending is not None and event_type not in (EVENT_CORRECTED,):
        ended = measure.ending
        when = ended.effective.text if ended.effective else "undated"
        msg = (
            f"measure {measure_id[:8]} ({measure.label()}) already "
            f"{ended.type.removeprefix('sanction_')} ({when}): "
            f"no {type_word(event_type)} after its end"
        )
        raise RuleViolationError(msg)


def choose_request(record: EntityRecord, request_id: str | None) -> str:
    """The delisting request a decision answers: the one open, or the one named."""
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
        return open_requests[0].request.event_id
    matches = [r for r in record.requests if r.request.event_id.startswith(request_id)]
    if len(matches) != 1:
        msg = f"delisting request {request_id!r} is not on record for {record.name!r}"
        raise NotFoundError(msg)
    if matches[0].decision is not None:
        msg = f"delisting request {request_id!r} is already decided"
        raise RuleViolationError(msg)
    return matches[0].request.event_id


def check_correction(original: Recorded, target: str, changes: Mapping[str, Any]) -> None:
    """Refuse a correction of a link, of a correction or retraction, or of a fixed field."""
    refuse_link_fix(original, "correct")
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


def check_retraction(
    original: Recorded, target: str, beliefs: Mapping[str, str], record: EntityRecord
) -> None:
    """Refuse retracting a link, a retraction, what is retracted, or what later events need."""
    refuse_link_fix(original, "retract")
    if original.type == EVENT_RETRACTED:
        msg = f"event {target[:8]} is a retraction: a retraction cannot be retracted"
        raise RuleViolationError(msg)
    if beliefs.get(target) == "retracted":
        msg = f"event {target[:8]} is already retracted"
        raise RuleViolationError(msg)
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


def refuse_link_fix(event: Recorded, verb: str) -> None:
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
