"""On the local stack, one award through the API produces one JSON log line per function involved
sharing the request's correlation id, and the EMF metrics of the award and of its webhook
delivery (issue "Operations", docs/observability.md).

The stack prints the functions' output on its stdout, each line labelled with the function that
wrote it (`IssuingFunction {"level":"INFO",...}`); the test stacks of the other files keep it
quiet (FUNCTION_LOG_LEVEL=WARNING, FUNCTION_METRICS=off), this one turns it on.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from tests.integration.conftest import MASTER_SECRET, StackProcess
from tests.support.client import ApiClient
from tests.support.receiver import receiving, wait_for
from tests.support.trees import created, make_badge

FUNCTIONS = ("IssuingFunction", "WebhookSenderFunction", "MilestoneAwardFunction")
SECRET = "observability-webhook-secret"


def labelled(output: str) -> list[tuple[str, dict[str, Any]]]:
    """(function, JSON object) for each labelled line of the stack's output."""
    found = []
    for line in output.splitlines():
        name, _, text = line.partition(" ")
        if name.endswith("Function") and text.startswith("{"):
            found.append((name, json.loads(text)))
    return found


def emf(lines: list[tuple[str, dict[str, Any]]], function: str, name: str) -> list[dict[str, Any]]:
    return [
        blob
        for who, blob in lines
        if who == function
        and "_aws" in blob
        and any(m["Name"] == name for m in blob["_aws"]["CloudWatchMetrics"][0]["Metrics"])
    ]


def test_an_award_is_logged_once_per_function_under_its_request_id(
    stack_factory: Callable[..., StackProcess], unique: Callable[..., str]
) -> None:
    stack = stack_factory(FUNCTION_LOG_LEVEL="INFO", FUNCTION_METRICS="on")
    api = ApiClient(stack.base_url, "master", MASTER_SECRET)
    slug = unique("sys")
    created(
        api.post("/systems", json={"slug": slug, "name": "Obs", "url": "http://e.org"}), "system"
    )
    make_badge(api, f"/systems/{slug}", "b1")
    with receiving() as receiver:
        hook = {"url": receiver.url + "/hook", "secret": SECRET}
        created(api.post(f"/systems/{slug}/webhooks", json=hook), "webhook")
        response = api.post(f"/systems/{slug}/badges/b1/instances", json={"email": "a@e.org"})
        assert response.status_code == 201
        request_id = response.headers["x-amzn-RequestId"]

        def mine() -> list[tuple[str, dict[str, Any]]]:
            return [
                (who, line)
                for who, line in labelled(stack.output())
                if line.get("correlation_id") == request_id
            ]

        def every_function_logged() -> bool:
            return {who for who, _ in mine()} == set(FUNCTIONS)

        wait_for(lambda: receiver.at("/hook"), "the webhook delivery")
        wait_for(every_function_logged, "a line of each function with the request's id")
    lines = mine()
    assert sorted(who for who, _ in lines) == sorted(FUNCTIONS)  # one line each
    by_function = dict(lines)
    issuing = by_function["IssuingFunction"]
    assert (issuing["message"], issuing["status"], issuing["method"]) == ("request", 201, "POST")
    assert issuing["route"] == "/systems/{systemSlug}/badges/{badgeSlug}/instances"
    assert (issuing["key"], issuing["function_name"]) == ("master", "IssuingFunction")
    sender = by_function["WebhookSenderFunction"]
    assert (sender["message"], sender["statusCode"]) == ("webhook delivered", 200)
    assert sender["function_name"] == "WebhookSenderFunction"
    awarder = by_function["MilestoneAwardFunction"]
    assert (awarder["message"], awarder["awarded"]) == ("milestone auto-award", [])

    everything = labelled(stack.output())
    (awarded,) = emf(everything, "IssuingFunction", "BadgeAwarded")
    directive = awarded["_aws"]["CloudWatchMetrics"][0]
    assert directive["Namespace"] == "BadgeKit"
    assert directive["Dimensions"] == [["service", "method"], ["service"]]
    assert (awarded["BadgeAwarded"], awarded["method"]) == ([1.0], "direct")
    assert awarded["service"] == "badgekit-api"
    delivered = wait_for(
        lambda: emf(labelled(stack.output()), "WebhookSenderFunction", "WebhookDelivered"),
        "the delivery's metric",
    )
    (blob,) = delivered
    assert blob["WebhookDelivered"] == [1.0]
    assert blob["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["service"]]
    assert SECRET not in stack.output()
    assert MASTER_SECRET not in stack.output()
