"""Logs and metrics (docs/observability.md): the EMF output of every business metric, the one
JSON line per request (route, method, status, signing key, correlation id), the reason of a 403,
the cause of a 5xx, the stdlib loggers' lines, correlation ids across functions, and no secret
or token in any line.

Output is what the functions print on stdout (captured by `capsys`): JSON log lines and EMF
objects (those with an `_aws` key).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from badgekit import logs, metrics
from badgekit.domain import assessment
from local.functions import LambdaContext
from tests.support.bodies import minimal_badge
from tests.unit.conftest import MASTER_SECRET, Api, system_body
from tests.unit.test_milestone_awarder import Stream as AwarderStream
from tests.unit.test_webhooks_delivery import (  # noqa: F401 (fixtures)
    HOOKS,
    SECRET,
    Receiver,
    Stream,
    add_webhook,
    invoke,
    queues,
    receiver,
    scheduled,
    serialised_aws_calls,
)

SYS = "/systems/chicago"
BADGE = f"{SYS}/badges/b1"
NAMESPACE = "BadgeKit"
SERVICE = "badgekit-api"


@dataclass
class Output:
    logs: list[dict[str, Any]]
    emf: list[dict[str, Any]]
    text: str

    def metric(self, name: str) -> list[dict[str, Any]]:
        """The EMF objects that carry `name`."""
        return [
            blob
            for blob in self.emf
            if any(m["Name"] == name for m in blob["_aws"]["CloudWatchMetrics"][0]["Metrics"])
        ]

    def values(self) -> dict[tuple[str, str | None], float]:
        """{(metric, method or None): value} over every EMF object."""
        found: dict[tuple[str, str | None], float] = {}
        for blob in self.emf:
            for m in blob["_aws"]["CloudWatchMetrics"][0]["Metrics"]:
                key = (m["Name"], blob.get("method"))
                found[key] = found.get(key, 0) + sum(blob[m["Name"]])
        return found

    def requests(self) -> list[dict[str, Any]]:
        return [line for line in self.logs if line.get("message") == "request"]


def read(capsys: pytest.CaptureFixture[str]) -> Output:
    text = capsys.readouterr().out
    lines = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    # ColdStart comes from whichever test first invokes a function in this process: left out
    emf = [line for line in lines if "_aws" in line and "ColdStart" not in line]
    return Output([line for line in lines if "_aws" not in line], emf, text)


@pytest.fixture
def observed(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Metrics on (the in-process harness turns them off) and INFO lines."""
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", NAMESPACE)
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", SERVICE)
    package = logging.getLogger("badgekit")
    before = (logs.logger.log_level, package.level)
    logs.logger.setLevel("INFO")
    package.setLevel("INFO")
    yield
    logs.logger.setLevel(before[0])
    package.setLevel(before[1])


@pytest.fixture
def tree(api: Api, observed: None, capsys: pytest.CaptureFixture[str]) -> Api:
    assert api.post("/systems", system_body("chicago")).status == 201
    for slug in ("b1", "b2", "b3"):
        assert api.post(f"{SYS}/badges", minimal_badge(slug)).status == 201
    capsys.readouterr()  # the set-up's output
    return api


def business_emf(blob: dict[str, Any], name: str, value: float, method: str | None) -> None:
    """`blob` is the EMF object of `name` = `value`: namespace, unit, dimensions."""
    directive = blob["_aws"]["CloudWatchMetrics"][0]
    assert directive["Namespace"] == NAMESPACE
    assert {"Name": name, "Unit": "Count"} in directive["Metrics"]
    assert blob[name] == [value]  # Powertools writes the values as a list
    assert blob["service"] == SERVICE
    if method is None:
        assert directive["Dimensions"] == [["service"]]
        assert "method" not in blob
    else:
        assert directive["Dimensions"] == [["service", "method"], ["service"]]
        assert blob["method"] == method


# --- metrics: awards by each method -------------------------------------------------------------


def test_direct_award(tree: Api, capsys: pytest.CaptureFixture[str]) -> None:
    assert tree.post(f"{BADGE}/instances", {"email": "a@example.org"}).status == 201
    out = read(capsys)
    (blob,) = out.metric("BadgeAwarded")
    business_emf(blob, "BadgeAwarded", 1, "direct")
    assert out.values() == {("BadgeAwarded", "direct"): 1}


