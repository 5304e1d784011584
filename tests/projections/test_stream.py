"""Answers written piece by piece are the text of the whole answer, byte for byte."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from projections.stream import Encoded, json_chunks

TEXT = st.text(alphabet=st.characters(codec="utf-8"), max_size=8)
VALUES: st.SearchStrategy[Any] = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=12,
)


@given(
    head=st.dictionaries(TEXT, VALUES, max_size=4),
    key=TEXT,
    items=st.lists(VALUES, max_size=5),
    indent=st.sampled_from([None, 2, 4]),
)
def test_the_chunks_make_what_json_dumps_makes_of_the_whole(
    head: dict[str, Any], key: str, items: list[Any], indent: int | None
) -> None:
    head.pop(key, None)

    streamed = "".join(json_chunks(head, key, iter(items), indent))

    assert streamed == json.dumps({**head, key: items}, indent=indent, ensure_ascii=False)


def test_the_first_chunk_comes_before_the_items_are_made() -> None:
    made: list[int] = []

    def items() -> Any:
        for number in range(3):
            made.append(number)
            yield {"n": number}

    chunks = json_chunks({"as_of": "2010"}, "entities", items())

    assert next(chunks) == '{"as_of": "2010", "entities": ['
    assert made == []
    assert next(chunks) == '{"n": 0}'
    assert made == [0]


@given(
    head=st.dictionaries(TEXT, VALUES, max_size=4),
    key=TEXT,
    items=st.lists(VALUES, max_size=5),
    indent=st.sampled_from([None, 2]),
    ascii_only=st.booleans(),
)
def test_items_given_encoded_make_the_same_text_as_items_given_whole(
    head: dict[str, Any], key: str, items: list[Any], indent: int | None, ascii_only: bool
) -> None:
    head.pop(key, None)
    encoded = [Encoded(json.dumps(item, ensure_ascii=False)) for item in items]

    streamed = "".join(json_chunks(head, key, iter(encoded), indent, ascii_only=ascii_only))

    assert streamed == "".join(json_chunks(head, key, iter(items), indent, ascii_only=ascii_only))
    assert streamed == json.dumps({**head, key: items}, indent=indent, ensure_ascii=ascii_only)
