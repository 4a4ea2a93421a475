"""Where the import reads the original's rows: the seam between reading and writing.

Rows carry the original's exact table and column names (mozilla/badgekit-api a60bdc6,
`app/migrations/*.js`; our DDL of them is tests/migration/schema.sql): DATETIME/TIMESTAMP as
naive UTC `datetime`, BLOB as `bytes`, TINYINT/BOOLEAN as int, ENUM/TEXT/VARCHAR as str, NULL as
None. One exception, because no `datetime` can hold it: MySQL's zero date (what MySQL stored,
outside strict mode, for a date it could not parse) comes as the string `"0000-00-00 00:00:00"`,
as PyMySQL reads it, so the checks can report it as the missing date it is.

Two sources: `DictSource` (rows held in memory, for tests) and `MySQLSource` (the original's
MySQL or MariaDB database, read with PyMySQL).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from urllib.parse import parse_qs, unquote, urlsplit

import pymysql
import pymysql.cursors
from pymysql.constants import FIELD_TYPE

# The original's tables (after all its migrations), parents before children. db-migrate's own
# `migrations` table is not one of them: it holds no BadgeKit data.
TABLES = (
    "images",
    "systems",
    "issuers",
    "programs",
    "consumers",
    "webhooks",
    "badges",
    "criteria",
    "alignments",
    "categories",
    "tags",
    "claimCodes",
    "badgeInstances",
    "applications",
    "evidence",
    "reviews",
    "reviewItems",
    "milestones",
    "milestoneBadges",
)
ZERO_DATE = "0000-00-00 00:00:00"
DEFAULT_BATCH = 1000  # rows per fetch from the server (and so at most held per table read)
SCHEMES = ("mysql", "mariadb", "mysql+pymysql", "mariadb+pymysql")


class Source(Protocol):
    """The original's database as the import reads it (see the module docstring)."""

    def tables(self) -> list[str]:
        """The original's tables this source has, parents before children."""
        ...

    def count(self, table: str) -> int:
        """How many rows `table` has (0 for a table the source does not have)."""
        ...

    def rows(self, table: str) -> Iterator[dict[str, Any]]:
        """Every row of `table`, in id order (none for a table the source does not have)."""
        ...


class DictSource:
    """Rows held in memory (tests): a table absent from `tables` has no rows."""

    def __init__(self, tables: Mapping[str, Sequence[Mapping[str, Any]]]) -> None:
        self._tables = tables

    def tables(self) -> list[str]:
        return list(self._tables)

    def count(self, table: str) -> int:
        return len(self._tables.get(table, ()))

    def rows(self, table: str) -> Iterator[dict[str, Any]]:
        for row in self._tables.get(table, ()):
            yield dict(row)


@dataclass(frozen=True)
class Connection:
    """Where the original's database is: from a URL (`connection_from_url`)."""

    database: str
    user: str = "root"
    password: str = ""
    host: str = "localhost"
    port: int = 3306
    unix_socket: str | None = None

    def describe(self) -> str:
        """The URL without the password (for messages)."""
        where = (
            f"localhost (socket {self.unix_socket})"
            if self.unix_socket
            else f"{self.host}:{self.port}"
        )
        return f"mysql://{self.user}@{where}/{self.database}"


