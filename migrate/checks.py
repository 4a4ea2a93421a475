"""What the contract refuses in the original's rows, and what the import does about each.

The original accepted things the contract (`/work/shared/spec`) does not: texts over the API's
limits (README §3), dates out of range or missing (§6), "images" that are not images of the
stored types (§10), references to rows that no longer exist, invalid slugs, emails and URLs.
Every such row gets a `Finding` naming the table, the row's id, the problem and the action
taken:

- `skipped`: not imported (nothing in the contract could hold it, e.g. an issuer of no system);
- `clamped`: imported with the value brought into range (a date before 1970, a missing date);
- `changed`: imported with a documented change (e.g. a null milestone action as `issue`);
- `as-is`: imported unchanged with a note (the API renders it; a client sending it back in a
  `PUT` would be refused).

The checks are pure (no reads, no writes); `Findings` keeps a bounded number of examples per
class and counts them all, so a large database with many findings stays bounded in memory.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from badgekit import timestamps
from badgekit.domain import images as image_rules
from badgekit.domain import webhooks as webhook_rules
from badgekit.domain.validation import is_email, is_url

Action = Literal["skipped", "clamped", "changed", "as-is"]

# Problem classes (the report groups findings by them).
DANGLING = "dangling reference"
TOO_LONG = "over the contract's length limit"
EMPTY = "empty required text"
INVALID_EMAIL = "invalid email"
INVALID_URL = "invalid URL"
INVALID_SLUG = "invalid slug"
DATE_RANGE = "date out of range"
DATE_MISSING = "missing date"
NOT_AN_IMAGE = "not an image of the stored types"
TYPE_MISMATCH = "declared type differs from the bytes"
NO_IMAGE_DATA = "image without data or URL"
IMAGE_TOO_LARGE = "image over the upload limit"
TOO_LARGE = "over the stored size of one item"
DUPLICATE = "duplicate"
TAKEN = "key already taken"
NULL_ACTION = "null milestone action"
WEBHOOK_URL = "webhook URL refused by the sending rules"
INCONSISTENT = "inconsistent containers"
INVALID_VALUE = "value outside the contract's choices"
OTHER_SYSTEM = "badge of another system"

EXAMPLES_PER_CLASS = 20  # findings kept per (table, problem, action); all are counted


@dataclass(frozen=True)
class Finding:
    table: str
    row_id: Any
    problem: str
    action: Action
    detail: str = ""

    def render(self) -> str:
        detail = f": {self.detail}" if self.detail else ""
        return f"{self.table} #{self.row_id}: {self.problem}{detail} -> {self.action}"


@dataclass
class Findings:
    """Every finding counted by class, a bounded number of examples kept per class."""

    examples: list[Finding] = field(default_factory=list)
    counts: Counter[tuple[str, str, str]] = field(default_factory=Counter)

    def add(self, table: str, row_id: Any, problem: str, action: Action, detail: str = "") -> None:
        cls = (table, problem, action)
        self.counts[cls] += 1
        if self.counts[cls] <= EXAMPLES_PER_CLASS:
            self.examples.append(Finding(table, row_id, problem, action, detail))

    def __len__(self) -> int:
        return sum(self.counts.values())


# --- field rules (README §3.2, the domain's FIELDS) --------------------------------------------


@dataclass
class RowCheck:
    """The checks of one row: each rule records its finding under the row's table and id."""

    findings: Findings
    table: str
    row: dict[str, Any]

    @property
    def row_id(self) -> Any:
        return self.row.get("id")

    def note(self, problem: str, action: Action, detail: str = "") -> None:
        self.findings.add(self.table, self.row_id, problem, action, detail)

    def text(self, column: str, high: int, *, required: bool = False) -> str | None:
        """A text column as stored: over `high` characters imported as-is with a note; an
        empty required one likewise (the API renders it; a `PUT` of it would be refused)."""
        value = self.row.get(column)
        if value is None:
            return None
        text = value.decode() if isinstance(value, bytes) else str(value)
        if len(text) > high:
            self.note(TOO_LONG, "as-is", f"{column} has {len(text)} characters (at most {high})")
        if required and text == "":
            self.note(EMPTY, "as-is", column)
        return text

    def email(self, column: str) -> str | None:
        value = self.text(column, 255)
        if value is not None and not is_email(value):
            self.note(INVALID_EMAIL, "as-is", f"{column} {value!r}")
        return value

    def url(self, column: str, high: int = 255) -> str | None:
        value = self.text(column, high)
        if value is not None and not is_url(value):
            self.note(INVALID_URL, "as-is", f"{column} {value!r}")
        return value

    def slug(self, column: str = "slug") -> str | None:
        """A slug the API can route: non-empty, no `/` (a path segment). None (row skipped)
        when it cannot be addressed at all."""
        value = self.row.get(column)
        text = "" if value is None else str(value)
        if text == "" or text.strip() == "":
            self.note(INVALID_SLUG, "skipped", f"{column} {text!r}")
            return None
        if "/" in text or len(text) > 255:
            self.note(INVALID_SLUG, "as-is", f"{column} {text!r} cannot be one path segment")
        return text

    def timestamp(self, column: str, *, required: bool = False) -> int | None:
        """A DATETIME/TIMESTAMP as Unix seconds within README §6's range: out of range clamped;
        missing (NULL, or MySQL's zero date) where required clamped to 1970-01-01; a zero date
        where NULL is allowed imported as NULL."""
        value = self.row.get(column)
        seconds = to_seconds(value)
        if seconds is None:
            if required:
                self.note(DATE_MISSING, "clamped", f"{column} {value!r} as 0")
                return timestamps.MIN_SECONDS
            if value is not None:
                self.note(DATE_MISSING, "changed", f"{column} {value!r} as null")
            return None
        if not timestamps.MIN_SECONDS <= seconds <= timestamps.MAX_SECONDS:
            clamped = min(max(seconds, timestamps.MIN_SECONDS), timestamps.MAX_SECONDS)
            self.note(DATE_RANGE, "clamped", f"{column} {seconds} as {clamped}")
            return clamped
        return seconds

    def flag(self, column: str) -> bool:
        """A BOOLEAN (TINYINT) column as a boolean."""
        return bool(self.row.get(column) or False)


