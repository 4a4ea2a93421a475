"""The original's schema (our DDL) and the fixture data set load into a real MariaDB as written,
and hold what the migration tests rely on."""

from __future__ import annotations

import contextlib

from tests.support.mariadb import MariaDB

TABLES = {
    "alignments": 6,
    "applications": 7,
    "badgeInstances": 12,
    "badges": 15,
    "categories": 7,
    "claimCodes": 10,
    "consumers": 4,
    "criteria": 14,
    "evidence": 8,
    "images": 15,
    "issuers": 4,
    "migrations": 4,
    "milestoneBadges": 6,
    "milestones": 3,
    "programs": 3,
    "reviewItems": 12,
    "reviews": 7,
    "systems": 3,
    "tags": 10,
    "webhooks": 4,
}


def query(server: MariaDB, database: str, sql: str) -> list[tuple[object, ...]]:
    with (
        contextlib.closing(server.root_connection(database)) as connection,
        connection.cursor() as cursor,
    ):
        cursor.execute(sql)
        return list(cursor.fetchall())


def test_schema_and_fixture_load_with_every_table_filled(mariadb: MariaDB) -> None:
    database = mariadb.database()
    counts = {
        table: query(mariadb, database.name, f"SELECT COUNT(*) FROM `{table}`")[0][0]
        for table in TABLES
    }
    assert counts == TABLES
    tables = {row[0] for row in query(mariadb, database.name, "SHOW TABLES")}
    assert tables == set(TABLES)


def test_fixture_keeps_unicode_blobs_and_the_zero_date(mariadb: MariaDB) -> None:
    database = mariadb.database()
    assert query(mariadb, database.name, "SELECT name, slug FROM badges WHERE id = 5") == [
        ("Café ☕ Naïve — 学习者", "café-naïve-学习")
    ]
    large = query(
        mariadb, database.name, "SELECT LENGTH(earnerDescription) FROM badges WHERE id = 5"
    )
    assert large == [(63275,)]
    heads = query(mariadb, database.name, "SELECT id, LEFT(data, 4) FROM images ORDER BY id")
    assert heads[:5] == [
        (1, b"\x89PNG"),
        (2, b"\xff\xd8\xff\xe0"),
        (3, b"GIF8"),
        (4, b"<svg"),
        (5, b"RIFF"),
    ]
    assert query(
        mariadb, database.name, "SELECT CAST(issuedOn AS CHAR) FROM badgeInstances WHERE id = 10"
    ) == [("0000-00-00 00:00:00",)]
