"""What every page and API route shares: the store, the as-of date, refusals, the token."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from flask import current_app, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from jinja2 import StrictUndefined

from domain.dates import DateInterval, as_of_period
from domain.errors import DomainError, NotFoundError, RuleViolationError
from events_log.app import SanctionsApp

PAGE_SIZE = 50

__all__ = ["StrictUndefined"]


def store() -> SanctionsApp:
    app: SanctionsApp = current_app.config["SANCTIONS"]
    return app


def today() -> date:
    day: date = current_app.config["TODAY"]()
    return day


def as_of(text: str | None, name: str = "as_of") -> DateInterval:
    """An as-of period from a query parameter, checked as ``--as-of`` is; today by default."""
    return as_of_period(None if text is None or not text.strip() else text, today())


def entity_uuid(entity_id: str) -> UUID:
    """The entity an id in a URL names (32 hex digits, as the JSON gives it)."""
    try:
        found = UUID(hex=entity_id)
    except ValueError:
        msg = f"entity id {entity_id!r} is not 32 hexadecimal digits"
        raise NotFoundError(msg) from None
    if not store().entity_events(found):
        msg = f"entity {entity_id!r} is not on record"
        raise NotFoundError(msg)
    return found


def page_number(text: str | None) -> int:
    if text is None or text == "":
        return 1
    if not text.isdigit() or int(text) < 1:
        msg = f"page {text!r} must be a whole number from 1"
        raise RuleViolationError(msg)
    return int(text)


def status_for(error: DomainError) -> int:
    if isinstance(error, NotFoundError):
        return 404
    return 400


def wants_json() -> bool:
    return request.path.startswith("/api/")


def refusal(message: str, code: int) -> ResponseReturnValue:
    """A refusal: ``{"error": ...}`` for the API, the page with the message otherwise."""
    if wants_json():
        return jsonify({"error": message}), code
    return render_template("error.html", message=message, code=code), code


def page_context() -> dict[str, Any]:
    return {
        "csrf_token": current_app.config["CSRF_TOKEN"],
        "read_only": current_app.config["READ_ONLY"],
    }
