"""`python -m migrate` (`make migrate`): the import of an original BadgeKit API database.

    python -m migrate [import] --source mysql://user:password@host:port/database
                      [--dry-run] [--strict] [--resume]
                      [--stack NAME | --table NAME --bucket NAME --endpoint URL]
    python -m migrate verify ...   (compare both APIs; `python -m migrate verify --help`)

`import` (the default sub-command) reads every table of the original (`migrate.source`), checks
and writes it through `migrate.writer.import_all` into the target (`migrate.target`: a running
`make dev` stack by default), draws a progress bar on stderr and prints the report on stdout.

Exit status: 0 when the import ran to its end (with --dry-run: when everything was read and
checked), findings included: the report lists them, rows left out among them; 1 when something
stopped it (the source or the target unreachable, a failed write: the import can be run again,
it resumes), or with --strict when there are findings; 2 for a usage error.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable, Sized
from pathlib import Path
from typing import Any, Protocol

from migrate.progress import ProgressBar
from migrate.source import TABLES, MySQLSource, connection_from_url
from migrate.target import TargetError, resolve

REPO_ROOT = Path(__file__).resolve().parent.parent
LAYER = REPO_ROOT / "layers" / "common"  # the `badgekit` package the writer imports
SUBCOMMANDS = ("import", "verify")


class _Report(Protocol):
    findings: Sized

    def render(self) -> str: ...


ImportAll = Callable[..., Any]


def use_layer() -> None:
    """Put the `badgekit` package on the import path (the writer's store, verify's signing)."""
    if str(LAYER) not in sys.path:
        sys.path.insert(0, str(LAYER))


def importer() -> ImportAll:
    """`migrate.writer.import_all` (imported only when needed: it loads `badgekit.store`, which
    reads the target's settings from the environment)."""
    use_layer()
    writer = importlib.import_module("migrate.writer")
    function: ImportAll = writer.import_all
    return function


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog="python -m migrate",
        description="Import an original BadgeKit API database (MySQL/MariaDB) into this API's "
        "table and images bucket, or compare both APIs (docs/migration.md).",
    )
    commands = root.add_subparsers(dest="command", metavar="{import,verify}")
    add_import_parser(commands)
    add_verify_parser(commands)
    return root


def add_import_parser(commands: Any) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = commands.add_parser(
        "import",
        help="import the original's database (the default)",
        description="Read every table of the original's database, check it against the "
        "contract and write it into the table and the images bucket (docs/migration.md, "
        "Running the import).",
    )
    p.add_argument(
        "--source",
        required=True,
        metavar="URL",
        help="the original's database: mysql://user:password@host:port/database, or "
        "mysql://user:password@localhost/database?unix_socket=/path/to/mysqld.sock",
    )
    p.add_argument(
        "--dry-run",
        action="store_true",
        help="read and check everything, write nothing; report what would be written",
    )
    p.add_argument(
        "--resume",
        action="store_true",
        help="continue an interrupted import (every run does: rows already imported are "
        "recognised and not written again)",
    )
    p.add_argument(
        "--strict",
        action="store_true",
        help="exit with status 1 when the report has findings (rows the contract refuses), "
        "even though the import completed",
    )
    p.add_argument(
        "--batch-size",
        type=_positive,
        default=1000,
        metavar="N",
        help="rows read from the database per fetch (1000)",
    )
    p.add_argument(
        "--no-progress", action="store_true", help="no progress bar on stderr (the report only)"
    )
    where = p.add_argument_group(
        "target",
        "default: the environment (TABLE_NAME, IMAGES_BUCKET, DYNAMODB_ENDPOINT, S3_ENDPOINT), "
        "else a running `make dev`, else local/env.json (`make services`)",
    )
    where.add_argument("--stack", metavar="NAME", help="a deployed stack (CloudFormation outputs)")
    where.add_argument("--table", metavar="NAME", help="the DynamoDB table")
    where.add_argument("--bucket", metavar="NAME", help="the images bucket")
    where.add_argument("--endpoint", metavar="URL", help="DynamoDB and S3 endpoint (local stack)")
    where.add_argument("--s3-endpoint", metavar="URL", help="S3 endpoint, if not --endpoint")
    where.add_argument("--region", help="AWS region (default: the AWS settings)")
    p.set_defaults(run=run_import)
    return p


def add_verify_parser(commands: Any) -> argparse.ArgumentParser:
    """`verify`: `migrate.verify.add_verify_parser`."""
    use_layer()
    verify = importlib.import_module("migrate.verify")
    add: Callable[[Any], argparse.ArgumentParser] = verify.add_verify_parser
    return add(commands)


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _fail(message: str) -> int:
    print(f"migrate: {message}", file=sys.stderr)
    return 1


def run_import(args: argparse.Namespace) -> int:
    try:
        connection = connection_from_url(args.source)
    except ValueError as error:
        return _fail(f"--source: {error}")
    if args.dry_run:
        where = "dry run: nothing is written"
    else:
        try:
            target = resolve(
                stack=args.stack,
                table=args.table,
                bucket=args.bucket,
                endpoint=args.endpoint,
                s3_endpoint=args.s3_endpoint,
                region=args.region,
                environ=os.environ,
            )
        except TargetError as error:
            return _fail(str(error))
        target.apply(os.environ)
        where = target.describe()
    print(f"migrate: {connection.describe()} -> {where}", file=sys.stderr)
    if args.resume:
        print("migrate: resuming: rows already imported are not written again", file=sys.stderr)
    progress = None if args.no_progress else ProgressBar()
    try:
        with MySQLSource(connection, batch_size=args.batch_size) as source:
            present = source.tables()
            if not present:
                return _fail(f"{connection.describe()} has none of the original's tables")
            missing = [table for table in TABLES if table not in present]
            if missing:
                print(f"migrate: not in this database: {', '.join(missing)}", file=sys.stderr)
            report: _Report = importer()(source, dry_run=args.dry_run, progress=progress)
    except Exception as error:
        if progress is not None:
            progress.finish()
        return _fail(f"the import stopped: {type(error).__name__}: {error}")
    if progress is not None:
        progress.finish()
    print(report.render())
    # The import completed: its findings (rows left out included) are in the report.
    return 1 if args.strict and len(report.findings) else 0


def main(argv: list[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    if not arguments or arguments[0] not in (*SUBCOMMANDS, "-h", "--help"):
        arguments.insert(0, "import")  # `import` is the default sub-command
    args = parser().parse_args(arguments)
    run: Callable[[argparse.Namespace], int] = args.run
    return run(args)


if __name__ == "__main__":
    raise SystemExit(main())
