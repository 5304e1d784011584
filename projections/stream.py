"""Long answers written piece by piece: the JSON of a head and a list of items.

``json_chunks(head, key, items, indent)`` gives, chunk by chunk, exactly the text that
``json.dumps({**head, key: list(items)}, indent=indent, ensure_ascii=False)`` gives, with
one item encoded at a time: the first chunk goes out before the last item is made.
An item may come already encoded (``Encoded``: the text ``json.dumps(item,
ensure_ascii=False)`` gives); it is written as it is, or decoded and encoded again where
the output is indented or ASCII only.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import attrs


@attrs.frozen
class Encoded:
    """An item's JSON text, as ``json.dumps(item, ensure_ascii=False)`` makes it."""

    text: str


def json_chunks(
    head: Mapping[str, Any],
    key: str,
    items: Iterable[Any],
    indent: int | None = None,
    *,
    ascii_only: bool = False,
) -> Iterator[str]:
    """The JSON of ``{**head, key: [*items]}`` (``key`` last, not in ``head``), in chunks;
    non-ASCII characters as JSON escapes with ``ascii_only``."""
    encode = json.JSONEncoder(ensure_ascii=ascii_only, indent=indent).encode
    name = encode(key)
    if indent is None:
        opening = encode(dict(head))[:-1] + (", " if head else "") + f"{name}: ["
        between, before, after = ", ", "", "]}"
        empty = "]}"
    else:
        pad = " " * indent
        text = encode(dict(head))
        opening = (text[:-2] + "," if head else "{") + f"\n{pad}{name}: ["
        before = f"\n{pad}{pad}"
        between = "," + before
        after = f"\n{pad}]\n}}"
        empty = "]\n}"
    yield opening
    first = True
    plain = indent is None and not ascii_only
    for item in items:
        if isinstance(item, Encoded):
            text = item.text if plain else encode(json.loads(item.text))
        else:
            text = encode(item)
        if indent is not None:
            text = text.replace("\n", before)
        yield (before if first else between) + text
        first = False
    yield empty if first else after
