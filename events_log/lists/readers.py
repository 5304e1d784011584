"""The list readers by format name."""

from __future__ import annotations

from events_log.lists.engine import Reader
from events_log.lists.isn import IsnReader
from events_log.lists.ofac import OfacReader
from events_log.lists.unsc import UnscReader

READERS: dict[str, type[Reader]] = {
    OfacReader.format: OfacReader,
    IsnReader.format: IsnReader,
    UnscReader.format: UnscReader,
}


def reader_for(format_name: str) -> Reader:
    return READERS[format_name]()
