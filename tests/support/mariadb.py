"""A throwaway MariaDB server for the migration tests: Debian's `mariadbd` (package
`mariadb-server`, installed by `.ci/run`) on a free 127.0.0.1 port, with its data directory and
unix socket in a temporary folder that is deleted when it stops.

Why a real server and not a mock: the import reads the original's database the way it will in
production (PyMySQL, server-side cursors, TIMESTAMP time zones, utf8mb3, LONGBLOB), and the
fixture's SQL must load exactly as it would into the original's MySQL.

Use: the session fixture `mariadb` (register it in a conftest with
`from tests.support.mariadb import mariadb  # noqa: F401`) starts one server per pytest process
(each xdist worker has its own; they share nothing), and `mariadb.database(...)` creates a fresh
database, loads `tests/migration/schema.sql` and any data files, and returns its URLs. The server
is stopped (SIGTERM, then SIGKILL if it has not exited within the timeout) at the end of the
session, also when a test failed.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pymysql
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SCHEMA = REPO_ROOT / "tests" / "migration" / "schema.sql"
FIXTURE = REPO_ROOT / "tests" / "migration" / "fixture.sql"
MARIADBD = shutil.which("mariadbd") or "/usr/sbin/mariadbd"
INSTALL_DB = shutil.which("mariadb-install-db") or "/usr/bin/mariadb-install-db"
CLIENT = shutil.which("mariadb") or "/usr/bin/mariadb"
USER = "badgekit"
PASSWORD = "migration-tests"
START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 30.0
_counter = itertools.count(1)


@dataclass(frozen=True)
class Database:
    """A database of the test server: its name and the two ways to reach it."""

    name: str
    url: str  # mysql://user:password@127.0.0.1:port/name (TCP)
    socket_url: str  # mysql://user:password@localhost/name?unix_socket=... (the unix socket)


class MariaDB:
    """One `mariadbd` process with a private data directory (see the module docstring)."""

    def __init__(self) -> None:
        # A short path: a unix socket's path is limited to about 100 bytes.
        self.base = Path(tempfile.mkdtemp(prefix="mdb-"))
        self.datadir = self.base / "data"
        self.socket = self.base / "mysqld.sock"
        self.log = self.base / "error.log"
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None
        self.started_in = 0.0  # seconds from install-db to the first answered query

    # -- life cycle --------------------------------------------------------------------------

    def start(self) -> None:
        began = time.monotonic()
        root = ["--user=root"] if os.geteuid() == 0 else []
        subprocess.run(
            [
                INSTALL_DB,
                "--no-defaults",
                f"--datadir={self.datadir}",
                "--auth-root-authentication-method=normal",
                "--skip-test-db",
                "--skip-name-resolve",
                *root,
            ],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for attempt in range(3):  # the free port may be taken between the probe and the bind
            self.port = _free_port()
            self.process = subprocess.Popen(
                [
                    MARIADBD,
                    "--no-defaults",
                    f"--datadir={self.datadir}",
                    f"--socket={self.socket}",
                    f"--pid-file={self.base / 'mysqld.pid'}",
                    f"--log-error={self.log}",
                    f"--port={self.port}",
                    "--bind-address=127.0.0.1",
                    "--skip-name-resolve",
                    "--skip-log-bin",
                    "--innodb-buffer-pool-size=32M",
                    "--innodb-log-file-size=16M",
                    "--innodb-flush-log-at-trx-commit=0",  # throwaway data: no fsync per commit
                    "--innodb-doublewrite=0",
                    "--max-allowed-packet=64M",
                    "--character-set-server=utf8mb4",
                    "--default-time-zone=+00:00",
                    *root,
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            if self._wait_ready():
                break
            self._terminate()
            if attempt == 2:
                raise RuntimeError(f"mariadbd did not start:\n{self.log_tail()}")
        self._create_user()
        self.started_in = time.monotonic() - began

    def _wait_ready(self) -> bool:
        assert self.process is not None
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            try:
                pymysql.connect(unix_socket=str(self.socket), user="root").close()
            except pymysql.err.OperationalError:
                time.sleep(0.05)
                continue
            return True
        return False

    def _create_user(self) -> None:
        with contextlib.closing(self.root_connection()) as connection, connection.cursor() as cur:
            cur.execute(f"CREATE USER '{USER}'@'%' IDENTIFIED BY '{PASSWORD}'")
            cur.execute(f"GRANT ALL PRIVILEGES ON *.* TO '{USER}'@'%'")

    def stop(self) -> None:
        self._terminate()
        shutil.rmtree(self.base, ignore_errors=True)

    def _terminate(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no error log)"

    # -- use -----------------------------------------------------------------------------------

    def root_connection(
        self, database: str | None = None
    ) -> pymysql.Connection[pymysql.cursors.Cursor]:
        return pymysql.connect(
            unix_socket=str(self.socket),
            user="root",
            database=database,
            charset="utf8mb4",
            init_command="SET time_zone = '+00:00'",
            autocommit=True,
        )

    def database(self, name: str | None = None, *, data: Sequence[Path] = (FIXTURE,)) -> Database:
        """A new, empty database `name` (default: a fresh name) with the original's schema and
        then each file of `data` loaded (by the `mariadb` client, in a session at UTC)."""
        name = name or f"badgekit_{os.getpid()}_{next(_counter)}"
        with contextlib.closing(self.root_connection()) as connection, connection.cursor() as cur:
            cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb3")
        for path in (SCHEMA, *data):
            self.load(name, path)
        return Database(
            name=name,
            url=f"mysql://{USER}:{PASSWORD}@127.0.0.1:{self.port}/{name}",
            socket_url=f"mysql://{USER}:{PASSWORD}@localhost/{name}?unix_socket={self.socket}",
        )

    def load(self, database: str, path: Path) -> None:
        """Run the SQL file `path` in `database` (statements as the `mariadb` client splits them)."""
        with path.open("rb") as script:
            done = subprocess.run(
                [
                    CLIENT,
                    "--no-defaults",
                    "--user=root",
                    f"--socket={self.socket}",
                    "--default-character-set=utf8mb4",
                    "--init-command=SET time_zone = '+00:00'",
                    "--batch",
                    database,
                ],
                stdin=script,
                capture_output=True,
                check=False,
            )
        if done.returncode:
            raise RuntimeError(
                f"loading {path.name} failed: {done.stderr.decode(errors='replace')}"
            )

    def drop(self, database: str) -> None:
        with contextlib.closing(self.root_connection()) as connection, connection.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{database}`")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def mariadb() -> Iterator[MariaDB]:
    """One MariaDB server for this pytest process, stopped (and its files deleted) at the end."""
    server = MariaDB()
    try:
        server.start()
        yield server
    finally:
        server.stop()
