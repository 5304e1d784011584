"""The timeline's stored display: the encoding comes back as it went in, and a store whose
timeline was written in the version before (uncompressed display JSON, kept as a file)
has it remade on opening, with the rows and answers of a store written now."""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from domain.dates import parse_date
from events_log.app import SanctionsApp
from events_log.bundled import load_article
from events_log.store import META_TABLE, resolve_store
from projections import parties, timeline
from projections.timeline.display import (
    DICTIONARY,
    FIELDS,
    decode_display,
    display_text,
    encode_display,
)
from projections.timeline.tables import LAYOUT_MARKER
from projections.verify import verify

BEFORE = Path(__file__).parent / "data" / "store-timeline-1.sqlite"
TABLES = ("timeline_entities", "timeline_status", "timeline_states")
AS_OF_TEXTS = ["1995", "2005", "2013-10-04", "2000/2009"]

_json = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(),
    lambda inner: st.lists(inner, max_size=6),
    max_leaves=60,
)


@given(st.lists(_json, min_size=len(FIELDS), max_size=len(FIELDS)))
def test_a_display_comes_back_as_it_was_stored(values: list[Any]) -> None:
    stored = encode_display(values)

    assert decode_display(stored) == dict(zip(FIELDS, values, strict=True))
    assert json.loads(display_text(stored)) == values


def test_the_dictionary_of_the_display_format_never_changes() -> None:
    # Every stored display of the format was written with it: a change needs a new format.
    digest = hashlib.sha256(DICTIONARY).hexdigest()

    assert digest == "d0dda48578bbe41025087d34b5c562826f3a00036151407e793260e06ed635ca"


def _rows(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    with sqlite3.connect(path) as connection:
        return {t: sorted(connection.execute(f"SELECT * FROM {t}")) for t in TABLES}


def _comparable(rows: dict[str, list[tuple[Any, ...]]]) -> dict[str, list[tuple[Any, ...]]]:
    """The rows with each display decoded, less its registration time (each store
    recorded the article at its own time)."""
    entities = []
    for *head, stored, linked, sort_key in rows["timeline_entities"]:
        shown = decode_display(stored)
        assert shown["party"][0] is not None
        entities.append((*head, {**shown, "party": shown["party"][1:]}, linked, sort_key))
    return {**rows, "timeline_entities": entities}


def _answers(app: SanctionsApp) -> list[Any]:
    return [
        [text for text in parties.status_texts(app, parse_date(t, cap=False))] for t in AS_OF_TEXTS
    ]


def test_a_timeline_of_the_version_before_is_remade_with_the_rows_and_answers_of_now(
    tmp_path: Path,
) -> None:
    new_path = tmp_path / "new.sqlite"
    new = SanctionsApp(resolve_store(str(new_path), {}))
    load_article(new)  # the old store holds the article alone
    expected = _answers(new)
    new.close()
    old = tmp_path / "old.sqlite"
    shutil.copy(BEFORE, old)
    before = _rows(old)

    app = SanctionsApp(resolve_store(str(old), {}))
    answers = _answers(app)
    view = timeline.timeline_view(app)
    position = view.max_tracking_id(app.name)
    result = verify(app)
    app.close()

    assert all(isinstance(row[3], str) for row in before["timeline_entities"])  # old JSON
    assert answers == expected
    assert all(isinstance(row[3], bytes) for row in _rows(old)["timeline_entities"])
    assert _comparable(_rows(old)) == _comparable(_rows(new_path))
    assert position == 90
    assert result.mismatch is None
    with sqlite3.connect(old) as connection:
        marker = connection.execute(
            f"SELECT value FROM {META_TABLE} WHERE name = ?", (LAYOUT_MARKER,)
        ).fetchall()
    assert marker == [(view.layout(),)]


def test_a_timeline_of_this_version_is_left_as_it_is(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite"
    app = SanctionsApp(resolve_store(str(path), {}))
    load_article(app)
    view = timeline.timeline_view(app)
    position = view.max_tracking_id(app.name)

    remade = view.ensure_layout(app.name)

    assert not remade
    assert view.max_tracking_id(app.name) == position
    app.close()
    again = SanctionsApp(resolve_store(str(path), {}))
    assert timeline.timeline_view(again).max_tracking_id(again.name) == position
    again.close()
