"""Unit-test harness: moto in-process DynamoDB with the template's table, and the template's
functions invoked in-process through the local stack's gateway (no HTTP, no threads)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "infra" / "template.yaml"
MASTER_SECRET = "unit-master-secret"
TABLE_NAME = "badgekit-unit"

# Set before any handler module is imported (they read configuration at import/first use).
os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
        "TABLE_NAME": TABLE_NAME,
        "MASTER_SECRET": MASTER_SECRET,
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_DISABLED": "true",
        "POWERTOOLS_LOG_LEVEL": "CRITICAL",
        "PUBLIC_BASE_URL": "https://badges.example.org",
    }
)
os.environ.pop("DYNAMODB_ENDPOINT", None)

import boto3  # noqa: E402
from moto import mock_aws  # noqa: E402

from badgekit import db, signing  # noqa: E402
from local.dynamodb import create_table_kwargs  # noqa: E402
from local.events import HttpRequest  # noqa: E402
from local.functions import load_functions  # noqa: E402
from local.gateway import Gateway, split_target  # noqa: E402
from local.routing import Route, Router  # noqa: E402
from local.template import Resolver, Template  # noqa: E402


def table_properties() -> dict[str, Any]:
    template = Template(TEMPLATE)
    resolver = Resolver(template.data)
    resolved: dict[str, Any] = resolver.resolve(dict(template.table().properties))
    return resolved


@pytest.fixture
def aws() -> Iterator[Any]:
    """A fresh mocked account with the template's table."""
    with mock_aws():
        client = boto3.client("dynamodb")
        client.create_table(**create_table_kwargs(TABLE_NAME, table_properties()))
        db.reset_clients()
        yield client
        db.reset_clients()


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: Any

    @property
    def json(self) -> Any:
        return self.body


_GATEWAY: Gateway | None = None


def gateway() -> Gateway:
    global _GATEWAY
    if _GATEWAY is None:
        template = Template(TEMPLATE)
        resolver = Resolver(template.data, refs={"Table": TABLE_NAME})
        specs = template.functions(resolver)
        routes = [Route(e.path, e.method, e.function) for s in specs for e in s.api_events]
        _GATEWAY = Gateway(Router(routes), load_functions(specs))
    return _GATEWAY


class Api:
    """Signed in-process requests through the template's routes."""

    def __init__(self, key: str = "master", secret: str = MASTER_SECRET) -> None:
        self.key, self.secret = key, secret

    def call(
        self,
        method: str,
        target: str,
        *,
        json_body: Any = None,
        body: bytes | None = None,
        content_type: str | None = None,
        headers: dict[str, str] | None = None,
        sign: bool = True,
    ) -> Reply:
        if json_body is not None:
            body, content_type = json.dumps(json_body).encode(), content_type or "application/json"
        raw = body or b""
        all_headers = {"Host": "api.example.org", **(headers or {})}
        if content_type:
            all_headers["Content-Type"] = content_type
        if sign:
            claims = signing.request_claims(method, target, raw, key=self.key)
            all_headers["Authorization"] = signing.authorization_header(
                signing.sign(claims, self.secret)
            )
        path, query = split_target(target)
        request = HttpRequest(method.upper(), path, query, tuple(all_headers.items()), raw)
        response = gateway().dispatch(request)
        text = response.body.decode() if response.body else ""
        return Reply(
            response.status, {k: v for k, v in response.headers}, json.loads(text) if text else None
        )

    def get(self, target: str, **kw: Any) -> Reply:
        return self.call("GET", target, **kw)

    def post(self, target: str, data: Any = None, **kw: Any) -> Reply:
        return self.call("POST", target, json_body=data, **kw)

    def put(self, target: str, data: Any = None, **kw: Any) -> Reply:
        return self.call("PUT", target, json_body=data, **kw)

    def delete(self, target: str, **kw: Any) -> Reply:
        return self.call("DELETE", target, **kw)


@pytest.fixture
def api(aws: Any) -> Api:
    return Api()


def system_body(slug: str = "chicago", **extra: Any) -> dict[str, Any]:
    return {"slug": slug, "name": slug.title(), "url": "http://example.org", **extra}
