"""Importing list copies: from files, or from every version of a file in a git history."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

from events_log.app import SanctionsApp
from events_log.lists.engine import MAX_REMOVAL_SHARE, Skipped, SnapshotError
from events_log.lists.files import ISN, LIST_FORMATS, OFAC, UNSC, file_versions
from events_log.lists.git import Blobs, git_versions
from events_log.lists.importer import ListImporter, Progress, SnapshotResult
from events_log.lists.readers import reader_for


def import_files(
    app: SanctionsApp,
    format_name: str,
    paths: Sequence[Path],
    *,
    observed: date | None = None,
    allow_mass_removal: bool = False,
    max_removal_share: float = MAX_REMOVAL_SHARE,
    progress: Callable[[Progress], None] | None = None,
) -> list[SnapshotResult]:
    """Check every file, then write each snapshot; a faulty file means nothing is written."""
    reader = reader_for(format_name)
    versions = file_versions(reader, paths, observed)
    importer = ListImporter(app, reader, progress)
    results = importer.import_versions(
        versions, allow_mass_removal=allow_mass_removal, max_removal_share=max_removal_share
    )
    return [r for r in results if isinstance(r, SnapshotResult)]


def git_format(path: str, first: bytes) -> str:
    """The format of a file in a git history, from its name, else its first version."""
    name = path.lower().removesuffix(".gz")
    if name.endswith(".xml"):
        return UNSC
    head = first.lstrip()[:200]
    if head.startswith((b"Programs,", b"Source List,", b"\xef\xbb\xbfSource List,")):
        return ISN
    return OFAC


def import_git(
    app: SanctionsApp,
    repo: Path,
    path: str,
    format_name: str | None = None,
    *,
    allow_mass_removal: bool = False,
    max_removal_share: float = MAX_REMOVAL_SHARE,
    progress: Callable[[Progress], None] | None = None,
) -> list[SnapshotResult | Skipped]:
    """Import every version of ``path`` newer than the list's latest copy on record.

    Faulty versions and deletions are skipped, each with its reason.
    """
    with Blobs(repo) as blobs:
        versions = git_versions(repo, path, blobs)
        if format_name is None:
            first = next((v for v in versions if not v.deleted), None)
            format_name = git_format(path, first.load() if first else b"")
        if format_name not in LIST_FORMATS:
            msg = f"--format {format_name} is not a list format ({', '.join(LIST_FORMATS)})"
            raise SnapshotError(msg)
        reader = reader_for(format_name)
        importer = ListImporter(app, reader, progress)
        series = importer.series()
        latest = series.latest()
        fresh = [v for v in versions if latest is None or (v.observed and v.observed >= latest)]
        return importer.import_versions(
            fresh,
            allow_mass_removal=allow_mass_removal,
            max_removal_share=max_removal_share,
            skip_faulty=True,
            series=series,
        )
