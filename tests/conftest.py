"""Shared fixtures: a real PostgreSQL server for the test session, and stores of both kinds.

The server is Debian's PostgreSQL (``apt-get install postgresql``; ``.ci/run`` does it),
started from a fresh ``initdb`` in a temporary folder, listening on 127.0.0.1 on a free
port, password authentication only, durability off for speed. As root (CI) it runs as the
``postgres`` system user, because PostgreSQL refuses to run as root. It is a child of the
test process and dies with it, even when the session is killed. Each test gets a database
of its own.

Without the binaries the PostgreSQL tests skip, saying why; on CI (``CI`` set) they fail
instead, so that CI cannot pass without running them.
"""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import pytest
from followthemoney import model
from followthemoney.types import registry

from events_log.bundled import load_bundled
from tests.template_store import Template, build_template, copying

if TYPE_CHECKING:
    import psycopg

SERVER_USER = "postgres"  # the system user made by Debian's package, when we run as root
TEST_ROLE = "sanctions_tester"


class PostgresUnavailableError(Exception):
    """No PostgreSQL server can be started on this machine."""


@dataclasses.dataclass(frozen=True)
class PostgresServer:
    """A running server: a role with a password, and fresh databases on demand."""

    host: str
    port: int
    admin_password: str
    user: str
    password: str
    startup_seconds: float

    def url(self, dbname: str, *, password: str | None = None, port: int | None = None) -> str:
        secret = quote(self.password if password is None else password, safe="")
        return f"postgresql://{self.user}:{secret}@{self.host}:{port or self.port}/{dbname}"

    def display(self, dbname: str, *, port: int | None = None) -> str:
        """What the tracker shows for the store: the URL without the password."""
        return f"postgresql://{self.user}@{self.host}:{port or self.port}/{dbname}"

    def admin(self, dbname: str = "postgres") -> psycopg.Connection[tuple[Any, ...]]:
        """A superuser connection (autocommit), for setting up what a test needs."""
        import psycopg

        return psycopg.connect(
            host=self.host,
            port=self.port,
            dbname=dbname,
            user="postgres",
            password=self.admin_password,
            autocommit=True,
            connect_timeout=5,
        )

    def create_database(self) -> str:
        """A new empty database owned by the test role; returns its name."""
        from psycopg import sql

        name = f"sanctions_{next(_database_numbers)}"
        with self.admin() as connection:
            connection.execute(
                sql.SQL("CREATE DATABASE {} OWNER {}").format(
                    sql.Identifier(name), sql.Identifier(self.user)
                )
            )
        return name


_database_numbers = itertools.count(1)


def _on_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _postgres_bindir() -> Path:
    on_path = shutil.which("initdb")
    if on_path:
        return Path(on_path).parent
    candidates = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    if not candidates:
        msg = (
            "PostgreSQL server binaries (initdb, postgres) are neither on PATH nor in "
            "/usr/lib/postgresql/*/bin; install them with 'apt-get install postgresql'"
        )
        raise PostgresUnavailableError(msg)
    return candidates[-1].parent


def _as_server_user() -> list[str]:
    """The command prefix that runs the server unprivileged (PostgreSQL refuses root) and
    stops it when this process dies, even killed: no server outlives the test session."""
    setpriv = shutil.which("setpriv")  # util-linux, on every Debian
    if os.geteuid() != 0:
        return [setpriv, "--pdeathsig", "INT", "--"] if setpriv else []
    try:
        user = pwd.getpwnam(SERVER_USER)
    except KeyError:
        msg = f"running as root and there is no {SERVER_USER!r} system user to run PostgreSQL"
        raise PostgresUnavailableError(msg) from None
    if setpriv is None:
        msg = "running as root, and 'setpriv' (util-linux) is missing to drop to another user"
        raise PostgresUnavailableError(msg)
    ids = ["--reuid", str(user.pw_uid), "--regid", str(user.pw_gid), "--init-groups"]
    return [setpriv, *ids, "--pdeathsig", "INT", "--"]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _remove_stale_workdirs() -> None:
    """Folders left by sessions that were killed (their servers died with them)."""
    for workdir in Path(tempfile.gettempdir()).glob("sanctions-pg-*"):
        with contextlib.suppress(OSError):
            if time.time() - workdir.stat().st_mtime < 3600:
                continue  # perhaps another session, starting
            if not _server_alive(workdir / "data" / "postmaster.pid"):
                shutil.rmtree(workdir)


def _server_alive(pidfile: Path) -> bool:
    try:
        pid = int(pidfile.read_text(encoding="ascii").split()[0])
    except (OSError, ValueError, IndexError):
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


