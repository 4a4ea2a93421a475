"""`python -m local.sign METHOD PATH [BODY]`: print an Authorization header for one request.

Why: every non-public route needs a JWT bound to the method, the exact path (with query) and a
hash of the exact body bytes (spec auth.md), which is tedious to build by hand for curl. Uses the
project's own `badgekit.signing`, the same code the stack uses for its bootstrap. The master
key's secret is `--secret`, else MASTER_SECRET, else the running stack's (`DEFAULT_SECRET_FILE`),
so it works in a fresh shell next to `make dev`.

    curl -H "$(python -m local.sign GET /systems)" http://127.0.0.1:8080/systems
    curl -H "$(python -m local.sign POST /systems @system.json)" \\
         -H 'Content-Type: application/json' --data-binary @system.json \\
         http://127.0.0.1:8080/systems
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Mapping
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
LAYER = REPO_ROOT / "layers" / "common"
# The running stack's master secret, written by `python -m local` (make dev, make services) so
# that signing works in any shell of this checkout. Git-ignored; LOCAL_SECRET_FILE moves it,
# empty: not written (the tests' stacks) or not read.
DEFAULT_SECRET_FILE = REPO_ROOT / ".local-state" / "master-secret"


def secret_file(environ: Mapping[str, str]) -> Path | None:
    """The secret file `LOCAL_SECRET_FILE` names (empty: none), else the default one."""
    value = environ.get("LOCAL_SECRET_FILE")
    if value is None:
        return DEFAULT_SECRET_FILE
    return Path(value) if value else None


def write_private(path: Path, text: str) -> None:
    """Write `text` to `path` (its folder created), readable by its owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        file.write(text)


def write_secret(path: Path, secret: str) -> None:
    """Write the master secret, readable by its owner only."""
    write_private(path, secret + "\n")


def read_secret(path: Path | None) -> str | None:
    try:
        return (path.read_text(encoding="utf-8").strip() or None) if path else None
    except FileNotFoundError:
        return None


def read_body(arg: str | None) -> bytes | None:
    """BODY as given, or the bytes of a file for `@file` (as curl's --data-binary does)."""
    if arg is None:
        return None
    if arg.startswith("@"):
        return Path(arg[1:]).read_bytes()
    return arg.encode("utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m local.sign",
        description="Print 'Authorization: JWT token=\"...\"' for one request.",
    )
    parser.add_argument("method", help="HTTP method, e.g. GET")
    parser.add_argument("path", help="path with query string, exactly as it will be sent")
    parser.add_argument("body", nargs="?", help="request body, or @file")
    parser.add_argument("--key", default="master", help="consumer API key (default: master)")
    parser.add_argument(
        "--secret",
        help="secret for --key (default for the master key: env MASTER_SECRET, else the running "
        "local stack's, from .local-state/master-secret)",
    )
    parser.add_argument("--ttl", type=int, default=300, help="seconds until exp (300)")
    args = parser.parse_args(argv)

    secret = args.secret
    if not secret and args.key == "master":
        secret = os.environ.get("MASTER_SECRET") or read_secret(secret_file(os.environ))
    if not secret:
        parser.error("no secret: start the local stack (make dev), set MASTER_SECRET or --secret")
    if str(LAYER) not in sys.path:
        sys.path.insert(0, str(LAYER))
    from badgekit import signing

    claims = signing.request_claims(
        args.method, args.path, read_body(args.body), key=args.key, exp=int(time.time()) + args.ttl
    )
    print(f"Authorization: {signing.authorization_header(signing.sign(claims, secret))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
