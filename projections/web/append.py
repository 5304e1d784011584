"""``POST /api/append``: record a new event from a JSON body with the command line's option
names. Writes need the token every page carries (``X-CSRF-Token``); ``--read-only``
refuses them all."""

from __future__ import annotations

import hmac

from flask import Blueprint, current_app, jsonify, request
from flask.typing import ResponseReturnValue

from events_log import append
from projections.web.common import refusal, store

blueprint = Blueprint("append", __name__)


def write_refusal() -> ResponseReturnValue | None:
    """Why this request may not write, or None when it may."""
    if current_app.config["READ_ONLY"]:
        return refusal("this server is read-only (serve --read-only): writes are refused", 403)
    sent = request.headers.get("X-CSRF-Token", "")
    expected: str = current_app.config["CSRF_TOKEN"]
    if not hmac.compare_digest(sent.encode(), expected.encode()):
        return refusal(
            "writes need the page's token in the X-CSRF-Token header "
            '(from <meta name="csrf-token">): missing or wrong',
            403,
        )
    if not request.is_json:
        return refusal("the request body must be JSON (Content-Type: application/json)", 415)
    return None


@blueprint.post("/api/append")
def api_append() -> ResponseReturnValue:
    refused = write_refusal()
    if refused is not None:
        return refused
    kind, options = append.options_from_json(request.get_json(silent=True))
    source = append.source_of(options)
    envelope = {"effective": append.effective_of(options["date"], source), "source": source}
    app = store()
    recorded = append.record(app, kind, options, envelope)
    return jsonify(
        {
            "recorded": [
                {
                    "kind": kind,
                    "event_id": event_id,
                    "entity_id": entity_id.hex,
                    "name": app.entity(entity_id).record().name,
                }
                for entity_id, event_id in recorded
            ]
        }
    ), 201
