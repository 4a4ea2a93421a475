"""Every DynamoDB key of the single table is built here, and only here.

Layout (docs/data-model.md has the full plan, including later entities):

    system           PK SYSTEM#<slug>         SK SYSTEM            (global slug = uniqueness guard)
    issuer           PK SYS#<systemId>        SK CONTAINER#ISSUER#<slug>
    program          PK SYS#<systemId>        SK CONTAINER#PROGRAM#<issuerId>#<slug>
    consumer         PK CONSUMER#<apiKey>     SK CONSUMER          (exact, case-sensitive key)
    image            PK IMAGE#<slug>          SK IMAGE             (bytes in S3: images/<slug>)
    badge            PK BADGE#<slug>          SK BADGE             (children are attributes)
    list header      PK <scope>               SK LIST#<name>#      (attribute `total`)
    list entry       PK <scope>               SK LIST#<name>#<id:012d> (refPK/refSK of the item)
    id counters      PK COUNTER               SK IDS               (one attribute per entity)

Slugs are case-insensitive (spec README §8): keys hold a normalised copy, items keep the
spelling first given. Items live at slug keys so that one GetItem resolves a path segment;
stored relationships use immutable ids, so renaming is a move of one item.
"""

from __future__ import annotations

import hashlib

Key = dict[str, str]

# DynamoDB sort keys are limited to 1024 bytes; a 255-character slug can be 1020 bytes of UTF-8.
_MAX_SLUG_KEY_BYTES = 400


def slug_key(slug: str) -> str:
    """Case-insensitive, bounded-size key form of a slug, code or email."""
    folded = slug.lower()
    if len(folded.encode()) <= _MAX_SLUG_KEY_BYTES:
        return folded
    return "sha256:" + hashlib.sha256(folded.encode()).hexdigest()


def padded(number: int) -> str:
    """Fixed-width ids sort in creation order inside list partitions."""
    return f"{number:012d}"


def system(slug: str) -> Key:
    return {"PK": f"SYSTEM#{slug_key(slug)}", "SK": "SYSTEM"}


def system_partition(system_id: int) -> str:
    return f"SYS#{system_id}"


CONTAINER_PREFIX = "CONTAINER#"
ISSUER_PREFIX = "CONTAINER#ISSUER#"


def issuer(system_id: int, slug: str) -> Key:
    return {"PK": system_partition(system_id), "SK": f"{ISSUER_PREFIX}{slug_key(slug)}"}


def programs_prefix(issuer_id: int) -> str:
    return f"CONTAINER#PROGRAM#{issuer_id}#"


def program(system_id: int, issuer_id: int, slug: str) -> Key:
    return {
        "PK": system_partition(system_id),
        "SK": f"{programs_prefix(issuer_id)}{slug_key(slug)}",
    }


def badge(slug: str) -> Key:
    """Badge slugs are unique across the deployment (spec README §9)."""
    return {"PK": f"BADGE#{slug_key(slug)}", "SK": "BADGE"}


def image(slug: str) -> Key:
    """Image slugs are generated (32 hex) and unique across the deployment (spec README §9)."""
    return {"PK": f"IMAGE#{slug_key(slug)}", "SK": "IMAGE"}


def consumer(api_key: str) -> Key:
    return {"PK": f"CONSUMER#{api_key}", "SK": "CONSUMER"}


def by_id(entity: str, entity_id: int) -> dict[str, str]:
    """GSI1 attributes: any entity by its immutable id."""
    return {"GSI1PK": f"ID#{entity.upper()}#{entity_id}", "GSI1SK": entity.upper()}


def id_counters() -> Key:
    """One item holds every entity type's id counter (one attribute each)."""
    return {"PK": "COUNTER", "SK": "IDS"}


class ListScope:
    """An ordered, paginated collection: a header item with `total` plus one entry per member.

    Entries are tiny (the member's key), so skipping to page N reads N*count small items and
    the page itself is one BatchGetItem; `total` is maintained in the same transaction as the
    member, so it is exact.
    """

    def __init__(self, partition: str, name: str) -> None:
        self.partition = partition
        self.prefix = f"LIST#{name}#"

    def header(self) -> Key:
        return {"PK": self.partition, "SK": self.prefix}

    def entry(self, member_id: int) -> Key:
        return {"PK": self.partition, "SK": f"{self.prefix}{padded(member_id)}"}


def systems_list() -> ListScope:
    return ListScope("SYSTEMS", "SYSTEMS")


def issuers_list(system_id: int) -> ListScope:
    return ListScope(system_partition(system_id), "ISSUERS")


def programs_list(system_id: int, issuer_id: int) -> ListScope:
    return ListScope(system_partition(system_id), f"PROGRAMS#{issuer_id}")


def consumers_list(system_id: int) -> ListScope:
    return ListScope(system_partition(system_id), "CONSUMERS")


def _state(archived: bool) -> str:
    return "ARCHIVED" if archived else "ACTIVE"


def badges_list(system_id: int, level: str, level_id: int, archived: bool) -> ListScope:
    """Badges of a system, issuer or program (and its descendants), active or archived."""
    return ListScope(
        system_partition(system_id), f"BADGES#{level.upper()}#{level_id}#{_state(archived)}"
    )


def all_badges_list(archived: bool) -> ListScope:
    """Every badge of the deployment (`GET /public/badges`)."""
    return ListScope("BADGES", _state(archived))
