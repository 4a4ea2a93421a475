"""`migrate.source.MySQLSource` over the fixture in a real MariaDB: every table read with the
original's column names, values typed as the `Source` protocol says, unicode and blobs intact,
TIMESTAMPs at UTC whatever the server's zone, and reads streamed in bounded batches."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from migrate.source import (
    TABLES,
    ZERO_DATE,
    Connection,
    DictSource,
    MySQLSource,
    connection_from_url,
)
from tests.migration.test_fixture_sql import TABLES as FIXTURE_COUNTS
from tests.support.mariadb import Database, MariaDB

HERE = Path(__file__).parent

# The columns of every table, in the original's order (schema.sql).
COLUMNS = {
    "images": ["id", "slug", "url", "mimetype", "data"],
    "systems": ["id", "slug", "name", "url", "description", "email", "imageId"],
    "consumers": ["id", "apiKey", "apiSecret", "description", "systemId"],
    "webhooks": ["id", "url", "secret", "systemId"],
    "issuers": ["id", "slug", "name", "url", "description", "email", "imageId", "systemId"],
    "programs": ["id", "slug", "name", "url", "description", "email", "imageId", "issuerId"],
    "badges": [
        "id",
        "slug",
        "name",
        "strapline",
        "earnerDescription",
        "consumerDescription",
        "issuerUrl",
        "rubricUrl",
        "criteriaUrl",
        "timeValue",
        "timeUnits",
        "limit",
        "unique",
        "archived",
        "created",
        "imageId",
        "programId",
        "issuerId",
        "systemId",
        "type",
        "evidenceType",
    ],
    "categories": ["id", "badgeId", "value"],
    "claimCodes": ["id", "code", "claimed", "email", "multiuse", "badgeId"],
    "badgeInstances": ["id", "slug", "email", "issuedOn", "expires", "claimCode", "badgeId"],
    "criteria": ["id", "badgeId", "description", "note", "required"],
    "tags": ["id", "badgeId", "value"],
    "applications": [
        "id",
        "slug",
        "badgeId",
        "learner",
        "created",
        "assignedTo",
        "assignedExpiration",
        "processed",
        "programId",
        "issuerId",
        "systemId",
    ],
    "evidence": ["id", "applicationId", "url", "mediaType", "reflection"],
    "reviews": ["id", "slug", "applicationId", "author", "comment"],
    "reviewItems": ["id", "reviewId", "criterionId", "satisfied", "comment"],
    "milestones": ["id", "systemId", "primaryBadgeId", "numberRequired", "action"],
    "milestoneBadges": ["id", "milestoneId", "badgeId"],
    "alignments": ["id", "badgeId", "name", "url", "description"],
}
# MySQL column type -> the Python type the protocol promises for a non-NULL value.
PYTHON_TYPES = {
    "int": int,
    "tinyint": int,
    "varchar": str,
    "text": str,
    "enum": str,
    "longblob": bytes,
    "timestamp": datetime,
}


@pytest.fixture(scope="module")
def database(mariadb: MariaDB) -> Iterator[Database]:
    database = mariadb.database()
    yield database
    mariadb.drop(database.name)


@pytest.fixture
def source(database: Database) -> Iterator[MySQLSource]:
    with MySQLSource(database.url) as source:
        yield source


def column_types(mariadb: MariaDB, database: str) -> dict[tuple[str, str], str]:
    with (
        contextlib.closing(mariadb.root_connection()) as connection,
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "SELECT TABLE_NAME, COLUMN_NAME, DATA_TYPE FROM information_schema.COLUMNS "
            "WHERE TABLE_SCHEMA = %s",
            (database,),
        )
        return {(str(t), str(c)): str(d) for t, c, d in cursor.fetchall()}


def test_tables_are_the_originals_parents_first_without_db_migrates_own(
    source: MySQLSource,
) -> None:
    assert source.tables() == list(TABLES)
    assert "migrations" not in source.tables()
    assert set(COLUMNS) == set(TABLES)


def test_counts_are_the_tables_row_counts(source: MySQLSource) -> None:
    assert {table: source.count(table) for table in TABLES} == {
        table: n for table, n in FIXTURE_COUNTS.items() if table != "migrations"
    }


def test_every_row_of_every_table_has_the_original_columns_and_protocol_types(
    source: MySQLSource, mariadb: MariaDB, database: Database
) -> None:
    types = column_types(mariadb, database.name)
    for table in TABLES:
        rows = list(source.rows(table))
        assert len(rows) == FIXTURE_COUNTS[table], table
        assert [row["id"] for row in rows] == sorted(row["id"] for row in rows), table
        for row in rows:
            assert list(row) == COLUMNS[table], table
            for column, value in row.items():
                if value is None:
                    continue
                expected = PYTHON_TYPES[types[(table, column)]]
                if expected is datetime and value == ZERO_DATE:
                    continue  # the one exception the protocol names
                assert type(value) is expected, (table, row["id"], column, value)
                if isinstance(value, datetime):
                    assert value.tzinfo is None


def one(source: MySQLSource, table: str, row_id: int) -> dict[str, object]:
    return next(r for r in source.rows(table) if r["id"] == row_id)


def test_unicode_and_large_texts_arrive_intact(source: MySQLSource) -> None:
    badge = one(source, "badges", 5)
    assert badge["slug"] == "café-naïve-学习"
    assert badge["name"] == "Café ☕ Naïve — 学习者"
    assert badge["strapline"] == "Ünïcödé strapline « ça marche » ✓"
    description = badge["earnerDescription"]
    assert isinstance(description, str)
    assert description == "Ünïcödé description. " + "Apprendre — 学习 — Ελληνικά — lire ☕ " * 1150
    assert len(description.encode()) == 63275
    assert badge["timeUnits"] == "minutes"
    assert badge["evidenceType"] == "Text"
    assert one(source, "systems", 3)["name"] == "Système d'apprentissage — Lyon 学习"
    assert one(source, "tags", 5)["value"] == "学习"
    assert one(source, "badgeInstances", 8)["slug"] == "café-élève-学习"


def test_blobs_arrive_byte_for_byte(source: MySQLSource) -> None:
    images = {r["id"]: r for r in source.rows("images")}
    png = images[1]["data"]
    assert isinstance(png, bytes)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert png.endswith(b"IEND\xaeB`\x82")
    assert len(png) == 74
    assert images[2]["data"] == images[10]["data"]  # the same JPEG, declared image/jpg there
    jpeg = images[2]["data"]
    assert isinstance(jpeg, bytes)
    assert jpeg[:3] == b"\xff\xd8\xff"
    assert jpeg[-2:] == b"\xff\xd9"
    assert len(jpeg) == 159
    assert images[3]["data"] == bytes.fromhex(
        "474946383961010001008000000000ffffff21f90401000000002c00000000010001000002024401003b"
    )
    assert images[4]["mimetype"] == "image/svg+xml"
    svg = images[4]["data"]
    assert isinstance(svg, bytes)
    assert svg.decode().startswith('<svg xmlns="http://www.w3.org/2000/svg"')
    assert "Reading club — star" in svg.decode()
    webp = images[5]["data"]
    assert isinstance(webp, bytes)
    assert webp[:4] == b"RIFF"
    assert webp[8:12] == b"WEBP"
    assert len(webp) == 34
    assert images[6] == {
        "id": 6,
        "slug": "1a876a5a9eddbb679ee2e9345ea30f4f",
        "url": "https://cdn.example.org/badges/caf%C3%A9.png",
        "mimetype": None,
        "data": None,
    }
    assert images[7]["mimetype"] == "text/html"
    assert images[8]["data"] == images[3]["data"]  # declared image/png, a GIF
    assert images[11]["mimetype"] == "IMAGE/PNG"


def test_timestamps_are_naive_utc_and_the_zero_date_is_named(source: MySQLSource) -> None:
    assert one(source, "badgeInstances", 1)["issuedOn"] == datetime(2014, 6, 15, 10, 20, 30)
    earliest = one(source, "badgeInstances", 6)
    assert earliest["issuedOn"] == datetime(1970, 1, 1, 0, 0, 1)
    latest = one(source, "badgeInstances", 4)
    assert latest["expires"] == datetime(2038, 1, 19, 3, 14, 7)
    assert latest["email"] == "Dave.Smith@Example.COM"
    assert one(source, "badgeInstances", 10)["issuedOn"] == ZERO_DATE
    assert one(source, "badgeInstances", 1)["expires"] is None
    assert one(source, "applications", 1)["assignedExpiration"] == datetime(2014, 6, 19, 8, 0, 0)
    assert one(source, "applications", 1)["processed"] is None


def test_timestamps_read_at_utc_whatever_the_servers_zone(
    mariadb: MariaDB, database: Database
) -> None:
    with (
        contextlib.closing(mariadb.root_connection()) as connection,
        connection.cursor() as cursor,
    ):
        cursor.execute("SET GLOBAL time_zone = '+05:30'")
        try:
            with MySQLSource(database.url) as source:
                assert one(source, "badges", 1)["created"] == datetime(2014, 6, 10, 14, 2, 57)
        finally:
            cursor.execute("SET GLOBAL time_zone = '+00:00'")


def test_flags_and_enums_keep_the_originals_values(source: MySQLSource) -> None:
    codes = {r["id"]: r for r in source.rows("claimCodes")}
    assert (codes[1]["claimed"], codes[1]["multiuse"]) == (1, 0)
    assert (codes[3]["claimed"], codes[3]["multiuse"]) == (0, 1)
    assert one(source, "badges", 4)["archived"] == 1
    assert one(source, "badges", 2)["unique"] == 1
    actions = [r["action"] for r in source.rows("milestones")]
    assert actions == ["issue", None, "queue-application"]
    assert [r["mediaType"] for r in source.rows("evidence")] == [
        "image",
        None,
        "link",
        "link",
        "image",
        "link",
        "link",
        "link",
    ]


def test_rows_are_streamed_in_bounded_batches(database: Database) -> None:
    with MySQLSource(database.url, batch_size=4) as source:
        rows = source.rows("badges")
        first = next(rows)
        assert first["id"] == 1
        assert source.fetches == [4]  # one batch fetched so far, not the table
        rest = list(rows)
        assert [r["id"] for r in [first, *rest]] == [
            1,
            2,
            3,
            4,
            5,
            6,
            7,
            8,
            9,
            10,
            11,
            12,
            14,
            15,
            16,
        ]
        assert source.fetches == [4, 4, 4, 3]


def test_reads_of_two_tables_can_interleave(source: MySQLSource) -> None:
    badges = source.rows("badges")
    criteria = source.rows("criteria")
    pairs = list(zip(badges, criteria, strict=False))
    assert [(b["id"], c["id"]) for b, c in pairs][:3] == [(1, 1), (2, 2), (3, 3)]
    assert source.count("tags") == 10  # the shared session still answers meanwhile


def test_a_unix_socket_url_reads_the_same(database: Database) -> None:
    with MySQLSource(database.socket_url) as source:
        assert source.connection.unix_socket is not None
        assert [r["slug"] for r in source.rows("systems")] == ["chicago", "pittsburgh", "lyon"]


def test_a_database_of_an_older_schema_lacks_tables_it_never_had(mariadb: MariaDB) -> None:
    database = mariadb.database(data=())
    try:
        with (
            contextlib.closing(mariadb.root_connection(database.name)) as connection,
            connection.cursor() as cursor,
        ):
            cursor.execute("DROP TABLE `alignments`")  # before migration 20140609165236
        with MySQLSource(database.url) as source:
            assert "alignments" not in source.tables()
            assert source.count("alignments") == 0
            assert list(source.rows("alignments")) == []
            assert source.count("badges") == 0
            assert list(source.rows("badges")) == []
    finally:
        mariadb.drop(database.name)


def test_dict_source_has_the_same_shape() -> None:
    source = DictSource({"systems": [{"id": 1, "slug": "a"}], "badges": []})
    assert source.tables() == ["systems", "badges"]
    assert source.count("systems") == 1
    assert source.count("tags") == 0
    assert list(source.rows("systems")) == [{"id": 1, "slug": "a"}]
    assert list(source.rows("tags")) == []


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "mysql://badgekit:s%40cret@db.example.org:3307/badgekit",
            Connection("badgekit", "badgekit", "s@cret", "db.example.org", 3307, None),
        ),
        ("mysql://root@127.0.0.1/bk", Connection("bk", "root", "", "127.0.0.1", 3306, None)),
        ("mariadb://u:p@h/d", Connection("d", "u", "p", "h", 3306, None)),
        ("mysql+pymysql://u:p@h:1/d", Connection("d", "u", "p", "h", 1, None)),
        (
            "mysql://u:p@localhost/d?unix_socket=/run/mysqld/mysqld.sock",
            Connection("d", "u", "p", "localhost", 3306, "/run/mysqld/mysqld.sock"),
        ),
        ("mysql:///d?unix_socket=/tmp/s", Connection("d", "root", "", "localhost", 3306, "/tmp/s")),
    ],
)
def test_connection_urls(url: str, expected: Connection) -> None:
    assert connection_from_url(url) == expected


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (
            "postgres://u:p@h/d",
            "not a MySQL URL (mysql://user:password@host:port/database): 'postgres://u:p@h/d'",
        ),
        ("mysql://u:p@h", "the URL names no database (mysql://user:password@host:port/database)"),
        ("mysql://u:p@h/", "the URL names no database (mysql://user:password@host:port/database)"),
        ("mysql://u:p@h:99999/d", "invalid port in the URL: Port out of range 0-65535"),
        ("mysql://u:p@h/d?ssl=1", "unknown URL parameter(s): ssl (known: unix_socket)"),
    ],
)
def test_bad_connection_urls(url: str, message: str) -> None:
    with pytest.raises(ValueError) as raised:
        connection_from_url(url)
    assert str(raised.value) == message


def test_describe_hides_the_password() -> None:
    assert connection_from_url("mysql://u:secret@h:3307/d").describe() == "mysql://u@h:3307/d"
    assert (
        connection_from_url("mysql://u:secret@localhost/d?unix_socket=/s").describe()
        == "mysql://u@localhost (socket /s)/d"
    )


def test_tables_named_in_lower_case_by_the_server_are_found(mariadb: MariaDB) -> None:
    """A server with lower_case_table_names (Windows, macOS) lists `badgeinstances`."""
    database = mariadb.database()
    try:
        with (
            contextlib.closing(mariadb.root_connection(database.name)) as connection,
            connection.cursor() as cursor,
        ):
            cursor.execute("RENAME TABLE `badgeInstances` TO `badgeinstances`")
        with MySQLSource(database.url) as source:
            assert source.tables() == list(TABLES)
            assert source.count("badgeInstances") == 12
            assert [r["slug"] for r in source.rows("badgeInstances")][:2] == [
                "5c1f2c63d9e3b0f6a8e4c1d2b7a9f0e3c4d5e6f7",
                "bob-reads-100",
            ]
    finally:
        mariadb.drop(database.name)
