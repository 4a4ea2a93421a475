"""Odd request bodies through the routes (in-process): spec README §3 "Limits" and §7.

Each bad body gets its exact 400 answer and writes nothing; a stored value no request can
produce any more (a lone surrogate) still renders as valid JSON.
"""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from local.events import parse_proxy_response
from tests.support.bodies import minimal_badge
from tests.unit.conftest import TABLE_NAME, Api, system_body

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data; boundary=XyZ"


def invalid(message: str) -> dict[str, str]:
    return {"code": "InvalidContent", "message": message}


def multipart_field(name: str, data: bytes, content_type: str | None = None) -> bytes:
    head = f'--XyZ\r\nContent-Disposition: form-data; name="{name}"\r\n'
    if content_type:
        head += f"Content-Type: {content_type}\r\n"
    return head.encode() + b"\r\n" + data + b"\r\n--XyZ--\r\n"


VALID_JSON = json.dumps(system_body("chicago")).encode()
LONE = invalid("Invalid JSON: invalid Unicode (lone surrogate)")

BAD_BODIES: list[tuple[str, str, bytes, dict[str, Any]]] = [
    (
        "json-100000-deep",
        JSON,
        b'{"slug":"deep","name":"D","url":"http://d.org","x":'
        + b"[" * 100_000
        + b"]" * 100_000
        + b"}",
        invalid("Invalid JSON: nested too deeply"),
    ),
    (
        "json-33-deep",
        JSON,
        b'{"slug":"deep","name":"D","url":"http://d.org","x":' + b'{"a":' * 31 + b"{}" + b"}" * 32,
        invalid("Invalid JSON: nested too deeply"),
    ),
    (
        "form-5000-brackets",
        FORM,
        b"slug=deep&name=D&url=http%3A%2F%2Fd.org&x" + b"[a]" * 5000 + b"=1",
        invalid("Invalid form: nested too deeply"),
    ),
    (
        "lone-surrogate-name",
        JSON,
        b'{"slug":"chicago","name":"Chi\\ud800","url":"http://example.org"}',
        LONE,
    ),
    (
        "lone-surrogate-slug",
        JSON,
        b'{"slug":"chi\\udfffcago","name":"Chicago","url":"http://example.org"}',
        LONE,
    ),
    (
        "lone-surrogate-unknown-key",
        JSON,
        b'{"slug":"chicago","name":"C","url":"http://example.org","\\ud83d":1}',
        LONE,
    ),
    (
        "invalid-utf8-json",
        JSON,
        b'{"slug":"chicago","name":"Chi\xffcago","url":"http://example.org"}',
        invalid("Invalid JSON: invalid UTF-8 at byte 29"),
    ),
    (
        "invalid-utf8-form",
        FORM,
        b"slug=chicago&name=Chi\xe9&url=http%3A%2F%2Fexample.org",
        invalid("Invalid form: invalid UTF-8 at byte 21"),
    ),
    (
        "percent-encoded-invalid-utf8",
        FORM,
        b"slug=chicago&name=Chi%FF&url=http%3A%2F%2Fexample.org",
        invalid("Invalid form: invalid UTF-8 in a percent-encoded name or value"),
    ),
    (
        "percent-encoded-surrogate",
        FORM,
        b"slug=chicago&name=Chi%ED%A0%80&url=http%3A%2F%2Fexample.org",
        invalid("Invalid form: invalid UTF-8 in a percent-encoded name or value"),
    ),
    (
        "multipart-invalid-utf8",
        MULTIPART,
        multipart_field("name", b"Chi\xe9"),
        invalid("Invalid form: a multipart field is not valid utf-8"),
    ),
    (
        "multipart-unknown-charset",
        MULTIPART,
        multipart_field("name", b"Chicago", "text/plain; charset=klingon"),
        invalid("Invalid form: unknown charset in a multipart field"),
    ),
    (
        "huge-exponent",
        JSON,
        b'{"slug":"chicago","name":1e999999,"url":"http://example.org"}',
        invalid("Invalid JSON: number out of range"),
    ),
    (
        "5000-digit-integer",
        JSON,
        b'{"slug":"chicago","name":' + b"1" * 5000 + b',"url":"http://example.org"}',
        invalid("Invalid JSON: number out of range"),
    ),
    (
        "nan",
        JSON,
        b'{"slug":"chicago","name":NaN,"url":"http://example.org"}',
        invalid("Invalid JSON: NaN is not valid JSON"),
    ),
    (
        "whitespace-only",
        JSON,
        b" \r\n ",
        invalid("Invalid JSON: Expecting value: line 2 column 2 (char 4)"),
    ),
]


@pytest.fixture
def existing(api: Api) -> list[dict[str, Any]]:
    """One system, and the list as it stands before a bad request."""
    assert api.post("/systems", system_body("pittsburgh")).status == 201
    systems = api.get("/systems").json["systems"]
    assert [s["slug"] for s in systems] == ["pittsburgh"]
    return systems


@pytest.mark.parametrize(
    ("content_type", "raw", "expected"),
    [case[1:] for case in BAD_BODIES],
    ids=[case[0] for case in BAD_BODIES],
)
def test_bad_bodies_answer_400_and_write_nothing(api, existing, content_type, raw, expected):
    reply = api.call("POST", "/systems", body=raw, content_type=content_type)
    assert (reply.status, reply.json) == (400, expected)
    reply = api.call("PUT", "/systems/pittsburgh", body=raw, content_type=content_type)
    assert (reply.status, reply.json) == (400, expected)
    assert api.get("/systems").json == {"systems": existing}
    # the same body, valid, would have been accepted
    assert api.call("POST", "/systems", body=VALID_JSON, content_type=JSON).status == 201


