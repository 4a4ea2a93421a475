"""The HTTP front of the local stack (stdlib `ThreadingHTTPServer`, one thread per connection).

Why the stdlib: it hands over the request target exactly as sent (percent-encoding, `//`, query
order), which the JWT path check depends on, and needs no extra dependency. Bodies are read in
full (Content-Length or chunked), capped at API Gateway's 10 MiB, then handed to the `Gateway`.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from local.events import HttpRequest, ProxyResponse
from local.gateway import ACCESS_LOG, MAX_BODY_BYTES, Gateway, split_target, too_large

LOG = logging.getLogger("local.server")

METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS")  # API Gateway's set
_DRAIN_LIMIT = 4 * MAX_BODY_BYTES  # read and discard up to this much of an oversized body


class _BodyTooLarge(Exception):
    pass


class LocalHttpServer(ThreadingHTTPServer):
    """Serves a `Gateway`; request threads are daemons so shutdown never waits on a client.

    `drain` ends the answering: `shutdown` only stops accepting connections, and a client's
    kept-alive connection would otherwise go on being served (after the stack saved its state,
    an acknowledged write would be lost). Once draining, every request gets 503 and the
    connection is closed; `drain` returns when the requests already begun have finished."""

    daemon_threads = True
    request_queue_size = 128  # bursts of concurrent clients (the race tests) must not be reset

    def __init__(self, address: tuple[str, int], gateway: Gateway | None = None) -> None:
        super().__init__(address, _Handler)
        self.gateway = gateway
        self._requests = threading.Condition()
        self._active = 0
        self._draining = False

    def begin_request(self) -> bool:
        """Count a request in; False once draining (it must not be answered)."""
        with self._requests:
            if self._draining:
                return False
            self._active += 1
            return True

    def end_request(self) -> None:
        with self._requests:
            self._active -= 1
            self._requests.notify_all()

    def drain(self, timeout: float) -> bool:
        """Answer no new request; wait up to `timeout` s for those begun; whether they ended."""
        with self._requests:
            self._draining = True
            return self._requests.wait_for(lambda: self._active == 0, timeout=max(timeout, 0))

    @property
    def port(self) -> int:
        return int(self.server_address[1])


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes: without TCP_NODELAY, Nagle's algorithm holds
    # the body until the client's delayed ACK (~40 ms on every keep-alive response).
    disable_nagle_algorithm = True
    server: LocalHttpServer

    def handle_expect_100(self) -> bool:
        if self._declared_length() > MAX_BODY_BYTES:
            self._reject_too_large(time.perf_counter())
            return False
        return super().handle_expect_100()

    def _handle(self) -> None:
        if not self.server.begin_request():  # the stack is stopping
            self.close_connection = True
            self.send_error(503, "The local stack is stopping")
            return
        try:
            self._answer()
        finally:
            self.server.end_request()

    def _answer(self) -> None:
        started = time.perf_counter()
        gateway = self.server.gateway
        if gateway is None:  # bound but not serving yet
            self.send_error(503)
            return
        try:
            body = self._read_body()
        except _BodyTooLarge:
            self._reject_too_large(started)
            return
        except ValueError:  # malformed chunked framing
            self.close_connection = True
            self.send_error(400, "Malformed chunked body")
            return
        path, query = split_target(self.path)
        headers = list(self.headers.items())
        present = {name.lower() for name, _ in headers}
        forwarded = {  # what API Gateway's front end adds
            "X-Forwarded-For": self.client_address[0],
            "X-Forwarded-Port": str(self.server.port),
            "X-Forwarded-Proto": "http",
        }
        headers += [(k, v) for k, v in forwarded.items() if k.lower() not in present]
        request = HttpRequest(
            method=self.command,
            path=path,
            query=query,
            headers=headers,
            body=body,
            source_ip=self.client_address[0],
            protocol=self.request_version,
        )
        self._send(gateway.dispatch(request), head=self.command == "HEAD")

    def _reject_too_large(self, started: float) -> None:
        self.close_connection = True
        gateway = self.server.gateway
        request_id = str(uuid.uuid4())
        self._send(gateway.too_large(request_id) if gateway else too_large(request_id), head=False)
        elapsed = (time.perf_counter() - started) * 1000
        ACCESS_LOG.info("%s %s 413 %.1fms", self.command, self.path, elapsed)

    def _declared_length(self) -> int:
        try:
            return int(self.headers.get("Content-Length") or 0)
        except ValueError:
            return 0

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            return self._read_chunked()
        length = self._declared_length()
        if length > MAX_BODY_BYTES:
            self._discard(length)
            raise _BodyTooLarge
        return self.rfile.read(length) if length > 0 else b""

    def _read_chunked(self) -> bytes:
        chunks: list[bytes] = []
        total = 0
        while True:
            size = int(self.rfile.readline(1024).split(b";", 1)[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                break
            total += size
            if total > MAX_BODY_BYTES:
                raise _BodyTooLarge
            chunks.append(self.rfile.read(size))
            self.rfile.readline(1024)
        return b"".join(chunks)

    def _discard(self, length: int) -> None:
        """Read an oversized body (up to a cap) so the client can read our 413."""
        remaining = min(length, _DRAIN_LIMIT)
        while remaining > 0:
            chunk = self.rfile.read(min(remaining, 1 << 20))
            if not chunk:
                break
            remaining -= len(chunk)

    def _send(self, response: ProxyResponse, *, head: bool) -> None:
        self.send_response(response.status)
        for name, value in response.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if not head:
            self.wfile.write(response.body)

    def log_message(self, format: str, *args: Any) -> None:
        LOG.debug(format, *args)  # the gateway logs one line per request itself


for _method in METHODS:
    setattr(_Handler, f"do_{_method}", _Handler._handle)
