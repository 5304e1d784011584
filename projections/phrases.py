"""How events, dates and as-of periods read as text: the phrases every table shares."""

from __future__ import annotations

import textwrap

from domain.dates import DateInterval
from domain.record import Recorded
from domain.status import Status, StatusAt
from projections import terminal
from projections.views import Horizon

WIDTH = 80


def as_of_heading(as_of: DateInterval, horizon: Horizon) -> str:
    if as_of.is_day:
        text = f"Status as of the end of {as_of.canonical()}"
    else:
        assert as_of.last_day is not None
        assert as_of.start is not None
        text = (
            f"Status at the end of {as_of.text} ({as_of.start.isoformat()} .. "
            f"{as_of.last_day.isoformat()})"
        )
    if horizon.recorded_by is not None:
        text += f"; recorded by {horizon.recorded_by.isoformat()}"
    if horizon.reported_by is not None:
        text += f"; published by {horizon.reported_by.isoformat()}"
    return text


def wrap(text: str, indent: int) -> list[str]:
    """Lines of at most WIDTH columns, control characters escaped."""
    shown = terminal.escape(text)
    if terminal.width(shown) != len(shown):  # wide or combining characters: count columns
        return terminal.wrap(shown, WIDTH, indent)
    return textwrap.wrap(
        shown, WIDTH, initial_indent=" " * indent, subsequent_indent=" " * (indent + 2)
    ) or [" " * indent]


def date_text(interval: DateInterval | None) -> str:
    """A date as a person reads it ("2007", "early 2000s [2000/2003]", "undated")."""
    return "undated" if interval is None else interval.describe()


def event_phrase(event: Recorded) -> str:
    return f"{event.type.replace('_', ' ')} {date_text(event.effective)}"


def describe(event: Recorded) -> str:
    """One line that says what an event records, as the history table shows it."""
    kind = event.type
    get = event.get
    if kind == "sanction_imposed":
        return f"imposed: {get('authority')} / {get('program')}" + (
            f" ({get('reason')})" if get("reason") else ""
        )
    if kind in ("sanction_lapsed", "sanction_lifted", "sanction_waived", "waiver_ended"):
        word = kind.removeprefix("sanction_").replace("_", " ")
        return f"{word}: measure {str(get('measure_id'))[:8]}"
    if kind == "delisting_requested":
        return f"delisting requested by {get('requested_by')}" + (
            f" ({get('forum')})" if get("forum") else ""
        )
    if kind == "delisting_decided":
        return f"delisting {get('outcome')}: request {str(get('request_id'))[:8]}"
    if kind == "negotiation_mentioned":
        return f"negotiation: {get('forum')}" + (f": {get('summary')}" if get("summary") else "")
    if kind == "activity_reported":
        return f"activity: {get('summary')}"
    if kind == "entity_registered":
        return f"registered: {get('name')} ({get('kind')})"
    if kind == "alias_added":
        return f"alias: {get('alias')}"
    if kind == "identifier_added":
        return f"identifier: {get('identifier')}"
    if kind == "event_corrected":
        changes = ", ".join(
            f"{k}={v.text if isinstance(v, DateInterval) else v}"
            for k, v in (get("changes") or {}).items()
        )
        return f"correction of {str(get('target'))[:8]}: {changes}"
    if kind == "event_retracted":
        return f"retraction of {str(get('target'))[:8]}: {get('reason')}"
    if kind in ("entities_linked", "entities_unlinked"):
        word = "linked" if kind == "entities_linked" else "unlinked"
        return f"{word} with entity {str(get('other_id')).replace('-', '')[:8]}" + (
            f" ({get('reason')})" if get("reason") else ""
        )
    return kind


def source_line(event: Recorded) -> str:
    source = event.source
    published = f", {source.published.isoformat()}" if source.published else ""
    return f"source: {source.title}{published}"


def quote_lines(event: Recorded, indent: int) -> list[str]:
    lines = wrap(source_line(event), indent)
    quote = event.source.quote
    if quote:
        framed = quote if quote.startswith(('"', "\u201c")) else f'"{quote}"'
        lines += wrap(framed, indent + 2)
    return lines


def status_word(status: StatusAt) -> str:
    if status.status is Status.UNCERTAIN:
        return "uncertain: " + " or ".join(status.possible_statuses)
    return status.status.value
