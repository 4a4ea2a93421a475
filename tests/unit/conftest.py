"""Unit-test harness: moto in-process DynamoDB with the template's table, and the template's
functions invoked in-process through the local stack's gateway (no HTTP, no threads).

The reusable parts (environment, table, gateway, signed client) live in `local.inprocess`, which
the benchmark (`make bench`) shares.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from local.inprocess import (
    IMAGES_BUCKET,
    TEMPLATE,
    Api,
    Reply,
    create_table,
    use_offline_environment,
)

MASTER_SECRET = "unit-master-secret"
TABLE_NAME = "badgekit-unit"

# Set before any handler module is imported (they read configuration at import/first use).
use_offline_environment(TABLE_NAME, MASTER_SECRET)

import boto3  # noqa: E402
from moto import mock_aws  # noqa: E402

from badgekit import db, images  # noqa: E402

__all__ = ["MASTER_SECRET", "TABLE_NAME", "TEMPLATE", "Api", "Reply", "system_body"]


@pytest.fixture
def aws() -> Iterator[Any]:
    """A fresh mocked account with the template's table and images bucket."""
    with mock_aws():
        client = boto3.client("dynamodb")
        create_table(client, TABLE_NAME)
        boto3.client("s3").create_bucket(Bucket=IMAGES_BUCKET)
        db.reset_clients()
        images.reset_clients()
        yield client
        db.reset_clients()
        images.reset_clients()


@pytest.fixture
def api(aws: Any) -> Api:
    return Api(secret=MASTER_SECRET)


def system_body(slug: str = "chicago", **extra: Any) -> dict[str, Any]:
    return {"slug": slug, "name": slug.title(), "url": "http://example.org", **extra}