def test_claim_code_award_also_counts_the_claim(tree: Api, capsys: Any) -> None:
    assert tree.post(f"{BADGE}/codes", {"code": "c1"}).status == 201
    capsys.readouterr()
    body = {"email": "a@example.org", "claimCode": "c1"}
    assert tree.post(f"{BADGE}/instances", body).status == 201
    out = read(capsys)
    (awarded,) = out.metric("BadgeAwarded")
    business_emf(awarded, "BadgeAwarded", 1, "claimCode")
    (claimed,) = out.metric("ClaimCodeClaimed")
    business_emf(claimed, "ClaimCodeClaimed", 1, None)
    assert out.values() == {("BadgeAwarded", "claimCode"): 1, ("ClaimCodeClaimed", None): 1}


def test_bulk_award_counts_each_instance(tree: Api, capsys: Any) -> None:
    emails = ["a@example.org", "b@example.org", "c@example.org"]
    assert tree.post(f"{BADGE}/instances/bulk", {"emails": emails}).status == 201
    out = read(capsys)
    (blob,) = out.metric("BadgeAwarded")
    business_emf(blob, "BadgeAwarded", 3, "bulk")
    assert out.values() == {("BadgeAwarded", "bulk"): 3}


def test_milestone_award(tree: Api, capsys: Any) -> None:
    stream = AwarderStream(tree)
    stream.unread()
    body = {"primaryBadgeId": 3, "numberRequired": 1, "supportBadges": [1]}
    assert tree.post(f"{SYS}/milestones", body).status == 201
    assert tree.post(f"{BADGE}/instances", {"email": "a@example.org"}).status == 201
    capsys.readouterr()
    assert stream.invoke(stream.delivered()) == {"batchItemFailures": []}
    out = read(capsys)
    (blob,) = out.metric("BadgeAwarded")
    business_emf(blob, "BadgeAwarded", 1, "milestone")
    assert out.values() == {("BadgeAwarded", "milestone"): 1}
    # its line names the function and the event's correlation id (the award request's)
    (line,) = [entry for entry in out.logs if entry["message"] == "milestone auto-award"]
    assert line["function_name"] == "MilestoneAwardFunction"
    assert line["correlation_id"]
    assert line["correlation_id"] != line["eventId"]


# --- metrics: the other business events ----------------------------------------------------------


def test_revoke(tree: Api, capsys: Any) -> None:
    assert tree.post(f"{BADGE}/instances", {"email": "a@example.org"}).status == 201
    capsys.readouterr()
    assert tree.delete(f"{BADGE}/instances/a@example.org").status == 200
    out = read(capsys)
    (blob,) = out.emf
    business_emf(blob, "BadgeRevoked", 1, None)
    assert out.values() == {("BadgeRevoked", None): 1}


def test_claim_route(tree: Api, capsys: Any) -> None:
    assert tree.post(f"{BADGE}/codes", {"code": "c1"}).status == 201
    capsys.readouterr()
    assert tree.post(f"{BADGE}/codes/c1/claim", {"email": "a@example.org"}).status == 200
    out = read(capsys)
    (blob,) = out.emf
    business_emf(blob, "ClaimCodeClaimed", 1, None)
    assert out.values() == {("ClaimCodeClaimed", None): 1}


def test_application_and_review(tree: Api, capsys: Any) -> None:
    reply = tree.post(f"{BADGE}/applications", {"learner": "a@example.org"})
    assert reply.status == 201
    out = read(capsys)
    (blob,) = out.emf
    business_emf(blob, "ApplicationSubmitted", 1, None)
    slug = reply.json["application"]["slug"]
    reviews = f"{BADGE}/applications/{slug}/reviews"
    assert tree.post(reviews, {"author": "r@example.org"}).status == 201
    out = read(capsys)
    (blob,) = out.emf
    business_emf(blob, "ReviewSubmitted", 1, None)
    assert out.values() == {("ReviewSubmitted", None): 1}


def test_a_failed_operation_counts_nothing(tree: Api, capsys: Any) -> None:
    assert tree.post(f"{BADGE}/instances", {"email": "a@example.org"}).status == 201
    capsys.readouterr()
    assert tree.post(f"{BADGE}/instances", {"email": "a@example.org"}).status == 409
    assert tree.delete(f"{BADGE}/instances/nobody@example.org").status == 404
    assert read(capsys).emf == []


# --- metrics: webhook outcomes -------------------------------------------------------------------