def connection_from_url(url: str) -> Connection:
    """`mysql://user:password@host:port/database`, or over a unix socket
    `mysql://user:password@localhost/database?unix_socket=/path/to/mysqld.sock` (schemes
    `mysql`, `mariadb`, `mysql+pymysql`; user and password percent-encoded). ValueError when the
    URL is not one of these."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in SCHEMES:
        raise ValueError(f"not a MySQL URL (mysql://user:password@host:port/database): {url!r}")
    database = unquote(parts.path.lstrip("/"))
    if not database or "/" in database:
        raise ValueError("the URL names no database (mysql://user:password@host:port/database)")
    try:
        port = parts.port or 3306
    except ValueError as error:
        raise ValueError(f"invalid port in the URL: {error}") from None
    query = parse_qs(parts.query)
    unknown = sorted(set(query) - {"unix_socket"})
    if unknown:
        raise ValueError(f"unknown URL parameter(s): {', '.join(unknown)} (known: unix_socket)")
    sockets = query.get("unix_socket") or []
    return Connection(
        database=database,
        user=unquote(parts.username) if parts.username else "root",
        password=unquote(parts.password) if parts.password else "",
        host=parts.hostname or "localhost",
        port=port,
        unix_socket=sockets[-1] if sockets else None,
    )


# The column types read as naive UTC datetimes (PyMySQL returns the zero date as a string).
_DATE_TYPES = frozenset({FIELD_TYPE.TIMESTAMP, FIELD_TYPE.DATETIME})


class MySQLSource:
    """The original's MySQL/MariaDB database, read with PyMySQL.

    Each `rows()` streams its table over a connection of its own with a server-side cursor
    (`SSCursor`), `batch_size` rows per fetch, so memory stays bounded whatever the table's size
    and reads of several tables may be interleaved. Every session reads TIMESTAMP columns at UTC
    (`time_zone = '+00:00'`) and text as utf8mb4. Use as a context manager, or call `close()`.
    """

    def __init__(
        self, url: str | Connection, *, batch_size: int = DEFAULT_BATCH, connect_timeout: int = 10
    ) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be positive")
        self.connection = url if isinstance(url, Connection) else connection_from_url(url)
        self.batch_size = batch_size
        self.connect_timeout = connect_timeout
        self.fetches: list[int] = []  # rows per fetch of the last `rows()` (for tests and stats)
        self._shared: pymysql.Connection[Any] | None = None
        self._names: dict[str, str] | None = None  # original's table name -> name on the server

    def __enter__(self) -> MySQLSource:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        shared, self._shared = self._shared, None
        if shared is not None and shared.open:
            shared.close()

    def connect(
        self, cursor: type[pymysql.cursors.Cursor] = pymysql.cursors.Cursor
    ) -> pymysql.Connection[Any]:
        """A new session on the source: UTC, utf8mb4, autocommit (it only ever reads). A
        streamed read may pause while the writer works: the server waits an hour for it."""
        c = self.connection
        return pymysql.connect(
            host=c.host,
            port=c.port,
            unix_socket=c.unix_socket,
            user=c.user,
            password=c.password,
            database=c.database,
            charset="utf8mb4",
            autocommit=True,
            connect_timeout=self.connect_timeout,
            cursorclass=cursor,
            init_command="SET time_zone = '+00:00', net_write_timeout = 3600",
        )

    def _session(self) -> pymysql.Connection[Any]:
        if self._shared is None or not self._shared.open:
            self._shared = self.connect()
        return self._shared

    def _server_names(self) -> dict[str, str]:
        """The original's tables present, each with its name on the server: a server with
        `lower_case_table_names` set (the default on Windows and macOS) lists `badgeinstances`
        for `badgeInstances`."""
        if self._names is None:
            with self._session().cursor() as cursor:
                cursor.execute("SHOW TABLES")
                present = {str(row[0]).lower(): str(row[0]) for row in cursor.fetchall()}
            self._names = {t: present[t.lower()] for t in TABLES if t.lower() in present}
        return self._names

    def tables(self) -> list[str]:
        return list(self._server_names())

    def count(self, table: str) -> int:
        name = self._server_names().get(table)
        if name is None:
            return 0
        with self._session().cursor() as cursor:
            # `name` is the server's own name of one of TABLES, never outside input.
            cursor.execute(f"SELECT COUNT(*) FROM `{name}`")  # noqa: S608
            row = cursor.fetchone()
        return int(row[0]) if row else 0

    def rows(self, table: str) -> Iterator[dict[str, Any]]:
        name = self._server_names().get(table)
        if name is None:
            return
        self.fetches = []
        connection = self.connect(pymysql.cursors.SSCursor)
        try:
            with connection.cursor() as cursor:
                # `name` is the server's own name of one of TABLES, never outside input.
                cursor.execute(f"SELECT * FROM `{name}` ORDER BY `id`")  # noqa: S608
                names = [column[0] for column in cursor.description or ()]
                dates = [
                    i
                    for i, column in enumerate(cursor.description or ())
                    if column[1] in _DATE_TYPES
                ]
                while batch := cursor.fetchmany(self.batch_size):
                    self.fetches.append(len(batch))
                    for values in batch:
                        row = dict(zip(names, values, strict=True))
                        for i in dates:
                            row[names[i]] = _date(row[names[i]])
                        yield row
        finally:
            connection.close()


def _date(value: Any) -> Any:
    """A TIMESTAMP/DATETIME value as read: a naive datetime, None, or the zero date's string
    (PyMySQL leaves a value it cannot parse as a string; the only such value MySQL stores is a
    zero date, possibly with a zero fraction)."""
    if value is None or isinstance(value, datetime):
        return value
    text = value.decode() if isinstance(value, bytes) else str(value)
    return ZERO_DATE if text.startswith("0000-00-00") else text
