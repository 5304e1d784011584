"""Recording a new event about entities already on record, from the command line's options.

Shared by ``sanctions append`` and the web page's form, so that both apply the same rules
and refuse with the same messages. Options are keyed by their argparse names
(``requested_by`` for ``--requested-by``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from uuid import UUID, uuid4

from domain.dates import DateInterval, parse_date, parse_day
from domain.entity import Entity
from domain.errors import RuleViolationError
from domain.record import (
    SANCTION_LAPSED,
    SANCTION_LIFTED,
    SANCTION_WAIVED,
    WAIVER_ENDED,
    Source,
)
from events_log.app import SanctionsApp

MEASURE_KINDS = {
    "lapse": SANCTION_LAPSED,
    "lifting": SANCTION_LIFTED,
    "waiver": SANCTION_WAIVED,
    "waiver-end": WAIVER_ENDED,
}

# The options each kind takes beyond the envelope, and which of them it needs.
KIND_OPTIONS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "alias": (("alias",), ("alias",)),
    "identifier": (("identifier",), ("identifier",)),
    "imposition": (("authority", "program", "reason"), ("authority", "program")),
    **{kind: (("measure",), ()) for kind in MEASURE_KINDS},
    "delisting-request": (("requested_by", "forum"), ("requested_by",)),
    "delisting-decision": (("outcome", "request"), ("outcome",)),
    "negotiation": (("forum", "summary"), ("forum",)),
    "activity": (("summary",), ("summary",)),
}
ENVELOPE = ("entity", "date", "source", "source_date", "publisher", "url", "quote", "correlation")
OUTCOMES = ("granted", "denied")


def source_of(options: Mapping[str, Any]) -> Source:
    """The source as given; the entity's commands check its title."""
    source_date = options.get("source_date")
    return Source(
        title=options["source"],
        publisher=options.get("publisher"),
        published=None if source_date is None else parse_day(source_date),
        url=options.get("url"),
        quote=options.get("quote"),
    )


def effective_of(text: str | None, source: Source) -> DateInterval | None:
    return None if text is None else parse_date(text, published=source.published)


def record(
    app: SanctionsApp, kind: str, options: Mapping[str, Any], envelope: dict[str, Any]
) -> list[tuple[UUID, str]]:
    """Record one event of ``kind`` on each ``--entity``, in one transaction; the entity
    and event ids. ``envelope`` holds the parsed ``effective`` and ``source``."""
    entity_ids = list(dict.fromkeys(app.find(name) for name in options["entity"]))
    if kind == "alias":
        taken = [e for e in app.lookup(options["alias"]) if e not in entity_ids]
        if taken:
            owner = app.entity(taken[0]).record().name
            msg = (
                f"alias {options['alias']!r} already names {owner!r}: a name shared by two "
                "entities would make look-ups ambiguous"
            )
            raise RuleViolationError(msg)
    correlation = options.get("correlation")
    if len(entity_ids) > 1 and correlation is None:
        correlation = uuid4().hex
    envelope = {**envelope, "correlation_id": correlation}
    event_ids = app.act(entity_ids, action(kind, options, envelope))
    return list(zip(entity_ids, event_ids, strict=True))


def action(
    kind: str, options: Mapping[str, Any], envelope: dict[str, Any]
) -> Callable[[Entity], str]:
    def get(name: str) -> Any:
        return options.get(name)

    if kind == "alias":
        return lambda e: _added(e, lambda: e.add_alias(get("alias"), **envelope))
    if kind == "identifier":
        return lambda e: _added(e, lambda: e.add_identifier(get("identifier"), **envelope))
    if kind == "imposition":
        return lambda e: e.impose(get("authority"), get("program"), get("reason"), **envelope)
    if kind in MEASURE_KINDS:
        event_type = MEASURE_KINDS[kind]

        def step(entity: Entity) -> str:
            measure = (
                entity.resolve_measure(get("measure"))
                if get("measure")
                else entity.infer_measure(event_type)
            )
            if event_type in (SANCTION_LAPSED, SANCTION_LIFTED):
                return entity.end_measure(event_type, measure, **envelope)
            if event_type == SANCTION_WAIVED:
                return entity.waive(measure, **envelope)
            return entity.end_waiver(measure, **envelope)

        return step
    if kind == "delisting-request":
        return lambda e: e.request_delisting(get("requested_by"), get("forum"), **envelope)
    if kind == "delisting-decision":
        return lambda e: e.decide_delisting(get("request"), get("outcome"), **envelope)
    if kind == "negotiation":
        return lambda e: e.mention_negotiation(get("forum"), get("summary"), **envelope)
    return lambda e: e.report_activity(get("summary"), **envelope)


def _added(entity: Entity, command: Callable[[], None]) -> str:
    before = len(entity.events)
    command()
    if len(entity.events) == before:
        msg = "already on record for this entity: nothing to add"
        raise RuleViolationError(msg)
    return entity.events[-1].event_id


def options_from_json(body: Any) -> tuple[str, dict[str, Any]]:
    """A JSON body with the command line's option names (``"requested-by"``), checked as
    the command line checks them; the kind and the options by their argparse names."""
    if not isinstance(body, dict):
        msg = "the request body must be a JSON object with the options of 'sanctions append'"
        raise RuleViolationError(msg)
    kind = body.get("kind")
    if kind not in KIND_OPTIONS:
        choices = ", ".join(KIND_OPTIONS)
        msg = f"append kind {kind!r} is not one of the kinds recorded here ({choices})"
        raise RuleViolationError(msg)
    allowed, required = KIND_OPTIONS[kind]
    options: dict[str, Any] = {}
    for key, value in body.items():
        if key == "kind":
            continue
        name = key.replace("-", "_")
        if name not in (*ENVELOPE, *allowed):
            msg = f"append {kind} has no option --{name.replace('_', '-')}"
            raise RuleViolationError(msg)
        if name == "entity" and isinstance(value, list):
            if not value or not all(isinstance(v, str) for v in value):
                msg = "--entity must be a name or a list of names"
                raise RuleViolationError(msg)
        elif value is not None and not isinstance(value, str):
            msg = f"--{name.replace('_', '-')} must be a string, not {value!r}"
            raise RuleViolationError(msg)
        if value not in (None, ""):
            options[name] = [value] if name == "entity" and isinstance(value, str) else value
    missing = [n for n in ("entity", "date", "source", *required) if n not in options]
    if missing:
        names = ", ".join("--" + n.replace("_", "-") for n in missing)
        msg = f"append {kind}: the following arguments are required: {names}"
        raise RuleViolationError(msg)
    if kind == "delisting-decision" and options["outcome"] not in OUTCOMES:
        msg = (
            f"argument --outcome: invalid choice: {options['outcome']!r} "
            f"(choose from {', '.join(OUTCOMES)})"
        )
        raise RuleViolationError(msg)
    return kind, options
