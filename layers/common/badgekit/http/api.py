"""HTTP plumbing shared by every function: routing errors, body parsing, auth, error rendering.

Order of checks (spec README §2): route match (404/405) -> body parsing (415/400) -> JWT (403)
-> resolution and validation inside the handlers. Handlers stay thin: they read `current()`,
call one domain function and return `respond(...)`.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast
from urllib.parse import unquote, urlencode

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware

from badgekit import config, jsonutil, logs, metrics, timestamps, tracing
from badgekit.domain import consumers
from badgekit.errors import (
    ApiError,
    InternalError,
    MethodNotAllowed,
    NotAuthorized,
    ResourceNotFound,
)
from badgekit.http import auth, resolve
from badgekit.http.context import ApiRequest, current, enter, leave
from badgekit.http.request import normalise_path, parse_body, raw_body
from badgekit.logs import logger
from badgekit.store import prefetch, replay

JSON = "application/json"
# README §10: every response, whatever its status or origin in the code, carries these, so no
# browser ever reads a response of the API as anything but its declared type.
SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff"}
_PARAM = re.compile(r"<(\w+)>")


def respond(
    body: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None
) -> Response[str]:
    return Response(
        status_code=status, content_type=JSON, body=jsonutil.dumps(body), headers=headers
    )


def render_error(error: ApiError) -> Response[str]:
    return respond(error.body(), error.status, error.headers() or None)


def is_public(path: str) -> bool:
    """auth.md §1: health endpoints and everything under /public/ need no token; nor does the
    API reference (DocsFunction: /openapi.json, /docs and its assets)."""
    return path in ("/", "/healthcheck", "/openapi.json", "/docs") or path.startswith(
        ("/public/", "/docs/")
    )


# A `<name>` segment of a route matches what Powertools' REST resolver matches for it: the
# unreserved, sub-delim and unsafe characters of RFC 3986 plus word characters (its
# `_NAMED_GROUP_BOUNDARY_PATTERN`, repeated here rather than read from a private name).
_PARAM_VALUE = r"[-._~()'!*:@,;=+&$%<> \[\]{}|^\w]+"


def compile_rule(rule: str) -> re.Pattern[str]:
    """A route's path pattern compiled as `APIGatewayRestResolver` compiles it: trailing
    slashes of the rule dropped and accepted in the path, `<name>` a named group."""
    pattern = _PARAM.sub(lambda m: f"(?P<{m.group(1)}>{_PARAM_VALUE})", rule.rstrip("/"))
    return re.compile(f"^{pattern}/*$")


@dataclass
class RouteTable:
    """(method, compiled path) pairs of one function, for 404 vs 405 before anything else.

    Filled by `_Resolver.route` as routes are registered (no Powertools private state read)."""

    routes: list[tuple[str, re.Pattern[str]]] = field(default_factory=list)

    def add(self, rule: str, methods: str | Sequence[str]) -> None:
        pattern = compile_rule(rule)
        for method in (methods,) if isinstance(methods, str) else methods:
            self.routes.append((method.upper(), pattern))

    def allowed(self, path: str) -> list[str]:
        return sorted({method for method, rule in self.routes if rule.match(path)})


class _Resolver(APIGatewayRestResolver):
    """The REST resolver, recording every route it registers in `table`: `route` is the public
    registration method (the method decorators and `include_router` call it)."""

    def __init__(self) -> None:
        super().__init__()
        self.table = RouteTable()

    def route(self, rule: str, method: Any, *args: Any, **kwargs: Any) -> Any:
        self.table.add(rule, method)
        return super().route(rule, method, *args, **kwargs)


SystemLookup = Callable[[ApiRequest, str], int | None]
KeyLookup = Callable[[str], auth.Credentials | None]


def _credentials(key: str) -> auth.Credentials | None:
    """Resolve the `key` claim: the master secret, or a consumer's secret and system."""
    if key == "master":
        return auth.Credentials(config.master_secret(), None)
    if consumers.possible_key(key):  # the consumer and the path's items: one round trip
        resolve.prefetch_path(current(), consumer_key=key)
    found = consumers.signing_secret(key)
    return auth.Credentials(*found) if found else None