def to_seconds(value: Any) -> int | None:
    """A naive UTC datetime (or a date string, or seconds) as whole Unix seconds, unclamped;
    None for NULL and for what is not a date (MySQL's zero date)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, datetime):
        aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        return int(aware.timestamp())
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        if value.startswith("0000-00-00"):
            return None
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return timestamps.to_seconds(value)
        aware = parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
        return int(aware.timestamp())
    return None


# --- images (README §10 "Stored image types") ------------------------------------------------


@dataclass(frozen=True)
class ImageDecision:
    """How one row of `images` is imported: remote (`url`), stored bytes under `mimetype`, or
    not at all (`skip`)."""

    url: str | None = None
    data: bytes | None = None
    mimetype: str | None = None
    skip: bool = False


DOWNLOAD_TYPE = "application/octet-stream"


def image(check: RowCheck) -> ImageDecision:
    """A stored image keeps its bytes; its type is the one the bytes are (`sniff`): the
    declared one when it names that type (aliases canonical), else the sniffed one with a note.
    Bytes of no stored type are kept with a type that is served as a download (README §10: "an
    image stored before this rule … is served as `application/octet-stream` with
    `Content-Disposition: attachment`"): the declared type when it is not an image type, else
    `application/octet-stream`, so it is never served as an image it is not."""
    row = check.row
    data = row.get("data")
    url = row.get("url")
    if isinstance(url, bytes):
        url = url.decode()
    declared = row.get("mimetype")
    if isinstance(declared, bytes):
        declared = declared.decode()
    if url:
        if not is_url(str(url)):
            check.note(INVALID_URL, "as-is", f"url {url!r}")
        return ImageDecision(url=str(url))
    if not data:
        check.note(NO_IMAGE_DATA, "skipped", "its owners are imported without an image")
        return ImageDecision(skip=True)
    blob = bytes(data)
    if len(blob) > image_rules.MAX_IMAGE_BYTES:
        check.note(IMAGE_TOO_LARGE, "as-is", f"{len(blob)} bytes")
    sniffed = image_rules.sniff(blob)
    wanted = image_rules.canonical_type(str(declared or ""))
    if sniffed is not None:
        if wanted != sniffed:
            check.note(TYPE_MISMATCH, "changed", f"declared {declared!r}, stored as {sniffed}")
        return ImageDecision(data=blob, mimetype=sniffed)
    stored = DOWNLOAD_TYPE if wanted in image_rules.STORED_TYPES or not wanted else wanted
    check.note(NOT_AN_IMAGE, "as-is", f"declared {declared!r}, served as a download ({stored})")
    return ImageDecision(data=blob, mimetype=stored)


def webhook_url(check: RowCheck) -> str | None:
    """A webhook's URL: kept as it is; one the sending rules refuse (webhooks.md §1) is noted
    (the sender refuses it at each delivery, as for any webhook whose URL stopped passing)."""
    value = check.text("url", 255)
    if value is not None and not webhook_rules.url_allowed(value):
        check.note(WEBHOOK_URL, "as-is", repr(value))
    return value
