"""Unit-test harness: moto in-process DynamoDB with the template's table, and the template's
functions invoked in-process through the local stack's gateway (no HTTP, no threads).

The reusable parts (environment, table, gateway, signed client) live in `local.inprocess`, which
the benchmark (`make bench`) shares.

Fixture design (why `aws` is cheap). Every test that asks for `aws` gets what a fresh
`with mock_aws():` gives: every moto backend emptied when it starts and again when it ends, then
the template's table (keys, indexes, stream) and the images bucket created through the API, so
ids start at 1, the stream holds only the test's records and no queue or object of another test
is left. What is no longer redone per test is what never differed between tests:

- one `mock_aws` object per worker process, switched on and off around each test (a few
  milliseconds), with boto3's default session kept (`reset_boto3_session: False`): a fresh
  session re-reads botocore's service models on its first client, which made every client the
  test, the fixture and the functions created cost tens of milliseconds;
- the table's `CreateTable` arguments, read from the template once (parsing the template was
  the largest single cost of the old fixture), and the fixture's two clients;
- the functions' own boto3 handles (`badgekit.store.db`, `badgekit.domain.images`): kept from one `aws` test
  to the next, because they hold no data and the endpoint and table they point to are the same.
  They are forgotten before any test without `aws` and before the `aws` test after it, since
  tests of the local stack run the functions in this process against an embedded server (the
  integration and template tiers never run the functions in the test process).

And moto's TransactWriteItems rolls back the items it touched instead of copying each table
once per item for its rollback, and sorts a table's items on keys computed once
(`local.moto_patches`, which the local stack installs too): the copies took about a third of
what was left.

Outside an `aws` test moto is off, as before, so tests of the local stack keep talking HTTP to
their own embedded server.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from functools import cache
from typing import Any

import pytest

from local.inprocess import (
    IMAGES_BUCKET,
    TEMPLATE,
    Api,
    Reply,
    table_properties,
    use_offline_environment,
)

MASTER_SECRET = "unit-master-secret"
TABLE_NAME = "badgekit-unit"

# Set before any handler module is imported (they read configuration at import/first use).
use_offline_environment(TABLE_NAME, MASTER_SECRET)

import boto3  # noqa: E402
from moto import mock_aws  # noqa: E402
from moto.core.config import default_user_config  # noqa: E402

from badgekit.store import db, directory, images  # noqa: E402
from local import moto_patches  # noqa: E402
from local.dynamodb import create_table_kwargs  # noqa: E402

__all__ = ["MASTER_SECRET", "TABLE_NAME", "TEMPLATE", "Api", "Reply", "system_body"]

# moto's own defaults, except that boto3's default session (and the service models it has
# loaded) survives from one test to the next; moto's data does not.
moto_patches.install()  # same answers, without whole-table copies (see the module)
_MOCK = mock_aws(config={"core": {**default_user_config["core"], "reset_boto3_session": False}})


@cache
def _table_kwargs() -> dict[str, Any]:
    """`local.inprocess.create_table`'s arguments for the unit table, with the template parsed
    once per process instead of once per test."""
    return create_table_kwargs(TABLE_NAME, table_properties())


@cache
def _client(service: str) -> Any:
    """The fixture's own clients, made once (a client holds no data, only its configuration)."""
    return boto3.client(service)  # type: ignore[call-overload]


class _Handles:
    """Whether the functions' cached boto3 handles were made by the previous `aws` test (and may
    be reused) or may have been made by any other test (and must be forgotten)."""

    reusable = False


def _forget_handles() -> None:
    db.reset_clients()
    images.reset_clients()
    _Handles.reusable = False


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Before a test without `aws` (one that may run the functions against an embedded server,
    like the local stack's), and so before the next `aws` test too, the handles are forgotten."""
    if "aws" not in getattr(item, "fixturenames", ()):
        _forget_handles()


def pytest_sessionfinish() -> None:
    _forget_handles()


@pytest.fixture
def aws() -> Iterator[Any]:
    """A fresh mocked account with the template's table and images bucket (see the module
    docstring for what is shared between tests and why that is equivalent)."""
    if not _Handles.reusable:
        _forget_handles()
    directory.clear()  # every test starts with a cold directory (its ids start at 1 again)
    _MOCK.start(reset=True)  # every moto backend emptied, as `with mock_aws()` does
    try:
        client = _client("dynamodb")
        client.create_table(**copy.deepcopy(_table_kwargs()))
        _client("s3").create_bucket(Bucket=IMAGES_BUCKET)
        _Handles.reusable = True
        yield client
    finally:
        _MOCK.stop(remove_data=True)  # and emptied again on the way out


# The unit tier sees a container's purge done when its DELETE answers (as it soon is when
# deployed); tests of what readers see meanwhile turn it off (tests/unit/test_purge.py).
Api.purge_after_delete = True


@pytest.fixture
def api(aws: Any) -> Api:
    return Api(secret=MASTER_SECRET)


def system_body(slug: str = "chicago", **extra: Any) -> dict[str, Any]:
    return {"slug": slug, "name": slug.title(), "url": "http://example.org", **extra}
