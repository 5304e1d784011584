"""The console every verb works through: its streams, the store it opens, the options
the verbs share, and the errors the command line reports in one line."""

from __future__ import annotations

import argparse
import contextlib
import json
from collections.abc import Iterable, Iterator
from datetime import date
from typing import IO, Any

from domain.dates import DateInterval, as_of_period, parse_day, parse_instant
from domain.errors import DomainError
from domain.record import Source
from events_log import append
from events_log.app import SanctionsApp
from events_log.bundled import load_bundled as load_bundled  # tests replace it here
from events_log.store import (
    StoreConfig,
    mark_initialised,
    prepare_store,
    resolve_store,
    translate_errors,
    writer_turn,
)
from projections import terminal
from projections.stream import json_chunks
from projections.views import Horizon


class UsageError(DomainError):
    """The command line itself is wrong: an unknown option, a missing argument."""


class OutputError(DomainError):
    """Standard output cannot be written (a full disk, a closed device)."""

    def __init__(self, error: OSError) -> None:
        super().__init__(f"cannot write the output: {error.strerror or error}")


class Context:
    """Standard streams and environment, passed in so tests can call ``main`` directly."""

    def __init__(self, out: IO[str], err: IO[str], environ: dict[str, str], today: date) -> None:
        self.out = out
        self.err = err
        self.environ = environ
        self.today = today
        self.store: StoreConfig | None = None  # the store a command opened

    def print(self, text: str = "") -> None:
        self.write(text + "\n")

    def print_json(self, data: Any) -> None:
        """Indented for a person at a terminal; compact (and much faster) into a pipe.
        Non-ASCII characters as JSON escapes when the output's encoding is not Unicode."""
        indent = 2 if self.out.isatty() else None
        ascii_only = not terminal.can_encode_everything(self.out)
        self.write(json.dumps(data, indent=indent, ensure_ascii=ascii_only) + "\n")

    def write(self, text: str) -> None:
        with self.writing():
            self.out.write(text)

    def flush(self) -> None:
        with self.writing():
            self.out.flush()

    @contextlib.contextmanager
    def writing(self) -> Iterator[None]:
        """Report a failure to write standard output (a full disk) as an OutputError."""
        try:
            yield
        except BrokenPipeError:
            raise
        except OSError as error:
            raise OutputError(error) from None

    def print_lines(self, lines: Iterable[str], end: str = "\n") -> None:
        """Each line as it comes (``end`` after each)."""
        for line in lines:
            self.write(line + end)

    def stream_json(self, head: dict[str, Any], key: str, items: Iterable[Any]) -> None:
        """``print_json({**head, key: [*items]})``, one item at a time."""
        indent = 2 if self.out.isatty() else None
        ascii_only = not terminal.can_encode_everything(self.out)
        for chunk in json_chunks(head, key, items, indent, ascii_only=ascii_only):
            self.write(chunk)
        self.write("\n")

    def note(self, text: str) -> None:
        self.err.write(text + "\n")


def open_app(store_arg: str | None, ctx: Context, *, load: bool = True) -> SanctionsApp:
    """Open the store, creating it with the bundled dataset if it is new."""
    config = resolve_store(store_arg, ctx.environ)
    ctx.store = config
    if not prepare(config):
        with translate_errors(config):
            return SanctionsApp(config)
    # A new store: one process at a time creates and loads it; the others then find it made.
    with writer_turn(config), translate_errors(config):
        app = SanctionsApp(config)
        if load and prepare(config):
            loaded = load_bundled(app)
            mark_initialised(config)
            ctx.note(
                f"note: created store {config.display} with the bundled dataset "
                f"({loaded.summary()}); 'sanctions init --empty' makes an empty one"
            )
    return app


def prepare(config: StoreConfig) -> bool:
    """Check the store can be opened (creating an SQLite file's folder); True when new.

    Called before the library opens the store too, so that a wrong password or an absent
    server is reported at once, with the store's own reason.
    """
    return prepare_store(config)


def parse_as_of(text: str | None, ctx: Context) -> DateInterval:
    return as_of_period(text, ctx.today)


def parse_horizon(args: argparse.Namespace) -> Horizon:
    recorded_by = None
    if getattr(args, "recorded_by", None) is not None:
        recorded_by = parse_instant(args.recorded_by)
    reported_by = None
    if getattr(args, "reported_by", None) is not None:
        reported_by = parse_day(args.reported_by)
    return Horizon(recorded_by=recorded_by, reported_by=reported_by)


def source_of(args: argparse.Namespace) -> Source:
    return append.source_of(vars(args))


def effective_of(text: str | None, source: Source) -> DateInterval | None:
    return append.effective_of(text, source)
