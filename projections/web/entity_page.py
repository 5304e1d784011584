"""``/entity/<entity_id>``: one entity's timeline, measures, explanation and history with
quotes, as of an adjustable date, and the form to record a diplomatic event; twins
``/api/history/<entity_id>`` and ``/api/explain/<entity_id>``."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from flask import Blueprint, current_app, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from markupsafe import Markup

from domain.dates import DateInterval
from domain.record import EntityRecord
from projections import parties, party_render, phrases, picture, render, report
from projections.views import HistoryEntry, Horizon, explain, history, record_of, view
from projections.web.common import as_of, entity_uuid, store

blueprint = Blueprint("entity", __name__)

FORM_KINDS = ("negotiation", "delisting-request", "delisting-decision", "activity")
PICTURES_KEPT = 256


def picture_of(record: EntityRecord, when: DateInterval) -> Markup:
    """The entity's timeline as inline SVG, drawn once per entity, as-of day and state of
    the log (drawing is most of the page's time; the log only grows, so its last position
    tells whether anything may have changed)."""
    kept: OrderedDict[tuple[str, str, int], Markup] = current_app.config.setdefault(
        "PICTURES", OrderedDict()
    )
    day = when.last_day
    key = (record.entity_id, "" if day is None else day.isoformat(), store().max_position())
    if key in kept:
        kept.move_to_end(key)
        return kept[key]
    svg = report.timeline_svg(picture.entity_groups([record]), when, legend=False)
    kept[key] = svg
    while len(kept) > PICTURES_KEPT:
        kept.popitem(last=False)
    return svg


def _record(entity_id: str) -> tuple[EntityRecord, list[HistoryEntry]]:
    found = entity_uuid(entity_id)
    events = store().entity_events(found)
    return record_of(str(found), events, Horizon()), history(events, Horizon())


def history_rows(entries: list[HistoryEntry]) -> list[dict[str, Any]]:
    rows = []
    for entry in entries:
        row = report.sourced(entry.event)
        rows.append(
            {
                "event": row,
                "event_id": entry.event.event_id,
                "type": entry.event.type,
                "belief": entry.belief,
                "now": None
                if entry.believed is None or entry.belief != "corrected"
                else phrases.describe(entry.believed),
            }
        )
    return rows


@blueprint.get("/entity/<entity_id>")
def entity_page(entity_id: str) -> ResponseReturnValue:
    when = as_of(request.args.get("as_of"))
    record, entries = _record(entity_id)
    item = view(record, when)
    explanation = explain(item)
    return render_template(
        "entity.html",
        entity=report.entity_context(item),
        as_of=render.as_of_json(when),
        as_of_text=request.args.get("as_of") or "",
        svg=picture_of(record, when),
        summary=render.explain_summary(explanation),
        deciding=[
            {
                "label": m.measure.measure.label(),
                "events": [
                    {
                        "date": phrases.date_text(d.event.effective),
                        "what": phrases.describe(d.event),
                        "role": d.role,
                    }
                    for d in m.events
                ],
            }
            for m in explanation.measures
        ],
        straddling=[
            {"what": phrases.describe(d.event), "settle": d.settle} for d in explanation.straddling
        ],
        history=history_rows(entries),
        requests=[
            {"event_id": r.request.event_id, "what": phrases.describe(r.request)}
            for r in record.requests
            if r.decision is None
        ],
        kinds=FORM_KINDS,
        legend=[
            {"kind": kind, "colour": colour, "marker": marker, "opacity": opacity, "label": label}
            for kind, colour, marker, opacity, label in picture.LEGEND
        ],
    )


@blueprint.get("/api/history/<entity_id>")
def api_history(entity_id: str) -> ResponseReturnValue:
    (party,) = parties.parties_for(store(), [entity_uuid(entity_id).hex], Horizon())
    return jsonify(party_render.history_json(party, Horizon()))


@blueprint.get("/api/explain/<entity_id>")
def api_explain(entity_id: str) -> ResponseReturnValue:
    when = as_of(request.args.get("as_of"))
    (party,) = parties.parties_for(store(), [entity_uuid(entity_id).hex], Horizon())
    return jsonify(render.explain_json(explain(parties.party_view(party, when)), when, Horizon()))
