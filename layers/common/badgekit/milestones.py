"""Milestones (milestones.md). Placeholder until the milestones work lands."""

from __future__ import annotations

from typing import Any


def detach_badge(badge: dict[str, Any]) -> None:
    """Badge delete cascade: drop milestones whose primary it is and its support entries."""
