"""`python -m local`: run the local stack until Ctrl-C or SIGTERM (what `make dev` runs).

Why a thin entry point: all behaviour lives in `local.stack` so tests can run the same stack
in-process; this module only parses options, sets up logging and handles signals.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from pathlib import Path

from local.functions import LabelledStream
from local.services import DEFAULT_ENV_FILE, DEFAULT_SERVICES_PORT
from local.sign import DEFAULT_SECRET_FILE, write_secret
from local.stack import DEFAULT_TEMPLATE, LocalStack, StackOptions


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m local", description="Serve infra/template.yaml locally (no Docker)."
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (127.0.0.1)")
    parser.add_argument(
        "--port", type=int, default=int(os.environ.get("PORT") or 8080), help="env PORT, 8080"
    )
    parser.add_argument("--template", type=Path, default=DEFAULT_TEMPLATE, help="SAM template")
    parser.add_argument(
        "--parameter-overrides",
        nargs="*",
        default=[],
        metavar="KEY=VALUE",
        help="template parameter values, like sam's option of the same name",
    )
    services = parser.add_argument_group("sam local (README: Developing with sam local)")
    services.add_argument(
        "--services-only",
        action="store_true",
        help="only the embedded DynamoDB, S3 and SQS with the template's resources, and "
        "--env-file for sam local start-api --env-vars (make services)",
    )
    services.add_argument(
        "--services-port", type=int, help=f"env SERVICES_PORT, {DEFAULT_SERVICES_PORT}"
    )
    services.add_argument(
        "--services-address",
        help="address sam local's containers reach the services at, written to --env-file "
        "(env SERVICES_ADDRESS, 127.0.0.1 for --docker-network host; host.docker.internal "
        "for Docker Desktop)",
    )
    services.add_argument("--env-file", type=Path, default=DEFAULT_ENV_FILE, help="local/env.json")
    parser.add_argument(
        "--secret-file",
        default=os.environ.get("LOCAL_SECRET_FILE", str(DEFAULT_SECRET_FILE)),
        help="where to write the master secret for python -m local.sign (env LOCAL_SECRET_FILE, "
        ".local-state/master-secret; empty: nowhere)",
    )
    return parser.parse_args(argv)


def configure_logging(level: str) -> None:
    logging.basicConfig(
        level=getattr(logging, level, logging.WARNING),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    logging.getLogger("local").setLevel(logging.INFO)
    access = logging.getLogger("local.access")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))
    access.addHandler(handler)
    access.propagate = False


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    overrides = dict(item.split("=", 1) for item in args.parameter_overrides)
    options = StackOptions.from_environ(
        os.environ,
        host=args.host,
        port=args.port,
        template=args.template,
        parameter_overrides=overrides,
        services_only=args.services_only,
        env_file=args.env_file,
    )
    if args.services_port is not None:
        options.services_port = args.services_port
    if args.services_address:
        options.services_address = args.services_address
    configure_logging(options.log_level)
    # The functions' JSON log lines and EMF metrics, each line labelled with its function.
    sys.stdout = LabelledStream(sys.stdout)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    try:
        stack = LocalStack(options)
        (stack.start_services if options.services_only else stack.start)()
        if args.secret_file:
            write_secret(Path(args.secret_file), stack.master_secret)
    except Exception as exc:
        logging.getLogger("local").exception("the local stack could not start: %s", exc)
        return 1
    try:
        if not stop.is_set():
            if not options.services_only:
                stack.serve_in_background()
            print(stack.banner(), flush=True)
            if args.secret_file:
                print(f"  (python -m local.sign reads the master secret from {args.secret_file})")
            stop.wait()
    finally:
        print("Stopping...", flush=True)
        stack.stop()
    return 0


def exit_now(code: int) -> None:
    """Leave without the interpreter's final clean-up. Everything the stack started is stopped by
    then and all its data is in memory; freeing the embedded DynamoDB's objects one by one takes
    seconds after a busy session (a test run's workers each paid ~3-10 s on SIGTERM)."""
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    exit_now(main())
