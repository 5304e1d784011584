"""A party's answer composed from its members' timeline rows (``timeline.party_texts``;
``party_answers`` for the csv and table) is the fold's (``render.entity_json`` of its
``party_view``): the same JSON text, csv row and table lines, on random records with
random links and unlinks at random cuts; a party whose rows cannot answer is folded, and
a timeline of an older layout is rebuilt."""

from __future__ import annotations

import functools
import json
import sqlite3
import tempfile
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.dates import DateInterval
from domain.entity import Entity
from domain.errors import DomainError
from domain.record import ENTITY_REGISTERED, SANCTION_LAPSED, SANCTION_LIFTED, Source
from events_log.app import SanctionsApp
from events_log.links import link, unlink
from events_log.links import parties as logged_parties
from events_log.store import META_TABLE, resolve_store
from projections import json_tables, parties, render, timeline
from projections.timeline import party_rows
from projections.timeline.display import decode_display
from projections.timeline.tables import LAYOUT_MARKER
from projections.views import Horizon
from tests.builders import intervals

ENCODE = json.JSONEncoder(ensure_ascii=False).encode  # as the answers are encoded
REVIEW = Source("Desk review", published=date(2020, 1, 1))
SOURCES = [
    REVIEW,
    Source("OFAC SDN list", publisher="U.S. Treasury OFAC", published=date(2021, 8, 18)),
    Source("State Department ISN", publisher="U.S. State Department", url="https://x.test"),
    Source("Another OFAC title", publisher="U.S. Treasury OFAC"),
    Source("Le Monde", published=date(2010, 5, 1)),
]


INTERVALS = intervals(date(2000, 1, 1), 8 * 365)  # days, years, ranges, open ends, undated


ACTIONS = st.tuples(
    st.sampled_from(
        [
            "impose",
            "impose",
            "lapse",
            "lift",
            "waive",
            "end-waiver",
            "request",
            "decide",
            "negotiation",
            "activity",
            "correct",
            "retract",
        ]
    ),
    st.integers(0, 20),
    INTERVALS,
)


def act(entity: Entity, action: str, pick: int, when: DateInterval | None) -> str:
    envelope: dict[str, Any] = {"effective": when, "source": SOURCES[pick % len(SOURCES)]}
    record = entity.record()
    measure = record.measures[pick % len(record.measures)].measure_id if record.measures else "-"
    facts = [f for f in record.facts if f.type != ENTITY_REGISTERED]
    fact = facts[pick % len(facts)].event_id if facts else "-"
    if action == "impose":
        return entity.impose(f"Authority {pick % 3}", f"Program {pick % 2}", None, **envelope)
    if action in ("lapse", "lift"):
        kind = SANCTION_LAPSED if action == "lapse" else SANCTION_LIFTED
        return entity.end_measure(kind, measure, **envelope)
    if action == "waive":
        return entity.waive(measure, **envelope)
    if action == "end-waiver":
        return entity.end_waiver(measure, **envelope)
    if action == "request":
        return entity.request_delisting("China", "UN" if pick % 2 else None, **envelope)
    if action == "decide":
        return entity.decide_delisting(None, "granted" if pick % 2 else "denied", **envelope)
    if action == "negotiation":
        return entity.mention_negotiation("Geneva", f"talks {pick}", **envelope)
    if action == "activity":
        return entity.report_activity(f"activity {pick}", **envelope)
    if action == "correct":
        return entity.correct(fact, {"effective": when}, **envelope)
    return entity.retract(fact, "wrong", **envelope)


def as_of_of(day: int, shape: str) -> DateInterval:
    start = date(1999, 1, 1) + timedelta(days=day)
    if shape == "day":
        return DateInterval("day", start, start + timedelta(days=1))
    if shape == "year":
        return DateInterval("year", date(start.year, 1, 1), date(start.year + 1, 1, 1))
    return DateInterval("range", start, start + timedelta(days=400))


def fill(
    app: SanctionsApp,
    names: list[str],
    plans: list[list[tuple[str, int, DateInterval | None]]],
    links: list[tuple[str, int, int]],
    ids: list[UUID] | None = None,
    *,
    followed: bool = True,
) -> list[UUID]:
    """Entities of these names with these actions, links and unlinks between them
    interleaved (what a rule refuses is left out), or more of them on these entities; the
    timeline caught up after each write, unless not ``followed``."""
    app.after_save = [timeline.follow] if followed else []
    ids = ids or [
        app.register_entity(
            name=name,
            kind="company",
            country=None,
            effective=None,
            source=REVIEW,
            allow_same_name=True,
        )
        for name in names
    ]
    steps: list[tuple[str, int, Any]] = [
        (action, pick, (n, when)) for n, plan in enumerate(plans) for action, pick, when in plan
    ]
    for index, (action, a, b) in enumerate(links):
        steps.insert(index * 3 % (len(steps) + 1), (action, a % len(ids), b % len(ids)))
    for action, pick, rest in steps:
        try:
            if action == "link":
                link(app, ids[pick].hex, ids[rest].hex, SOURCES[(pick + rest) % 5], "same")
            elif action == "unlink":
                unlink(app, ids[pick].hex, ids[rest].hex, REVIEW)
            else:
                n, when = rest
                app.act([ids[n]], functools.partial(act, action=action, pick=pick, when=when))
        except DomainError:
            continue
    return ids


