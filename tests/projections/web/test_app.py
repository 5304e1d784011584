"""The web app in-process, through Flask's test client: every page, its JSON twin, the
refusals with the command line's messages, and the token rule for writes."""

from __future__ import annotations

import io
import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from cli import build_parser, main
from events_log.app import SanctionsApp
from events_log.bundled import BUNDLED_DATASET
from events_log.store import resolve_store
from projections.web import create_app

TODAY = date(2026, 11, 28)
TOKEN = "test-token"
NORINCO = "China North Industries Corp."
NASTY = "Acme <Holdings> & \"Sons\" 'Ltd'"
NEGOTIATION = {
    "kind": "negotiation",
    "entity": "Norinco",
    "date": "2013-12",
    "source": "Desk note",
    "source-date": "2013-12-20",
    "forum": "U.S.-China JCCT",
    "summary": "raised at the meeting",
}


def cli(store: Path, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main([*argv, "--store", str(store)], stdout=out, stderr=err, environ={}, today=TODAY)
    return code, out.getvalue(), err.getvalue()


def web_app(store: Path, *, read_only: bool = False) -> Flask:
    app = SanctionsApp(resolve_store(str(store), {}))
    return create_app(app, read_only=read_only, today=lambda: TODAY, token=TOKEN)


@pytest.fixture(scope="module")
def read_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled dataset, one odd name, and sixty more entities to page through."""
    store = tmp_path_factory.mktemp("web") / "s.sqlite"
    assert cli(store, "init", "--empty")[0] == 0  # the article alone: its pages, counted
    assert cli(store, "import", str(BUNDLED_DATASET))[0] == 0
    source = ["--source", "Test list", "--date", "2020"]
    assert (
        cli(store, "append", "registration", "--entity", NASTY, "--kind", "company", *source)[0]
        == 0
    )
    for n in range(60):
        assert (
            cli(
                store,
                "append",
                "registration",
                "--entity",
                f"Zz Filler {n:02d}",
                "--kind",
                "vessel",
                *source,
            )[0]
            == 0
        )
    return store


@pytest.fixture(scope="module")
def client(read_store: Path) -> FlaskClient:
    return web_app(read_store).test_client()


@pytest.fixture
def write_store(tmp_path: Path) -> Path:
    store = tmp_path / "w.sqlite"
    assert cli(store, "init", "--empty")[0] == 0
    assert cli(store, "import", str(BUNDLED_DATASET))[0] == 0
    return store


def entity_id(client: FlaskClient, name: str) -> str:
    found = client.get("/api/entities", query_string={"q": name}).get_json()["entities"]
    return str(next(e["entity_id"] for e in found if e["name"] == name))


def text_of(html: str, element_id: str) -> str:
    match = re.search(rf'id="{element_id}"[^>]*>(.*?)</', html, flags=re.S)
    assert match, element_id
    return " ".join(match.group(1).split())


def page(response: Any) -> str:
    assert response.status_code == 200, response.data[:300]
    return str(response.get_data(as_text=True))


class TestStatusPage:
    def test_lists_every_entity_a_page_at_a_time(self, client: FlaskClient) -> None:
        first = page(client.get("/"))
        second = page(client.get("/?page=2"))

        assert "69 entities" in first
        assert "page 1 of 2" in first
        assert "page 2 of 2" in second
        assert first.count('class="entity"') == 50
        assert second.count('class="entity"') == 19
        assert "Zz Filler 59" in second
        assert "Zz Filler 59" not in first
        assert 'rel="next"' in first
        assert 'rel="prev"' in second

    def test_searches_names_and_aliases(self, client: FlaskClient) -> None:
        html = page(client.get("/?q=norinco&as_of=2005"))

        assert html.count('class="entity"') == 1
        assert f">{NORINCO}</a>" in html
        assert 'class="status status-sanctioned">sanctioned<' in html

    def test_the_status_follows_the_as_of_date(self, client: FlaskClient) -> None:
        later = page(client.get("/?q=norinco&as_of=2010"))
        uncertain = page(client.get("/?q=kunlun&as_of=2010"))

        assert 'class="status status-lapsed">lapsed<' in later
        assert "uncertain: sanctioned or not_sanctioned" in uncertain

    def test_names_are_escaped(self, client: FlaskClient) -> None:
        html = page(client.get("/?q=acme"))

        assert "Acme &lt;Holdings&gt; &amp; &#34;Sons&#34; &#39;Ltd&#39;" in html
        assert "<Holdings>" not in html

    def test_every_page_carries_the_write_token(self, client: FlaskClient) -> None:
        for url in ("/", "/diff", f"/entity/{entity_id(client, NORINCO)}"):
            assert f'<meta name="csrf-token" content="{TOKEN}">' in page(client.get(url))

    def test_a_bad_page_number_is_refused(self, client: FlaskClient) -> None:
        response = client.get("/?page=zero")

        assert response.status_code == 400
        assert "page &#39;zero&#39; must be a whole number from 1" in response.get_data(True)

    def test_nothing_is_loaded_from_elsewhere(self, client: FlaskClient) -> None:
        response = client.get("/")

        assert response.headers["Content-Security-Policy"].startswith("default-src 'self'")
        assert "http" not in re.sub(r'href="/[^"]*"', "", page(response)).replace("http-equiv", "")


class TestStatusApi:
    def test_answers_with_the_command_line_json(
        self, client: FlaskClient, read_store: Path
    ) -> None:
        response = client.get(
            "/api/status", query_string={"as_of": "2010", "name": ["Norinco", "Kunlun Bank"]}
        )
        code, out, _ = cli(
            read_store, "status", "Norinco", "Kunlun Bank", "--as-of", "2010", "--format", "json"
        )

        assert (response.status_code, code) == (200, 0)
        assert response.get_json() == json.loads(out)

    def test_every_entity_without_names(self, client: FlaskClient, read_store: Path) -> None:
        data = client.get("/api/status?as_of=2013").get_json()
        _, out, _ = cli(read_store, "status", "--as-of", "2013", "--format", "json")

        assert data == json.loads(out)
        assert len(data["entities"]) == 69

    def test_a_bad_date_gets_the_command_line_message(
        self, client: FlaskClient, read_store: Path
    ) -> None:
        response = client.get("/api/status?as_of=2013-13")
        _, _, err = cli(read_store, "status", "--as-of", "2013-13")

        assert response.status_code == 400
        assert response.get_json() == {"error": err.removeprefix("error: ").rstrip("\n")}

    def test_an_unknown_name_is_a_404_with_the_command_line_message(
        self, client: FlaskClient, read_store: Path
    ) -> None:
        response = client.get("/api/status?name=Norinko")
        _, _, err = cli(read_store, "status", "Norinko")

        assert response.status_code == 404
        assert response.get_json() == {"error": err.removeprefix("error: ").rstrip("\n")}

    def test_entities_matches_the_command_line(self, client: FlaskClient, read_store: Path) -> None:
        data = client.get("/api/entities?q=china").get_json()
        _, out, _ = cli(read_store, "entities", "china", "--format", "json")

        assert data == json.loads(out)
        assert len(data["entities"]) == 3


class TestEntityPage:
    def test_shows_the_status_as_of_the_date_asked(self, client: FlaskClient) -> None:
        norinco = entity_id(client, NORINCO)

        before = page(client.get(f"/entity/{norinco}?as_of=2005"))
        after = page(client.get(f"/entity/{norinco}?as_of=2010"))

        assert text_of(before, "status") == "sanctioned"
        assert text_of(after, "status") == "lapsed"
        assert text_of(after, "entity-name") == NORINCO
        assert 'value="2010"' in after

    def test_holds_the_picture_the_measures_the_explanation_and_the_history(
        self, client: FlaskClient
    ) -> None:
        html = page(client.get(f"/entity/{entity_id(client, 'Kunlun Bank')}?as_of=2010"))

        assert html.count("<svg") == 1
        assert 'id="legend"' in html
        assert "Comprehensive Iran Sanctions" in html
        assert text_of(html, "explain").startswith("uncertain: the record allows")
        assert "What would settle it" in html
        assert html.count("<blockquote>") >= 3  # quotes of the history's sources
        assert 'id="append"' in html

    def test_an_unknown_or_malformed_id_is_a_404(self, client: FlaskClient) -> None:
        unknown = client.get("/entity/" + "0" * 32)
        malformed = client.get("/entity/xyz")

        assert unknown.status_code == malformed.status_code == 404
        assert "is not on record" in unknown.get_data(True)
        assert "is not 32 hexadecimal digits" in malformed.get_data(True)


class TestEntityApi:
    def test_history_is_the_command_line_json(self, client: FlaskClient, read_store: Path) -> None:
        response = client.get(f"/api/history/{entity_id(client, NORINCO)}")
        _, out, _ = cli(read_store, "history", "Norinco", "--format", "json")

        assert response.get_json() == json.loads(out)

    def test_explain_is_the_command_line_json(self, client: FlaskClient, read_store: Path) -> None:
        response = client.get(f"/api/explain/{entity_id(client, 'Kunlun Bank')}?as_of=2010")
        _, out, _ = cli(read_store, "explain", "Kunlun Bank", "--as-of", "2010", "--format", "json")

        assert response.get_json() == json.loads(out)

    def test_unknown_ids_and_bad_dates_are_refused_in_json(self, client: FlaskClient) -> None:
        norinco = entity_id(client, NORINCO)

        missing = client.get("/api/history/" + "f" * 32)
        bad_date = client.get(f"/api/explain/{norinco}?as_of=..2010")

        assert missing.status_code == 404
        assert missing.get_json() == {"error": f"entity {'f' * 32!r} is not on record"}
        assert bad_date.status_code == 400
        assert bad_date.get_json()["error"].startswith("as-of date '..2010' must have both ends")


class TestDiff:
    def test_the_page_lists_what_changed(self, client: FlaskClient) -> None:
        html = page(client.get("/diff?from=2010&to=2013-10-04"))
        empty = page(client.get("/diff"))

        assert "Kunlun Bank</a>" in html
        assert 'id="from"' in empty
        assert "changed." not in empty

    def test_the_api_is_the_command_line_json(self, client: FlaskClient, read_store: Path) -> None:
        response = client.get("/api/diff?from=2010&to=2013-10-04")
        _, out, _ = cli(
            read_store, "diff", "--from", "2010", "--to", "2013-10-04", "--format", "json"
        )

        assert response.get_json() == json.loads(out)

    def test_a_missing_or_reversed_bound_is_refused(
        self, client: FlaskClient, read_store: Path
    ) -> None:
        missing = client.get("/api/diff?from=2010")
        reversed_ = client.get("/api/diff?from=2013&to=2010")
        _, _, err = cli(read_store, "diff", "--from", "2013", "--to", "2010")

        assert missing.status_code == 400
        assert missing.get_json() == {"error": "diff needs ?to=D (a day, month, year or range)"}
        assert reversed_.status_code == 400
        assert reversed_.get_json() == {"error": err.removeprefix("error: ").rstrip("\n")}


def log_size(store: Path) -> int:
    _, out, _ = cli(store, "log", "--format", "json")
    return len(json.loads(out)["events"])


class TestAppend:
    def post(self, client: FlaskClient, body: Any, **headers: str) -> Any:
        return client.post("/api/append", json=body, headers=headers)

    def test_a_negotiation_with_the_token_is_recorded_and_shown(self, write_store: Path) -> None:
        client = web_app(write_store).test_client()
        before = log_size(write_store)

        response = self.post(client, NEGOTIATION, **{"X-CSRF-Token": TOKEN})

        assert response.status_code == 201
        (recorded,) = response.get_json()["recorded"]
        assert recorded["name"] == NORINCO
        assert recorded["kind"] == "negotiation"
        assert log_size(write_store) == before + 1
        _, out, _ = cli(write_store, "history", "Norinco", "--format", "json")
        event = next(e for e in json.loads(out)["events"] if e["event_id"] == recorded["event_id"])
        assert event["forum"] == "U.S.-China JCCT"
        assert event["source"]["published"] == "2013-12-20"
        assert "U.S.-China JCCT: raised at the meeting" in page(
            client.get(f"/entity/{recorded['entity_id']}")
        )

    @pytest.mark.parametrize("token", [None, "", "wrong-token"])
    def test_without_the_token_nothing_is_written(
        self, write_store: Path, token: str | None
    ) -> None:
        client = web_app(write_store).test_client()
        before = log_size(write_store)
        headers = {} if token is None else {"X-CSRF-Token": token}

        response = self.post(client, NEGOTIATION, **headers)

        assert response.status_code == 403
        assert "X-CSRF-Token" in response.get_json()["error"]
        assert log_size(write_store) == before

    def test_a_read_only_server_refuses_every_write(self, write_store: Path) -> None:
        client = web_app(write_store, read_only=True).test_client()
        before = log_size(write_store)

        response = self.post(client, NEGOTIATION, **{"X-CSRF-Token": TOKEN})

        assert response.status_code == 403
        assert response.get_json() == {
            "error": "this server is read-only (serve --read-only): writes are refused"
        }
        assert log_size(write_store) == before
        html = page(client.get(f"/entity/{entity_id(client, NORINCO)}"))
        assert 'id="append"' not in html
        assert "read-only" in html

    def test_a_form_body_is_refused(self, write_store: Path) -> None:
        client = web_app(write_store).test_client()
        before = log_size(write_store)

        response = client.post("/api/append", data=NEGOTIATION, headers={"X-CSRF-Token": TOKEN})

        assert response.status_code == 415
        assert log_size(write_store) == before

    @pytest.mark.parametrize(
        ("change", "argv"),
        [
            ({"date": "2013-13"}, ["--date", "2013-13"]),
            ({"entity": "Norinko"}, ["--entity", "Norinko"]),
            ({"source": " "}, ["--source", " "]),
            ({"source-date": "someday"}, ["--source-date", "someday"]),
        ],
    )
    def test_refusals_carry_the_command_line_message(
        self, write_store: Path, change: dict[str, str], argv: list[str]
    ) -> None:
        client = web_app(write_store).test_client()
        before = log_size(write_store)
        options = {**NEGOTIATION, **change}
        command = ["append", "negotiation"]
        for key, value in options.items():
            if key != "kind" and key not in change:
                command += [f"--{key}", value]
        _, _, err = cli(write_store, *command, *argv)

        response = self.post(client, options, **{"X-CSRF-Token": TOKEN})

        assert response.status_code in (400, 404)
        assert response.get_json() == {"error": err.removeprefix("error: ").rstrip("\n")}
        assert log_size(write_store) == before

    def test_a_lapse_that_cannot_apply_is_refused_as_on_the_command_line(
        self, write_store: Path
    ) -> None:
        client = web_app(write_store).test_client()
        body = {"kind": "lapse", "entity": "Norinco", "date": "2008", "source": "Desk note"}
        _, _, err = cli(
            write_store,
            "append",
            "lapse",
            "--entity",
            "Norinco",
            "--date",
            "2008",
            "--source",
            "Desk note",
        )

        response = self.post(client, body, **{"X-CSRF-Token": TOKEN})

        assert response.status_code == 400
        assert response.get_json() == {"error": err.removeprefix("error: ").rstrip("\n")}

    @pytest.mark.parametrize(
        ("body", "message"),
        [
            ([], "the request body must be a JSON object with the options of 'sanctions append'"),
            ({**NEGOTIATION, "kind": "registration"}, "append kind 'registration' is not one of"),
            ({**NEGOTIATION, "colour": "red"}, "append negotiation has no option --colour"),
            (
                {**NEGOTIATION, "forum": None},
                "append negotiation: the following arguments are required: --forum",
            ),
            ({**NEGOTIATION, "forum": 3}, "--forum must be a string, not 3"),
            (
                {
                    "kind": "delisting-decision",
                    "entity": "Norinco",
                    "date": "2014",
                    "source": "S",
                    "outcome": "maybe",
                },
                "argument --outcome: invalid choice: 'maybe' (choose from granted, denied)",
            ),
        ],
    )
    def test_malformed_bodies_are_refused(self, write_store: Path, body: Any, message: str) -> None:
        client = web_app(write_store).test_client()
        before = log_size(write_store)

        response = self.post(client, body, **{"X-CSRF-Token": TOKEN})

        assert response.status_code == 400
        assert response.get_json()["error"].startswith(message)
        assert log_size(write_store) == before

    def test_a_delisting_request_and_its_decision(self, write_store: Path) -> None:
        client = web_app(write_store).test_client()
        request = {
            "kind": "delisting-request",
            "entity": "Norinco",
            "date": "2014-02",
            "source": "S",
            "requested-by": "China",
        }

        made = self.post(client, request, **{"X-CSRF-Token": TOKEN})
        request_id = made.get_json()["recorded"][0]["event_id"]
        decided = self.post(
            client,
            {
                "kind": "delisting-decision",
                "entity": "Norinco",
                "date": "2014-06",
                "source": "S",
                "outcome": "denied",
                "request": request_id,
            },
            **{"X-CSRF-Token": TOKEN},
        )

        assert (made.status_code, decided.status_code) == (201, 201)
        _, out, _ = cli(write_store, "history", "Norinco", "--format", "json")
        types = [e["type"] for e in json.loads(out)["events"]]
        assert types.count("delisting_decided") == 1


class TestServeCommand:
    def test_binds_the_loopback_address_by_default(self) -> None:
        args = build_parser().parse_args(["serve"])

        assert (args.host, args.port, args.read_only) == ("127.0.0.1", 8000, False)
