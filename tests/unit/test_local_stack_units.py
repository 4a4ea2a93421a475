"""Unit tests of the local stack (`local/`): template reading, routing, event shapes, streams.

Everything runs in-process on 127.0.0.1 with OS-chosen ports; the stack tests use a throwaway
template and fake functions under tmp_path, so they do not depend on `functions/`.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import os
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
import jwt
import pytest
import requests

from badgekit.http.request import normalise_path
from local import sign
from local.dynamodb import EmbeddedDynamoDB, create_table_kwargs, ensure_table
from local.events import (
    HttpRequest,
    InvalidProxyResponse,
    build_proxy_event,
    parse_proxy_response,
    stream_record_event,
)
from local.functions import load_function
from local.gateway import Gateway, split_target
from local.routing import Match, Route, Router, gateway_path
from local.stack import LocalStack, StackOptions
from local.streams import (
    LOCAL_MAX_RETRIES,
    StreamPoller,
    is_noop_modify,
    matches_pattern,
    passes_filters,
)
from local.template import NO_VALUE, Resolver, StreamEvent, Template, load_yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
COMMON_LAYER = REPO_ROOT / "layers" / "common"

# -- template reading --------------------------------------------------------------------------


def _yaml(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "template.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def test_short_tags_become_long_form(tmp_path: Path) -> None:
    data = load_yaml(
        _yaml(
            tmp_path,
            """
            A: !Ref Thing
            B: !GetAtt Table.StreamArn
            C: !Sub "${AWS::Region}-x"
            D: !If [Cond, 1, 2]
            E: !Select [1, !Split ["/", "/a/b"]]
            """,
        )
    )
    assert data == {
        "A": {"Ref": "Thing"},
        "B": {"Fn::GetAtt": ["Table", "StreamArn"]},
        "C": {"Fn::Sub": "${AWS::Region}-x"},
        "D": {"Fn::If": ["Cond", 1, 2]},
        "E": {"Fn::Select": [1, {"Fn::Split": ["/", "/a/b"]}]},
    }


def test_resolver_evaluates_intrinsics(tmp_path: Path) -> None:
    template = load_yaml(
        _yaml(
            tmp_path,
            """
            Parameters:
              Env: {Type: String, Default: dev}
              Name: {Type: String, Default: /badgekit/master}
            Mappings:
              Sizes: {dev: {Memory: 128}}
            Conditions:
              IsProd: !Equals [!Ref Env, prod]
              NotProd: !Not [!Condition IsProd]
            Resources:
              Table: {Type: AWS::DynamoDB::Table}
            """,
        )
    )
    resolver = Resolver(template, refs={"Table": "local-table"}, attributes={"Table.Arn": "arn:t"})
    assert resolver.resolve({"Ref": "Table"}) == "local-table"
    assert resolver.resolve({"Fn::GetAtt": ["Table", "Arn"]}) == "arn:t"
    assert resolver.resolve({"Fn::Sub": "${Table}@${AWS::Region}/${Table.Arn}/${!Lit}"}) == (
        "local-table@us-east-1/arn:t/${Lit}"
    )
    assert resolver.resolve({"Fn::Select": [1, {"Fn::Split": ["/", {"Ref": "Name"}]}]}) == (
        "badgekit"
    )
    assert resolver.resolve({"Fn::FindInMap": ["Sizes", {"Ref": "Env"}, "Memory"]}) == 128
    assert resolver.condition("NotProd") is True
    assert resolver.resolve(
        {"a": {"Fn::If": ["IsProd", 1, {"Ref": "AWS::NoValue"}]}, "b": [{"Ref": "AWS::NoValue"}]}
    ) == {"b": []}
    assert Resolver(template, parameters={"Env": "prod"}).condition("IsProd") is True
    assert resolver.resolve({"Ref": "AWS::NoValue"}) is NO_VALUE


def test_real_template_is_servable() -> None:
    template = Template(REPO_ROOT / "infra" / "template.yaml")
    table = template.table()
    resolver = Resolver(
        template.data,
        parameters={"PublicBaseUrl": "http://127.0.0.1:1"},
        refs={table.logical_id: "unit-table"},
    )
    kwargs = create_table_kwargs("unit-table", resolver.resolve(dict(table.properties)))
    assert kwargs["TableName"] == "unit-table"
    assert kwargs["KeySchema"]
    functions = template.functions(resolver)
    assert functions
    routes = Router(Route(e.path, e.method, e.function) for f in functions for e in f.api_events)
    assert routes.match("GET", "/healthcheck") is not None
    for function in functions:
        assert function.environment.get("TABLE_NAME") == "unit-table"
        assert function.handler_file.name.endswith(".py")


# -- routing -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [("/", "/"), ("//", "/"), ("/a/", "/a"), ("//a//b//", "/a/b"), ("", "/"), ("a", "/a")],
)
def test_gateway_path(raw: str, normalised: str) -> None:
    assert gateway_path(raw) == normalised


@pytest.mark.parametrize(
    "raw", ["", "/", "//", "/a/", "//a//b//", "/systems/chicago/issuers/x/programs/", "/%2F/x//"]
)
def test_gateway_path_is_the_apps_normalisation(raw: str) -> None:
    """The local stack routes on the path the app itself normalises to (README §1)."""
    assert gateway_path(raw) == normalise_path(raw)


def test_split_target_keeps_raw_query() -> None:
    assert split_target("//a/b/?x=1&y=%20") == ("/a/b", "x=1&y=%20")
    assert split_target("/a?") == ("/a", "")
    assert split_target("/a") == ("/a", None)
    assert split_target("http://host:1/a?q") == ("/a", "q")


ROUTER = Router(
    [
        Route("/", "GET", "root"),
        Route("/systems", "GET", "list"),
        Route("/systems", "ANY", "systems-any"),
        Route("/systems/{slug}", "ANY", "system-any"),
        Route("/systems/mine", "GET", "mine"),
        Route("/systems/{slug}/badges/{badge}", "GET", "badge"),
        Route("/public/{proxy+}", "GET", "public"),
        Route("/{proxy+}", "ANY", "catch-all"),
    ]
)


@pytest.mark.parametrize(
    ("method", "path", "function", "params"),
    [
        ("GET", "/", "root", {}),
        ("GET", "/systems", "list", {}),  # explicit method beats ANY
        ("POST", "/systems", "systems-any", {}),
        ("GET", "/systems/mine", "mine", {}),  # literal beats {param}
        ("GET", "/systems/a%40b", "system-any", {"slug": "a%40b"}),  # raw segment
        ("GET", "/systems/x/badges/y", "badge", {"slug": "x", "badge": "y"}),
        ("GET", "/public/a/b/c", "public", {"proxy": "a/b/c"}),  # greedy, literal prefix first
        ("GET", "/systems/x/unknown", "catch-all", {"proxy": "systems/x/unknown"}),
        ("DELETE", "/anything", "catch-all", {"proxy": "anything"}),
    ],
)
def test_router_precedence(method: str, path: str, function: str, params: dict[str, str]) -> None:
    match = ROUTER.match(method, path)
    assert match is not None
    assert (match.function, match.path_parameters) == (function, params)


def test_router_does_not_fall_back_when_the_resource_lacks_the_method() -> None:
    # /systems/mine is the most specific resource and has GET only: like API Gateway, no
    # fallback to /systems/{slug} ANY or /{proxy+} (hence ANY routes on every path).
    assert ROUTER.match("POST", "/systems/mine") is None


def test_router_greedy_needs_a_segment_and_root_needs_its_method() -> None:
    router = Router([Route("/{proxy+}", "ANY", "catch-all"), Route("/", "GET", "root")])
    assert router.match("POST", "/") is None
    match = router.match("GET", "/")
    assert match is not None
    assert match.resource == "/"
    assert match.method == "GET"


# -- proxy events and responses ----------------------------------------------------------------


def _request(**overrides: Any) -> HttpRequest:
    fields: dict[str, Any] = {
        "method": "POST",
        "path": "/systems/a%40b.org",
        "query": "x=a+b&x=%C3%A9&blank=&flag",
        "headers": [("Host", "h"), ("X-Multi", "1"), ("x-multi", "2"), ("Content-Type", "a/b")],
        "body": b"\x00\xffdata",
        "request_id": "rid",
        "received_at": 1700000000.5,
    }
    fields.update(overrides)
    return HttpRequest(**fields)


def test_proxy_event_keeps_path_encoded_and_decodes_query() -> None:
    match = Match("/systems/{slug}", "ANY", "f", {"slug": "a%40b.org"})
    event = build_proxy_event(_request(), match, stage="Prod", domain_name="h")
    assert event["resource"] == "/systems/{slug}"
    assert event["path"] == "/systems/a%40b.org"
    assert event["pathParameters"] == {"slug": "a%40b.org"}
    assert event["httpMethod"] == "POST"
    assert event["queryStringParameters"] == {"x": "é", "blank": "", "flag": ""}
    assert event["multiValueQueryStringParameters"] == {
        "x": ["a b", "é"],
        "blank": [""],
        "flag": [""],
    }
    assert event["headers"]["X-Multi"] == "2"
    assert event["multiValueHeaders"]["X-Multi"] == ["1", "2"]
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == b"\x00\xffdata"
    assert event["stageVariables"] is None
    context = event["requestContext"]
    assert context["path"] == "/Prod/systems/a%40b.org"
    assert context["resourcePath"] == "/systems/{slug}"
    assert context["stage"] == "Prod"
    assert context["requestId"] == "rid"
    assert context["requestTimeEpoch"] == 1700000000500
    assert context["identity"]["sourceIp"] == "127.0.0.1"


def test_proxy_event_without_query_or_body() -> None:
    event = build_proxy_event(
        _request(method="GET", query=None, body=b""), Match("/", "GET", "f", {})
    )
    assert event["queryStringParameters"] is None
    assert event["multiValueQueryStringParameters"] is None
    assert event["pathParameters"] is None
    assert event["body"] is None
    assert event["isBase64Encoded"] is False
    empty_query = build_proxy_event(_request(query=""), Match("/", "GET", "f", {}))
    assert empty_query["queryStringParameters"] is None


def test_proxy_event_text_body_when_not_a_binary_type() -> None:
    event = build_proxy_event(
        _request(body="é".encode()), Match("/", "GET", "f", {}), binary_media_types=("image/*",)
    )
    assert (event["body"], event["isBase64Encoded"]) == ("é", False)


def test_proxy_response_parsing() -> None:
    response = parse_proxy_response(
        {
            "statusCode": 201,
            "headers": {"Content-Type": "image/png", "X-A": "single"},
            "multiValueHeaders": {"x-a": ["m1", "m2"]},
            "body": base64.b64encode(b"\x89PNG").decode(),
            "isBase64Encoded": True,
        }
    )
    assert response.status == 201
    assert response.body == b"\x89PNG"
    assert response.headers == [("x-a", "m1"), ("x-a", "m2"), ("Content-Type", "image/png")]
    assert parse_proxy_response({"statusCode": 204}).body == b""
    for bad in (None, {"statusCode": "x"}, {"statusCode": 200, "body": {"a": 1}}, "text"):
        with pytest.raises(InvalidProxyResponse):
            parse_proxy_response(bad)


# -- stream records and filters ----------------------------------------------------------------


def _record(pk: str, sequence: str, name: str = "INSERT", **images: Any) -> dict[str, Any]:
    return {
        "eventID": f"id-{sequence}",
        "eventName": name,
        "dynamodb": {"Keys": {"PK": {"S": pk}}, "SequenceNumber": sequence, **images},
    }


def test_stream_record_event_is_lambda_shaped() -> None:
    import datetime as dt

    raw = _record("A", "1", NewImage={"PK": {"S": "A"}, "b": {"B": b"\x00\x01"}})
    raw["dynamodb"]["ApproximateCreationDateTime"] = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    record = stream_record_event(raw, "arn:stream", "us-east-1")
    assert record["eventSource"] == "aws:dynamodb"
    assert record["eventSourceARN"] == "arn:stream"
    assert record["awsRegion"] == "us-east-1"
    assert record["dynamodb"]["NewImage"]["b"] == {"B": "AAE="}
    assert record["dynamodb"]["ApproximateCreationDateTime"] == 1704067200
    json.dumps(record)


def test_filter_patterns() -> None:
    record = stream_record_event(
        _record("BADGE#1", "1", NewImage={"type": {"S": "award"}, "n": {"N": "5"}}), "a", "r"
    )
    assert matches_pattern({"eventName": ["INSERT", "MODIFY"]}, record)
    assert not matches_pattern({"eventName": ["REMOVE"]}, record)
    new_image = {"dynamodb": {"NewImage": {"type": {"S": ["award"]}}}}
    assert matches_pattern(new_image, record)
    prefix = {"dynamodb": {"Keys": {"PK": {"S": [{"prefix": "BADGE#"}]}}}}
    assert matches_pattern(prefix, record)
    assert not matches_pattern({"dynamodb": {"Keys": {"PK": {"S": [{"prefix": "X"}]}}}}, record)
    assert matches_pattern({"dynamodb": {"OldImage": [{"exists": False}]}}, record)
    assert not matches_pattern({"dynamodb": {"NewImage": {"gone": [{"exists": True}]}}}, record)
    assert matches_pattern({"eventName": [{"anything-but": ["REMOVE"]}]}, record)
    numeric = {"dynamodb": {"NewImage": {"n": {"N": [{"numeric": [">", 1, "<=", 5]}]}}}}
    assert matches_pattern(numeric, record)
    assert passes_filters([], record)
    assert passes_filters([{"eventName": ["REMOVE"]}, {"eventName": ["INSERT"]}], record)


def test_noop_modify_is_recognised() -> None:
    image = {"PK": {"S": "A"}}
    assert is_noop_modify(_record("A", "1", "MODIFY", NewImage=image, OldImage=dict(image)))
    assert not is_noop_modify(_record("A", "1", "MODIFY", NewImage=image, OldImage={}))
    assert not is_noop_modify(_record("A", "1", "INSERT", NewImage=image))


def _source(**overrides: Any) -> StreamEvent:
    fields: dict[str, Any] = {"function": "F", "name": "S", "stream": "arn"}
    fields.update(overrides)
    return StreamEvent(**fields)


def test_poller_retries_from_the_earliest_failure_and_is_bounded() -> None:
    calls: list[list[str]] = []
    failing = {"2": 1}  # sequence number -> failures left

    def handler(event: dict[str, Any]) -> dict[str, Any]:
        sequences = [r["dynamodb"]["SequenceNumber"] for r in event["Records"]]
        calls.append(sequences)
        failed = []
        for sequence in sequences:
            if failing.get(sequence):
                failing[sequence] -= 1
                failed.append({"itemIdentifier": sequence})
        return {"batchItemFailures": failed}

    source = _source(batch_size=3, report_batch_item_failures=True)
    poller = StreamPoller(None, "arn", source, handler)
    assert poller.deliver([_record("A", str(n)) for n in range(1, 5)]) == 4
    assert calls == [["1", "2", "3"], ["2", "3"], ["4"]]


def test_poller_retries_are_bounded() -> None:
    attempts: list[Any] = []

    def always_fails(event: dict[str, Any]) -> None:
        attempts.append(event)
        raise RuntimeError("handler failure")

    StreamPoller(None, "arn", _source(maximum_retry_attempts=1), always_fails).deliver(
        [_record("A", "1")]
    )
    assert len(attempts) == 2
    attempts.clear()
    StreamPoller(None, "arn", _source(), always_fails).deliver([_record("A", "1")])
    assert len(attempts) == LOCAL_MAX_RETRIES + 1  # "forever" (-1) is capped locally

    def unknown_identifier(event: dict[str, Any]) -> dict[str, Any]:
        attempts.append(event)
        return {"batchItemFailures": [{"itemIdentifier": "nope"}]}

    attempts.clear()
    source = _source(report_batch_item_failures=True, maximum_retry_attempts=0)
    StreamPoller(None, "arn", source, unknown_identifier).deliver([_record("A", "1")])
    assert len(attempts) == 1


# -- with an embedded DynamoDB -----------------------------------------------------------------

FAKE_TEMPLATE = """
Transform: AWS::Serverless-2016-10-31
Parameters:
  PublicBaseUrl: {Type: String, Default: ""}
  LogLevel: {Type: String, Default: INFO}
  Flavour: {Type: String, Default: plain}
