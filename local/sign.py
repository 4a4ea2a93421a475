"""`python -m local.sign METHOD PATH [BODY]`: print an Authorization header for one request.

Why: every non-public route needs a JWT bound to the method, the exact path (with query) and a
hash of the exact body bytes (spec auth.md), which is tedious to build by hand for curl. Uses the
project's own `badgekit.signing`, the same code the stack uses for its bootstrap.

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
from pathlib import Path

LAYER = Path(__file__).resolve().parent.parent / "layers" / "common"


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
    parser.add_argument("--secret", help="secret for --key (default: env MASTER_SECRET)")
    parser.add_argument("--ttl", type=int, default=300, help="seconds until exp (300)")
    args = parser.parse_args(argv)

    secret = args.secret or (os.environ.get("MASTER_SECRET") if args.key == "master" else None)
    if not secret:
        parser.error("no secret: set MASTER_SECRET or pass --secret")
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
