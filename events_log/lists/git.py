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


def blob(repo: Path, sha: str, path: str) -> bytes:
    name = f"{path}@{sha[:12]}"
    return decompress(_git(repo, "cat-file", "blob", f"{sha}:{path}"), name)


def git_versions(repo: Path, path: str, after: date | None = None) -> list[Version]:
    """The versions of ``path`` to import: one a day, those after ``after`` if given.

    A version on ``after``'s own day is kept (the engine tells whether it is on record).
    """
    versions = []
    for commit in day_last(commits(repo, path)):
        if after is not None and commit.day < after:
            continue
        versions.append(
            Version(
                name=f"{path}@{commit.sha[:12]}",
                observed=commit.day,
                load=partial(blob, repo, commit.sha, path),
                deleted=commit.deleted,
            )
        )
    return versions