def _start_postgres() -> tuple[PostgresServer, Callable[[], None]]:
    """initdb and start a server in a temporary folder; returns it and how to stop it."""
    import psycopg
    from psycopg import sql

    started = time.perf_counter()
    bindir = _postgres_bindir()
    as_server_user = _as_server_user()
    _remove_stale_workdirs()
    workdir = Path(tempfile.mkdtemp(prefix="sanctions-pg-"))
    data, log, pwfile = workdir / "data", workdir / "server.log", workdir / "pwfile"
    admin_password = secrets.token_urlsafe(18)
    pwfile.write_text(admin_password + "\n", encoding="utf-8")
    if os.geteuid() == 0:
        shutil.chown(workdir, user=SERVER_USER)
        shutil.chown(pwfile, user=SERVER_USER)
    processes: list[subprocess.Popen[bytes]] = []

    def stop() -> None:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)  # fast shutdown
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        shutil.rmtree(workdir, ignore_errors=True)

    try:
        initdb = subprocess.run(
            [
                *as_server_user,
                str(bindir / "initdb"),
                *("-D", str(data), "-U", "postgres", "--pwfile", str(pwfile)),
                *("--auth", "scram-sha-256", "--encoding", "UTF8", "--no-locale"),
                "--no-sync",
                "--no-instructions",
            ],
            cwd=workdir,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        pwfile.unlink()
        if initdb.returncode != 0:
            msg = f"initdb failed: {(initdb.stderr or initdb.stdout).strip()[-500:]}"
            raise PostgresUnavailableError(msg)
        for _attempt in range(3):  # another process may take the free port before us
            server = PostgresServer(
                host="127.0.0.1",
                port=_free_port(),
                admin_password=admin_password,
                user=TEST_ROLE,
                password=f"pw/{secrets.token_hex(6)}@:%?#",  # URL-special characters
                startup_seconds=0.0,
            )
            with log.open("ab") as output:
                processes.append(
                    subprocess.Popen(
                        [
                            *as_server_user,
                            str(bindir / "postgres"),
                            *("-D", str(data), "-p", str(server.port)),
                            *("-c", "listen_addresses=127.0.0.1"),
                            *("-c", f"unix_socket_directories={workdir}"),
                            *("-c", "fsync=off", "-c", "synchronous_commit=off"),
                            *("-c", "full_page_writes=off", "-c", "max_connections=300"),
                        ],
                        cwd=workdir,
                        stdin=subprocess.DEVNULL,
                        stdout=output,
                        stderr=subprocess.STDOUT,
                    )
                )
            deadline = time.monotonic() + 60
            while processes[-1].poll() is None and time.monotonic() < deadline:
                try:
                    with server.admin() as connection:
                        connection.execute(
                            sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
                                sql.Identifier(server.user), sql.Literal(server.password)
                            )
                        )
                    return dataclasses.replace(
                        server, startup_seconds=time.perf_counter() - started
                    ), stop
                except psycopg.OperationalError:  # not accepting connections yet
                    time.sleep(0.05)
        tail = log.read_text(encoding="utf-8", errors="replace").strip()[-500:]
        msg = f"the server did not start: {tail}"
        raise PostgresUnavailableError(msg)
    except BaseException:
        stop()
        raise


def _started_or_skip() -> tuple[PostgresServer, Callable[[], None]]:
    """A started server, or a skip (a failure on CI) saying why none starts."""
    try:
        return _start_postgres()
    except (PostgresUnavailableError, OSError, subprocess.SubprocessError) as error:
        if _on_ci():
            pytest.fail(f"PostgreSQL tests must run on CI, but no server started: {error}")
        pytest.skip(f"no PostgreSQL server for these tests: {error}")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A real PostgreSQL server for the whole session; skips (fails on CI) if none starts."""
    server, stop = _started_or_skip()
    try:
        yield server
    finally:
        stop()


@pytest.fixture
def fresh_postgres_server() -> Iterator[PostgresServer]:
    """A server of the test's own, from a fresh ``initdb``: nothing has ever run on it."""
    server, stop = _started_or_skip()
    try:
        yield server
    finally:
        stop()


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> str:
    """A ``--store`` URL to a new, empty database."""
    return postgres_server.url(postgres_server.create_database())


@pytest.fixture(
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)],
)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A ``--store`` value for a store that does not exist yet: an SQLite file, a database."""
    if request.param == "sqlite":
        return str(tmp_path / "events.sqlite")
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return server.url(server.create_database())


@pytest.fixture
def store_display(store_url: str, request: pytest.FixtureRequest) -> str:
    """How the tracker names ``store_url`` to the user (never with the password)."""
    if not store_url.startswith("postgresql://"):
        return store_url
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return server.display(store_url.rsplit("/", 1)[1])


# -- FtM files (shared/data/ftm), checked with the followthemoney library ------------

FTM_DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "ftm"
ZALA = FTM_DATA / "yente-zala-entities.ftm.json"
FEED = FTM_DATA / "yente-t2" / "delta.json"


def check_ftm_lines(text: str) -> list[dict[str, Any]]:
    """Every line a valid FtM proxy, ids unique, every reference to an entity in the file."""
    entities = [json.loads(line) for line in text.splitlines()]
    ids = [e["id"] for e in entities]
    assert len(ids) == len(set(ids)), "ids are unique"
    for data in entities:
        proxy = model.get_proxy(data, cleaned=False)  # cleans every value by its type
        assert proxy.id, data
        assert not proxy.schema.abstract, data
        assert proxy.to_dict()["properties"] == data["properties"], data  # nothing refused
        for prop, value in proxy.itervalues():
            if prop.type == registry.entity:
                assert value in ids, f"{proxy.id}.{prop.name} -> {value} is in the file"
    return entities


@pytest.fixture
def check_ftm() -> Callable[[str], list[dict[str, Any]]]:
    return check_ftm_lines


@pytest.fixture
def zala() -> Path:
    if not ZALA.is_file():
        _missing(f"the shared FtM data are missing: {ZALA}")
    return ZALA


@pytest.fixture
def feed() -> Path:
    if not FEED.is_file():
        _missing(f"the shared FtM delta feed is missing: {FEED}")
    return FEED


def _missing(reason: str) -> None:
    """Shared data beside the repository (as in CI) are absent: skip, but fail under CI."""
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def bundled_template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    """A store made once per session by ``sanctions init``, the real path."""
    return build_template(tmp_path_factory.mktemp("bundled") / "template.sqlite")


@pytest.fixture(autouse=True)
def _bundled_by_copy(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """New SQLite stores made by the command line get the template's rows (see
    tests/template_store.py), unless the test is marked ``bundled_import``."""
    if request.node.get_closest_marker("bundled_import") is None:
        from projections import console

        template: Template = request.getfixturevalue("bundled_template")
        monkeypatch.setattr(console, "load_bundled", copying(template, load_bundled))
