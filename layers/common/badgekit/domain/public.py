"""Public Open Badges 1.0 documents (spec issuing.md "Public documents", badges.md
`GET /public/badges`): hosted assertions, badge classes, issuer organisations and the public
badge list.

Hosted assertions: by default exactly the spec's Open Badges 1.0 document; a request whose
`Accept` prefers `application/ld+json` gets an Open Badges 2.0 Assertion (salted recipient
hash). A revoked instance keeps a tombstone: `410` with `revoked: true` in either format."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from badgekit import timestamps
from badgekit.domain import badges, images, instances
from badgekit.domain.places import Place
from badgekit.errors import ResourceNotFound
from badgekit.store import db
from badgekit.store import instances as instance_store

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
    systems = dict(zip(system_ids, db.fan_out(instances.system_by_id, system_ids), strict=True))
    owners = {sid: badges.Owners(Place(system)) for sid, system in systems.items() if system}
    locations = []
    for badge in members:
        system = systems.get(int(badge["systemId"]))
        if system is None:
            continue  # its system is being deleted: the purge removes the badge shortly
        url = badges.class_url(badge, system, owners[int(badge["systemId"])], base_url)
        locations.append({"location": url})
    return locations, total


# --- hosted assertions (issuing.md GET /public/assertions/{instanceSlug}) ---------------------

OB2_CONTEXT = "https://w3id.org/openbadges/v2"
LINKED_DATA = "application/ld+json"


def wants_linked_data(accept: str | None) -> bool:
    """True when the `Accept` header asks for JSON-LD at least as much as for plain JSON."""
    weights: dict[str, float] = {}
    for part in (accept or "").split(","):
        media, *params = (piece.strip() for piece in part.split(";"))
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        media = media.lower()
        weights[media] = max(weights.get(media, 0.0), quality)
    linked = weights.get(LINKED_DATA, 0.0)
    return linked > 0 and linked >= weights.get("application/json", 0.0)


def assertion_not_found() -> ResourceNotFound:
    return ResourceNotFound("Could not find badge instance")


def assertion(slug: str, base_url: str, linked_data: bool) -> tuple[int, dict[str, Any]]:
    """(status, document) of a hosted assertion: 200, or 410 for a revoked one (tombstone)."""
    item = instance_store.assertion(slug)
    if item is None:
        raise assertion_not_found()
    url = instances.assertion_url(item["slug"], base_url)
    if item.get("revoked"):
        if linked_data:
            return 410, {"@context": OB2_CONTEXT, "id": url, "type": "Assertion", "revoked": True}
        return 410, {"revoked": True}
    badge, system = instances.badge_and_system(item["badgeId"], item["systemId"])
    if badge is None or system is None:
        raise assertion_not_found()  # the badge is being deleted: its cascade removes this
    badge_url = badges.class_url(badge, system, badges.Owners(Place(system)), base_url)
    # Stored values render whatever they are (README §6 "Range"): clamped, or null if garbage.
    issued_on = timestamps.to_seconds(item.get("issuedOn"))
    expires = timestamps.to_seconds(item.get("expires"))
    if linked_data:
        return 200, _assertion_v2(item, url, badge_url, issued_on, expires)
    document: dict[str, Any] = {
        "uid": item["slug"],
        "recipient": {
            "identity": instances.recipient_hash(item["email"]),
            "type": "email",
            "hashed": True,
        },
        "badge": badge_url,
        "verify": {"url": url, "type": "hosted"},
        "issuedOn": issued_on,
    }
    if expires is not None:
        document["expires"] = expires
    return 200, document


def _assertion_v2(
    item: Mapping[str, Any], url: str, badge_url: str, issued_on: int | None, expires: int | None
) -> dict[str, Any]:
    """Open Badges 2.0 Assertion (hosted verification, salted email hash)."""
    salt = str(item["salt"])
    document: dict[str, Any] = {
        "@context": OB2_CONTEXT,
        "type": "Assertion",
        "id": url,
        "recipient": {
            "type": "email",
            "hashed": True,
            "salt": salt,
            "identity": instances.recipient_hash(str(item["email"]), salt),
        },
        "badge": badge_url,
        "verification": {"type": "hosted"},
        "issuedOn": timestamps.to_iso(issued_on),
    }
    if expires is not None:
        document["expires"] = timestamps.to_iso(expires)
    return document
