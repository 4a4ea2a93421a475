"""Badge instances (issuing.md). Placeholder until the issuing work lands."""

from __future__ import annotations

from typing import Any


def purge_badge(badge: dict[str, Any]) -> None:
    """Badge delete cascade: remove what the badge's instances keep outside its partition."""
