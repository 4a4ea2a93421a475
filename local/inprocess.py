"""The template's API called in-process: no HTTP server, no embedded DynamoDB server, no threads.

Why: unit tests and the benchmark (`make bench`) want the exact request path of the local stack
(template routes → API Gateway proxy event → warm function → proxy response) without a socket,
so that they can run inside moto's `mock_aws` and time or count one dispatch precisely. This is
the reusable part they share: the offline environment, the template's table, the Gateway built
once from the template, and a client that signs requests like the official clients do.

Order matters for callers: set the environment (`use_offline_environment`) before the first
`gateway()` call, because handler modules read configuration when they are imported.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from local.dynamodb import create_table_kwargs
from local.events import HttpRequest, ProxyResponse
from local.functions import load_functions
from local.gateway import Gateway, split_target
from local.routing import Route, Router
from local.template import Resolver, Template

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "infra" / "template.yaml"
DEFAULT_HOST = "api.example.org"
IMAGES_BUCKET = "badgekit-offline-images"  # `!Ref ImagesBucket`; create it inside `mock_aws`
TOKEN_TTL = 300  # seconds from now to a signed token's exp


def use_offline_environment(
    table_name: str, master_secret: str, public_base_url: str = "https://badges.example.org"
) -> None:
    """Dummy AWS credentials and the functions' configuration, for moto's `mock_aws`.

    The credentials are fake so that nothing can reach a real account; DYNAMODB_ENDPOINT is
    removed so the data layer talks to the mocked default endpoint, not a local server (and
    S3_ENDPOINT so images do too); TOKEN_POLICY and TOKEN_MAX_LIFETIME are removed so the
    functions apply the default, strict policy.
    """
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_REGION": "us-east-1",
            "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
            "TABLE_NAME": table_name,
            "IMAGES_BUCKET": IMAGES_BUCKET,
            "MASTER_SECRET": master_secret,
            "POWERTOOLS_TRACE_DISABLED": "true",
            "POWERTOOLS_METRICS_DISABLED": "true",
            "POWERTOOLS_LOG_LEVEL": "CRITICAL",
            "PUBLIC_BASE_URL": public_base_url,
        }
    )
    os.environ.pop("DYNAMODB_ENDPOINT", None)
    os.environ.pop("S3_ENDPOINT", None)
    # The default token policy (strict), whatever the developer's shell says.
    os.environ.pop("TOKEN_POLICY", None)
    os.environ.pop("TOKEN_MAX_LIFETIME", None)


def table_properties(template_path: Path = TEMPLATE) -> dict[str, Any]:
    """The template's `AWS::DynamoDB::Table` properties, intrinsics resolved."""
    template = Template(template_path)
    resolved: dict[str, Any] = Resolver(template.data).resolve(dict(template.table().properties))
    return resolved


def create_table(
    client: Any, name: str, template_path: Path = TEMPLATE, *, stream: bool = True
) -> None:
    """Create the template's table (keys, indexes, stream) under `name` with a boto3 client.

    `stream=False` leaves the stream out for long runs without a stream consumer: moto keeps
    every stream record in the table object, and copies the whole object on each transaction,
    so writes get slower with every write made before them.
    """
    kwargs = create_table_kwargs(name, table_properties(template_path))
    if not stream:
        kwargs.pop("StreamSpecification", None)
    client.create_table(**kwargs)


@cache
def gateway(
    table_name: str, template_path: Path = TEMPLATE, functions: tuple[str, ...] | None = None
) -> Gateway:
    """The template's API with its functions imported once (warm), like a reused Lambda.

    Cached because importing the functions is the expensive, cold-start part; the `Table` ref
    resolves to `table_name`. `functions` (logical ids) limits the API to those functions'
    routes, for callers that exercise one function only. Loading puts the template's layers on
    sys.path (like /opt/python), which is what makes `badgekit` importable afterwards.
    """
    template = Template(template_path)
    resolver = Resolver(template.data, refs={"Table": table_name})
    specs = [
        spec
        for spec in template.functions(resolver)
        if functions is None or spec.logical_id in functions
    ]
    routes = [Route(e.path, e.method, e.function) for s in specs for e in s.api_events]
    api = template.api_properties(resolver)
    headers = template.gateway_response_headers(api)
    return Gateway(Router(routes), load_functions(specs), response_headers=headers)


@dataclass
class Reply:
    """A response with its JSON body decoded (None when the body is empty)."""

    status: int
    headers: dict[str, str]
    body: Any

    @property
    def json(self) -> Any:
        return self.body

    @classmethod
    def of(cls, response: ProxyResponse) -> Reply:
        text = response.body.decode() if response.body else ""
        return cls(response.status, dict(response.headers), json.loads(text) if text else None)