def _system_id(request: ApiRequest, slug: str) -> int | None:
    """For the auth check of consumer keys (auth.md §4 step 16)."""
    return resolve.system_id_of(request, slug)


def token_policy() -> auth.TokenPolicy:
    """The configured token policy (TOKEN_POLICY, TOKEN_MAX_LIFETIME), read per request."""
    if config.token_policy() == "legacy":
        return auth.LEGACY
    return auth.TokenPolicy(strict=True, max_lifetime=config.token_max_lifetime())


def build_handler(
    routers: Sequence[Router],
    lookup_key: KeyLookup = _credentials,
    lookup_system: SystemLookup = _system_id,
    consume_jti: auth.JtiStore = replay.consume,
) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    """Assemble a Lambda handler from resource routers."""
    app = _Resolver()
    for router in routers:
        app.include_router(router)

    def prepare(resolver: APIGatewayRestResolver, next_middleware: NextMiddleware) -> Response[str]:
        request = current()
        request.body = parse_body(request.method, request.header("content-type"), request.raw)
        if not is_public(request.path):
            request.principal = auth.authenticate(
                auth.SignedRequest(
                    method=request.method,
                    path=request.path,
                    query=request.query,
                    body=request.raw,
                    authorization=request.header("authorization"),
                    system_slug=_system_slug(request.path),
                ),
                lookup_key,
                lambda slug: lookup_system(request, slug),
                timestamps.now(),
                policy=token_policy(),
                consume_jti=consume_jti,
                system_exists=consumers.system_exists,
            )
        return next_middleware(resolver)

    app.use(middlewares=[prepare])

    @app.exception_handler(ApiError)
    def _api_error(error: ApiError) -> Response[str]:
        if isinstance(error, NotAuthorized):
            metrics.count(metrics.AUTH_REJECTED)
        if error.status == 403 or error.status >= 500:
            current().failure = error.message  # the request line says why
        return render_error(error)

    @app.exception_handler(Exception)
    def _unexpected(error: Exception) -> Response[str]:
        _log_unhandled(current(), error)
        return render_error(InternalError())

    table = app.table

    @logs.invocation
    @metrics.invocation
    @tracing.capture_lambda_handler
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        started = time.perf_counter()
        logs.set_keys(correlation_id=(event.get("requestContext") or {}).get("requestId"))
        request = _decode(event)
        status = 502  # what API Gateway answers when the handler raises
        try:
            result = _handle(request, event, context)
            status = int(result.get("statusCode") or 0)
            return result
        except Exception as error:  # outside the resolver's handlers: Lambda reports it
            _log_unhandled(request, error)
            raise
        finally:
            _log_request(request, status, time.perf_counter() - started)

    def _handle(request: ApiRequest, event: dict[str, Any], context: Any) -> dict[str, Any]:
        path, method, query = request.path, request.method, request.query
        body_error = request.body_error
        token = enter(request)
        # A GET keeps its reads for the request (`store.prefetch`): it writes nothing it reads.
        reads = prefetch.begin() if method == "GET" else None
        try:
            allowed = table.allowed(path)
            if not allowed:
                target = path + (
                    f"?{urlencode([(k, v) for k, vs in query.items() for v in vs])}"
                    if query
                    else ""
                )
                return _as_event(render_error(ResourceNotFound(f"{target} does not exist")))
            if method not in allowed:
                return _as_event(render_error(MethodNotAllowed(method, allowed)))
            if body_error is not None:
                return _as_event(render_error(body_error))
            result: dict[str, Any] = app.resolve({**event, "path": path}, context)
            return _secured(result)
        finally:
            if reads is not None:
                prefetch.end(reads)
            leave(token)

    return cast(Callable[[dict[str, Any], Any], dict[str, Any]], handler)


