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


def badge_body(slug: str | None = "test-badge", **extra: Any) -> dict[str, Any]:
    """The spec's POST example (badges.md), with `slug` last (omitted when None)."""
    body = {
        "name": "Test Badge",
        "strapline": "A badge for testing",
        "earnerDescription": "Some description, eh",
        "consumerDescription": "Some description, o",
        "unique": 0,
        "imageUrl": "http://example.org/badge.png",
        "criteriaUrl": "http://example.org/criteria",
        "type": "Badge Type",
        "categories": "Category One",
        "tags": ["tag1"],
        "criteria": [{"description": "Do the thing", "required": True, "note": "Check the thing"}],
        **extra,
    }
    if slug is not None:
        body["slug"] = slug
    return body