def assert_composed_is_folded(app: SanctionsApp, as_of: DateInterval) -> int:
    """Every linked party's answer from the rows is the fold's: JSON text, csv, table.
    Returns how many parties were compared."""
    known = parties.known_parties(app, Horizon())
    composed = timeline.party_texts(_all_rows(app, as_of, with_links=True))
    read = timeline.party_answers(_all_rows(app, as_of, with_links=False))
    assert set(composed) == set(read) == set(known.groups())
    for group, (key, text) in composed.items():
        view = parties.party_view(parties.party_of(app, group, known, Horizon()), as_of)
        assert key == (view.record.name.casefold(), view.record.entity_id)
        assert text.text == ENCODE(render.entity_json(view))
        data = json.loads(text.text)
        # what the csv and table read: the JSON's fields, the same lines as the view's
        read_key, fields = read[group]
        assert read_key == key
        assert_fields_of(fields, data)
        for made in (data, fields):
            csv_lines = list(json_tables.status_csv_lines([made]))
            assert csv_lines == list(render.status_csv_lines([view]))
            assert list(json_tables.status_table_lines([made], as_of, Horizon())) == list(
                render.status_table_lines([view], as_of, Horizon())
            )
    return len(composed)


def _all_rows(app: SanctionsApp, as_of: DateInterval, *, with_links: bool) -> timeline.AllRows:
    read = timeline.all_rows(app, as_of, with_links=with_links)
    assert read is not None
    return read


def assert_fields_of(fields: dict[str, Any], data: dict[str, Any]) -> None:
    """``fields`` is what the csv and table read of the JSON ``data``, and no more."""
    wanted = {*timeline.FIELDS, *(["members"] if "members" in fields else [])}
    assert set(fields) == wanted
    for name in wanted - {"measures", "members"}:
        assert fields[name] == data[name], name
    assert fields["measures"] == [
        {k: m[k] for k in timeline.MEASURE_FIELDS} for m in data["measures"]
    ]
    if "members" in fields:
        assert fields["members"] == [
            {k: m[k] for k in timeline.MEMBER_FIELDS} for m in data["members"]
        ]


def assert_stored_links_are_logged(app: SanctionsApp) -> None:
    """The timeline's links in force, and their parties, are those of the link events."""
    stored, logged = timeline.stored_parties(app), logged_parties(app)
    assert list(stored.links.items()) == list(logged.links.items())
    assert sorted(stored.groups()) == sorted(logged.groups())
    for with_links in (False, True):
        read = _all_rows(app, AS_OF, with_links=with_links)
        assert sorted(read.groups) == sorted(logged.groups())
        # the entities marked linked, read first, are those a link in force names
        assert set(read.members) == logged.linked()
        assert not {row[0] for row in read.alone} & logged.linked()
    assert_party_rows_are_made_anew(app)


def assert_party_rows_are_made_anew(app: SanctionsApp) -> None:
    """The parties' rows kept are those made anew of the stored rows and links: every
    write that changed a member's rows or links remade its party's."""
    with sqlite3.connect(app.store.env["SQLITE_DBNAME"]) as connection:
        kept = {t: sorted(connection.execute(f"SELECT * FROM {t}")) for t in party_rows.COLUMNS}
        linked = [
            row[0]
            for row in connection.execute(
                "SELECT entity_a FROM timeline_links UNION SELECT entity_b FROM timeline_links"
            )
        ]
        party_rows.clear(connection)
        party_rows.update(_fetch, connection, "?", linked)
        made = {t: sorted(connection.execute(f"SELECT * FROM {t}")) for t in party_rows.COLUMNS}
        connection.rollback()
    assert kept == made
    assert len(kept[party_rows.MEMBERS]) == len(linked)


def _fetch(cursor: Any, statement: str, values: Any) -> list[tuple[Any, ...]]:
    return list(cursor.execute(statement, values).fetchall())


