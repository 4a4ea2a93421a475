"""The master secret read from SSM honours its cache age (issue: operations, rotation).

A warm function must pick up a rotated secret within `MASTER_SECRET_MAX_AGE` seconds without a
cold start, must not call SSM more than once per age, and must ride out a failed re-read with
the value it has (retrying after `SECRET_RETRY_AFTER`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError

from badgekit import config

PARAMETER = "/badgekit/test/master-secret"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(aws: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Clock]:
    monkeypatch.delenv("MASTER_SECRET", raising=False)
    monkeypatch.setenv("MASTER_SECRET_PARAMETER", PARAMETER)
    monkeypatch.setenv("MASTER_SECRET_MAX_AGE", "60")
    fake = Clock()
    monkeypatch.setattr(config, "_clock", fake)
    config.forget_master_secret()
    yield fake
    config.forget_master_secret()


def put(value: str) -> None:
    boto3.client("ssm").put_parameter(
        Name=PARAMETER, Value=value, Type="SecureString", Overwrite=True
    )


def ssm_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Counts the reads that reach SSM (the provider's own fetch)."""
    calls: list[str] = []
    original = config.parameters.get_parameter

    def counting(name: str, **kwargs: Any) -> Any:
        calls.append(name)
        return original(name, **kwargs)

    monkeypatch.setattr(config.parameters, "get_parameter", counting)
    return calls


def test_rotation_is_picked_up_once_the_age_has_passed(
    clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads = ssm_reads(monkeypatch)
    put("first-secret")
    assert config.master_secret() == "first-secret"
    put("second-secret")
    clock.now += 59
    assert config.master_secret() == "first-secret"
    assert reads == [PARAMETER]
    clock.now += 2
    assert config.master_secret() == "second-secret"
    assert config.master_secret() == "second-secret"
    assert reads == [PARAMETER, PARAMETER]


def test_a_failed_re_read_keeps_the_last_value_and_retries_later(
    clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    put("first-secret")
    assert config.master_secret() == "first-secret"
    boto3.client("ssm").delete_parameter(Name=PARAMETER)
    clock.now += 61
    reads = ssm_reads(monkeypatch)
    assert config.master_secret() == "first-secret"
    assert config.master_secret() == "first-secret"
    assert reads == [PARAMETER]  # not again before SECRET_RETRY_AFTER
    put("second-secret")
    clock.now += config.SECRET_RETRY_AFTER
    assert config.master_secret() == "second-secret"
    assert reads == [PARAMETER, PARAMETER]


def test_without_any_value_read_a_failure_is_not_hidden(clock: Clock) -> None:
    with pytest.raises(GetParameterError, match="ParameterNotFound"):
        config.master_secret()


def test_another_parameter_name_is_read_at_once(
    clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    put("first-secret")
    assert config.master_secret() == "first-secret"
    other = "/badgekit/test/other-secret"
    boto3.client("ssm").put_parameter(Name=other, Value="other", Type="SecureString")
    monkeypatch.setenv("MASTER_SECRET_PARAMETER", other)
    assert config.master_secret() == "other"


def test_the_local_secret_wins_and_is_never_cached(
    clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MASTER_SECRET", "local-one")
    assert config.master_secret() == "local-one"
    monkeypatch.setenv("MASTER_SECRET", "local-two")
    assert config.master_secret() == "local-two"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("", 300), ("120", 120), ("0", 300), ("-5", 300), ("soon", 300), (" 45 ", 45)],
)
def test_max_age_setting(raw: str, expected: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MASTER_SECRET_MAX_AGE", raw)
    assert config.master_secret_max_age() == expected
