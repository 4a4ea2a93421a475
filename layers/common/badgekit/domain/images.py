"""Images of systems, issuers, programs and badges (spec README §10).

Input (`image_input`): a multipart file part `image`, else the field `image`, else `imageUrl`;
`data:<mimetype>;base64,...` strings are inline uploads, other strings remote URLs.

Storage: a remote URL is an attribute of its owner (`imageUrl`). Stored bytes go to S3 as
`s3://$IMAGES_BUCKET/images/<slug>` and are described by an IMAGE item (`keys.image(slug)`: id,
slug, mimetype, s3 key, size, created); the owner keeps `imageSlug`. Bytes cannot live in
DynamoDB (items are limited to 400 KB, images may be several MiB) and S3 has no transactions, so
an upload is made consistent with the owner's DynamoDB transaction in three steps (`prepare`):

1. the object is uploaded tagged `badgekit-state=pending` *before* the transaction;
2. the IMAGE item is written by the owner's transaction (`PreparedImage.actions`), so the owner
   and its image appear together or not at all;
3. after the commit the tag is removed (`committed`); after a failed transaction the object is
   deleted (`abandoned`); when the outcome is unknown (a timeout), the IMAGE item decides
   (`reconcile`). `settling(prepared)` wraps a transaction and does the right one.

Whatever a crash leaves between the steps is an object still tagged pending: the bucket's
lifecycle rule expires those after 7 days, so orphans never accumulate (docs/data-model.md).

Types: only images this API serves are stored (README §10 "Stored image types"): PNG, JPEG, GIF,
WebP and SVG, decided from the bytes (`sniff`), and the declared type must name the same type
(`stored_type`). Anything else (an HTML page declared `image/png`, or honestly `text/html`) is
refused with `Unsupported image type`, so no upload can become a page on the API's origin.

Output: `image_url` gives the owner's `imageUrl`; `load` and `delivery` serve
`GET /public/images/{slug}`.
"""

from __future__ import annotations

import base64
import binascii
import logging
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, NoReturn
from xml.parsers import expat

from botocore.exceptions import BotoCoreError, ClientError

from badgekit import timestamps
from badgekit.domain.inputs import Upload
from badgekit.domain.validation import INVALID_URL, Report, is_url
from badgekit.errors import RequestEntityTooLarge, ResourceNotFound
from badgekit.store import db, keys
from badgekit.store import images as image_store
from badgekit.store.badges import BadgeRecord
from badgekit.store.containers import ContainerRecord
from badgekit.store.images import PENDING_TAG, ImageRecord

LOG = logging.getLogger(__name__)

MISSING_VALUE = "Missing value"
INVALID_CHARACTERS = "Invalid characters"
UNSUPPORTED_IMAGE_TYPE = "Unsupported image type"

# README §10: the stored mimetype's shape (checked case-insensitively).
_MIMETYPE = re.compile(r"^[a-z]+/\w+([-.]\w+)*(\+\w+)?$", re.IGNORECASE)
# `data:<mimetype>;base64,<data>`; anything else starting `data:` is judged as a URL (and fails).
_DATA_URI = re.compile(r"^data:([^;,]*);base64,(.*)$", re.IGNORECASE | re.DOTALL)
_WHITESPACE = re.compile(rb"\s+")
# Stored images answer at <base>/public/images/<slug>: an input naming the owner's current
# stored image (clients round-trip whole objects, README §10) is recognised by that path.
_PUBLIC_PATH = re.compile(r"/public/images/([0-9A-Za-z]+)$")

# A stored image is returned base64-encoded in the Lambda response (limit 6 MB): 4 MiB of bytes
# is 5.6 MB of base64, so anything larger could be stored but never served.
MAX_IMAGE_BYTES = 4 * 1024 * 1024


# --- input -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImageInput:
    """What a create/update supplies: a remote URL, or bytes to store with their mimetype."""

    url: str | None = None
    data: bytes | None = None
    mimetype: str | None = None

    @property
    def stored(self) -> bool:
        return self.data is not None


