"""JSON Lines files to import: checked as UTF-8 text (``.gz`` read directly), and all the
files of one import saved in one transaction, after every line of every file passed."""

from __future__ import annotations

import gzip
from collections.abc import Iterator, Sequence
from pathlib import Path

import attrs

from domain.errors import DomainError
from events_log.app import SanctionsApp
from events_log.jsonl import ImportError_, JsonlImporter

GZIP_MAGIC = b"\x1f\x8b"


@attrs.frozen
class FileResult:
    """What one file of an import brought: its lines and the events new to the store."""

    name: str
    lines: int
    added: int

    def summary(self) -> str:
        return f"imported {self.name}: {self.lines} lines, {self.added} new events"


def check_files(paths: Sequence[Path]) -> None:
    """Refuse the whole import if any file is missing or not a file."""
    for path in paths:
        if not path.is_file():
            what = "is a directory, not a file" if path.is_dir() else "does not exist"
            msg = f"import file {str(path)!r} {what}"
            raise ImportError_(msg)


def text_lines(path: Path) -> Iterator[str]:
    """The file's lines as text; refuses bytes that are not UTF-8, naming the line."""
    try:
        with path.open("rb") as probe:
            packed = probe.read(2) == GZIP_MAGIC
        with gzip.open(path, "rb") if packed else path.open("rb") as lines:
            for number, raw in enumerate(lines, start=1):
                try:
                    text = raw.decode("utf-8")
                except UnicodeDecodeError as error:
                    msg = (
                        f"{path.name}:{number}: not UTF-8 text (byte 0x{raw[error.start]:02x} "
                        f"at column {error.start + 1}): JSON Lines files are UTF-8"
                    )
                    raise ImportError_(msg) from None
                yield text.removeprefix("\ufeff") if number == 1 else text
    except (OSError, EOFError) as error:  # unreadable, or a truncated or corrupt .gz
        msg = (
            f"import file {path.name!r} cannot be read: {getattr(error, 'strerror', None) or error}"
        )
        raise ImportError_(msg) from None


def import_files(app: SanctionsApp, paths: Sequence[Path]) -> list[FileResult]:
    """Check and apply every line of every file, then save everything in one transaction.

    Nothing is written unless every file passes: a bad line in the last file leaves the
    store as it was.
    """
    check_files(paths)
    importer = JsonlImporter(app)
    counts: list[tuple[str, int, int]] = []
    for path in paths:
        lines_before, pending_before = importer.seen, importer.session.pending()
        importer.apply_lines(text_lines(path), path.name)
        counts.append(
            (path.name, importer.seen - lines_before, importer.session.pending() - pending_before)
        )
    importer.flush()
    return [FileResult(name, lines, added) for name, lines, added in counts]


def export_file(app: SanctionsApp, path: Path) -> int:
    """Write the whole log as JSON Lines to a file, whole or not at all; returns lines.

    The lines go to a temporary file beside it, renamed over it once complete, so that a
    failure (a full disk) leaves no half-written export.
    """
    from events_log.jsonl import export

    if path.is_dir():
        msg = f"export file {str(path)!r} is a directory: give the path of a file to write"
        raise ExportError(msg)
    if not path.parent.is_dir():
        msg = (
            f"export file {str(path)!r} cannot be written: "
            f"folder {str(path.parent)!r} does not exist"
        )
        raise ExportError(msg)
    partial = path.with_name(f".{path.name}.partial")
    try:
        with partial.open("w", encoding="utf-8") as out:
            count = export(app, out)
        partial.replace(path)
    except OSError as error:
        partial.unlink(missing_ok=True)
        msg = f"export file {str(path)!r} cannot be written: {error.strerror or error}"
        raise ExportError(msg) from None
    return count


class ExportError(DomainError):
    """The export cannot be written where the user asked."""
