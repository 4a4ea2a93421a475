"""What the public Open Badges documents read (spec issuing.md "Public documents", badges.md
`GET /public/badges`): hosted assertions and the public badge list, and which format a request
asks for; the documents themselves (assertions, badge classes, issuer organisations) are
rendered by `badgekit.domain.render`.

Hosted assertions, badge classes and issuer organisations: by default exactly the spec's Open
Badges 1.0 documents; a request whose `Accept` prefers `application/ld+json` gets Open Badges
2.0 (an Assertion with a salted recipient hash, a BadgeClass, an Issuer Profile, each with its
`id`). A revoked instance keeps a tombstone: `410` with `revoked: true` in either format.

Open Badges 3.0 credentials (docs/open-badges.md "OB 3.0 credentials"): the same award as an
`OpenBadgeCredential`, JSON by default, the compact VC-JWT when `Accept` asks for it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from badgekit import baking
from badgekit.domain import badges, images, render
from badgekit.domain.places import Place
from badgekit.errors import ApiError, ResourceConflict, ResourceNotFound
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


def profile_v2(place: Place, base_url: str) -> dict[str, Any]:
    """The Open Badges 2.0 Issuer Profile of a container (`render.profile_v2_json`)."""
    return render.profile_v2_json(place, base_url, profile_v2_additions(place, base_url))


def profile_v2_additions(place: Place, base_url: str) -> dict[str, Any]:
    """Keys a profile adds after its organisation keys (none yet; the place for a profile's
    `publicKey` and `revocationList` once assertions are signed)."""
    return {}


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


# --- baked images (GET /public/assertions/{instanceSlug}/image) ------------------------------


@dataclass(frozen=True)
class BakedImage:
    """The badge's stored image with the award baked in (`badgekit.baking`)."""

    mimetype: str
    data: bytes


def not_bakeable(message: str, image_url: str | None, **details: Any) -> ResourceConflict:
    return ResourceConflict(message, {"imageUrl": image_url, **details})


def baked_image(slug: str, base_url: str) -> tuple[int, BakedImage | dict[str, Any]]:
    """(200, the baked image) of an award, or (410, the revoked tombstone). The `openbadges`
    value baked in is the hosted assertion URL; `409 ResourceConflict` when the badge's image
    is not one this API stores as PNG or SVG (a remote URL is never fetched)."""
    item = instance_store.assertion(slug)
    if item is None:
        raise assertion_not_found()
    url = render.assertion_url(item["slug"], base_url)
    if item.get("revoked"):
        return 410, render.revoked_assertion_json(url, linked_data=False)
    badge, system = badge_store.with_system_by_id(item["badgeId"], item["systemId"])
    if badge is None or system is None or Place(system).purged(badge):
        raise assertion_not_found()
    image_url = images.image_url(badge, base_url)
    image_slug = badge.get("imageSlug")
    if badge.get("imageUrl") or not image_slug:
        raise not_bakeable(
            "Badge image is not stored by this API: only stored PNG and SVG images can be baked",
            image_url,
        )
    image = images.load(image_slug)
    if isinstance(image, images.RemoteImage):
        raise not_bakeable(
            "Badge image is not stored by this API: only stored PNG and SVG images can be baked",
            image_url,
        )
    mimetype = images.canonical_type(image.mimetype)
    bakeable = mimetype == images.PNG or (mimetype == images.SVG and images.is_svg(image.data))
    try:
        if not bakeable:
            raise baking.NotBakeable(mimetype)
        data = baking.bake(image.data, mimetype, assertion=url)
    except baking.NotBakeable:
        raise not_bakeable(
            "Badge image cannot be baked: only stored PNG and SVG images can be baked",
            image_url,
            mimetype=mimetype,
        ) from None
    return 200, BakedImage(mimetype, data)
