"""The bundled dataset, loaded into a new store through the ordinary import paths.

Three parts, each read by the path a user's own files take:

- ``data/article-2013-10-04.jsonl``: the events of a 2013 news article (its text is in
  ``data/sources/``), each with a verbatim quote; read as ``sanctions import FILE.jsonl``.
- ``data/isn/isn-*.csv``: ten copies of the State Department's ISN nonproliferation
  sanctions list, 2014-10-27 to 2016-12-02, byte for byte the files of the project's shared
  data (``shared/data/isn/``); read as ``sanctions import --format isn-csv``.
- ``data/links-article-isn.jsonl``: the reviewed links between the article's companies and
  their ISN entries, each with its reason and, as its quote, the ISN row it rests on; read
  as ``sanctions link --from-file``. Its lines name entities by id: the ids are derived
  from the article's keys and the list's rows, so they are the same in every store. A line
  that no longer names an entity is refused, with its line, like any links file.

Loading twice adds nothing the second time (keys, copies on record, links already made).
"""

from __future__ import annotations

from pathlib import Path

import attrs

from events_log.app import SanctionsApp
from events_log.jsonl import JsonlImporter
from events_log.link_file import link_file
from events_log.lists.files import ISN
from events_log.lists.imports import import_files

DATA = Path(__file__).parent / "data"
BUNDLED_DATASET = DATA / "article-2013-10-04.jsonl"
ISN_COPIES = DATA / "isn"
BUNDLED_LINKS = DATA / "links-article-isn.jsonl"


def isn_copies() -> list[Path]:
    return sorted(ISN_COPIES.glob("isn-*.csv"))


@attrs.frozen
class Loaded:
    """What loading the bundled dataset added."""

    article_events: int
    list_copies: int
    list_events: int
    links: int

    @property
    def events(self) -> int:
        return self.article_events + self.list_events + 2 * self.links

    def summary(self) -> str:
        copies = isn_copies()
        return (
            f"{self.article_events} events from {BUNDLED_DATASET.name}, "
            f"{self.list_events} from {self.list_copies} copies of the ISN list "
            f"({copies[0].stem.removeprefix('isn-')} to {copies[-1].stem.removeprefix('isn-')}), "
            f"{self.links} reviewed links from {BUNDLED_LINKS.name}"
        )


def load_article(app: SanctionsApp) -> int:
    """Import the article's events alone; returns how many were added."""
    with BUNDLED_DATASET.open(encoding="utf-8") as lines:
        return JsonlImporter(app).import_lines(lines, BUNDLED_DATASET.name)


def load_bundled(app: SanctionsApp, links: Path = BUNDLED_LINKS) -> Loaded:
    """Import the bundled dataset (quietly: the list's reading notes are not shown)."""
    article = load_article(app)
    results = import_files(app, ISN, isn_copies())
    linked = link_file(app, links)
    return Loaded(
        article_events=article,
        list_copies=len(results),
        list_events=sum(r.events for r in results),
        links=linked.linked,
    )
