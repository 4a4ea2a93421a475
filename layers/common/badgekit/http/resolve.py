"""Resolving what a URL names (spec README §1): its container, and the badge of badge routes.

Each slug resolves inside the previous one: system, then issuer, then program; the first that
does not resolve is the 404. The system is loaded at most once per request (auth may have
needed it first, for a consumer key's system check).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from badgekit.domain import badges, containers
from badgekit.domain.places import Place
from badgekit.errors import ResourceNotFound
from badgekit.http.context import ApiRequest, param
from badgekit.store import db, keys

Item = dict[str, Any]


def find_system(request: ApiRequest, slug: str) -> Item | None:
    memo_key = ("system", keys.slug_key(slug))
    if memo_key not in request.memo:
        request.memo[memo_key] = containers.find_system(slug)
    found: Item | None = request.memo[memo_key]
    return found


def system_id_of(request: ApiRequest, slug: str) -> int | None:
    """For the auth check of consumer keys (auth.md §4 step 16)."""
    system = find_system(request, slug)
    return int(system["id"]) if system else None


def resolve_with(
    request: ApiRequest, also: Sequence[keys.Key], **params: str
) -> tuple[Place, list[Item | None]]:
    """Resolve the Place and read items whose keys come from the path alone (e.g. a badge by
    its global slug) in the same round trip as the system: one BatchGetItem."""
    slug = param(params["systemSlug"])
    memo_key = ("system", keys.slug_key(slug))
    wanted = list(also) if memo_key in request.memo else [keys.system(slug), *also]
    found = {(item["PK"], item["SK"]): item for item in db.batch_get(wanted)}
    if memo_key not in request.memo:
        request.memo[memo_key] = found.get((wanted[0]["PK"], wanted[0]["SK"]))
    extra = [found.get((key["PK"], key["SK"])) for key in also]
    return resolve(request, **params), extra


def resolve(
    request: ApiRequest,
    systemSlug: str,
    issuerSlug: str | None = None,
    programSlug: str | None = None,
) -> Place:
    """The Place named by (percent-encoded) path parameters, or the first level's 404."""
    slug = param(systemSlug)
    system = find_system(request, slug)
    if system is None:
        raise ResourceNotFound.for_field("system", "slug", slug)
    if issuerSlug is None:
        return Place(system)
    issuer = containers.get_issuer(system, param(issuerSlug))
    if programSlug is None:
        return Place(system, issuer)
    return Place(system, issuer, containers.get_program(system, issuer, param(programSlug)))


CONTAINER_PARAMS = ("systemSlug", "issuerSlug", "programSlug")


def badge(request: ApiRequest, params: Mapping[str, str]) -> tuple[Place, Item]:
    """The URL's container and its badge (`badgeSlug`); the system and the badge come in one
    BatchGetItem. Other path parameters (a code, an email, ...) are the caller's."""
    slug = param(params["badgeSlug"])
    containers = {name: value for name, value in params.items() if name in CONTAINER_PARAMS}
    place, (badge,) = resolve_with(request, [keys.badge(slug)], **containers)
    return place, badges.under(place, badge, slug)