class Api:
    """Signed in-process requests through the template's routes.

    `key`/`secret` are the JWT credentials (the master key by default, or a consumer's). The
    gateway is resolved lazily from TABLE_NAME so that constructing a client is free.
    `prepare` and `send` are separate so that a caller can time the dispatch alone.
    """

    def __init__(
        self, key: str = "master", secret: str | None = None, *, gw: Gateway | None = None
    ) -> None:
        self.key = key
        self.secret = secret if secret is not None else os.environ["MASTER_SECRET"]
        self._gateway = gw

    @property
    def gateway(self) -> Gateway:
        if self._gateway is None:
            self._gateway = gateway(os.environ["TABLE_NAME"])
        return self._gateway

    def prepare(
        self,
        method: str,
        target: str,
        *,
        json_body: Any = None,
        body: bytes | None = None,
        content_type: str | None = None,
        headers: dict[str, str] | None = None,
        sign: bool = True,
    ) -> HttpRequest:
        """The request as the gateway receives it, with a JWT bound to method, path and body."""
        if json_body is not None:
            body, content_type = json.dumps(json_body).encode(), content_type or "application/json"
        raw = body or b""
        all_headers = {"Host": DEFAULT_HOST, **(headers or {})}
        if content_type:
            all_headers["Content-Type"] = content_type
        if sign:
            all_headers["Authorization"] = self._authorization(method, target, raw)
        path, query = split_target(target)
        return HttpRequest(method.upper(), path, query, tuple(all_headers.items()), raw)

    def _authorization(self, method: str, target: str, raw: bytes) -> str:
        _ = self.gateway  # loads the functions, which puts the layer (badgekit) on sys.path
        from badgekit import signing, timestamps

        # exp from the functions' own clock (same process), so a test that sets the server's
        # time still signs tokens that are valid then, under the strict token policy.
        claims = signing.request_claims(
            method, target, raw, key=self.key, exp=timestamps.now() + TOKEN_TTL
        )
        return signing.authorization_header(signing.sign(claims, self.secret))

    # After a DELETE, run the purges it started to their end, as the deployed stream mapping
    # does shortly after (`drain_purges`); off for callers that count a request's own calls or
    # look at what readers see before the purge (the unit tier turns it on).
    purge_after_delete = False

    def send(self, request: HttpRequest) -> Reply:
        reply = Reply.of(self.gateway.dispatch(request))
        if self.purge_after_delete and request.method == "DELETE" and is_container(request.path):
            drain_purges(self.gateway)
        return reply

    def call(self, method: str, target: str, **kw: Any) -> Reply:
        return self.send(self.prepare(method, target, **kw))

    def get(self, target: str, **kw: Any) -> Reply:
        return self.call("GET", target, **kw)

    def post(self, target: str, data: Any = None, **kw: Any) -> Reply:
        return self.call("POST", target, json_body=data, **kw)

    def put(self, target: str, data: Any = None, **kw: Any) -> Reply:
        return self.call("PUT", target, json_body=data, **kw)

    def delete(self, target: str, **kw: Any) -> Reply:
        return self.call("DELETE", target, **kw)


PURGER = "PurgerFunction"


def is_container(path: str) -> bool:
    """Whether a path names a system, an issuer or a program (whose DELETE starts a purge)."""
    parts = path.strip("/").split("/")
    levels = {2: "systems", 4: "issuers", 6: "programs"}
    return levels.get(len(parts)) == parts[-2] if len(parts) in levels else False


MAX_PURGE_STEPS = 10_000


def purge_jobs() -> list[dict[str, Any]]:
    """The purge jobs in the table (the `entity = purge` items), as stream records' images."""
    import boto3

    # Its own session: a look at the table, not a call of the functions (tests count those on
    # the default session's).
    client = boto3.session.Session().client("dynamodb")
    kwargs: dict[str, Any] = {
        "TableName": os.environ["TABLE_NAME"],
        "FilterExpression": "entity = :purge",
        "ExpressionAttributeValues": {":purge": {"S": "purge"}},
    }
    found: list[dict[str, Any]] = []
    while True:
        response = client.scan(**kwargs)
        found.extend(response["Items"])
        if "LastEvaluatedKey" not in response:
            return found
        kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def purge_record(image: dict[str, Any]) -> dict[str, Any]:
    """A Lambda-format stream record of a purge job's MODIFY (what the mapping delivers)."""
    return {
        "eventID": "local-purge",
        "eventName": "MODIFY",
        "eventSource": "aws:dynamodb",
        "eventVersion": "1.1",
        "dynamodb": {
            "Keys": {"PK": image["PK"], "SK": image["SK"]},
            "NewImage": image,
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        },
    }


def drain_purges(gw: Gateway) -> int:
    """Run the template's purger on every purge job until none is left (one record per job
    and step, as the stream would deliver them); the number of steps run."""
    function = gw.functions[PURGER]
    for steps in range(MAX_PURGE_STEPS):
        jobs = purge_jobs()
        if not jobs:
            return steps
        result = function.invoke({"Records": [purge_record(job) for job in jobs]})
        if result != {"batchItemFailures": []}:
            raise RuntimeError(f"purger failed: {result}")
    raise RuntimeError("purge did not finish")