Conditions:
  IsFancy: !Equals [!Ref Flavour, fancy]
Globals:
  Function:
    Handler: app.lambda_handler
    Timeout: 5
    MemorySize: 256
    Layers: [!Ref Common]
    Environment:
      Variables:
        TABLE_NAME: !Ref Table
        PUBLIC_BASE_URL: !Ref PublicBaseUrl
        FLAVOUR: !If [IsFancy, fancy, !Ref AWS::NoValue]
Resources:
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions:
        - {AttributeName: PK, AttributeType: S}
        - {AttributeName: SK, AttributeType: S}
        - {AttributeName: GSI1PK, AttributeType: S}
      KeySchema:
        - {AttributeName: PK, KeyType: HASH}
        - {AttributeName: SK, KeyType: RANGE}
      GlobalSecondaryIndexes:
        - IndexName: GSI1
          KeySchema: [{AttributeName: GSI1PK, KeyType: HASH}]
          Projection: {ProjectionType: KEYS_ONLY}
      StreamSpecification: {StreamViewType: NEW_AND_OLD_IMAGES}
      TimeToLiveSpecification: {AttributeName: expiresAt, Enabled: true}
  Common:
    Type: AWS::Serverless::LayerVersion
    Properties: {ContentUri: COMMON_LAYER}
  Api:
    Type: AWS::Serverless::Api
    Properties: {StageName: Test, BinaryMediaTypes: ["*~1*"]}
  Echo:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: echo/
      Environment: {Variables: {ECHO_ONLY: "yes"}}
      Events:
        Thing: {Type: Api, Properties: {RestApiId: !Ref Api, Path: "/things/{id}", Method: get}}
        ThingAny: {Type: Api, Properties: {RestApiId: !Ref Api, Path: "/things/{id}", Method: ANY}}
        Crash: {Type: Api, Properties: {RestApiId: !Ref Api, Path: /crash, Method: GET}}
        Systems: {Type: Api, Properties: {RestApiId: !Ref Api, Path: /systems, Method: POST}}
        Proxy: {Type: Api, Properties: {RestApiId: !Ref Api, Path: "/{proxy+}", Method: ANY}}
  Watcher:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: watcher/
      Events:
        Changes:
          Type: DynamoDB
          Properties:
            Stream: !GetAtt Table.StreamArn
            StartingPosition: LATEST
            BatchSize: 2
            MaximumRetryAttempts: 2
            FunctionResponseTypes: [ReportBatchItemFailures]
            FilterCriteria:
              Filters:
                - Pattern: '{"eventName": ["INSERT", "MODIFY"],
                             "dynamodb": {"Keys": {"PK": {"S": [{"prefix": "WATCH#"}]}}}}'
