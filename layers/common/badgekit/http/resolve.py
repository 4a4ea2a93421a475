"""Resolving what a URL names (spec README §1): its container, and the badge of badge routes.

Each slug resolves inside the previous one: system, then issuer, then program; the first that
does not resolve is the 404. The system is loaded at most once per request (auth may have
needed it first, for a consumer key's system check).
"""

from __future__ import annotations

from collections.abc import Mapping

from badgekit.domain import badges, containers
from badgekit.domain.places import Place
from badgekit.errors import ResourceNotFound
from badgekit.http.context import ApiRequest, param
from badgekit.store import keys
from badgekit.store.badges import BadgeRecord
from badgekit.store.containers import SystemRecord


def _memo_key(slug: str) -> tuple[str, str]:
    return ("system", keys.slug_key(slug))


def find_system(request: ApiRequest, slug: str) -> SystemRecord | None:
    memo_key = _memo_key(slug)
    if memo_key not in request.memo:
        request.memo[memo_key] = containers.find_system(slug)
    found: SystemRecord | None = request.memo[memo_key]
    return found


def system_id_of(request: ApiRequest, slug: str) -> int | None:
    """For the auth check of consumer keys (auth.md §4 step 16)."""
    system = find_system(request, slug)
    return system["id"] if system else None


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


def badge(request: ApiRequest, params: Mapping[str, str]) -> tuple[Place, BadgeRecord]:
    """The URL's container and its badge (`badgeSlug`); the system (unless this request has
    already read it) and the badge come in one BatchGetItem. Other path parameters (a code,
    an email, ...) are the caller's."""
    slug = param(params["badgeSlug"])
    prefix = {name: value for name, value in params.items() if name in CONTAINER_PARAMS}
    system_slug = param(prefix["systemSlug"])
    memo_key = _memo_key(system_slug)
    known = memo_key in request.memo
    system, found = badges.with_system(slug, None if known else system_slug)
    if not known:
        request.memo[memo_key] = system
    place = resolve(request, **prefix)
    return place, badges.under(place, found, slug)
