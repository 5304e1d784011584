"""A progress bar for long imports on a terminal (``tqdm``); silent anywhere else."""

from __future__ import annotations

from typing import IO, Any

from tqdm import tqdm

from events_log.lists.importer import Progress


class ProgressBar:
    """Shows a running import's copies, entries and events; ``close`` clears it."""

    def __init__(self, stream: IO[str], *, enabled: bool) -> None:
        self.stream = stream
        self.enabled = enabled
        self.bar: Any = None

    def __call__(self, progress: Progress) -> None:
        if not self.enabled:
            return
        if self.bar is None:
            self.bar = tqdm(
                total=progress.file_count,
                file=self.stream,
                unit="copy",
                leave=False,
                dynamic_ncols=True,
                desc=progress.stage,
            )
        done = progress.file_index + (1 if progress.stage == "written" else 0)
        self.bar.set_description_str(progress.stage, refresh=False)
        self.bar.set_postfix_str(
            f"{progress.file_name}: {progress.entries:,} entries, {progress.events:,} events",
            refresh=False,
        )
        self.bar.update(max(0, done - self.bar.n))
        self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
