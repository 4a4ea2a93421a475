"""An empty value is unset: every variable the template declares empty (so that sam local's
--env-vars can set it) leaves the code's behaviour on AWS exactly as if it were not there
(tests/template/test_environment.py checks the declarations themselves).

No AWS call is made: the clients are only built, to see which endpoint they would call.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest

from badgekit import VERSION, config
from badgekit.domain import delivery, webhooks
from badgekit.store import db, images, queue


@pytest.fixture(autouse=True)
def empty(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The template's empty defaults, as a deployed function sees them."""
    for name in (
        "MASTER_SECRET",
        "DYNAMODB_ENDPOINT",
        "S3_ENDPOINT",
        "SQS_ENDPOINT",
        "WEBHOOKS_ALLOW_HTTP",
        "WEBHOOKS_ALLOW_PRIVATE",
        "BADGEKIT_VERSION",
        "WEBHOOK_RETRY_SCHEDULE",
        "WEBHOOK_RETRY_JITTER",
    ):
        monkeypatch.setenv(name, "")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    db.reset_clients()
    images.reset_clients()
    queue.reset_clients()
    config.forget_master_secret()
    yield
    db.reset_clients()
    images.reset_clients()
    queue.reset_clients()
    config.forget_master_secret()


def test_an_empty_master_secret_leaves_the_ssm_parameter_in_charge(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    read = []

    def get_parameter(name: str, **kwargs: object) -> str:
        read.append((name, kwargs))
        return "from-ssm"

    monkeypatch.setattr(config.parameters, "get_parameter", get_parameter)
    monkeypatch.setenv("MASTER_SECRET_PARAMETER", "/badgekit/master-secret")
    assert config.master_secret() == "from-ssm"
    assert read == [("/badgekit/master-secret", {"decrypt": True, "force_fetch": True})]
    # What the template comment warns about: a non-empty value wins over the parameter.
    monkeypatch.setenv("MASTER_SECRET", "local")
    assert config.master_secret() == "local"


def test_empty_endpoints_are_the_aws_ones() -> None:
    assert db._make_client().meta.endpoint_url == "https://dynamodb.us-east-1.amazonaws.com"
    assert images.s3().meta.endpoint_url == "https://s3.amazonaws.com"
    assert queue._sqs().meta.endpoint_url == "https://sqs.us-east-1.amazonaws.com"


def test_empty_webhook_relaxations_relax_nothing() -> None:
    assert webhooks.allow_http() is False
    assert webhooks.allowed_private() == ""


def test_empty_retry_settings_are_the_documented_schedule(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert delivery.retry_schedule() == delivery.DEFAULT_SCHEDULE
    empty = delivery.retry_delay(2, rng=random.Random(7))
    monkeypatch.delenv("WEBHOOK_RETRY_SCHEDULE")
    monkeypatch.delenv("WEBHOOK_RETRY_JITTER")
    assert delivery.retry_delay(2, rng=random.Random(7)) == empty


def test_an_empty_version_is_the_package_version() -> None:
    assert config.version() == VERSION
    assert delivery.user_agent() == f"BadgeKit-Webhooks/{VERSION}"
