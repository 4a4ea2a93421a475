"""Resolving the container named by a URL prefix (spec README §1).

Each slug resolves inside the previous one: system, then issuer, then program; the first that
does not resolve is the 404. The system is loaded at most once per request (auth may have
needed it first, for a consumer key's system check).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from badgekit import containers, db, keys
from badgekit.api import ApiRequest, param
from badgekit.errors import ResourceNotFound

Item = dict[str, Any]


@dataclass(frozen=True)
class Place:
    """The container named by a URL prefix: a system, and maybe an issuer and a program."""

    system: Item
    issuer: Item | None = None
    program: Item | None = None

    def contains(self, owned: Mapping[str, Any]) -> bool:
        """Rule 2: an item is addressable through its own container or any ancestor."""
        if int(owned["systemId"]) != int(self.system["id"]):
            return False
        if self.issuer is not None and owned.get("issuerId") != self.issuer["id"]:
            return False
        return self.program is None or owned.get("programId") == self.program["id"]

    def owner_ids(self) -> dict[str, int]:
        ids = {"systemId": int(self.system["id"])}
        if self.issuer is not None:
            ids["issuerId"] = int(self.issuer["id"])
        if self.program is not None:
            ids["programId"] = int(self.program["id"])
        return ids

    def scope_prefix(self) -> str:
        """GSI2 sort-key prefix selecting items of this container and its descendants."""
        ids = self.owner_ids()
        return keys.scope_prefix(ids["systemId"], ids.get("issuerId"), ids.get("programId"))

    def level(self) -> tuple[str, int]:
        """The most specific container: ("system" | "issuer" | "program", id)."""
        if self.program is not None:
            return "program", int(self.program["id"])
        if self.issuer is not None:
            return "issuer", int(self.issuer["id"])
        return "system", int(self.system["id"])

    def parents(self) -> list[Item]:
        return [c for c in (self.system, self.issuer, self.program) if c is not None]


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
