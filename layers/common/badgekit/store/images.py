"""Stored images: the bytes in S3 (`s3://$IMAGES_BUCKET/images/<slug>`) and the IMAGE item that
describes them (`keys.image(slug)`). The domain (`domain/images.py`) decides what is stored and
when an upload is committed or abandoned; this module does the reads and writes."""

from __future__ import annotations

import os
import threading
from typing import Any, NotRequired, TypedDict

import boto3
from botocore.config import Config

from badgekit.store import db, keys
from badgekit.store.records import optional

PENDING_TAG = ("badgekit-state", "pending")
OBJECT_PREFIX = "images/"


class ImageRecord(TypedDict):
    """An IMAGE item: stored bytes (`s3Key`, `mimetype`, `size`), or a remote image kept as an
    image record (`url`, e.g. migrated from the original's images table)."""

    entity: str
    id: int
    slug: str
    mimetype: NotRequired[str]
    s3Key: NotRequired[str]
    size: NotRequired[int]
    url: NotRequired[str]
    created: NotRequired[int]


# boto3 clients are thread-safe once created, but creating them is not, and sessions are not:
# one client per thread.
_local = threading.local()


def s3() -> Any:
    cached = getattr(_local, "s3", None)
    if cached is None:
        # S3_ENDPOINT is set only by the local stack (embedded moto server on 127.0.0.1); it
        # serves buckets by path, not by virtual host.
        endpoint = os.environ.get("S3_ENDPOINT") or None
        config = Config(
            retries={"mode": "standard", "max_attempts": 4},
            connect_timeout=2,
            read_timeout=10,
            s3={"addressing_style": "path"} if endpoint else {},
        )
        cached = _local.s3 = boto3.session.Session().client(
            "s3", endpoint_url=endpoint, config=config
        )
    return cached


def reset_clients() -> None:
    """Forget this thread's cached client (tests switch endpoints)."""
    _local.s3 = None


def bucket() -> str:
    return os.environ["IMAGES_BUCKET"]


def object_key(slug: str) -> str:
    return f"{OBJECT_PREFIX}{slug}"


# --- the IMAGE item --------------------------------------------------------------------------


def get(slug: str) -> ImageRecord | None:
    return optional(db.get(keys.image(slug)), ImageRecord)


def exists(slug: str) -> bool:
    """Whether the IMAGE item was written (one consistent GetItem)."""
    return db.get(keys.image(slug)) is not None


def put_new(image: ImageRecord) -> dict[str, Any]:
    """Put action: the IMAGE item at its (generated, so free) slug's key."""
    item = {**keys.image(image["slug"]), **image}
    return {"Put": {"Item": item, "ConditionExpression": "attribute_not_exists(PK)"}}


# --- the bytes -------------------------------------------------------------------------------


def upload_pending(key: str, data: bytes, mimetype: str) -> None:
    """Upload an object tagged pending (the bucket's lifecycle rule expires it unless the tag
    is removed by `mark_committed`)."""
    s3().put_object(
        Bucket=bucket(),
        Key=key,
        Body=data,
        ContentType=mimetype,
        Tagging=f"{PENDING_TAG[0]}={PENDING_TAG[1]}",
    )


def upload(key: str, data: bytes, mimetype: str) -> None:
    """Upload an object untagged: for bytes whose IMAGE item is written right after by a
    caller that re-uploads the same bytes to the same key when it is run again (the import)."""
    s3().put_object(Bucket=bucket(), Key=key, Body=data, ContentType=mimetype)


def mark_committed(key: str) -> None:
    s3().delete_object_tagging(Bucket=bucket(), Key=key)


def delete_object(key: str) -> None:
    s3().delete_object(Bucket=bucket(), Key=key)


def read_object(key: str) -> bytes:
    """The object's bytes; the S3 client's error (e.g. NoSuchKey) when it cannot be read."""
    response = s3().get_object(Bucket=bucket(), Key=key)
    data: bytes = response["Body"].read()
    return data
