"""Following the log from a second process, for a writer of many batches (an import)."""

from __future__ import annotations

import multiprocessing
from multiprocessing.connection import Connection
from typing import Any

from events_log.app import SanctionsApp
from events_log.store import StoreConfig
from projections.timeline.bulk import shared
from projections.timeline.projection import follow

_SAVED = "saved"  # the messages to the following process: a batch was saved,
_DONE = "done"  # the writer is done


def peak_mib() -> float:
    """This process's peak resident set in MiB (0 where the platform does not say)."""
    try:
        import resource
    except ImportError:
        return 0.0
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class FollowerApart:
    """Follows the log from a process of its own (``multiprocessing``, started fresh).

    Use it as the app's follower (``app.after_save = [follower]``): after each save it
    tells the other process, which catches up (all saves so far at once) on the other
    core while this one goes on writing. ``close`` waits until it has caught up with every
    save, and catches up here whatever it did not (if it failed, say). Catch-up is safe
    from two processes at once, so nothing else changes; a crash loses nothing either.
    """

    def __init__(self, app: SanctionsApp) -> None:
        self.app = app
        self.peak_mib = 0.0  # the other process's peak resident set, once closed
        self._process: Any = None
        self._conn: Connection | None = None
        if shared(app):
            context = multiprocessing.get_context("spawn")
            mine, theirs = context.Pipe()
            try:
                self._process = context.Process(
                    target=follow_apart, args=(app.store, theirs), daemon=True
                )
                self._process.start()
            except OSError:
                self._process = None
            else:
                self._conn = mine
            theirs.close()

    def __call__(self, app: SanctionsApp) -> None:
        self._tell(_SAVED)

    def _tell(self, message: str) -> None:
        try:
            if self._conn is not None:
                self._conn.send(message)
        except (OSError, ValueError):
            self._conn = None  # it is gone: close catches up

    def close(self) -> None:
        if self._conn is not None:
            self._tell(_DONE)
            try:
                if self._conn is not None:
                    self.peak_mib = float(self._conn.recv())
            except (EOFError, OSError, ValueError):
                pass
            if self._conn is not None:
                self._conn.close()
            self._conn = None
        if self._process is not None:
            self._process.join()
            self._process = None
        follow(self.app)

    def __enter__(self) -> FollowerApart:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def follow_apart(store: StoreConfig, conn: Connection) -> None:
    """The loop of ``FollowerApart``'s process: catch up after each message (all that
    came meanwhile at once); when told it is done, or when the writer is gone, catch up
    a last time, send back the peak memory and stop."""
    app = SanctionsApp(store)
    app.after_save = []
    try:
        while True:
            try:
                messages = [conn.recv()]
                while conn.poll():
                    messages.append(conn.recv())
            except (EOFError, OSError):
                messages = []
            follow(app, workers=1)
            if not messages or _DONE in messages:
                break
        conn.send(f"{peak_mib()}")
    except (OSError, ValueError):
        pass
    finally:
        conn.close()
        app.close()
