"""The token policy through real routes (auth.md §3.1): the default (strict) and the `jti` store.

In-process requests against moto's table: a token with a `jti` is accepted once, the used `jti`
is an item with the table's TTL attribute, and the stream consumers' filters ignore it.
"""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from badgekit import signing, timestamps
from badgekit.store import db, keys
from local.events import stream_record_event
from local.inprocess import table_properties
from local.streams import passes_filters
from tests.unit.conftest import MASTER_SECRET, TABLE_NAME, Api, system_body

REGION = "us-east-1"
ALREADY_USED = {"code": "NotAuthorized", "message": "Token already used"}


def header(claims: dict[str, Any], secret: str = MASTER_SECRET) -> dict[str, str]:
    return {"Authorization": signing.authorization_header(signing.sign(claims, secret))}


def get_claims(path: str = "/systems", **extra: Any) -> dict[str, Any]:
    return {"key": "master", "method": "GET", "path": path, **extra}


def get(api: Api, claims: dict[str, Any], secret: str = MASTER_SECRET):
    return api.get(claims["path"], sign=False, headers=header(claims, secret))


def test_same_jti_twice_is_refused(api):
    exp = timestamps.now() + 120
    claims = get_claims(exp=exp, jti="request-1")
    first = get(api, claims)
    assert first.status == 200
    assert first.json["systems"] == []
    second = get(api, claims)
    assert (second.status, second.json) == (403, ALREADY_USED)
    # Another token (other exp, other path) of the same key with the same jti: refused too.
    assert api.post("/systems", system_body("chicago")).status == 201
    other = get(api, get_claims("/systems/chicago", exp=exp + 60, jti="request-1"))
    assert (other.status, other.json) == (403, ALREADY_USED)
    assert get(api, get_claims("/systems/chicago", exp=exp, jti="request-2")).status == 200


def test_used_jti_item_expires_with_the_token(api):
    exp_ms = (timestamps.now() + 90) * 1000 + 999  # the Node client's milliseconds
    assert get(api, get_claims(exp=exp_ms, jti="abc")).status == 200
    item = db.get(keys.used_jti("master", "abc"))
    assert item is not None
    assert item["expiresAt"] == exp_ms // 1000
    assert item["entity"] == "jti"
    # The attribute the template's table expires items by.
    assert table_properties()["TimeToLiveSpecification"] == {
        "AttributeName": "expiresAt",
        "Enabled": True,
    }


def test_expired_item_not_yet_removed_by_ttl_is_overwritten(api):
    now = timestamps.now()
    key = keys.used_jti("master", "old")
    db.table().put_item(Item={**key, "entity": "jti", "expiresAt": now - 1})
    assert get(api, get_claims(exp=now + 60, jti="old")).status == 200
    assert db.get(key)["expiresAt"] == now + 60
    reply = get(api, get_claims(exp=now + 60, jti="old"))
    assert (reply.status, reply.json) == (403, ALREADY_USED)


def test_forged_token_does_not_use_up_the_jti(api):
    claims = get_claims(exp=timestamps.now() + 60, jti="victim")
    forged = get(api, claims, secret="not-the-secret")
    assert (forged.status, forged.json) == (
        403,
        {"code": "NotAuthorized", "message": "Invalid token signature"},
    )
    assert db.get(keys.used_jti("master", "victim")) is None
    assert get(api, claims).status == 200


def test_jti_is_scoped_to_the_key(api):
    assert api.post("/systems", system_body("chicago")).status == 201
    consumer = api.post("/systems/chicago/consumers", {"apiKey": "front"}).json["consumer"]
    exp = timestamps.now() + 60
    assert get(api, get_claims("/systems/chicago", exp=exp, jti="same")).status == 200
    mine = {**get_claims("/systems/chicago", exp=exp, jti="same"), "key": "front"}
    assert get(api, mine, consumer["apiSecret"]).status == 200
    reply = get(api, mine, consumer["apiSecret"])
    assert (reply.status, reply.json) == (403, ALREADY_USED)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({}, "Missing JWT claim: exp"),
        ({"exp": float("nan")}, "Invalid JWT claim: exp"),
        ({"exp": 4_102_444_800}, "Token lifetime exceeds 86400 seconds"),  # year 2100
        ({"exp_in": 60, "jti": 7}, "Invalid JWT claim: jti"),
        ({"exp_in": 60, "jti": ""}, "Invalid JWT claim: jti"),
    ],
)
def test_strict_is_the_default(api, extra, message):
    extra = dict(extra)
    if "exp_in" in extra:  # seconds from now
        extra["exp"] = timestamps.now() + extra.pop("exp_in")
    reply = get(api, get_claims(**extra))
    assert (reply.status, reply.json) == (403, {"code": "NotAuthorized", "message": message})


def test_max_lifetime_is_configurable(api, monkeypatch):
    monkeypatch.setenv("TOKEN_MAX_LIFETIME", "30")
    now = timestamps.now()
    reply = get(api, get_claims(exp=now + 3600))
    assert (reply.status, reply.json) == (
        403,
        {"code": "NotAuthorized", "message": "Token lifetime exceeds 30 seconds"},
    )
    assert get(api, get_claims(exp=now + 30)).status == 200


def test_legacy_keeps_the_originals_rules(api, monkeypatch):
    monkeypatch.setenv("TOKEN_POLICY", "legacy")
    assert get(api, get_claims()).status == 200  # no exp: never expires
    assert get(api, get_claims(exp=4_102_444_800)).status == 200
    claims = get_claims(exp=timestamps.now() + 60, jti="again")
    assert get(api, claims).status == 200
    assert get(api, claims).status == 200
    assert db.get(keys.used_jti("master", "again")) is None


def test_stream_consumers_ignore_used_jti_items(api):
    assert get(api, get_claims(exp=timestamps.now() + 60, jti="streamed")).status == 200
    table = boto3.client("dynamodb", region_name=REGION).describe_table(TableName=TABLE_NAME)
    arn = table["Table"]["LatestStreamArn"]
    streams = boto3.client("dynamodbstreams", region_name=REGION)
    records = []
    for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
        iterator = streams.get_shard_iterator(
            StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        records += streams.get_records(ShardIterator=iterator, Limit=1000)["Records"]
    jti_records = [
        stream_record_event(raw, arn, REGION)
        for raw in records
        if raw["dynamodb"]["Keys"]["PK"]["S"].startswith("JTI#")
    ]
    assert [r["eventName"] for r in jti_records] == ["INSERT"]
    consumers = {
        name: source.filter_patterns
        for name, function in api.gateway.functions.items()
        for source in function.spec.stream_events
    }
    assert set(consumers) == {"MilestoneAwardFunction", "WebhookSenderFunction", "PurgerFunction"}
    for name, patterns in consumers.items():
        assert patterns, name
        assert not passes_filters(patterns, jti_records[0]), (name, json.dumps(patterns))
