"""`python -m migrate`: its arguments, the target it writes to, the progress bar, the exit status
and `make migrate`. The import itself is replaced by a stand-in here (its own tests cover it);
the source is the real MariaDB with the fixture."""

from __future__ import annotations

import contextlib
import io
import json
import os
import socket
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest

import migrate.__main__ as cli
from local.__main__ import SERVICES_FILE, publish_services
from migrate.progress import ProgressBar
from migrate.source import TABLES, MySQLSource
from migrate.target import LOCAL_BUCKET, LOCAL_TABLE, Target, TargetError, resolve
from tests.support.mariadb import Database, MariaDB

REPO_ROOT = Path(__file__).resolve().parents[2]
VARIABLES = (
    "TABLE_NAME",
    "IMAGES_BUCKET",
    "DYNAMODB_ENDPOINT",
    "S3_ENDPOINT",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_PROFILE",
    "AWS_EC2_METADATA_DISABLED",
    "LOCAL_STATE_DIR",
)


@pytest.fixture
def environ(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No target setting in the environment (restored afterwards, whatever the run set), and
    no running stack."""
    for name in VARIABLES:
        monkeypatch.setenv(name, "x")  # so that teardown restores the original state
        monkeypatch.delenv(name)
    monkeypatch.setenv("LOCAL_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setattr("migrate.target.ENV_FILE", tmp_path / "env.json")


@pytest.fixture(scope="module")
def database(mariadb: MariaDB) -> Iterator[Database]:
    database = mariadb.database()
    yield database
    mariadb.drop(database.name)


@dataclass
class Counts:
    read: int = 0
    skipped: int = 0


@dataclass
class Report:
    counts: dict[str, Counts] = field(default_factory=dict)
    findings: list[str] = field(default_factory=list)

    def render(self) -> str:
        return "\n".join(f"{t} {c.read} {c.skipped}" for t, c in self.counts.items())


@dataclass
class StandIn:
    """Reads every table like the writer, records how it was called and the environment."""

    skip: int = 0
    fail: Exception | None = None
    calls: list[dict[str, Any]] = field(default_factory=list)

    def __call__(self, source: Any, *, dry_run: bool, progress: Any = None) -> Report:
        if self.fail is not None:
            raise self.fail
        env = {name: os.environ.get(name) for name in VARIABLES}
        self.calls.append({"source": source, "dry_run": dry_run, "progress": progress, "env": env})
        report = Report()
        for table in source.tables():
            total = source.count(table)
            done = 0
            for _ in source.rows(table):
                done += 1
                if progress is not None:
                    progress(table, done, total)
            report.counts[table] = Counts(read=done)
        report.counts["badges"].skipped = self.skip
        report.findings = [f"badges: dangling reference -> skipped #{n}" for n in range(self.skip)]
        return report


@pytest.fixture
def stand_in(monkeypatch: pytest.MonkeyPatch) -> StandIn:
    fake = StandIn()
    monkeypatch.setattr(cli, "importer", lambda: fake)
    return fake


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = cli.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


# -- the import sub-command -------------------------------------------------------------------


def test_dry_run_reads_every_table_writes_nowhere_and_prints_the_report(
    environ: None, stand_in: StandIn, database: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(["--source", database.url, "--dry-run"], capsys)
    assert code == 0
    (call,) = stand_in.calls
    assert call["dry_run"] is True
    assert isinstance(call["source"], MySQLSource)
    assert isinstance(call["progress"], ProgressBar)
    assert call["env"]["TABLE_NAME"] is None  # a dry run resolves no target
    assert out.splitlines()[0] == "images 15 0"
    assert out.splitlines()[-1] == "milestoneBadges 6 0"
    first = err.splitlines()[0]
    assert first == (
        f"migrate: mysql://badgekit@127.0.0.1:{database.url.split(':')[3].split('/')[0]}"
        f"/{database.name} -> dry run: nothing is written"
    )
    assert "migration-tests" not in err + out  # the password is never printed
    # not a terminal: one line per table once it is done
    lines = [line for line in err.splitlines()[1:] if line.strip()]
    assert [line.split()[0] for line in lines] == list(TABLES)
    assert "[" + "#" * 30 + "]" in lines[0]


def test_import_is_the_default_sub_command(
    environ: None, stand_in: StandIn, database: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["import", "--source", database.url, "--dry-run", "--no-progress"], capsys)[0] == 0
    assert run(["--source", database.url, "--dry-run", "--no-progress"], capsys)[0] == 0
    assert [call["progress"] for call in stand_in.calls] == [None, None]


def test_import_into_a_local_endpoint_sets_what_the_store_reads(
    environ: None, stand_in: StandIn, database: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(
        ["--source", database.socket_url, "--endpoint", "http://127.0.0.1:5055", "--resume"],
        capsys,
    )
    assert code == 0
    (call,) = stand_in.calls
    assert call["dry_run"] is False
    assert call["env"] == {
        "TABLE_NAME": LOCAL_TABLE,
        "IMAGES_BUCKET": LOCAL_BUCKET,
        "DYNAMODB_ENDPOINT": "http://127.0.0.1:5055",
        "S3_ENDPOINT": "http://127.0.0.1:5055",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_PROFILE": None,
        "AWS_EC2_METADATA_DISABLED": "true",
        "LOCAL_STATE_DIR": os.environ["LOCAL_STATE_DIR"],
    }
    assert err.splitlines()[0].endswith(
        "-> table badgekit-local, bucket badgekit-local-imagesbucket at http://127.0.0.1:5055 "
        "[command line]"
    )
    assert err.splitlines()[1] == ("migrate: resuming: rows already imported are not written again")


def test_a_completed_import_exits_0_with_its_findings_in_the_report(
    environ: None, stand_in: StandIn, database: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    stand_in.skip = 2
    code, out, _ = run(["--source", database.url, "--dry-run", "--no-progress"], capsys)
    assert code == 0
    assert "badges 15 2" in out.splitlines()


def test_strict_exits_1_when_the_report_has_findings(
    environ: None, stand_in: StandIn, database: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    stand_in.skip = 2
    argv = ["--source", database.url, "--dry-run", "--no-progress", "--strict"]
    code, out, _ = run(argv, capsys)
    assert code == 1
    assert "badges 15 2" in out.splitlines()
    stand_in.skip = 0
    code, out, _ = run(argv, capsys)
    assert code == 0
    assert "badges 15 0" in out.splitlines()


def test_a_failed_import_exits_1_with_the_reason(
    environ: None, stand_in: StandIn, database: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    stand_in.fail = RuntimeError("the table is gone")
    code, out, err = run(["--source", database.url, "--dry-run", "--no-progress"], capsys)
    assert (code, out) == (1, "")
    assert err.splitlines()[-1] == "migrate: the import stopped: RuntimeError: the table is gone"


def test_an_unreachable_source_exits_1(
    environ: None, stand_in: StandIn, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(
        ["--source", "mysql://u:p@localhost/d?unix_socket=/nonexistent/mysqld.sock", "--dry-run"],
        capsys,
    )
    assert (code, out) == (1, "")
    assert err.splitlines()[-1].startswith("migrate: the import stopped: OperationalError: (2003")


def test_a_bad_source_url_exits_1(
    environ: None, stand_in: StandIn, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(["--source", "postgres://h/d", "--dry-run"], capsys)
    assert (code, out, stand_in.calls) == (1, "", [])
    assert err == (
        "migrate: --source: not a MySQL URL (mysql://user:password@host:port/database): "
        "'postgres://h/d'\n"
    )


def test_no_target_found_exits_1_before_reading(
    environ: None, stand_in: StandIn, database: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(["--source", database.url], capsys)
    assert (code, out, stand_in.calls) == (1, "", [])
    assert err.startswith("migrate: no local stack found to import into: start `make dev`")


def test_a_database_without_the_originals_tables_exits_1(
    environ: None, stand_in: StandIn, mariadb: MariaDB, capsys: pytest.CaptureFixture[str]
) -> None:
    with (
        contextlib.closing(mariadb.root_connection()) as connection,
        connection.cursor() as cursor,
    ):
        cursor.execute("CREATE DATABASE `not_badgekit`")
    try:
        url = f"mysql://badgekit:migration-tests@127.0.0.1:{mariadb.port}/not_badgekit"
        code, out, err = run(["--source", url, "--dry-run"], capsys)
    finally:
        mariadb.drop("not_badgekit")
    assert (code, out, stand_in.calls) == (1, "", [])
    assert err.splitlines()[-1] == (
        f"migrate: mysql://badgekit@127.0.0.1:{mariadb.port}/not_badgekit has none of the "
        "original's tables"
    )


def test_tables_of_later_migrations_may_be_missing(
    environ: None, stand_in: StandIn, mariadb: MariaDB, capsys: pytest.CaptureFixture[str]
) -> None:
    database = mariadb.database()
    try:
        with (
            contextlib.closing(mariadb.root_connection(database.name)) as connection,
            connection.cursor() as cursor,
        ):
            cursor.execute("DROP TABLE `alignments`")
        code, out, err = run(["--source", database.url, "--dry-run", "--no-progress"], capsys)
    finally:
        mariadb.drop(database.name)
    assert code == 0
    assert err.splitlines()[1] == "migrate: not in this database: alignments"
    assert "alignments" not in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "the following arguments are required: --source"),
        (
            ["--source", "mysql://h/d", "--batch-size", "0"],
            "argument --batch-size: must be at least 1",
        ),
        (["--source", "mysql://h/d", "--nonsense"], "unrecognized arguments: --nonsense"),
    ],
)
def test_usage_errors_exit_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(argv)
    assert exited.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1].endswith(message)


def test_help_names_both_sub_commands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["--help"])
    assert exited.value.code == 0
    assert "{import,verify}" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exited:
        cli.main(["verify", "--help"])
    assert exited.value.code == 0
    assert "usage: python -m migrate verify" in capsys.readouterr().out


# -- the target ---------------------------------------------------------------------------------


def test_target_from_the_environment_first(environ: None, tmp_path: Path) -> None:
    (tmp_path / "env.json").write_text(
        json.dumps({"Parameters": {"TABLE_NAME": "from-env-json", "DYNAMODB_ENDPOINT": "http://e"}})
    )
    env = {
        "TABLE_NAME": "t",
        "IMAGES_BUCKET": "b",
        "DYNAMODB_ENDPOINT": "http://d",
        "S3_ENDPOINT": "http://s",
    }
    target = resolve(environ=env, env_path=tmp_path / "env.json")
    assert target == Target("t", "b", "http://d", "http://s", "us-east-1", "environment")


@pytest.fixture
def listening() -> Iterator[str]:
    """An endpoint that answers (a bound, listening socket)."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        yield f"http://127.0.0.1:{server.getsockname()[1]}"


def publish(state: Path, endpoint: str) -> None:
    stack = SimpleNamespace(
        url="http://127.0.0.1:8080",
        options=SimpleNamespace(table_name="badgekit-local"),
        buckets={"ImagesBucket": "badgekit-local-imagesbucket"},
        endpoint=endpoint,
        s3_endpoint=endpoint,
    )
    publish_services(cast(Any, stack), state / SERVICES_FILE)


def test_target_from_a_running_make_dev(environ: None, tmp_path: Path, listening: str) -> None:
    """What `python -m local` publishes is what the import reads back."""
    state = tmp_path / "state"
    publish(state, listening)
    assert json.loads((state / SERVICES_FILE).read_text()) == {
        "API_URL": "http://127.0.0.1:8080",
        "TABLE_NAME": "badgekit-local",
        "IMAGES_BUCKET": "badgekit-local-imagesbucket",
        "DYNAMODB_ENDPOINT": listening,
        "S3_ENDPOINT": listening,
    }
    target = resolve(environ={"LOCAL_STATE_DIR": str(state)}, env_path=tmp_path / "none.json")
    assert target == Target(
        "badgekit-local",
        "badgekit-local-imagesbucket",
        listening,
        listening,
        "us-east-1",
        "running make dev",
    )
    # the command line still wins, setting by setting
    target = resolve(
        table="other", environ={"LOCAL_STATE_DIR": str(state)}, env_path=tmp_path / "none.json"
    )
    assert (target.table, target.dynamodb_endpoint) == ("other", listening)
    assert target.origin == "command line, running make dev"


def test_a_stack_that_no_longer_runs_is_not_a_target(environ: None, tmp_path: Path) -> None:
    """A file left by a killed stack: its endpoint does not answer, so it is ignored."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}"  # bound, never listening
        publish(tmp_path / "state", dead)
        with pytest.raises(TargetError) as raised:
            resolve(
                environ={"LOCAL_STATE_DIR": str(tmp_path / "state")},
                env_path=tmp_path / "none.json",
            )
    assert str(raised.value).startswith("no local stack found to import into")


def test_target_from_local_env_json(environ: None, tmp_path: Path) -> None:
    (tmp_path / "env.json").write_text(
        json.dumps(
            {
                "Parameters": {
                    "TABLE_NAME": "badgekit-local",
                    "IMAGES_BUCKET": "badgekit-local-imagesbucket",
                    "DYNAMODB_ENDPOINT": "http://127.0.0.1:5055",
                    "S3_ENDPOINT": "http://127.0.0.1:5055",
                    "MASTER_SECRET": "not read",
                },
                "BadgesFunction": {"X": "y"},
            }
        )
    )
    target = resolve(environ={"LOCAL_STATE_DIR": str(tmp_path)}, env_path=tmp_path / "env.json")
    assert target.dynamodb_endpoint == "http://127.0.0.1:5055"
    assert target.region == "us-east-1"
    assert target.origin == str(tmp_path / "env.json")


def test_a_local_target_ignores_the_shells_aws_region(environ: None, tmp_path: Path) -> None:
    target = resolve(
        endpoint="http://127.0.0.1:1",
        environ={"AWS_REGION": "eu-west-1"},
        env_path=tmp_path / "none.json",
    )
    assert target.region == "us-east-1"


def test_aws_only_when_named_and_with_a_bucket(environ: None, tmp_path: Path) -> None:
    nowhere = tmp_path / "none.json"
    with pytest.raises(TargetError) as raised:
        resolve(environ={"LOCAL_STATE_DIR": str(tmp_path)}, env_path=nowhere)
    assert str(raised.value).startswith("no local stack found to import into")
    with pytest.raises(TargetError) as raised:
        resolve(table="prod", environ={"LOCAL_STATE_DIR": str(tmp_path)}, env_path=nowhere)
    assert str(raised.value) == (
        "importing into AWS needs the images bucket too: --bucket or IMAGES_BUCKET"
    )
    target = resolve(
        table="prod",
        bucket="prod-images",
        environ={"LOCAL_STATE_DIR": str(tmp_path), "AWS_REGION": "eu-west-1"},
        env_path=nowhere,
    )
    assert target == Target("prod", "prod-images", None, None, "eu-west-1", "command line")
    assert target.describe() == "table prod, bucket prod-images on AWS (eu-west-1) [command line]"


def test_target_from_a_deployed_stacks_outputs(
    environ: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    asked: list[tuple[str, str | None]] = []

    def outputs(name: str, region: str | None) -> dict[str, str]:
        asked.append((name, region))
        return {"TableName": "bk-Table-1", "ImagesBucketName": "bk-images-1", "ApiUrl": "x"}

    monkeypatch.setattr("migrate.target.stack_outputs", outputs)
    target = resolve(stack="bk", region="eu-central-1", environ={}, env_path=tmp_path / "n")
    assert asked == [("bk", "eu-central-1")]
    assert target == Target("bk-Table-1", "bk-images-1", None, None, "eu-central-1", "stack bk")
    with pytest.raises(TargetError) as raised:
        resolve(stack="bk", endpoint="http://127.0.0.1:1", environ={}, env_path=tmp_path / "n")
    assert str(raised.value) == "--stack names a deployed stack: it takes no --endpoint"
    monkeypatch.setattr("migrate.target.stack_outputs", lambda name, region: {"TableName": "t"})
    with pytest.raises(TargetError) as raised:
        resolve(stack="bk", environ={}, env_path=tmp_path / "n")
    assert str(raised.value) == "stack bk has no output ImagesBucketName"


def test_apply_sets_and_clears_the_stores_variables() -> None:
    env = {"DYNAMODB_ENDPOINT": "http://old", "S3_ENDPOINT": "http://old", "AWS_PROFILE": "p"}
    Target("t", "b", None, None, "eu-west-1", "x").apply(env)
    assert env == {
        "TABLE_NAME": "t",
        "IMAGES_BUCKET": "b",
        "AWS_REGION": "eu-west-1",
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_PROFILE": "p",
    }


# -- the progress bar ---------------------------------------------------------------------------


def clock(times: list[float]) -> Callable[[], float]:
    return lambda: times[0]


def test_progress_without_a_terminal_prints_one_line_per_table() -> None:
    out = io.StringIO()
    now = [100.0]
    bar = ProgressBar(out, live=False, clock=clock(now))
    for done in range(1, 5):
        bar("images", done, 4)
    now[0] = 101.5
    bar("systems", 1, 2)
    bar("systems", 2, 2)
    bar.finish()
    bar.finish()  # nothing more
    assert out.getvalue() == (
        f"images           [{'#' * 30}]         4/4         100%    1.5 s\n"
        f"systems          [{'#' * 30}]         2/2         100%    0.0 s\n"
    )


def test_progress_on_a_terminal_redraws_at_most_ten_times_a_second() -> None:
    out = io.StringIO()
    now = [0.0]
    bar = ProgressBar(out, live=True, clock=clock(now))
    now[0] = 0.5
    bar("badgeInstances", 25_000, 100_000)
    now[0] = 0.55
    bar("badgeInstances", 26_000, 100_000)  # too soon: not drawn
    now[0] = 0.7
    bar("badgeInstances", 50_000, 100_000)
    bar.finish()
    frames = out.getvalue().split("\r")[1:]
    assert frames == [
        f"badgeInstances   [{'#' * 8}{'.' * 22}]     25000/100000     25%    0.0 s",
        f"badgeInstances   [{'#' * 15}{'.' * 15}]     50000/100000     50%    0.2 s",
        f"badgeInstances   [{'#' * 15}{'.' * 15}]     50000/100000     50%    0.2 s\n",
    ]


def test_progress_of_an_empty_table_is_complete() -> None:
    out = io.StringIO()
    bar = ProgressBar(out, live=False, clock=lambda: 0.0)
    bar("alignments", 0, 0)
    bar.finish()
    assert out.getvalue() == f"alignments       [{'#' * 30}]         0/0         100%    0.0 s\n"


# -- make migrate -------------------------------------------------------------------------------


def make(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "-s", "-o", "venv", *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


def test_make_migrate_needs_a_source() -> None:
    done = make("migrate")
    assert done.returncode == 2
    assert done.stderr.splitlines()[0] == (
        "usage: make migrate SOURCE=mysql://user:password@host:port/database [ARGS=--dry-run]"
    )


def test_make_migrate_runs_the_import_with_its_arguments() -> None:
    done = make("-n", "migrate", "SOURCE=mysql://u:p@db/badgekit", "ARGS=--dry-run --table t")
    assert done.returncode == 0
    assert done.stdout.splitlines()[-1] == (
        ".venv/bin/python -m migrate import --source 'mysql://u:p@db/badgekit' --dry-run --table t"
    )