def test_body_errors_come_after_routing_and_before_auth(api):
    raw = b'{"name":"\\ud800"}'
    assert api.call("PATCH", "/systems", body=raw, content_type=JSON, sign=False).status == 405
    reply = api.call("POST", "/systems", body=raw, content_type=JSON, sign=False)
    assert (reply.status, reply.json) == (400, LONE)


def test_validation_details_echo_valid_unicode(api):
    reply = api.call(
        "POST",
        "/systems",
        body=b"slug=caf%C3%A9&name=%F0%9F%98%80&url=%E2%98%83",
        content_type=FORM,
    )
    assert reply.status == 400
    assert reply.json == {
        "code": "ValidationError",
        "message": "Could not validate required fields",
        "details": [{"message": "Invalid URL", "field": "url", "value": "\u2603"}],
    }


# --- milestones: the `action` that used to answer 502 ---------------------------------------

MS = "/systems/chicago/milestones"


@pytest.fixture
def milestone(api: Api) -> dict[str, Any]:
    assert api.post("/systems", system_body("chicago")).status == 201
    for slug in ("b1", "b2"):
        assert api.post("/systems/chicago/badges", minimal_badge(slug)).status == 201
    body = {"primaryBadgeId": 1, "numberRequired": 1, "supportBadges": [2], "action": "issue"}
    reply = api.post(MS, body)
    assert reply.status == 201
    return reply.json["milestone"]


@pytest.mark.parametrize(
    ("content_type", "raw", "expected"),
    [
        (
            JSON,
            b'{"primaryBadgeId":1,"numberRequired":1,"supportBadges":[2],"action":"\\ud800"}',
            LONE,
        ),
        (
            FORM,
            b"primaryBadgeId=1&numberRequired=1&supportBadges[]=2&action=%ED%A0%80",
            invalid("Invalid form: invalid UTF-8 in a percent-encoded name or value"),
        ),
        (
            MULTIPART,
            multipart_field("action", b"+2AA-", "text/plain; charset=utf-7"),
            invalid("Invalid form: invalid Unicode (lone surrogate)"),
        ),
    ],
    ids=["json", "form", "multipart-utf7"],
)
def test_milestone_action_with_a_lone_surrogate(api, milestone, content_type, raw, expected):
    reply = api.call("POST", MS, body=raw, content_type=content_type)
    assert (reply.status, reply.json) == (400, expected)
    reply = api.call("PUT", f"{MS}/{milestone['id']}", body=raw, content_type=content_type)
    assert (reply.status, reply.json) == (400, expected)
    assert api.get(MS).json == {"milestones": [milestone]}


def test_milestone_action_validation_echoes_the_value(api, milestone):
    body = {"primaryBadgeId": 1, "numberRequired": 1, "supportBadges": [2], "action": "\U0001f600"}
    reply = api.post(MS, body)
    assert reply.status == 400
    assert reply.json["details"] == [
        {
            "message": "Value must be one of the following: issue, queue-application",
            "field": "action",
            "value": "\U0001f600",
        }
    ]


# --- a stored value no request can write any more --------------------------------------------


def plant(key: dict[str, str], attribute: str, text: str) -> None:
    """Put a string into a stored item behind the API's back, as an older version or an import
    could have. Moto refuses a lone surrogate in a write (it measures the item as UTF-8), so the
    value goes straight into its in-memory item."""
    from moto.dynamodb.models import dynamodb_backends
    from moto.dynamodb.models.dynamo_type import DynamoType

    client = boto3.client("dynamodb")
    assert "Item" in client.get_item(
        TableName=TABLE_NAME, Key={k: {"S": v} for k, v in key.items()}
    )
    backend = dynamodb_backends[boto3.client("sts").get_caller_identity()["Account"]]
    table = backend[client.meta.region_name].get_table(TABLE_NAME)
    item = table.get_item(DynamoType({"S": key["PK"]}), DynamoType({"S": key["SK"]}))
    assert item is not None
    dict.__setitem__(item.attrs, attribute, DynamoType({"S": text}))  # skips the size check


def test_stored_lone_surrogate_still_renders_as_valid_json(api):
    """Only the single-item read: moto's BatchGetItem (the lists) measures items as UTF-8 and
    fails on the planted value itself."""
    assert api.post("/systems", system_body("chicago")).status == 201
    plant({"PK": "SYSTEM#chicago", "SK": "SYSTEM"}, "name", "Chi\ud800cago \u00e9")
    response = api.gateway.dispatch(api.prepare("GET", "/systems/chicago"))
    assert response.status == 200
    text = response.body.decode("utf-8")  # strict: the body is UTF-8
    assert '"name":"Chi\\ud800cago \\u00e9"' in text
    assert json.loads(text)["system"]["name"] == "Chi\ud800cago \u00e9"


def test_local_gateway_writes_a_lone_surrogate_it_is_given_as_a_question_mark():
    result = {"statusCode": 200, "headers": {}, "body": '{"a":"x\ud800"}'}
    assert parse_proxy_response(result).body == b'{"a":"x?"}'
