"""What the public Open Badges documents read (spec issuing.md "Public documents", badges.md
`GET /public/badges`): hosted assertions and the public badge list, and which format a request
asks for; the documents themselves (assertions, badge classes, issuer organisations) are
rendered by `badgekit.domain.render`.

Hosted assertions: by default exactly the spec's Open Badges 1.0 document; a request whose
`Accept` prefers `application/ld+json` gets an Open Badges 2.0 Assertion (salted recipient
hash). A revoked instance keeps a tombstone: `410` with `revoked: true` in either format."""

from __future__ import annotations

from typing import Any

from badgekit.domain import badges, credentials_signing, render
from badgekit.domain.places import Place
from badgekit.errors import ResourceNotFound
from badgekit.store import badges as badge_store
from badgekit.store import containers as container_store
from badgekit.store import db
from badgekit.store import instances as instance_store


def badge_locations(
    states: list[bool], page: db.Page | None, base_url: str
) -> tuple[list[dict[str, str]], int]:
    """`{"location": <badge-class URL>}` for every badge of every system, ascending id."""
    members, total = badges.list_all_badges(states, page)
    system_ids = sorted({badge["systemId"] for badge in members})
    systems = dict(
        zip(system_ids, db.fan_out(container_store.system_by_id, system_ids), strict=True)
    )
    renderers = {
        sid: render.Renderer(Place(system), base_url) for sid, system in systems.items() if system
    }
    for sid, renderer in renderers.items():
        renderer.read_owners([badge for badge in members if badge["systemId"] == sid])
    locations = []
    for badge in members:
        system = systems.get(badge["systemId"])
        if system is None:
            continue  # its system is being deleted: the purge removes the badge shortly
        url = renderers[badge["systemId"]].class_url(badge)
        locations.append({"location": url})
    return locations, total


# --- hosted assertions (issuing.md GET /public/assertions/{instanceSlug}) ---------------------

LINKED_DATA = "application/ld+json"
JWT = "application/jwt"


def wants_linked_data(accept: str | None) -> bool:
    """True when the `Accept` header asks for JSON-LD at least as much as for plain JSON."""
    weights = _weights(accept)
    linked = weights.get(LINKED_DATA, 0.0)
    return linked > 0 and linked >= weights.get("application/json", 0.0)


def wants_jwt(accept: str | None) -> bool:
    """True when the `Accept` header asks for `application/jwt` (the signed assertion) at least
    as much as for either JSON form (a wildcard counts for JSON, the default)."""
    weights = _weights(accept)
    jwt = weights.get(JWT, 0.0)
    json_forms = (LINKED_DATA, "application/json", "application/*", "*/*")
    others = max(weights.get(media, 0.0) for media in json_forms)
    return jwt > 0 and jwt >= others


def _weights(accept: str | None) -> dict[str, float]:
    """Each media type of an `Accept` header with its quality."""
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
    return weights


def assertion_not_found() -> ResourceNotFound:
    return ResourceNotFound("Could not find badge instance")


def assertion(slug: str, base_url: str, linked_data: bool) -> tuple[int, dict[str, Any]]:
    """(status, document) of a hosted assertion: 200, or 410 for a revoked one (tombstone)."""
    status, document, _ = _assertion(slug, base_url, linked_data)
    return status, document


def signed_assertion(slug: str, base_url: str) -> tuple[int, str | dict[str, Any]]:
    """(200, compact JWS) of the Open Badges 2.0 assertion signed by the key its issuer
    profile publishes (docs/open-badges.md "Signed assertions"), or (410, the 2.0 tombstone)."""
    status, document, signer = _assertion(slug, base_url, True)
    if signer is None:
        return status, document
    system_slug, profile = signer
    return 200, credentials_signing.sign_assertion(system_slug, profile, document)


def _assertion(
    slug: str, base_url: str, linked_data: bool
) -> tuple[int, dict[str, Any], tuple[str, str] | None]:
    """(status, document, (system slug, issuer profile URL of its badge); None when revoked)."""
    item = instance_store.assertion(slug)
    if item is None:
        raise assertion_not_found()
    url = render.assertion_url(item["slug"], base_url)
    if item.get("revoked"):
        return 410, render.revoked_assertion_json(url, linked_data), None
    badge, system = badge_store.with_system_by_id(item["badgeId"], item["systemId"])
    if badge is None or system is None or Place(system).purged(badge):
        raise assertion_not_found()  # the badge is being deleted: its cascade removes this
    renderer = render.Renderer(Place(system), base_url)
    badge_url = renderer.class_url(badge)
    if linked_data:
        document = render.assertion_v2_json(item, url, badge_url)
    else:
        document = render.assertion_json(item, url, badge_url)
    return 200, document, (system["slug"], renderer.organisation_url(badge))
