"""What a write operation receives: the decoded body's fields and its uploaded image, if any."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Upload:
    """A multipart file part named `image`."""

    data: bytes
    content_type: str
    filename: str | None = None


@dataclass
class Body:
    fields: dict[str, Any] = field(default_factory=dict)
    upload: Upload | None = None