@pytest.fixture
def hooked(tree: Api, queues: dict[str, str], capsys: Any) -> Iterator[Stream]:  # noqa: F811
    add_webhook(tree)
    stream = Stream()
    capsys.readouterr()
    return stream


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (200, {("WebhookDelivered", None): 1}),
        (500, {("WebhookRetried", None): 1}),
        (400, {("WebhookFailed", None): 1}),
        (410, {("WebhookDisabled", None): 1, ("WebhookFailed", None): 1}),
    ],
    ids=["delivered", "retried", "failed", "disabled"],
)
def test_webhook_outcomes(
    tree: Api,
    hooked: Stream,
    receiver: Receiver,  # noqa: F811
    scheduled: Any,  # noqa: F811
    capsys: Any,
    status: int,
    expected: dict[tuple[str, None], int],
) -> None:
    from badgekit.domain import delivery

    receiver.script.append(delivery.classify(status))
    assert tree.post(f"{BADGE}/instances", {"email": "a@example.org"}).status == 201
    capsys.readouterr()
    assert invoke(tree, hooked.read()) == {"batchItemFailures": []}
    out = read(capsys)
    assert out.values() == expected
    for blob in out.emf:
        name = blob["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Name"]
        business_emf(blob, name, blob[name][0], None)


def test_exhausted_retries_count_as_failed(
    tree: Api,
    hooked: Stream,
    receiver: Receiver,  # noqa: F811
    scheduled: Any,  # noqa: F811
    capsys: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from badgekit.domain import delivery

    monkeypatch.setenv("WEBHOOK_RETRY_SCHEDULE", "5")  # two attempts in all
    receiver.script += [delivery.classify(503), delivery.classify(503)]
    assert tree.post(f"{BADGE}/instances", {"email": "a@example.org"}).status == 201
    assert invoke(tree, hooked.read()) == {"batchItemFailures": []}
    capsys.readouterr()
    from tests.unit.test_webhooks_delivery import invoke_queue

    bodies = [json.dumps({**m, "notBefore": 0}) for m, _ in scheduled.messages]
    scheduled.messages.clear()
    assert invoke_queue(tree, bodies) == {"batchItemFailures": []}
    out = read(capsys)
    assert out.values() == {("WebhookFailed", None): 1}
    # the retry's lines keep the award request's correlation id
    failed = [e for e in out.logs if e["message"].startswith("webhook attempt failed")]
    assert failed
    assert failed[0]["correlation_id"] == bodies_correlation(bodies)


def bodies_correlation(bodies: list[str]) -> str:
    (body,) = bodies
    correlation: str = json.loads(body)["correlationId"]
    return correlation


# --- cold start -----------------------------------------------------------------------------------


def test_cold_start_is_powertools_own_metric(observed: None, capsys: Any) -> None:
    wrapped = metrics.invocation(lambda event, context: None)
    context = LambdaContext("IssuingFunction", 128, 3)
    wrapped({}, context)
    wrapped({}, context)
    text = capsys.readouterr().out
    (blob,) = [json.loads(line) for line in text.splitlines()]  # the first invocation only
    directive = blob["_aws"]["CloudWatchMetrics"][0]
    assert directive["Namespace"] == NAMESPACE
    assert directive["Metrics"] == [{"Name": "ColdStart", "Unit": "Count"}]
    assert directive["Dimensions"] == [["function_name", "service"]]
    assert (blob["ColdStart"], blob["function_name"], blob["service"]) == (
        [1.0],
        "IssuingFunction",
        SERVICE,
    )


def test_metrics_disabled_print_nothing(
    observed: None, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")

    def handler(event: Any, context: Any) -> None:
        metrics.awarded("direct")

    metrics.invocation(handler)({}, LambdaContext("IssuingFunction", 128, 3))
    assert read(capsys).text == ""


# --- auth: the 403 line and AuthRejected ---------------------------------------------------------


def test_rejected_token(tree: Api, capsys: Any) -> None:
    forged = Api(secret="not-the-secret")
    request = forged.prepare("GET", SYS)
    assert forged.send(request).status == 403
    out = read(capsys)
    (blob,) = out.emf
    business_emf(blob, "AuthRejected", 1, None)
    (line,) = out.requests()
    assert line["level"] == "WARNING"
    assert line["status"] == 403
    assert line["reason"] == "Invalid token signature"
    assert line["route"] == "/systems/{systemSlug}"
    assert line["correlation_id"] == request.request_id
    assert "key" not in line  # nobody was authenticated


def test_master_only_route_refused_to_a_consumer(tree: Api, capsys: Any) -> None:
    created = tree.post(f"{SYS}/consumers", {"apiKey": "front", "description": "site"})
    consumer = Api("front", created.json["consumer"]["apiSecret"])
    capsys.readouterr()
    assert consumer.get("/systems").status == 403
    out = read(capsys)
    assert out.values() == {("AuthRejected", None): 1}
    (line,) = out.requests()
    assert line["reason"] == "Invalid token for system"


# --- the request line -----------------------------------------------------------------------------


def test_one_line_per_request(tree: Api, capsys: Any) -> None:
    request = tree.prepare("POST", f"{BADGE}/instances", json_body={"email": "a@example.org"})
    assert tree.send(request).status == 201
    out = read(capsys)
    (line,) = out.logs
    assert {k: line[k] for k in ("level", "message", "route", "method", "status", "key")} == {
        "level": "INFO",
        "message": "request",
        "route": "/systems/{systemSlug}/badges/{badgeSlug}/instances",
        "method": "POST",
        "status": 201,
        "key": "master",
    }
    assert line["system"] == "chicago"
    assert line["correlation_id"] == request.request_id
    assert line["function_name"] == "IssuingFunction"
    assert isinstance(line["durationMs"], float)


def test_unhandled_error_is_logged_with_its_context(
    tree: Api, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(assessment, "create_application", broken)
    request = tree.prepare("POST", f"{BADGE}/applications", json_body={"learner": "a@x.org"})
    reply = tree.send(request)
    assert (reply.status, reply.json) == (
        500,
        {"code": "InternalError", "message": "An internal error occurred"},
    )
    out = read(capsys)
    unhandled, line = out.logs
    assert unhandled["message"] == "Unhandled error"
    assert unhandled["exception_name"] == "RuntimeError"
    assert "boom" in unhandled["exception"]
    assert unhandled["route"] == "/systems/{systemSlug}/badges/{badgeSlug}/applications"
    assert unhandled["correlation_id"] == request.request_id
    assert (line["level"], line["status"]) == ("ERROR", 500)
    assert line["reason"] == "RuntimeError: unhandled"
    assert line["correlation_id"] == request.request_id


def test_an_error_outside_the_routes_is_logged_before_lambda_reports_it(
    tree: Api, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from badgekit.store import prefetch

    def broken() -> Any:
        raise RuntimeError("no reads today")

    monkeypatch.setattr(prefetch, "begin", broken)
    request = tree.prepare("GET", SYS)
    assert tree.send(request).status == 502  # the gateway's answer to a raising handler
    unhandled, line = read(capsys).logs
    assert (unhandled["message"], unhandled["exception_name"]) == (
        "Unhandled error",
        "RuntimeError",
    )
    assert (line["level"], line["status"], line["route"]) == ("ERROR", 502, "/systems/{systemSlug}")
    assert line["reason"] == "RuntimeError: unhandled"
    assert line["correlation_id"] == unhandled["correlation_id"] == request.request_id


def test_stdlib_loggers_write_the_same_json(tree: Api, capsys: Any) -> None:
    def handler(event: Any, context: Any) -> None:
        logs.set_keys(correlation_id="req-1")
        logging.getLogger("badgekit.domain.images").warning("image %s has no object", "x")

    logs.invocation(handler)({}, LambdaContext("PublicFunction", 128, 3))
    (line,) = read(capsys).logs
    assert line["message"] == "image x has no object"
    assert line["level"] == "WARNING"
    assert line["correlation_id"] == "req-1"
    assert line["function_name"] == "PublicFunction"


# --- correlation across functions, and no secret anywhere ------------------------------------------


def test_an_award_shares_its_request_id_and_no_secret_is_logged(
    tree: Api,
    hooked: Stream,
    receiver: Receiver,  # noqa: F811
    capsys: Any,
) -> None:
    created = tree.post(f"{SYS}/consumers", {"apiKey": "front", "description": "site"})
    consumer_secret = created.json["consumer"]["apiSecret"]
    consumer = Api("front", consumer_secret)
    request = consumer.prepare("POST", f"{BADGE}/instances", json_body={"email": "a@x.org"})
    assert consumer.send(request).status == 201
    assert invoke(tree, hooked.read()) == {"batchItemFailures": []}
    assert Api(secret="wrong").get(SYS).status == 403
    out = read(capsys)
    (award,) = [e for e in out.logs if e.get("function_name") == "IssuingFunction"]
    assert (award["correlation_id"], award["key"]) == (request.request_id, "front")
    (sent,) = [e for e in out.logs if e.get("function_name") == "WebhookSenderFunction"]
    assert sent["message"] == "webhook delivered"
    assert sent["correlation_id"] == request.request_id
    assert out.values()[("WebhookDelivered", None)] == 1
    token = dict(request.headers)["Authorization"]
    for secret in (MASTER_SECRET, consumer_secret, SECRET, token, token.split('"')[1]):
        assert secret not in out.text
    assert "authorization" not in out.text.lower()
