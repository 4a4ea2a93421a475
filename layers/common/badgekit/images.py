"""Image input and output shared by every resource with an image (spec README §10).

Remote URLs are stored on the owner. Stored images (multipart `image` parts and `data:` URIs)
need the object-storage machinery of the badges work; until then they are refused with a
validation error rather than silently dropped.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from badgekit.request import Upload
from badgekit.validation import INVALID_URL, Report, is_url

MISSING_VALUE = "Missing value"
UPLOADS_UNSUPPORTED = "Image uploads are not supported yet"


@dataclass(frozen=True)
class ImageInput:
    """A new image for the owner: currently always a remote URL."""

    url: str


def image_input(
    fields: Mapping[str, Any], upload: Upload | None, report: Report, current_url: str | None = None
) -> ImageInput | None:
    """The image a create/update supplies, or None when it supplies none (or the current one)."""
    if upload is not None:
        report.add("image", UPLOADS_UNSUPPORTED, with_value=False)
        return None
    value = fields.get("image")
    if value is None or value == "":
        value = fields.get("imageUrl")
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        report.add("image", MISSING_VALUE, with_value=False)
        return None
    if value == current_url:
        return None  # clients round-trip whole objects
    if value.startswith("data:"):
        report.add("image", UPLOADS_UNSUPPORTED, with_value=False)
        return None
    if not is_url(value):
        report.add("image", INVALID_URL, with_value=False)
        return None
    return ImageInput(url=value)


def image_url(item: Mapping[str, Any], base_url: str) -> str | None:
    """`imageUrl` of a stored owner: the remote URL verbatim, or our public image URL."""
    remote = item.get("imageUrl")
    if remote:
        return str(remote)
    slug = item.get("imageSlug")
    return f"{base_url}/public/images/{slug}" if slug else None
