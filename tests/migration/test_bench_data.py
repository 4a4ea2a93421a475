"""The synthetic original database of the import benchmark (scripts/bench/migration.py): it
loads into the original's schema, and a dry run of the import reads every row and would write
every one of them, with no finding, so the benchmark times a clean import of exactly the rows
it reports."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from tests.support.mariadb import Database, MariaDB

REPO_ROOT = Path(__file__).resolve().parents[2]
PATH = REPO_ROOT / "scripts" / "bench" / "migration.py"


def _load() -> ModuleType:
    """From its file: the `scripts.bench` package would set up the in-process benchmark."""
    spec = importlib.util.spec_from_file_location("bench_migration", PATH)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


bench = _load()
SHAPE = bench.Shape(300)


@pytest.fixture(scope="module")
def database(mariadb: MariaDB) -> Iterator[Database]:
    database = mariadb.database(data=())
    with contextlib.closing(mariadb.root_connection(database.name)) as connection:
        bench.generate(connection, SHAPE)
    yield database
    mariadb.drop(database.name)


def test_the_shape_counts_every_row() -> None:
    assert SHAPE.counts() == {
        "images": 20,
        "systems": 4,
        "issuers": 8,
        "programs": 8,
        "consumers": 4,
        "badges": 100,
        "criteria": 200,
        "alignments": 100,
        "categories": 100,
        "tags": 200,
        "claimCodes": 30,
        "badgeInstances": 300,
        "applications": 30,
        "evidence": 30,
        "reviews": 15,
        "reviewItems": 30,
    }
    assert SHAPE.rows() == 1_179


def test_the_tables_hold_the_shapes_rows(mariadb: MariaDB, database: Database) -> None:
    with (
        contextlib.closing(mariadb.root_connection(database.name)) as connection,
        connection.cursor() as cursor,
    ):
        for table, expected in {**SHAPE.counts(), "webhooks": 0, "milestones": 0}.items():
            cursor.execute(f"SELECT COUNT(*) FROM `{table}`")
            assert cursor.fetchone() == (expected,), table


def test_a_dry_run_would_write_every_row_without_a_finding(database: Database) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("TABLE_NAME", "DYNAMODB_ENDPOINT")}
    done = subprocess.run(
        [sys.executable, "-m", "migrate", "import", "--source", database.url, "--dry-run"],
        cwd=REPO_ROOT,
        env={**env, "PYTHONPATH": str(REPO_ROOT)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("Dry run (nothing written): ")
    assert lines[2].split() == ["table", "read", "would", "write", "present", "skipped"]
    end = lines.index("", 3)
    table = {line.split()[0]: [int(n) for n in line.split()[1:]] for line in lines[3:end]}
    expected = {name: [n, n, 0, 0] for name, n in SHAPE.counts().items()}
    empty = {name: [0, 0, 0, 0] for name in ("webhooks", "milestones", "milestoneBadges")}
    assert table == {**expected, **empty}
    assert lines[-1] == "Findings: none"