def image_input(
    fields: Mapping[str, Any],
    upload: Upload | None,
    report: Report,
    current_url: str | None = None,
    *,
    required: bool = False,
) -> ImageInput | None:
    """The new image a create/update supplies, or None for none (or the current one again).

    `current_url` is the owner's current `imageUrl` (`image_url(item, base)`; a stored image is
    recognised by its `/public/images/<slug>` path whatever the base). Failures are reported on
    field `image`, without a `value` key (README §7.2).
    """
    if upload is not None and upload.data:
        return _stored(upload.content_type, upload.data, report)
    value = fields.get("image")
    if value is None or value == "":
        value = fields.get("imageUrl")
    if value is None or value == "":
        if required:
            report.add("image", MISSING_VALUE, with_value=False)
        return None
    if not isinstance(value, str):
        report.add("image", MISSING_VALUE, with_value=False)
        return None
    if current_url and _same_image(value, current_url):
        return None  # unchanged
    if value[:5].lower() == "data:":
        match = _DATA_URI.match(value)
        if match:
            data = _decode_base64(match.group(2))
            if data is None:
                report.add("image", INVALID_CHARACTERS, with_value=False)
                return None
            if not data:
                return image_input({}, None, report, required=required)  # nothing supplied
            return _stored(match.group(1), data, report)
    if not is_url(value):
        report.add("image", INVALID_URL, with_value=False)
        return None
    return ImageInput(url=value)


def _stored(mimetype: str, data: bytes, report: Report) -> ImageInput | None:
    """Bytes to store: the mimetype's shape first, then the size, then the type (README §10)."""
    if not _MIMETYPE.match(mimetype):
        report.add("image", INVALID_CHARACTERS, with_value=False)
        return None
    if len(data) > MAX_IMAGE_BYTES:
        raise RequestEntityTooLarge(f"Image size exceeds {MAX_IMAGE_BYTES}")
    stored = stored_type(mimetype, data)
    if stored is None:
        report.add("image", UNSUPPORTED_IMAGE_TYPE, with_value=False)
        return None
    return ImageInput(data=data, mimetype=stored)


def _decode_base64(text: str) -> bytes | None:
    compact = _WHITESPACE.sub(b"", text.encode("ascii", "replace"))
    try:
        return base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        return None


def _same_image(value: str, current_url: str) -> bool:
    if value == current_url:
        return True
    current = _PUBLIC_PATH.search(current_url)
    given = _PUBLIC_PATH.search(value)
    return bool(current and given and current.group(1).lower() == given.group(1).lower())


# --- types -----------------------------------------------------------------------------------

PNG = "image/png"
JPEG = "image/jpeg"
GIF = "image/gif"
WEBP = "image/webp"
SVG = "image/svg+xml"
# README §10 "Stored image types": the only types stored and served as themselves.
STORED_TYPES = frozenset({PNG, JPEG, GIF, WEBP, SVG})
# Other declared names of a stored type.
_ALIASES = {"image/jpg": JPEG, "image/pjpeg": JPEG}
SVG_NAMESPACE = "http://www.w3.org/2000/svg"


def canonical_type(mimetype: str) -> str:
    """The stored type a declared mimetype names (lower-cased, aliases resolved)."""
    lowered = mimetype.strip().lower()
    return _ALIASES.get(lowered, lowered)


def sniff(data: bytes) -> str | None:
    """The stored image type of `data` judged from the bytes alone, or None when it is none.

    PNG, JPEG, GIF and WebP by their signatures (a truncated signature is not one); SVG when the
    bytes are a well-formed XML document whose root is `svg` in the SVG namespace (`is_svg`).
    """
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith((b"GIF87a", b"GIF89a")):
        return GIF
    if len(data) >= 12 and data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return WEBP
    if is_svg(data):
        return SVG
    return None


