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
    )
    configure_logging(options.log_level)
    # The functions' JSON log lines and EMF metrics, each line labelled with its function.
    sys.stdout = LabelledStream(sys.stdout)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    try:
        stack = LocalStack(options)
        stack.start()
    except Exception as exc:
        logging.getLogger("local").exception("the local stack could not start: %s", exc)
        return 1
    try:
        if not stop.is_set():
            stack.serve_in_background()
            print(stack.banner(), flush=True)
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
