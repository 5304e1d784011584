"""The local web page and JSON API over one store (DESIGN.md §11).

Flask: synchronous like the store and the read side, with a test client that runs every
route in-process, and Jinja2 (autoescaped) for the pages. One module per kind of page,
each with its JSON twin under ``/api/``.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import jinja2
from flask import Flask, Response, jsonify
from werkzeug.exceptions import HTTPException
from werkzeug.serving import make_server

from domain.errors import DomainError
from events_log.app import SanctionsApp
from projections import report
from projections.web import append, common, diff_page, entity_page, status_page


def create_app(
    sanctions: SanctionsApp,
    *,
    read_only: bool = False,
    today: Callable[[], date] | None = None,
    token: str | None = None,
) -> Flask:
    """The web application over ``sanctions``. ``today`` answers "as of today"; ``token``
    is the write token every page carries (a fresh random one by default)."""
    web = Flask(__name__)
    web.config.update(
        SANCTIONS=sanctions,
        READ_ONLY=read_only,
        TODAY=today or (lambda: datetime.now(UTC).date()),
        CSRF_TOKEN=token or secrets.token_urlsafe(32),
        JSON_SORT_KEYS=False,
    )
    web.json.sort_keys = False  # type: ignore[attr-defined]
    web.jinja_env.undefined = common.StrictUndefined
    # The web page's own templates first, then those it shares with the report.
    web.jinja_loader = jinja2.ChoiceLoader(
        [jinja2.PackageLoader("projections.web", "templates"), report.LOADER]
    )
    for module in (status_page, entity_page, diff_page, append):
        web.register_blueprint(module.blueprint)

    @web.errorhandler(DomainError)
    def refused(error: DomainError) -> Any:
        return common.refusal(str(error), common.status_for(error))

    @web.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Any:
        return common.refusal(str(error.description), error.code or 500)

    web.context_processor(common.page_context)

    @web.after_request
    def headers(response: Response) -> Response:
        # Nothing from elsewhere: scripts and styles come from this server only.
        response.headers["Content-Security-Policy"] = (
            "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
            "frame-ancestors 'none'; form-action 'self'"
        )
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response

    return web


def serve(
    sanctions: SanctionsApp,
    host: str,
    port: int,
    *,
    read_only: bool = False,
    note: Callable[[str], None] = print,
) -> int:
    """Serve until interrupted, one request at a time (the store is one SQLite file or one
    PostgreSQL connection, and a person at a browser is one user)."""
    server = make_server(host, port, create_app(sanctions, read_only=read_only))
    mode = " (read-only)" if read_only else ""
    note(f"serving http://{host}:{server.server_port}/{mode}; Ctrl-C stops")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


__all__ = ["create_app", "jsonify", "serve"]