def stored_type(declared: str, data: bytes) -> str | None:
    """The type to store `data` under: its sniffed type, if the declared mimetype names that
    same type (case-insensitive, `image/jpg`/`image/pjpeg` for JPEG); else None (refused)."""
    wanted = canonical_type(declared)
    if wanted not in STORED_TYPES:
        return None  # refused whatever the bytes are; no need to parse them
    return wanted if sniff(data) == wanted else None


class _NotSvg(Exception):
    """Raised from inside the XML parser to stop it (a DTD, an entity, a foreign root)."""


def is_svg(data: bytes) -> bool:
    """True when `data` is well-formed XML whose root element is `svg` in the SVG namespace,
    without a document type declaration (so without entity declarations or external entities).

    Safe against entity expansion ("billion laughs") and external entities: the parser is stopped
    at the start of any `<!DOCTYPE`, before its internal subset (where entities would be declared)
    is read, so no entity is ever defined, expanded or fetched; an undeclared entity reference is
    a well-formedness error. Expat parses iteratively, so deep nesting cannot exhaust the stack.
    """

    def refuse(*_: Any) -> NoReturn:
        raise _NotSvg

    def start(name: str, _attributes: Any) -> None:
        if not root:
            root.append(name)
            if name != f"{SVG_NAMESPACE} svg":
                raise _NotSvg  # the rest of the document cannot change the answer

    root: list[str] = []
    # With a namespace separator, element names arrive as "<namespace URI> <local name>",
    # whatever prefix the document used; an undeclared prefix is a well-formedness error.
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.UnparsedEntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse
    parser.StartElementHandler = start
    try:
        parser.Parse(data, True)
    except (_NotSvg, expat.ExpatError, ValueError):
        return False
    return bool(root)


# --- output ----------------------------------------------------------------------------------


def image_url(item: BadgeRecord | ContainerRecord, base_url: str) -> str | None:
    """`imageUrl` of an owner: the remote URL verbatim, or the absolute public image URL."""
    remote = item.get("imageUrl")
    if remote:
        return remote
    slug = item.get("imageSlug")
    return f"{base_url}/public/images/{slug}" if slug else None


# --- storage ---------------------------------------------------------------------------------


@dataclass
class PreparedImage:
    """An image ready to be referenced by its owner's transaction."""

    owner_attributes: dict[str, Any]
    actions: list[dict[str, Any]] = field(default_factory=list)
    object_key: str | None = None
    image_slug: str | None = None

    def committed(self) -> None:
        """The owner's transaction committed: the object is referenced, stop its expiry."""
        if self.object_key is None:
            return
        try:
            image_store.mark_committed(self.object_key)
        except (BotoCoreError, ClientError):
            # The image works meanwhile, but the lifecycle rule will expire it in 7 days.
            LOG.exception(
                "image object %s is referenced but still tagged %s=%s: remove the tag",
                self.object_key,
                *PENDING_TAG,
            )

    def abandoned(self) -> None:
        """The owner's transaction failed: delete the upload (the lifecycle rule is a backstop)."""
        if self.object_key is None:
            return
        try:
            image_store.delete_object(self.object_key)
        except (BotoCoreError, ClientError):
            LOG.warning(
                "could not delete abandoned image object %s", self.object_key, exc_info=True
            )

    def reconcile(self) -> None:
        """The transaction's outcome is unknown (e.g. a timeout): decide by the IMAGE item."""
        if self.image_slug is None:
            return
        try:
            written = image_store.exists(self.image_slug)
        except (BotoCoreError, ClientError):
            # Still tagged pending: expires in 7 days unless the transaction did commit.
            LOG.exception("could not settle image object %s", self.object_key)
            return
        if written:
            self.committed()
        else:
            self.abandoned()


