"""A webhook receiver on 127.0.0.1 for the HTTP tests: records every call and answers the
statuses a test scripts per path; and polling for what an asynchronous pipeline produces."""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest

WAIT_S = 20.0


@dataclass
class Call:
    path: str
    headers: dict[str, str]
    body: bytes
    status: int


@dataclass
class Receiver:
    """Answers per path: `script[path]` lists statuses to answer first, then 200."""

    url: str
    script: dict[str, list[int]] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def at(self, path: str) -> list[Call]:
        with self.lock:
            return [c for c in self.calls if c.path == path]


@contextmanager
def receiving() -> Iterator[Receiver]:
    """A webhook receiver on 127.0.0.1 (an ephemeral port) until the block ends."""
    state = Receiver("")

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with state.lock:
                statuses = state.script.get(self.path) or []
                status = statuses.pop(0) if statuses else 200
                state.calls.append(Call(self.path, dict(self.headers), body, status))
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def wait_for(check: Callable[[], Any], what: str, timeout: float = WAIT_S) -> Any:
    """Poll until `check()` is truthy (the pipeline is asynchronous); fail after `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.05)
    pytest.fail(f"timed out waiting for {what}")
