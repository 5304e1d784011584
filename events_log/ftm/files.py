"""The FtM formats from the command line: which files, checked before the store opens."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from domain.errors import RuleViolationError
from events_log.app import SanctionsApp
from events_log.ftm.importer import plan_file, write_plan

FTM = "ftm"
FTM_DELTA = "ftm-delta"
FORMATS = (FTM, FTM_DELTA)


def check_paths(paths: Sequence[Path]) -> None:
    for path in paths:
        if not path.is_file():
            msg = f"import file {str(path)!r} does not exist"
            raise RuleViolationError(msg)


def import_paths(app: SanctionsApp, paths: Sequence[Path], fmt: str) -> list[str]:
    """Import FtM entity files or delta feeds; every file is checked before any is written.

    Returns one summary line per file (per version, for a delta feed)."""
    if fmt == FTM_DELTA:
        from events_log.ftm.delta_import import import_feeds

        return import_feeds(app, paths)
    plans = []
    for path in paths:
        with path.open(encoding="utf-8") as lines:
            plans.append(plan_file(lines, path.name))
    return [write_plan(app, plan).summary() for plan in plans]
