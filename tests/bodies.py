"""Request bodies shared by the unit and HTTP tests."""

from __future__ import annotations

from typing import Any


def minimal_badge(slug: str, **extra: Any) -> dict[str, Any]:
    """A badge with only the required fields (name `Badge <slug>`, a remote image)."""
    return {
        "slug": slug,
        "name": f"Badge {slug}",
        "earnerDescription": "For earners",
        "consumerDescription": "For consumers",
        "criteriaUrl": "http://example.org/criteria",
        "unique": False,
        "imageUrl": "http://example.org/badge.png",
        **extra,
    }
