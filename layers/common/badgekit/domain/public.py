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
from badgekit.domain import badges, credentials_signing, images, render
from badgekit.domain.places import Place
from badgekit.errors import ResourceConflict, ResourceNotFound
from badgekit.store import badges as badge_store
from badgekit.store import containers as container_store
from badgekit.store import db
from badgekit.store import instances as instance_store
from badgekit.store.badges import BadgeRecord
from badgekit.store.containers import SystemRecord
from badgekit.store.instances import AssertionRecord


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
    weights = accept_weights(accept)
    linked = weights.get(LINKED_DATA, 0.0)
    return linked > 0 and linked >= weights.get("application/json", 0.0)


def wants_jwt(accept: str | None) -> bool:
    """True when the `Accept` header asks for `application/jwt` (the signed assertion) at least
    as much as for either JSON form (a wildcard counts for JSON, the default)."""
    weights = accept_weights(accept)
    jwt = weights.get(JWT, 0.0)
    json_forms = (LINKED_DATA, "application/json", "application/*", "*/*")
    others = max(weights.get(media, 0.0) for media in json_forms)
    return jwt > 0 and jwt >= others


def accept_weights(accept: str | None) -> dict[str, float]:
    """Each media type of an `Accept` header (lowercase) with its highest quality (`q`, 1 by
    default, 0 when unreadable)."""
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


def profile_v2(place: Place, base_url: str) -> dict[str, Any]:
    """The Open Badges 2.0 Issuer Profile of a container (`render.profile_v2_json`)."""
    return render.profile_v2_json(
        place, base_url, credentials_signing.profile_keys(place, base_url)
    )


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


@dataclass(frozen=True)
class Award:
    """A live award as the public documents read it: its assertion record, badge and system."""

    item: AssertionRecord
    badge: BadgeRecord
    system: SystemRecord

    def renderer(self, base_url: str) -> render.Renderer:
        return render.Renderer(Place(self.system), base_url)


def _award(slug: str) -> Award | AssertionRecord:
    """The live award of an instance slug, or its tombstone record once revoked; 404 when
    unknown or when its badge is being deleted (the cascade removes the award)."""
    item = instance_store.assertion(slug)
    if item is None:
        raise assertion_not_found()
    if item.get("revoked"):
        return item
    badge, system = badge_store.with_system_by_id(item["badgeId"], item["systemId"])
    if badge is None or system is None or Place(system).purged(badge):
        raise assertion_not_found()
    return Award(item, badge, system)


def _assertion(
    slug: str, base_url: str, linked_data: bool
) -> tuple[int, dict[str, Any], tuple[str, str] | None]:
    """(status, document, (system slug, issuer profile URL of its badge); None when revoked)."""
    award = _award(slug)
    if not isinstance(award, Award):
        url = render.assertion_url(award["slug"], base_url)
        return 410, render.revoked_assertion_json(url, linked_data), None
    url = render.assertion_url(award.item["slug"], base_url)
    renderer = award.renderer(base_url)
    badge_url = renderer.class_url(award.badge)
    if linked_data:
        document = render.assertion_v2_json(award.item, url, badge_url)
    else:
        document = render.assertion_json(award.item, url, badge_url)
    return 200, document, (award.system["slug"], renderer.organisation_url(award.badge))


# --- OB 3.0 credentials (GET /public/credentials/{instanceSlug}) -----------------------------

# The JSON form's media type: OB 3.0 "Web Resource" (an unsigned credential is its JSON).
CREDENTIAL = "application/vc+ld+json"
# The compact VC-JWT form, answered with the media type asked for.
CREDENTIAL_JWT_TYPES = ("application/vc+jwt", "application/jwt")
_CREDENTIAL_JSON_TYPES = ("application/json", "application/ld+json", CREDENTIAL, "*/*")


def credential_jwt_type(accept: str | None) -> str | None:
    """The JWT media type `Accept` ranks at least as high as every JSON type (the one
    ranked highest, `application/vc+jwt` on a tie), else None: the JSON form."""
    weights = accept_weights(accept)
    best = max(CREDENTIAL_JWT_TYPES, key=lambda media: weights.get(media, 0.0))
    quality = weights.get(best, 0.0)
    if quality > 0 and quality >= max(weights.get(m, 0.0) for m in _CREDENTIAL_JSON_TYPES):
        return best
    return None


def credential(slug: str, base_url: str) -> tuple[int, dict[str, Any], str | None]:
    """(status, document, system slug) of an award's OB 3.0 credential: 200, or 410 with a
    small tombstone for a revoked award (system slug None)."""
    award = _award(slug)
    if not isinstance(award, Award):
        url = render.credential_url(award["slug"], base_url)
        return 410, render.revoked_credential_json(url), None
    document = award.renderer(base_url).credential_json(award.item, award.badge)
    return 200, document, award.system["slug"]


def signed_credential(system_slug: str, credential: dict[str, Any]) -> str:
    """The compact VC-JWT of `credential`, signed with the system's key: the one call site
    of the signing."""
    return credentials_signing.sign_credential(system_slug, credential)


# --- baked images (GET /public/assertions/{instanceSlug}/image) ------------------------------


@dataclass(frozen=True)
class BakedImage:
    """The badge's stored image with the award baked in (`badgekit.baking`)."""

    mimetype: str
    data: bytes


def not_bakeable(message: str, image_url: str | None, **details: Any) -> ResourceConflict:
    return ResourceConflict(message, {"imageUrl": image_url, **details})


def baked_image(slug: str, base_url: str) -> tuple[int, BakedImage | dict[str, Any]]:
    """(200, the baked image) of an award, or (410, the revoked tombstone). Baked in: the
    hosted assertion URL (`openbadges`) and, where this deployment signs, the award's OB 3.0
    credential as a VC-JWT (`openbadgecredential`). `409 ResourceConflict` when the badge's
    image is not one this API stores as PNG or SVG (a remote URL is never fetched)."""
    award = _award(slug)
    if not isinstance(award, Award):
        url = render.assertion_url(award["slug"], base_url)
        return 410, render.revoked_assertion_json(url, linked_data=False)
    url = render.assertion_url(award.item["slug"], base_url)
    badge = award.badge
    image_url = images.image_url(badge, base_url)
    image_slug = badge.get("imageSlug")
    image = None if badge.get("imageUrl") or not image_slug else images.load(image_slug)
    if image is None or isinstance(image, images.RemoteImage):
        raise not_bakeable(
            "Badge image is not stored by this API: only stored PNG and SVG images can be baked",
            image_url,
        )
    mimetype = images.canonical_type(image.mimetype)
    bakeable = mimetype == images.PNG or (mimetype == images.SVG and images.is_svg(image.data))
    if not bakeable:
        raise _cannot_bake(image_url, mimetype)
    credential = None
    if credentials_signing.enabled():
        document = award.renderer(base_url).credential_json(award.item, badge)
        credential = signed_credential(award.system["slug"], document)
    try:
        data = baking.bake(image.data, mimetype, assertion=url, credential=credential)
    except baking.NotBakeable:
        raise _cannot_bake(image_url, mimetype) from None
    return 200, BakedImage(mimetype, data)


def _cannot_bake(image_url: str | None, mimetype: str) -> ResourceConflict:
    return not_bakeable(
        "Badge image cannot be baked: only stored PNG and SVG images can be baked",
        image_url,
        mimetype=mimetype,
    )
