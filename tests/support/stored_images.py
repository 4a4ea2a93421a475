"""What the moto tier's image tests look at: the images bucket's objects and tags, and the
IMAGE items of the table."""

from __future__ import annotations

import os
from typing import Any

import boto3

from badgekit.store import db


def s3() -> Any:
    return boto3.client("s3")


def bucket_keys() -> list[str]:
    listed = s3().list_objects_v2(Bucket=os.environ["IMAGES_BUCKET"])
    return sorted(obj["Key"] for obj in listed.get("Contents", []))


def tags(key: str) -> list[dict[str, str]]:
    tag_set: list[dict[str, str]] = s3().get_object_tagging(
        Bucket=os.environ["IMAGES_BUCKET"], Key=key
    )["TagSet"]
    return tag_set


def image_items() -> list[dict[str, Any]]:
    return [i for i in db.table().scan()["Items"] if str(i["PK"]).startswith("IMAGE#")]
