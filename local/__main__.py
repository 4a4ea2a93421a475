"""`python -m local`: run the local stack until Ctrl-C or SIGTERM (what `make dev` runs).

Why a thin entry point: all behaviour lives in `local.stack` so tests can run the same stack
in-process; this module only parses options, sets up logging and handles signals.

Stopping: SIGINT or SIGTERM stops the stack (saving the state folder, `local.state`) and leaves
within STOP_SECONDS; if the stop has not finished by then, or on a second signal, the process
leaves at once (the previous state file stays whole: it is only ever replaced by a rename).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
from pathlib import Path

from local import state
from local.functions import LabelledStream
from local.services import DEFAULT_ENV_FILE, DEFAULT_SERVICES_PORT
from local.sign import DEFAULT_SECRET_FILE, write_secret
from local.stack import DEFAULT_STATE_DIR, DEFAULT_TEMPLATE, LocalStack, StackOptions

STOP_SECONDS = 4.5  # the whole stop, saving included
# Published in the state folder while the stack runs: where its table and images bucket are, so
# that `make migrate` (migrate/target.py) can write into the running stack.
SERVICES_FILE = "services.json"


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
    parser.add_argument(
        "--state-dir",
        type=Path,
        default=Path(os.environ.get("LOCAL_STATE_DIR") or DEFAULT_STATE_DIR),
        help="where the data is kept across restarts (env LOCAL_STATE_DIR, .local-state/)",
    )
    parser.add_argument(
        "--in-memory", action="store_true", help="keep nothing: start empty, save nothing"
    )
    parser.add_argument(
        "--clean", action="store_true", help="delete the saved state first (start empty)"
    )
    services = parser.add_argument_group("sam local (README: Developing with sam local)")
    services.add_argument(
        "--services-only",
        action="store_true",
        help="only the embedded DynamoDB, S3, SQS and KMS with the template's resources, and "
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
    state_dir = None if args.in_memory else args.state_dir.resolve()
    options = StackOptions.from_environ(
        os.environ,
        host=args.host,
        port=args.port,
        template=args.template,
        parameter_overrides=overrides,
        services_only=args.services_only,
        env_file=args.env_file,
        state_dir=state_dir,
    )
    if args.services_port is not None:
        options.services_port = args.services_port
    if args.services_address:
        options.services_address = args.services_address
    configure_logging(options.log_level)
    # The functions' JSON log lines and EMF metrics, each line labelled with its function.
    sys.stdout = LabelledStream(sys.stdout)
    stop = threading.Event()

    def on_signal(signum: int, _frame: object) -> None:
        if stop.is_set():  # a second Ctrl-C: leave now
            exit_now(128 + signum)
        stop.set()

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, on_signal)
    if args.clean and state_dir is not None and state.clear(state_dir):
        print(f"Deleted the saved state in {state_dir}: starting empty.", flush=True)
    try:
        stack = LocalStack(options)
        (stack.start_services if options.services_only else stack.start)()
        if args.secret_file:
            write_secret(Path(args.secret_file), stack.master_secret)
        if state_dir is not None and not options.services_only:
            publish_services(stack, state_dir / SERVICES_FILE)
    except state.StateError as exc:
        logging.getLogger("local").error(
            "the local stack could not start: %s. Nothing of it was loaded. Move the file away "
            "to keep it, or start empty with `make dev-clean` (deletes it) or --in-memory.",
            exc,
        )
        return 1
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
        watchdog = threading.Timer(STOP_SECONDS, _stop_took_too_long)
        watchdog.daemon = True
        watchdog.start()
        stack.stop()
        if state_dir is not None:
            (state_dir / SERVICES_FILE).unlink(missing_ok=True)
        watchdog.cancel()
    return 0


def publish_services(stack: LocalStack, path: Path) -> None:
    """Write where the running stack's table and images bucket are (the variables the functions
    read), for tools run beside it (`make migrate`); deleted when the stack stops."""
    path.parent.mkdir(parents=True, exist_ok=True)
    services = {
        "API_URL": stack.url,
        "TABLE_NAME": stack.options.table_name,
        "IMAGES_BUCKET": stack.buckets.get("ImagesBucket", ""),
        "DYNAMODB_ENDPOINT": stack.endpoint,
        "S3_ENDPOINT": stack.s3_endpoint,
    }
    path.write_text(json.dumps(services, indent=2) + "\n")


def _stop_took_too_long() -> None:
    print(f"The stop took more than {STOP_SECONDS} s: leaving now.", file=sys.stderr, flush=True)
    exit_now(1)


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