def assert_answers_are_folded(app: SanctionsApp, as_of: DateInterval) -> None:
    """The all-entity answers (rows, parties composed) are the combined views', exactly."""
    combined = parties.combine(app, timeline.views(app, as_of), as_of)
    texts = [t.text for t in parties.status_texts(app, as_of)]
    assert texts == [ENCODE(render.entity_json(v)) for v in combined]
    fields = list(parties.status_fields(app, as_of))
    for made, text in zip(fields, texts, strict=True):
        assert_fields_of(made, json.loads(text))
    assert list(json_tables.status_csv_lines(fields)) == list(render.status_csv_lines(combined))
    assert list(json_tables.status_table_lines(fields, as_of, Horizon())) == list(
        render.status_table_lines(combined, as_of, Horizon())
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    names=st.lists(
        st.sampled_from(["Norinco", "norinco", "CPMIEC", "Zhenrong", "Alpha"]),
        min_size=5,
        max_size=5,
    ),
    plans=st.lists(st.lists(ACTIONS, max_size=6), min_size=5, max_size=5),
    links=st.lists(
        st.tuples(
            st.sampled_from(["link", "link", "unlink"]), st.integers(0, 4), st.integers(0, 4)
        ),
        min_size=1,
        max_size=10,
    ),
    as_ofs=st.lists(
        st.tuples(st.integers(0, 11 * 365), st.sampled_from(["day", "year", "range"])),
        min_size=1,
        max_size=3,
    ),
)
def test_on_random_records_and_links_a_party_from_its_rows_is_the_folded_party(
    names: list[str],
    plans: list[list[tuple[str, int, DateInterval | None]]],
    links: list[tuple[str, int, int]],
    as_ofs: list[tuple[int, str]],
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        app = SanctionsApp(resolve_store(str(Path(folder) / "s.sqlite"), {}))
        fill(app, names, plans, links)
        assert_stored_links_are_logged(app)
        for day, shape in as_ofs:
            as_of = as_of_of(day, shape)
            assert_composed_is_folded(app, as_of)
            assert_answers_are_folded(app, as_of)
        app.close()


LINKS = st.lists(
    st.tuples(st.sampled_from(["link", "link", "unlink"]), st.integers(0, 5), st.integers(0, 5)),
    max_size=14,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(before=LINKS, after=LINKS)
def test_the_stored_links_are_the_link_events_by_every_path_of_the_projection(
    before: list[tuple[str, int, int]], after: list[tuple[str, int, int]]
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        app = SanctionsApp(resolve_store(str(Path(folder) / "s.sqlite"), {}))
        ids = fill(app, list("ABCDEF"), [IMPOSE, [], [], LAPSE, [], []], before)
        assert_stored_links_are_logged(app)  # page by page, after each write
        tracked = app.max_position()
        fill(app, [], [IMPOSE], after, ids, followed=False)  # a backlog
        assert timeline.project_in_key_order(app, tracked, app.max_position(), workers=1) > 0
        assert_stored_links_are_logged(app)  # a backlog in key order
        timeline.timeline_view(app).forget(app.name)
        timeline.project_in_key_order(app, 0, app.max_position(), workers=1)
        assert_stored_links_are_logged(app)  # the whole log in key order
        timeline.rebuild(app)
        assert_stored_links_are_logged(app)  # page by page from nothing
        app.close()


Plan = list[tuple[str, int, DateInterval | None]]
IMPOSE: Plan = [("impose", 1, DateInterval("year", date(2001, 1, 1), date(2002, 1, 1)))]
LAPSE: Plan = [("lapse", 0, DateInterval("year", date(2004, 1, 1), date(2005, 1, 1)))]
AS_OF = DateInterval("year", date(2003, 1, 1), date(2004, 1, 1))


def test_a_timeline_of_an_older_layout_is_rebuilt_and_answers_the_same(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    app = SanctionsApp(resolve_store(str(path), {}))
    fill(app, ["A", "B", "C"], [IMPOSE, IMPOSE + LAPSE, IMPOSE], [("link", 0, 1), ("link", 2, 1)])
    expected = [t.text for t in parties.status_texts(app, AS_OF)]
    app.close()
    with sqlite3.connect(path) as connection:  # the table as the layout before made it
        connection.executescript(
            "DROP TABLE timeline_entities; "
            "CREATE TABLE timeline_entities (entity_id TEXT NOT NULL PRIMARY KEY, "
            "name TEXT NOT NULL, first_position BIGINT NOT NULL, display TEXT NOT NULL); "
            f"UPDATE {META_TABLE} SET value = 'an older layout' WHERE name = '{LAYOUT_MARKER}'"
        )

    reopened = SanctionsApp(resolve_store(str(path), {}))
    found = [t.text for t in parties.status_texts(reopened, AS_OF)]

    assert found == expected
    with sqlite3.connect(path) as connection:
        displays = [
            decode_display(d)
            for (d,) in connection.execute("SELECT display FROM timeline_entities")
        ]
    assert len(displays) == 3
    assert all(d["party"][0] is not None for d in displays)
    assert assert_composed_is_folded(reopened, AS_OF) == 1