def _decode(event: dict[str, Any]) -> ApiRequest:
    """The request as the handlers read it (a body flagged base64 that is not, never sent by
    API Gateway, is kept as `body_error`)."""
    path = normalise_path(event.get("path") or "/")
    method = str(event.get("httpMethod") or "GET").upper()
    query = {k: list(v) for k, v in (event.get("multiValueQueryStringParameters") or {}).items()}
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items() if v is not None}
    body_error: ApiError | None = None
    try:
        raw = raw_body(event)
    except ApiError as error:
        raw, body_error = b"", error
    request = ApiRequest(method, path, query, headers, raw, route=event.get("resource"))
    request.body_error = body_error
    return request


def _request_fields(request: ApiRequest) -> dict[str, Any]:
    """What a request's lines say about it: never the path's emails, a token or a secret."""
    return {
        "route": request.route,
        "method": request.method,
        "system": _system_slug(request.path),
        "key": request.principal.key if request.principal is not None else None,
    }


def _log_unhandled(request: ApiRequest, error: Exception) -> None:
    """An unexpected exception, with its traceback (called in its `except`); the request's
    line gives its type as the reason."""
    request.failure = f"{type(error).__name__}: unhandled"
    logger.exception("Unhandled error", extra=_request_fields(request))


def _log_request(request: ApiRequest, status: int, seconds: float) -> None:
    """The request's one line (docs/observability.md): INFO, WARNING for a 403 with its reason,
    ERROR for a 5xx with its cause."""
    fields = _request_fields(request)
    fields.update(status=status, durationMs=round(seconds * 1000, 1))
    if request.failure is not None:
        fields["reason"] = request.failure
    if status >= 500:
        logger.error("request", extra=fields)
    elif status == 403:
        logger.warning("request", extra=fields)
    else:
        logger.info("request", extra=fields)


def _as_event(response: Response[str]) -> dict[str, Any]:
    headers = {
        "Content-Type": JSON,
        **{k: v for k, v in response.headers.items() if isinstance(v, str)},
        **SECURITY_HEADERS,
    }
    return {
        "statusCode": response.status_code,
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "body": response.body,
        "isBase64Encoded": False,
    }


def _secured(result: dict[str, Any]) -> dict[str, Any]:
    """A resolver's proxy response with `SECURITY_HEADERS` set (whatever a route set instead).
    Powertools answers with `multiValueHeaders`; `headers`, when present, gets them too."""
    names = {name.lower() for name in SECURITY_HEADERS}
    for key, wrap in (("multiValueHeaders", True), ("headers", False)):
        if key == "headers" and key not in result:
            continue
        kept = {k: v for k, v in (result.get(key) or {}).items() if k.lower() not in names}
        result[key] = kept | {k: [v] if wrap else v for k, v in SECURITY_HEADERS.items()}
    return result


def _system_slug(path: str) -> str | None:
    parts = path.split("/")
    if len(parts) >= 3 and parts[1] == "systems" and parts[2]:
        return unquote(parts[2])
    return None


# The three container prefixes {L} of spec README §1, in the routers' path syntax.
CONTAINER_PREFIXES = (
    "/systems/<systemSlug>",
    "/systems/<systemSlug>/issuers/<issuerSlug>",
    "/systems/<systemSlug>/issuers/<issuerSlug>/programs/<programSlug>",
)
Handler = Callable[..., Response[str]]


def at_every_level(router: Router, method: str, suffix: str) -> Callable[[Handler], Handler]:
    """Register a handler under the three container prefixes (README §1)."""

    def register(handler: Handler) -> Handler:
        for prefix in CONTAINER_PREFIXES:
            router.route(prefix + suffix, method=[method])(handler)
        return handler

    return register
