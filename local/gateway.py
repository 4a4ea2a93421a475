"""One request end to end, as API Gateway would handle it: route, build event, invoke, respond.

Why separate from the HTTP server: the start-up bootstrap (creating `BADGEKIT_SYSTEM`) and the
tests dispatch requests in-process through exactly the same path as HTTP clients, so what they
exercise is what `curl` would. The platform's own answers live here too: 404 for a path no route
matches, 413 above API Gateway's 10 MiB payload limit, 502 when a handler raises or returns a
malformed proxy response.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping, Sequence
from typing import Any

from local.events import (
    HttpRequest,
    InvalidProxyResponse,
    ProxyResponse,
    build_proxy_event,
    parse_proxy_response,
)
from local.functions import LocalFunction
from local.routing import Router, gateway_path

LOG = logging.getLogger("local.gateway")
ACCESS_LOG = logging.getLogger("local.access")

MAX_BODY_BYTES = 10 * 1024 * 1024  # API Gateway's payload limit


def json_response(
    status: int,
    payload: Mapping[str, Any],
    request_id: str,
    headers: Sequence[tuple[str, str]] = (),
) -> ProxyResponse:
    body = json.dumps(payload, separators=(",", ":")).encode()
    return ProxyResponse(
        status,
        [("Content-Type", "application/json"), *headers, ("x-amzn-RequestId", request_id)],
        body,
    )


def too_large(request_id: str, headers: Sequence[tuple[str, str]] = ()) -> ProxyResponse:
    message = f"Request body size exceeds {MAX_BODY_BYTES}"
    return json_response(
        413, {"code": "RequestEntityTooLargeError", "message": message}, request_id, headers
    )


def split_target(target: str) -> tuple[str, str | None]:
    """Raw request target → (normalised path, raw query or None). Absolute-form is accepted."""
    if "://" in target.split("?", 1)[0]:
        target = "/" + target.split("://", 1)[1].partition("/")[2]
    path, sep, query = target.partition("?")
    path = path.partition("#")[0]
    return gateway_path(path), (query.partition("#")[0] if sep else None)


class Gateway:
    """The REST API stage: routes requests to the warm functions."""

    def __init__(
        self,
        router: Router,
        functions: Mapping[str, LocalFunction],
        *,
        stage: str = "Prod",
        binary_media_types: Sequence[str] = ("*/*",),
        internal_error_body: Mapping[str, Any] | None = None,
        response_headers: Mapping[str, Sequence[tuple[str, str]]] | None = None,
    ) -> None:
        self.router = router
        self.functions = functions
        self.stage = stage
        self.binary_media_types = tuple(binary_media_types)
        # API Gateway's own 502 body, or the template's DEFAULT_5XX gateway response if it has one.
        self.internal_error_body = dict(internal_error_body or {"message": "Internal server error"})
        # The template's gateway response headers by type (`Template.gateway_response_headers`).
        self.response_headers = dict(response_headers or {})

    def own_headers(self, response_type: str, status: int) -> Sequence[tuple[str, str]]:
        """Headers of a response the gateway answers itself: the type's own, or like API Gateway
        DEFAULT_4XX / DEFAULT_5XX's when the template does not define that type."""
        if response_type in self.response_headers:
            return self.response_headers[response_type]
        return self.response_headers.get("DEFAULT_5XX" if status >= 500 else "DEFAULT_4XX", ())

    def too_large(self, request_id: str) -> ProxyResponse:
        return too_large(request_id, self.own_headers("REQUEST_TOO_LARGE", 413))

    def dispatch(self, request: HttpRequest) -> ProxyResponse:
        """Answer one request; logs one access line."""
        started = time.perf_counter()
        response = self._dispatch(request)
        ACCESS_LOG.info(
            "%s %s %d %.1fms",
            request.method,
            request.target,
            response.status,
            (time.perf_counter() - started) * 1000,
        )
        return response

    def _dispatch(self, request: HttpRequest) -> ProxyResponse:
        if len(request.body) > MAX_BODY_BYTES:
            return self.too_large(request.request_id)
        match = self.router.match(request.method, request.path)
        if match is None:
            message = f"{request.target} does not exist"
            payload = {"code": "ResourceNotFound", "message": message}
            headers = self.own_headers("MISSING_AUTHENTICATION_TOKEN", 404)
            return json_response(404, payload, request.request_id, headers)
        function = self.functions[match.function]
        event = build_proxy_event(
            request,
            match,
            stage=self.stage,
            binary_media_types=self.binary_media_types,
            domain_name=request.header("Host") or "127.0.0.1",
        )
        try:
            result = function.invoke(event, request.request_id)
            response = parse_proxy_response(result)
        except InvalidProxyResponse as exc:
            LOG.error("%s returned a malformed proxy response: %s", function.name, exc)
            return self._internal_error(request)
        except Exception:
            LOG.exception(
                "%s raised while handling %s %s", function.name, request.method, request.target
            )
            return self._internal_error(request)
        headers = [(k, v) for k, v in response.headers if k.lower() not in _PLATFORM_HEADERS]
        if not any(k.lower() == "content-type" for k, _ in headers):
            headers.append(("Content-Type", "application/json"))  # API Gateway's default
        headers.append(("x-amzn-RequestId", request.request_id))
        return ProxyResponse(response.status, headers, response.body)

    def _internal_error(self, request: HttpRequest) -> ProxyResponse:
        headers = self.own_headers("DEFAULT_5XX", 502)
        return json_response(502, self.internal_error_body, request.request_id, headers)


# Headers the platform owns: the HTTP layer computes framing itself.
_PLATFORM_HEADERS = frozenset({"content-length", "transfer-encoding", "connection", "keep-alive"})
