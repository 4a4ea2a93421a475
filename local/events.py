"""Event and response shapes of the Lambda integrations the local stack emulates.

Why: the functions are written against what API Gateway REST (proxy integration, payload 1.0)
and Lambda's DynamoDB Streams event source actually deliver. The details that matter to them are
kept exactly: the path and path parameters stay percent-encoded (REST APIs do not decode them),
query parameters are decoded, every body arrives base64-encoded because the API declares binary
media types `*/*` (the JWT body hash covers the exact bytes), and stream records carry DynamoDB
JSON with binary values in base64 and times in epoch seconds.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import fnmatch
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from local.routing import Match


class InvalidProxyResponse(ValueError):
    """The handler's return value is not a valid proxy response (API Gateway answers 502)."""


@dataclass(frozen=True)
class HttpRequest:
    """A request as received by the gateway, before routing."""

    method: str
    path: str  # normalised, still percent-encoded
    query: str | None  # raw query string as sent, without `?`
    headers: Sequence[tuple[str, str]] = ()
    body: bytes = b""
    source_ip: str = "127.0.0.1"
    protocol: str = "HTTP/1.1"
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    received_at: float = field(default_factory=time.time)

    @property
    def target(self) -> str:
        """Path plus `?query` (what the 404 message names)."""
        return self.path if self.query is None else f"{self.path}?{self.query}"

    def header(self, name: str) -> str | None:
        values = [v for k, v in self.headers if k.lower() == name.lower()]
        return values[-1] if values else None


def _group(pairs: Sequence[tuple[str, str]], *, fold_case: bool) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    spelling: dict[str, str] = {}
    for key, value in pairs:
        canonical = spelling.setdefault(key.lower() if fold_case else key, key)
        grouped.setdefault(canonical, []).append(value)
    return grouped


def is_binary(content_type: str | None, binary_media_types: Sequence[str]) -> bool:
    """Whether API Gateway would base64-encode a body of this type (fnmatch like `*/*`).

    A body without a Content-Type counts as application/octet-stream (spec README §3).
    """
    media = (content_type or "application/octet-stream").split(";", 1)[0].strip().lower()
    return any(fnmatch.fnmatchcase(media, pattern.lower()) for pattern in binary_media_types)


def build_proxy_event(
    request: HttpRequest,
    match: Match,
    *,
    stage: str = "Prod",
    binary_media_types: Sequence[str] = ("*/*",),
    domain_name: str = "127.0.0.1",
) -> dict[str, Any]:
    """An API Gateway REST proxy event (payload format 1.0) for `request` routed to `match`."""
    headers = _group(request.headers, fold_case=True)
    query = _group(
        parse_qsl(request.query or "", keep_blank_values=True, errors="replace"), fold_case=False
    )
    body: str | None = None
    encoded = False
    if request.body:
        if is_binary(request.header("Content-Type"), binary_media_types):
            body, encoded = base64.b64encode(request.body).decode("ascii"), True
        else:
            body = request.body.decode("utf-8", errors="replace")
    when = dt.datetime.fromtimestamp(request.received_at, dt.UTC)
    return {
        "resource": match.resource,
        "path": request.path,
        "httpMethod": request.method,
        "headers": {k: v[-1] for k, v in headers.items()} or None,
        "multiValueHeaders": headers or None,
        "queryStringParameters": {k: v[-1] for k, v in query.items()} or None,
        "multiValueQueryStringParameters": query or None,
        "pathParameters": dict(match.path_parameters) or None,
        "stageVariables": None,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "local",
            "resourceId": "local",
            "resourcePath": match.resource,
            "httpMethod": request.method,
            "path": f"/{stage}{request.path}",
            "stage": stage,
            "requestId": request.request_id,
            "extendedRequestId": request.request_id,
            "requestTime": when.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "requestTimeEpoch": int(request.received_at * 1000),
            "identity": {
                "sourceIp": request.source_ip,
                "userAgent": request.header("User-Agent"),
                "accessKey": None,
                "accountId": None,
                "caller": None,
                "user": None,
                "userArn": None,
                "cognitoIdentityId": None,
                "cognitoIdentityPoolId": None,
                "cognitoAuthenticationType": None,
                "cognitoAuthenticationProvider": None,
            },
            "protocol": request.protocol,
            "domainName": domain_name,
            "domainPrefix": domain_name.split(".", 1)[0],
        },
        "body": body,
        "isBase64Encoded": encoded,
    }


@dataclass(frozen=True)
class ProxyResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


def parse_proxy_response(result: Any) -> ProxyResponse:
    """Turn a handler's return value into an HTTP response the way API Gateway does.

    `multiValueHeaders` and `headers` are merged; a name present in both keeps only the
    multi-value list. A body flagged `isBase64Encoded` is decoded to bytes.
    """
    if not isinstance(result, Mapping):
        raise InvalidProxyResponse(f"response is {type(result).__name__}, not an object")
    status = result.get("statusCode")
    if isinstance(status, str) and status.isdigit():
        status = int(status)
    if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
        raise InvalidProxyResponse(f"invalid statusCode {status!r}")
    headers: list[tuple[str, str]] = []
    multi = result.get("multiValueHeaders") or {}
    single = result.get("headers") or {}
    if not isinstance(multi, Mapping) or not isinstance(single, Mapping):
        raise InvalidProxyResponse("headers must be objects")
    for name, values in multi.items():
        for value in values if isinstance(values, list) else [values]:
            headers.append((str(name), _header_text(value)))
    seen = {name.lower() for name in multi}
    headers += [(str(k), _header_text(v)) for k, v in single.items() if k.lower() not in seen]
    body = result.get("body")
    if body is None:
        raw = b""
    elif not isinstance(body, str):
        raise InvalidProxyResponse(f"body is {type(body).__name__}, not a string")
    elif result.get("isBase64Encoded"):
        try:
            raw = base64.b64decode(body, validate=True)
        except binascii.Error as exc:
            raise InvalidProxyResponse(f"body is not valid base64: {exc}") from exc
    else:
        # A lone surrogate cannot be UTF-8: it goes out as "?" instead of failing the request.
        raw = body.encode("utf-8", "replace")
    return ProxyResponse(status, headers, raw)


def _header_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# -- DynamoDB Streams ------------------------------------------------------------------------


def _jsonable(value: Any) -> Any:
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, dt.datetime):
        return int(value.timestamp())
    if isinstance(value, Mapping):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    return value


def stream_record_event(record: Mapping[str, Any], stream_arn: str, region: str) -> dict[str, Any]:
    """A record from `dynamodbstreams.get_records` in the shape Lambda delivers it."""
    out: dict[str, Any] = _jsonable(record)
    out.setdefault("eventSource", "aws:dynamodb")
    out.setdefault("eventVersion", "1.1")
    out["awsRegion"] = out.get("awsRegion") or region
    out["eventSourceARN"] = stream_arn
    return out