@contextmanager
def settling(prepared: PreparedImage | None) -> Iterator[None]:
    """Run the owner's transaction inside: afterwards the upload is committed (success),
    abandoned (`db.TransactionFailed`: nothing was written) or reconciled (any other error,
    the outcome is unknown). Exceptions propagate unchanged."""
    if prepared is None:
        yield
        return
    try:
        yield
    except db.TransactionFailed:
        prepared.abandoned()
        raise
    except BaseException:
        prepared.reconcile()
        raise
    prepared.committed()


def prepare(image: ImageInput, *, image_id: int | None = None) -> PreparedImage:
    """Make `image` ready for the owner's transaction (uploads stored bytes, tagged pending).

    `image_id` lets the caller reserve the id together with its own (`db.allocate_ids`); otherwise
    one is taken here. Call `committed()` or `abandoned()` once the transaction is decided.
    """
    if image.data is None:
        if not image.url:
            raise ValueError("an ImageInput needs a url or data")
        return PreparedImage({"imageUrl": image.url})
    slug = keys.new_slug()
    key = image_store.object_key(slug)
    mimetype = image.mimetype or "application/octet-stream"
    image_store.upload_pending(key, image.data, mimetype)
    stored: ImageRecord = {
        "entity": "image",
        "id": image_id if image_id is not None else db.next_id("image"),
        "slug": slug,
        "mimetype": mimetype,
        "s3Key": key,
        "size": len(image.data),
        "created": timestamps.now(),
    }
    return PreparedImage({"imageSlug": slug}, [image_store.put_new(stored)], key, slug)


# --- serving ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredImage:
    slug: str
    mimetype: str
    data: bytes


# README §10: stored bytes are inert wherever they are opened. nosniff stops a browser from
# second-guessing the type; the policy forbids every fetch, script and plugin (styles inline in
# an SVG may render) and `sandbox` gives the document an opaque origin, so even an SVG with
# <script> opened directly cannot act on the API's origin.
IMAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
# The bytes under a slug never change (a new image gets a new slug): cache for a year.
IMMUTABLE = "public, max-age=31536000, immutable"


def delivery(image: StoredImage) -> tuple[str, dict[str, str]]:
    """The `Content-Type` and other headers `GET /public/images/{slug}` serves `image` with.

    A stored image type is served as itself (a legacy `image/jpg` or `image/pjpeg` as
    `image/jpeg`, the type those names are accepted for). An image stored before the type rule
    whose stored type is not a stored image type (e.g. a `text/html` "image") is served as a
    download, `application/octet-stream` + `attachment`, and not cached: it is quarantined
    legacy content, and an operator deleting or re-typing it must take effect at once, not
    after a year in caches.
    """
    headers = {"X-Content-Type-Options": "nosniff", "Content-Security-Policy": IMAGE_CSP}
    served = canonical_type(image.mimetype)
    if served in STORED_TYPES:
        return served, {**headers, "Cache-Control": IMMUTABLE}
    return "application/octet-stream", {
        **headers,
        "Content-Disposition": "attachment",
        "Cache-Control": "no-store",
    }


@dataclass(frozen=True)
class RemoteImage:
    slug: str
    url: str


def load(slug: str) -> StoredImage | RemoteImage:
    """The image `GET /public/images/{slug}` serves (404 when unknown).

    IMAGE items with a `url` (remote images kept as image records, e.g. migrated from the
    original's images table) redirect; others are read from S3.
    """
    item = image_store.get(slug)
    if item is None:
        raise ResourceNotFound.for_field("image", "slug", slug)
    url = item.get("url")
    if url:
        return RemoteImage(item["slug"], url)
    try:
        data = image_store.read_object(item["s3Key"])
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") not in ("NoSuchKey", "AccessDenied", "404"):
            raise
        # Committed metadata without bytes: the object was lost (e.g. expired while still
        # tagged pending after a failed untagging). Nothing to serve.
        LOG.error("image %s has an IMAGE item but no object %s", slug, item["s3Key"])
        raise ResourceNotFound.for_field("image", "slug", slug) from exc
    return StoredImage(item["slug"], item.get("mimetype") or "application/octet-stream", data)