"""

ECHO = """
import base64, json, os

EVENTS = []

def lambda_handler(event, context):
    EVENTS.append(event)
    if event["resource"] == "/crash":
        raise RuntimeError("boom")
    if event["path"] == "/malformed":
        return {"statusCode": "nope"}
    if event["path"] == "/binary":
        body = base64.b64encode(b"\\x89PNG").decode()
        return {"statusCode": 200, "headers": {"Content-Type": "image/png"}, "body": body,
                "isBase64Encoded": True}
    names = ("TABLE_NAME", "PUBLIC_BASE_URL", "FLAVOUR", "ECHO_ONLY", "DYNAMODB_ENDPOINT",
             "MASTER_SECRET", "POWERTOOLS_METRICS_DISABLED", "AWS_ACCOUNT_ID_ENDPOINT_MODE")
    payload = {
        "event": event,
        "env": {name: os.environ.get(name) for name in names},
        "context": [context.function_name, context.memory_limit_in_mb,
                    context.get_remaining_time_in_millis() > 0, context.aws_request_id],
    }
    status = 201 if event["resource"] == "/systems" else 200
    return {"statusCode": status, "multiValueHeaders": {"X-Multi": ["a", "b"]},
            "body": json.dumps(payload)}
"""

WATCHER = """
CALLS = []
FAIL_ONCE = set()

