"""Public Open Badges 1.0 documents (spec issuing.md "Public documents", badges.md
`GET /public/badges`): badge classes, issuer organisations and the public badge list."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from badgekit import badges, db, images, keys
from badgekit.places import Place

Item = dict[str, Any]

ORGANISATION_KEYS = ("name", "url", "description", "email")


def organisation(place: Place) -> dict[str, str]:
    """IssuerOrganization: each key from the most specific container that has a value for it
    (program, then issuer, then system); keys no container has are omitted."""
    document: dict[str, str] = {}
    for key in ORGANISATION_KEYS:
        for container in reversed(place.parents()):
            value = container.get(key)
            if value:
                document[key] = str(value)
                break
    return document


def badge_class(place: Place, badge: Mapping[str, Any], base_url: str) -> dict[str, Any]:
    """BadgeClass: the badge as Open Badges 1.0 publishes it (no tags, no ids)."""
    owners = badges.Owners(place)
    return {
        "name": badge["name"],
        "description": badge["consumerDescription"],
        "image": images.image_url(badge, base_url),
        "criteria": badge["criteriaUrl"],
        "alignment": [
            {"name": a["name"], "url": a["url"], "description": a.get("description", "")}
            for a in badge.get("alignments", [])
        ],
        "issuer": badges.organisation_url(badge, place.system, owners, base_url),
    }


def badge_locations(
    states: list[bool], page: db.Page | None, base_url: str
) -> tuple[list[dict[str, str]], int]:
    """`{"location": <badge-class URL>}` for every badge of every system, ascending id."""
    members, total = badges.list_all_badges(states, page)
    system_ids = sorted({int(badge["systemId"]) for badge in members})
    systems = dict(zip(system_ids, db.fan_out(_system_by_id, system_ids), strict=True))
    owners = {sid: badges.Owners(Place(system)) for sid, system in systems.items() if system}
    locations = []
    for badge in members:
        system = systems.get(int(badge["systemId"]))
        if system is None:
            continue  # its system is being deleted: the purge removes the badge shortly
        url = badges.class_url(badge, system, owners[int(badge["systemId"])], base_url)
        locations.append({"location": url})
    return locations, total


def _system_by_id(system_id: int) -> Item | None:
    """Systems are keyed by slug; GSI1 finds one by id, then a consistent read confirms it."""
    found = db.by_id("system", system_id)
    if found is None:
        return None
    return db.get(keys.system(str(found["slug"])))
