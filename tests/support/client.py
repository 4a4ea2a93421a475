"""HTTP client for the integration tests: signs requests the way a BadgeKit client does.

Why its own signing: it uses PyJWT, not the project's `badgekit.signing`, so a bug in our signing
code cannot hide a matching bug in our verification code. Why a raw prepared request: the path is
sent and signed exactly as written (`//systems`, `%40`, query order); `requests` would otherwise
normalise the URL. (urllib3 still percent-encodes bytes that cannot appear on the wire at all,
such as spaces or non-ASCII, and malformed `%` escapes; write paths already encoded.)
"""

from __future__ import annotations

import hashlib
import json as jsonlib
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlencode

import jwt
import requests

MASTER_SECRET = "integration-master-secret"
BODY_METHODS = ("POST", "PUT")


# Use as a value in `claims=` to remove that claim, e.g. `claims={"exp": OMIT}`. A string, so it
# still works if this module gets imported twice (as `client` and `tests.support.client`).
OMIT = "\x00omit-claim\x00"


class ApiClient:
    """Signed requests against one base URL with one key (the master key by default)."""

    def __init__(
        self,
        base_url: str,
        key: str = "master",
        secret: str = MASTER_SECRET,
        *,
        timeout: float = 30.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.key = key
        self.secret = secret
        self.timeout = timeout
        self.session = requests.Session()

    def with_key(self, key: str, secret: str) -> ApiClient:
        """A client for the same stack signing with a consumer key."""
        return ApiClient(self.base_url, key, secret, timeout=self.timeout)

    def claims_for(self, method: str, path: str, body: bytes) -> dict[str, Any]:
        claims: dict[str, Any] = {
            "key": self.key,
            "method": method.upper(),
            "path": path,
            "exp": int(time.time()) + 300,
        }
        if method.upper() in BODY_METHODS:
            claims["body"] = {"alg": "sha256", "hash": hashlib.sha256(body).hexdigest()}
        return claims

    def token(self, claims: Mapping[str, Any], secret: str | None = None) -> str:
        return jwt.encode(dict(claims), secret or self.secret, algorithm="HS256")

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        data: Mapping[str, Any] | list[tuple[str, Any]] | str | bytes | None = None,
        body: bytes | str | None = None,
        content_type: str | None = None,
        headers: Mapping[str, str] | None = None,
        sign: bool = True,
        claims: Mapping[str, Any] | None = None,
        token: str | None = None,
    ) -> requests.Response:
        """Send one request; `path` (with query) is sent and signed exactly as given.

        Body: `json` (compact JSON, application/json), `data` (form-urlencoded) or raw `body`
        (with `content_type` if any) — at most one. `claims` are merged over the default claims
        (`OMIT` removes one); `token` sends that token as is; `sign=False` sends no
        Authorization header, and an explicit `Authorization` in `headers` always wins.
        """
        method = method.upper()
        if sum(x is not None for x in (json, data, body)) > 1:
            raise ValueError("give at most one of json, data, body")
        raw, default_type = self._serialise(json, data, body)
        send_headers: dict[str, str] = {}
        if content_type or default_type:
            send_headers["Content-Type"] = content_type or default_type or ""
        if sign or token is not None:
            if token is None:
                merged = {**self.claims_for(method, path, raw), **(claims or {})}
                token = self.token({k: v for k, v in merged.items() if v != OMIT})
            send_headers["Authorization"] = f'JWT token="{token}"'
        for name, value in (headers or {}).items():
            for existing in [k for k in send_headers if k.lower() == name.lower()]:
                del send_headers[existing]
            send_headers[name] = value
        prepared = self.session.prepare_request(
            requests.Request(method, self.base_url + "/", headers=send_headers, data=raw)
        )
        prepared.url = self.base_url + path  # as written: no re-encoding or normalisation
        return self.session.send(prepared, timeout=self.timeout, allow_redirects=False)

    @staticmethod
    def _serialise(json: Any, data: Any, body: bytes | str | None) -> tuple[bytes, str | None]:
        if json is not None:
            text = jsonlib.dumps(json, separators=(",", ":"), ensure_ascii=False)
            return text.encode("utf-8"), "application/json"
        if data is not None:
            encoded = data if isinstance(data, bytes | str) else urlencode(data, doseq=True)
            raw = encoded.encode("utf-8") if isinstance(encoded, str) else encoded
            return raw, "application/x-www-form-urlencoded"
        if body is not None:
            return (body.encode("utf-8") if isinstance(body, str) else body), None
        return b"", None

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("PUT", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("DELETE", path, **kwargs)


def simultaneously(count: int, send: Callable[[int], requests.Response]) -> list[requests.Response]:
    """Run `send(0..count-1)` on `count` threads released together (concurrency tests)."""
    barrier = threading.Barrier(count)

    def run(index: int) -> requests.Response:
        barrier.wait(timeout=30)
        return send(index)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))
