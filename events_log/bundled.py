"""The bundled dataset: the article's events, loaded through the ordinary import path."""

from __future__ import annotations

from pathlib import Path

from events_log.app import SanctionsApp
from events_log.jsonl import JsonlImporter

BUNDLED_DATASET = Path(__file__).parent / "data" / "article-2013-10-04.jsonl"


def load_bundled(app: SanctionsApp) -> int:
    """Import the bundled dataset; returns how many events were added."""
    with BUNDLED_DATASET.open(encoding="utf-8") as lines:
        return JsonlImporter(app).import_lines(lines, BUNDLED_DATASET.name)
