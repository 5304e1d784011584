"""The FtM formats from the command line: which files, checked before the store opens.

The ``followthemoney`` library is an optional dependency (``pip install -e ".[ftm]"``):
it builds PyICU from source, which needs ICU's headers and a C++ compiler. Without it,
the FtM formats say so in one error line; everything else works.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import IO

from domain.errors import DomainError, RuleViolationError
from events_log.app import SanctionsApp

FTM = "ftm"
FTM_DELTA = "ftm-delta"
FORMATS = (FTM, FTM_DELTA)


class FtmUnavailableError(DomainError):
    """The followthemoney library is not installed."""


def require_ftm() -> None:
    try:
        import followthemoney  # noqa: F401
    except ModuleNotFoundError:
        msg = (
            "the FtM formats need the followthemoney library: pip install -e '.[ftm]' "
            "(it builds PyICU: apt-get install libicu-dev pkg-config g++ first)"
        )
        raise FtmUnavailableError(msg) from None


def check_paths(paths: Sequence[Path]) -> None:
    require_ftm()
    for path in paths:
        if not path.is_file():
            msg = f"import file {str(path)!r} does not exist"
            raise RuleViolationError(msg)


def import_paths(app: SanctionsApp, paths: Sequence[Path], fmt: str) -> list[str]:
    """Import FtM entity files or delta feeds; every file is checked before any is written.

    Returns one summary line per file (per version, for a delta feed)."""
    require_ftm()
    if fmt == FTM_DELTA:
        from events_log.ftm.delta_import import import_feeds

        return import_feeds(app, paths)
    from events_log.ftm.importer import plan_file, write_plan

    plans = []
    for path in paths:
        with path.open(encoding="utf-8") as lines:
            plans.append(plan_file(lines, path.name))
    return [write_plan(app, plan).summary() for plan in plans]


def export_ftm(app: SanctionsApp, out: IO[str]) -> int:
    require_ftm()
    from events_log.ftm.export import export

    return export(app, out)
