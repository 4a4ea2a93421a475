"""Issuers and programs as stored: in their system's partition, under `keys.CONTAINER_PREFIX`."""

from __future__ import annotations

from typing import Any

from badgekit.store import db, keys

Item = dict[str, Any]


def containers_of(system: Item) -> list[Item]:
    """Every issuer and program of a system: one strongly consistent Query."""
    return list(db.query_prefix(keys.system_partition(int(system["id"])), keys.CONTAINER_PREFIX))
