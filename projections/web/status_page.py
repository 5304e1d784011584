"""``/``: search, and every entity's status as of a date, a page at a time; its JSON twins
``/api/status`` and ``/api/entities``."""

from __future__ import annotations

from typing import Any

import attrs
from flask import Blueprint, Response, jsonify, render_template, request
from flask.typing import ResponseReturnValue

from domain.dates import DateInterval
from domain.record import EntityRecord
from projections import event_render, parties, party_render, render, timeline
from projections.stream import json_chunks
from projections.timeline import EntityStatus
from projections.timeline.display import decode_display, display_text
from projections.views import Horizon
from projections.web.common import PAGE_SIZE, as_of, page_number, store

blueprint = Blueprint("status", __name__)


@attrs.frozen
class Listed:
    """One line of the list: an entity's head and its status, from the status timeline."""

    record: EntityRecord
    measures: int
    status: EntityStatus | None


Head = tuple[str, str, int, bytes]  # entity id, name, first position, stored display


def heads(query: str | None = None) -> list[Head]:
    """Every entity (or those with ``query`` in a name, alias or identifier), sorted by
    name, from the status timeline."""
    found: list[Any] = timeline.timeline_view(store()).select(
        "SELECT entity_id, name, first_position, display FROM timeline_entities"
    )
    if query:
        needle = query.casefold()
        found = [h for h in found if needle in h[1].casefold() or _in_display(needle, h[3])]
    return sorted(found, key=lambda h: (h[1].casefold(), h[2]))


def _in_display(needle: str, display: bytes) -> bool:
    text = display_text(display)
    if needle not in text.casefold():
        return False  # the cheap test first: the JSON holds every alias and identifier
    shown = decode_display(display, text)
    return any(needle in t.casefold() for t in (*shown["aliases"], *shown["identifiers"]))


def listed(found: list[Head], when: DateInterval) -> list[Listed]:
    """The heads with their statuses over ``when``."""
    statuses = timeline.statuses(store(), when)
    items = []
    for entity_id, name, _, display in found:
        shown = decode_display(display)
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
        items.append(Listed(record, len(shown["measures"]), statuses.get(entity_id)))
    return items


def status_words(status: EntityStatus | None) -> tuple[str, str]:
    if status is None:
        return "not_sanctioned", "not_sanctioned"
    words = []
    for word, possible in (
        (status.status, status.possible_statuses),
        (status.status_at_start, status.possible_statuses_at_start),
    ):
        words.append("uncertain: " + " or ".join(possible) if word == "uncertain" else word)
    return words[0], words[1]


@blueprint.get("/")
def index() -> ResponseReturnValue:
    when = as_of(request.args.get("as_of"))
    query = (request.args.get("q") or "").strip()
    page = page_number(request.args.get("page"))
    timeline.catch_up(store())
    found = heads(query or None)
    pages = max(1, -(-len(found) // PAGE_SIZE))
    page = min(page, pages)
    rows = []
    for item in listed(found[(page - 1) * PAGE_SIZE : page * PAGE_SIZE], when):
        status, at_start = status_words(item.status)
        rows.append(
            {
                "head": event_render.entity_head_json(item.record),
                "code": "not_sanctioned" if item.status is None else item.status.status,
                "status": status,
                "at_start": at_start,
                "measures": item.measures,
            }
        )
    return render_template(
        "index.html",
        as_of=render.as_of_json(when),
        as_of_text=request.args.get("as_of") or "",
        query=query,
        page=page,
        pages=pages,
        total=len(found),
        rows=rows,
    )


@blueprint.get("/api/status")
def api_status() -> ResponseReturnValue:
    when = as_of(request.args.get("as_of"))
    names = request.args.getlist("name")
    app = store()
    if not names:  # every entity: the command line's text, encoded from the timeline's rows
        head = render.status_head_json(when, Horizon())
        text = "".join(json_chunks(head, "entities", parties.status_texts(app, when)))
        return Response(text, mimetype="application/json")
    views = [parties.party_view(p, when) for p in parties.parties_for(app, names, Horizon())]
    return jsonify(render.status_json(views, when, Horizon()))


@blueprint.get("/api/entities")
def api_entities() -> ResponseReturnValue:
    query = (request.args.get("q") or "").strip()
    found = parties.matching(parties.all_parties(store(), Horizon()), query or None)
    return jsonify(party_render.entities_json(found))
