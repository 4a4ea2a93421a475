"""The local stack's embedded moto server (DynamoDB, S3, SQS, KMS) started for one test, with
the offline credentials it needs in the environment, which is restored afterwards."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

from local.dynamodb import EmbeddedDynamoDB


@contextlib.contextmanager
def embedded_server() -> Iterator[EmbeddedDynamoDB]:
    saved = dict(os.environ)
    os.environ.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_ACCOUNT_ID_ENDPOINT_MODE="disabled",
    )
    server = EmbeddedDynamoDB()
    server.start()
    try:
        yield server
    finally:
        server.stop()
        os.environ.clear()
        os.environ.update(saved)
