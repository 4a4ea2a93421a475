"""What the public Open Badges documents read (spec issuing.md "Public documents", badges.md
`GET /public/badges`): hosted assertions and the public badge list, and which format a request
asks for; the documents themselves (assertions, badge classes, issuer organisations) are
rendered by `badgekit.domain.render`.

Hosted assertions: by default exactly the spec's Open Badges 1.0 document; a request whose
`Accept` prefers `application/ld+json` gets an Open Badges 2.0 Assertion (salted recipient
hash). A revoked instance keeps a tombstone: `410` with `revoked: true` in either format.

Open Badges 3.0 credentials (docs/open-badges.md "OB 3.0 credentials"): the same award as an
`OpenBadgeCredential`, JSON by default, the compact VC-JWT when `Accept` asks for it."""

from __future__ import annotations

from typing import Any

from badgekit.domain import badges, render
from badgekit.domain.places import Place
from badgekit.errors import ApiError, ResourceNotFound
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
    url = render.assertion_url(item["slug"], base_url)
    if item.get("revoked"):
        return 410, render.revoked_assertion_json(url, linked_data)
    badge, system = badge_store.with_system_by_id(item["badgeId"], item["systemId"])
    if badge is None or system is None or Place(system).purged(badge):
        raise assertion_not_found()  # the badge is being deleted: its cascade removes this
    badge_url = render.Renderer(Place(system), base_url).class_url(badge)
    if linked_data:
        return 200, render.assertion_v2_json(item, url, badge_url)
    return 200, render.assertion_json(item, url, badge_url)


# --- OB 3.0 credentials (GET /public/credentials/{instanceSlug}) -----------------------------

# The JSON form's media type: OB 3.0 "Web Resource" (an unsigned credential is its JSON).
CREDENTIAL = "application/vc+ld+json"
# The compact VC-JWT form, answered with the media type asked for.
CREDENTIAL_JWT_TYPES = ("application/vc+jwt", "application/jwt")
_CREDENTIAL_JSON_TYPES = ("application/json", "application/ld+json", CREDENTIAL, "*/*")


def accept_weights(accept: str | None) -> dict[str, float]:
    """Each media type of an `Accept` header (lowercase) with its highest quality (`q`, 1 by
    default, 0 when unreadable), as `wants_linked_data` reads them."""
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


def credential_jwt_type(accept: str | None) -> str | None:
    """The JWT media type `Accept` ranks at least as high as every JSON type (the one
    ranked highest, `application/vc+jwt` on a tie), else None: the JSON form."""
    weights = accept_weights(accept)
    best = max(CREDENTIAL_JWT_TYPES, key=lambda media: weights.get(media, 0.0))
    quality = weights.get(best, 0.0)
    if quality > 0 and quality >= max(weights.get(m, 0.0) for m in _CREDENTIAL_JSON_TYPES):
        return best
    return None


class CredentialJwtUnavailable(ApiError):
    """Temporary (until the signing keys are in place): the VC-JWT form cannot be made."""

    status = 406
    code = "NotAcceptableError"

    def __init__(self) -> None:
        super().__init__(
            "The signed (VC-JWT) form of credentials is not available yet: "
            "ask for application/vc+ld+json"
        )


def credential(slug: str, base_url: str) -> tuple[int, dict[str, Any], str | None]:
    """(status, document, system slug) of an award's OB 3.0 credential: 200, or 410 with a
    small tombstone for a revoked award (system slug None)."""
    item = instance_store.assertion(slug)
    if item is None:
        raise assertion_not_found()
    if item.get("revoked"):
        url = render.credential_url(item["slug"], base_url)
        return 410, render.revoked_credential_json(url), None
    badge, system = badge_store.with_system_by_id(item["badgeId"], item["systemId"])
    if badge is None or system is None or Place(system).purged(badge):
        raise assertion_not_found()  # the badge is being deleted: its cascade removes this
    renderer = render.Renderer(Place(system), base_url)
    return 200, renderer.credential_json(item, badge), system["slug"]


def signed_credential(system_slug: str, credential: dict[str, Any]) -> str:
    """The compact VC-JWT of `credential`, signed with the system's key: the one call site
    of the signing."""
    raise CredentialJwtUnavailable()