def lambda_handler(event, context):
    CALLS.append(event)
    failures = []
    for record in event["Records"]:
        key = record["dynamodb"]["Keys"]["PK"]["S"]
        if key in FAIL_ONCE:
            FAIL_ONCE.discard(key)
            failures.append({"itemIdentifier": record["dynamodb"]["SequenceNumber"]})
    return {"batchItemFailures": failures}
"""


@pytest.fixture
def fake_template(tmp_path: Path) -> Path:
    for name, code in (("echo", ECHO), ("watcher", WATCHER)):
        (tmp_path / name).mkdir()
        (tmp_path / name / "app.py").write_text(textwrap.dedent(code))
    path = tmp_path / "template.yaml"
    path.write_text(FAKE_TEMPLATE.replace("COMMON_LAYER", str(COMMON_LAYER)))
    return path


@pytest.fixture
def restore_environ() -> Iterator[None]:
    """The stack sets os.environ for its functions (as it must); undo that after a test."""
    saved = dict(os.environ)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


@pytest.fixture
def dynamodb(restore_environ: None) -> Iterator[str]:
    os.environ.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_ACCOUNT_ID_ENDPOINT_MODE="disabled",
    )
    server = EmbeddedDynamoDB()
    try:
        yield server.start()
    finally:
        server.stop()


def test_stream_poller_against_embedded_dynamodb(fake_template: Path, dynamodb: str) -> None:
    template = Template(fake_template)
    client = boto3.client("dynamodb", endpoint_url=dynamodb, region_name="us-east-1")
    resolver = Resolver(template.data, refs={"Table": "stream-table"})
    properties = resolver.resolve(dict(template.table().properties))
    table = ensure_table(client, "stream-table", properties)
    assert ensure_table(client, "stream-table", properties) == table  # exists: left as is
    ttl = client.describe_time_to_live(TableName="stream-table")["TimeToLiveDescription"]
    assert ttl["AttributeName"] == "expiresAt"
    resolver = Resolver(
        template.data,
        refs={"Table": "stream-table"},
        attributes={"Table.StreamArn": table["LatestStreamArn"]},
    )
    (watcher,) = [f for f in template.functions(resolver) if f.logical_id == "Watcher"]
    (source,) = watcher.stream_events
    assert source.stream == table["LatestStreamArn"]
    function = load_function(watcher)
    streams = boto3.client("dynamodbstreams", endpoint_url=dynamodb, region_name="us-east-1")
    poller = StreamPoller(streams, source.stream, source, function.invoke)
    client.put_item(TableName="stream-table", Item={"PK": {"S": "WATCH#0"}, "SK": {"S": "x"}})
    poller.refresh_shards(initial=True)  # LATEST: WATCH#0 is not delivered

    def put(pk: str, **extra: Any) -> None:
        client.put_item(TableName="stream-table", Item={"PK": {"S": pk}, "SK": {"S": "x"}, **extra})

    function.module.FAIL_ONCE.add("WATCH#2")
    put("WATCH#1", blob={"B": b"\x00\x01"})
    put("WATCH#2")
    put("OTHER#1")  # filtered out
    put("WATCH#3")
    put("WATCH#1", blob={"B": b"\x00\x01"})  # unchanged: moto's MODIFY is dropped
    put("WATCH#1", blob={"B": b"\x02"})  # MODIFY
    client.delete_item(TableName="stream-table", Key={"PK": {"S": "WATCH#3"}, "SK": {"S": "x"}})
    assert poller.poll_once() == 4
    batches = [
        [(r["eventName"], r["dynamodb"]["Keys"]["PK"]["S"]) for r in call["Records"]]
        for call in function.module.CALLS
    ]
    assert batches == [
        [("INSERT", "WATCH#1"), ("INSERT", "WATCH#2")],
        [("INSERT", "WATCH#2")],  # retried from the failed record
        [("INSERT", "WATCH#3"), ("MODIFY", "WATCH#1")],
    ]
    first = function.module.CALLS[0]["Records"][0]
    assert first["eventSourceARN"] == source.stream
    assert first["eventSource"] == "aws:dynamodb"
    assert first["dynamodb"]["NewImage"]["blob"] == {"B": "AAE="}
    assert isinstance(first["dynamodb"]["ApproximateCreationDateTime"], int)
    assert poller.poll_once() == 0


def test_embedded_server_keeps_a_clients_connection_open(dynamodb: str) -> None:
    """Successive calls share one connection (werkzeug's own handler closes every one); a
    chunked body still gets werkzeug's handling, which closes the connection after it."""
    address = urlsplit(dynamodb)
    connection = http.client.HTTPConnection(address.hostname or "", address.port, timeout=10)
    headers = {
        "Content-Type": "application/x-amz-json-1.0",
        "X-Amz-Target": "DynamoDB_20120810.ListTables",
        "Authorization": "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/dynamodb/"
        "aws4_request, SignedHeaders=host, Signature=0",
    }
    listed = boto3.client("dynamodb", endpoint_url=dynamodb, region_name="us-east-1").list_tables()
    tables = {"TableNames": listed["TableNames"]}  # moto's data outlives a server in a process
    sockets = []
    try:
        for _ in range(3):
            connection.request("POST", "/", body=b"{}", headers=headers)
            response = connection.getresponse()
            assert response.status == 200
            assert json.loads(response.read()) == tables
            assert not response.will_close
            sockets.append(connection.sock)
        assert sockets[0] is not None
        assert sockets == [sockets[0]] * 3
        connection.request(
            "POST", "/", body=iter([b"{", b"}"]), headers=headers, encode_chunked=True
        )
        response = connection.getresponse()
        assert response.status == 200
        assert json.loads(response.read()) == tables
        assert response.will_close
    finally:
        connection.close()


@pytest.fixture
def stack(fake_template: Path, restore_environ: None) -> Iterator[LocalStack]:
    os.environ.pop("AWS_PROFILE", None)
    options = StackOptions(
        template=fake_template,
        port=0,
        table_name="unit-stack",
        master_secret="unit-secret",
        system="demo",
        stream_interval=0.05,
    )
    running = LocalStack(options)
    try:
        running.start()
        running.serve_in_background()
        yield running
    finally:
        running.stop()


def test_stack_serves_proxy_events_over_http(stack: LocalStack) -> None:
    response = requests.get(stack.url + "//things/a%40b.org/?x=a+b&x=c&blank=", timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"  # API Gateway's default
    assert response.headers["X-Multi"] == "a, b"
    assert response.headers["x-amzn-RequestId"]
    payload = response.json()
    event = payload["event"]
    assert (event["resource"], event["httpMethod"]) == ("/things/{id}", "GET")
    assert event["path"] == "/things/a%40b.org"
    assert event["pathParameters"] == {"id": "a%40b.org"}
    assert event["multiValueQueryStringParameters"] == {"x": ["a b", "c"], "blank": [""]}
    assert event["requestContext"]["stage"] == "Test"
    assert event["requestContext"]["path"] == "/Test/things/a%40b.org"
    assert event["body"] is None
    assert payload["env"] == {
        "TABLE_NAME": "unit-stack",
        "PUBLIC_BASE_URL": stack.url,
        "FLAVOUR": None,
        "ECHO_ONLY": "yes",
        "DYNAMODB_ENDPOINT": stack.endpoint,
        "MASTER_SECRET": "unit-secret",
        "POWERTOOLS_METRICS_DISABLED": "false",  # the stack prints the EMF metrics
        "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
    }
    name, memory, has_time, request_id = payload["context"]
    assert (name, memory, has_time) == ("Echo", 256, True)
    assert request_id == event["requestContext"]["requestId"]


def test_stack_bodies_and_platform_answers(stack: LocalStack) -> None:
    url = stack.url
    raw = b"\x00\xff binary"
    event = requests.put(url + "/things/1", data=raw, timeout=10).json()["event"]
    assert (event["resource"], event["isBase64Encoded"]) == ("/things/{id}", True)
    assert base64.b64decode(event["body"]) == raw
    chunked = requests.post(url + "/things/1", data=iter([b"ab", b"cd"]), timeout=10)
    assert base64.b64decode(chunked.json()["event"]["body"]) == b"abcd"
    proxied = requests.get(url + "/some/where", timeout=10).json()["event"]
    assert proxied["pathParameters"] == {"proxy": "some/where"}

    not_found = requests.get(url + "/?q=1", timeout=10)  # {proxy+} does not match the root
    assert not_found.status_code == 404
    assert not_found.json() == {"code": "ResourceNotFound", "message": "/?q=1 does not exist"}
    for path in ("/crash", "/malformed"):
        failed = requests.get(url + path, timeout=10)
        assert (failed.status_code, failed.json()) == (502, {"message": "Internal server error"})
    binary = requests.get(url + "/binary", timeout=10)
    assert (binary.content, binary.headers["Content-Type"]) == (b"\x89PNG", "image/png")
    head = requests.head(url + "/things/1", timeout=10)
    assert (head.status_code, head.content) == (200, b"")
    too_big = requests.post(url + "/things/1", data=b"x" * (10 * 1024 * 1024 + 1), timeout=30)
    assert too_big.status_code == 413
    assert too_big.json()["code"] == "RequestEntityTooLargeError"


def test_stack_bootstrap_and_stream_wiring(stack: LocalStack) -> None:
    assert stack.bootstrap_result == "demo (created)"
    echo = stack.functions["Echo"].module
    (event,) = [e for e in echo.EVENTS if e["resource"] == "/systems"]
    body = base64.b64decode(event["body"])
    assert json.loads(body) == {"slug": "demo", "name": "demo", "url": "http://example.org"}
    token = event["headers"]["Authorization"].removeprefix('JWT token="').removesuffix('"')
    claims = jwt.decode(token, "unit-secret", algorithms=["HS256"])
    assert (claims["method"], claims["path"], claims["key"]) == ("POST", "/systems", "master")
    assert claims["body"]["hash"] == hashlib.sha256(body).hexdigest()

    assert len(stack.pollers) == 1
    client = boto3.client("dynamodb", endpoint_url=stack.endpoint, region_name="us-east-1")
    client.put_item(TableName="unit-stack", Item={"PK": {"S": "WATCH#9"}, "SK": {"S": "x"}})
    calls = stack.functions["Watcher"].module.CALLS
    deadline = time.monotonic() + 5
    while not calls and time.monotonic() < deadline:
        time.sleep(0.05)
    assert calls[0]["Records"][0]["dynamodb"]["Keys"]["PK"] == {"S": "WATCH#9"}
    assert "demo (created)" in stack.banner()


def test_stack_options_from_environ() -> None:
    options = StackOptions.from_environ(
        {"PORT": "9000", "TABLE_NAME": "t", "LOG_LEVEL": "debug", "BADGEKIT_SYSTEM": "s"}, port=1
    )
    assert (options.port, options.table_name, options.log_level, options.system) == (
        1,
        "t",
        "DEBUG",
        "s",
    )
    assert options.master_secret is None


def test_sign_cli(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MASTER_SECRET", "cli-secret")
    body_file = tmp_path / "body.json"
    body_file.write_bytes(b'{"slug":"x"}')
    assert sign.main(["post", "/systems?a=1", f"@{body_file}"]) == 0
    header = capsys.readouterr().out.strip()
    assert header.startswith('Authorization: JWT token="')
    token = header.split('"')[1]
    claims = jwt.decode(token, "cli-secret", algorithms=["HS256"])
    assert (claims["method"], claims["path"], claims["key"]) == ("POST", "/systems?a=1", "master")
    assert claims["body"]["hash"] == hashlib.sha256(b'{"slug":"x"}').hexdigest()
    assert 0 < claims["exp"] - time.time() <= 300
    assert sign.main(["GET", "/systems/s", "--key", "k1", "--secret", "consumer"]) == 0
    consumer = capsys.readouterr().out.strip().split('"')[1]
    assert jwt.decode(consumer, "consumer", algorithms=["HS256"])["key"] == "k1"


def test_concurrent_invocations_get_separate_execution_environments(tmp_path: Path) -> None:
    """One request per environment, as on Lambda: module state is never shared mid-request."""
    from concurrent.futures import ThreadPoolExecutor

    from local.template import FunctionSpec

    code = tmp_path / "fn"
    code.mkdir()
    (code / "app.py").write_text(
        textwrap.dedent(
            """
            import time
            STATE = object()

            def handler(event, context):
                time.sleep(0.3)  # long enough for the two calls to overlap
                return id(STATE)
            """
        )
    )
    spec = FunctionSpec("Pooled", code, "app.handler", {}, 128, 3, (), (), ())
    function = load_function(spec)
    with ThreadPoolExecutor(max_workers=2) as pool:
        first, second = pool.map(lambda _: function.invoke({}), range(2))
    assert first != second  # two module instances served the two concurrent calls
    # sequential calls reuse warm instances: no third import
    assert function.invoke({}) in (first, second)


def test_crash_body_comes_from_the_templates_default_5xx_response() -> None:
    template = Template(Path(__file__).resolve().parents[2] / "infra" / "template.yaml")
    api = template.api_properties(Resolver(template.data))
    assert Template.gateway_response_body(api, "DEFAULT_5XX") == {
        "code": "InternalError",
        "message": "An internal error occurred",
    }
    assert Template.gateway_response_body(api, "NO_SUCH_TYPE") is None


def test_gateway_responses_send_the_templates_headers() -> None:
    template = Template(Path(__file__).resolve().parents[2] / "infra" / "template.yaml")
    headers = Template.gateway_response_headers(template.api_properties(Resolver(template.data)))
    nosniff = [("X-Content-Type-Options", "nosniff")]
    for response_type in ("MISSING_AUTHENTICATION_TOKEN", "REQUEST_TOO_LARGE", "DEFAULT_5XX"):
        assert headers[response_type] == nosniff, response_type
    # Only quoted literals are static headers; a type the template lacks falls back to
    # DEFAULT_4XX / DEFAULT_5XX like API Gateway.
    api = {
        "GatewayResponses": {
            "DEFAULT_4XX": {"ResponseParameters": {"Headers": {"X-A": "'4'"}}},
            "DEFAULT_5XX": {"ResponseParameters": {"Headers": {"X-B": "'5'", "X-C": "x.y"}}},
            "THROTTLED": {"StatusCode": 429},
        }
    }
    gateway = Gateway(Router([]), {}, response_headers=Template.gateway_response_headers(api))
    assert gateway.own_headers("MISSING_AUTHENTICATION_TOKEN", 404) == [("X-A", "4")]
    assert gateway.own_headers("DEFAULT_5XX", 502) == [("X-B", "5")]
    assert gateway.own_headers("THROTTLED", 429) == []
    response = gateway.dispatch(_request(path="/nowhere"))
    assert (response.status, response.headers[:2]) == (
        404,
        [("Content-Type", "application/json"), ("X-A", "4")],
    )


def test_unread_stream_records_are_discarded_after_each_request() -> None:
    """With no stream consumer the embedded DynamoDB drops stream records (moto would keep
    them and copy them in every transaction); with one, they are kept for the poller."""
    embedded = EmbeddedDynamoDB()
    endpoint = embedded.start()
    try:
        client = boto3.client("dynamodb", endpoint_url=endpoint, region_name="us-east-1")
        client.create_table(
            TableName="trimmed",
            AttributeDefinitions=[{"AttributeName": "PK", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}],
            BillingMode="PAY_PER_REQUEST",
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        )
        from moto.dynamodb.models import dynamodb_backends

        def buffered() -> int:
            return sum(
                len(table.stream_shard.items)
                for regions in dynamodb_backends.values()
                for backend in dict.values(regions)
                for name, table in backend.tables.items()
                if name == "trimmed"
            )

        client.put_item(TableName="trimmed", Item={"PK": {"S": "a"}})
        assert buffered() == 1  # kept by default
        embedded.keep_stream_records = False
        client.put_item(TableName="trimmed", Item={"PK": {"S": "b"}})
        assert buffered() == 0
        assert client.get_item(TableName="trimmed", Key={"PK": {"S": "a"}})["Item"]  # data kept
    finally:
        embedded.stop()


def test_banner_names_the_token_policy_the_functions_get(stack: LocalStack) -> None:
    assert stack.token_policy().startswith("strict")
    stack.options.token_policy = "legacy"  # what TOKEN_POLICY=legacy sets
    assert stack.token_policy().startswith("legacy")
    stack.options.parameter_overrides = {"TokenPolicy": "strict"}  # an override wins
    assert stack.token_policy().startswith("strict")


# --- the functions' output, labelled ------------------------------------------------------------


def test_labelled_stream_prefixes_whole_lines_with_the_invoking_function() -> None:
    import io
    import threading

    from local.functions import LabelledStream, invoking

    sink = io.StringIO()
    stream = LabelledStream(sink)
    stream.write("banner\n")  # outside an invocation: as written
    both = threading.Barrier(2)

    def invocation(name: str) -> None:
        invoking.set(name)  # each thread has its own context
        both.wait()
        for _ in range(50):
            stream.write('{"a":')  # print() writes a line in pieces
            stream.write(f'"{name}"}}')
            stream.write("\n")

    threads = [threading.Thread(target=invocation, args=(n,)) for n in ("OneFunction", "Two")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    lines = sink.getvalue().splitlines()
    assert lines[0] == "banner"
    assert sorted(set(lines[1:])) == ['OneFunction {"a":"OneFunction"}', 'Two {"a":"Two"}']
    assert len(lines) == 101


def test_stack_options_for_the_functions_output() -> None:
    assert (StackOptions.from_environ({}).function_log_level, StackOptions().function_metrics) == (
        "INFO",
        True,
    )
    quiet = StackOptions.from_environ({"FUNCTION_LOG_LEVEL": "off", "FUNCTION_METRICS": "off"})
    assert (quiet.function_log_level, quiet.function_metrics) == ("OFF", False)
