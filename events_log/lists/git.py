"""Git histories of a list ("git scraping"): every commit that changed a file, as copies.

Read with the ``git`` program (``git log`` for the commits, ``git cat-file`` for each
version's bytes): it reads bare repositories and clones alike, every packing and
compression git has, as fast as git itself, and it is on every machine that holds a git
repository. Each commit is a copy observed on its commit's UTC day; of several commits on
one day, the day's last. A commit that deletes the file is a version to skip.
"""

from __future__ import annotations

import subprocess
from datetime import UTC, date, datetime
from functools import partial
from pathlib import Path

import attrs

from events_log.lists.engine import SnapshotError, Version
from events_log.lists.files import decompress


class GitHistoryError(SnapshotError):
    """A git history cannot be read: not a repository, no git, or the file never changed."""


@attrs.frozen
class Commit:
    sha: str
    day: date
    deleted: bool


def _git(repo: Path, *args: str) -> bytes:
    try:
        done = subprocess.run(
            ["git", "-C", str(repo), *args], capture_output=True, check=False, timeout=600
        )
    except FileNotFoundError:
        msg = "the git program is not installed: it is needed to read a git history"
        raise GitHistoryError(msg) from None
    if done.returncode != 0:
        reason = done.stderr.decode("utf-8", "replace").strip().splitlines()
        msg = f"git repository {str(repo)!r} cannot be read: {reason[-1] if reason else 'error'}"
        raise GitHistoryError(msg)
    return done.stdout


def commits(repo: Path, path: str) -> list[Commit]:
    """Every commit that changed ``path``, oldest first (first parents, as committed)."""
    if not repo.exists():
        msg = f"git repository {str(repo)!r} does not exist"
        raise GitHistoryError(msg)
    _git(repo, "rev-parse", "--git-dir")
    out = _git(
        repo,
        "log",
        "--reverse",
        "--first-parent",
        "--no-renames",
        "--format=%x00%H %ct",
        "--name-status",
        "--",
        path,
    ).decode("utf-8", "replace")
    found = []
    for block in out.split("\x00")[1:]:
        head, _, changes = block.partition("\n")
        sha, stamp = head.split()
        statuses = [line.split("\t", 1)[0] for line in changes.splitlines() if line.strip()]
        day = datetime.fromtimestamp(int(stamp), tz=UTC).date()
        found.append(Commit(sha, day, bool(statuses) and statuses[-1].startswith("D")))
    if not found:
        msg = (
            f"no commit of git repository {str(repo)!r} changed {path!r}: "
            "give the file's path inside the repository with --path"
        )
        raise GitHistoryError(msg)
    return found


def day_last(found: list[Commit]) -> list[Commit]:
    """Of several commits on one UTC day, the day's last."""
    by_day: dict[date, Commit] = {}
    for commit in found:
        by_day[commit.day] = commit
    return list(by_day.values())


class Blobs:
    """Reads versions of files through one ``git cat-file --batch`` process.

    One process for a whole history: no process start per version, and git's cache of
    delta bases serves successive versions of one file.
    """

    def __init__(self, repo: Path) -> None:
        self.repo = repo
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Blobs:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        if self.process is not None:
            with self.process as process:  # closes its pipes and waits for it
                assert process.stdin is not None
                process.stdin.close()
            self.process = None

    def read(self, sha: str, path: str) -> bytes:
        if self.process is None:
            self.process = subprocess.Popen(
                ["git", "-C", str(self.repo), "cat-file", "--batch"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
            )
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.process.stdin.write(f"{sha}:{path}\n".encode())
        self.process.stdin.flush()
        header = self.process.stdout.readline().decode("utf-8", "replace").split()
        if len(header) != 3 or header[1] != "blob":
            msg = f"git repository {str(self.repo)!r} cannot be read: {sha}:{path} is not a file"
            raise GitHistoryError(msg)
        data = self.process.stdout.read(int(header[2]))
        self.process.stdout.read(1)  # the newline after the content
        return decompress(data, f"{path}@{sha[:12]}")


def git_versions(repo: Path, path: str, blobs: Blobs | None = None) -> list[Version]:
    """The versions of ``path`` to import, one a day, read through ``blobs``."""
    blobs = blobs or Blobs(repo)
    return [
        Version(
            name=f"{path}@{commit.sha[:12]}",
            observed=commit.day,
            load=partial(blobs.read, commit.sha, path),
            deleted=commit.deleted,
        )
        for commit in day_last(commits(repo, path))
    ]
