"""Badge classes in the table: their records, reads, list pages and the transaction actions that
write them (keys and list scopes: `store/keys.py`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NotRequired, TypedDict, cast

from badgekit.store import containers as container_store
from badgekit.store import db, directory, keys, prefetch
from badgekit.store.containers import SystemRecord
from badgekit.store.records import optional, record


class CriterionRecord(TypedDict):
    id: int
    description: str
    required: bool
    note: str


class AlignmentRecord(TypedDict):
    id: int
    name: str
    url: str
    description: str


class TagRecord(TypedDict):
    id: int
    value: str


class BadgeRecord(TypedDict):
    """A badge class with its child collections (badges.md); absent optional fields are not
    stored."""

    entity: str
    id: int
    slug: str
    name: str
    strapline: NotRequired[str]
    earnerDescription: str
    consumerDescription: str
    issuerUrl: NotRequired[str]
    rubricUrl: NotRequired[str]
    criteriaUrl: str
    timeValue: NotRequired[int]
    timeUnits: NotRequired[str]
    limit: NotRequired[int]
    unique: NotRequired[bool]
    archived: NotRequired[bool]
    type: NotRequired[str]
    evidenceType: NotRequired[str]
    systemId: int
    issuerId: NotRequired[int]
    programId: NotRequired[int]
    imageUrl: NotRequired[str]  # a remote image
    imageSlug: NotRequired[str]  # a stored image (store/images.py)
    criteria: NotRequired[list[CriterionRecord]]
    alignments: NotRequired[list[AlignmentRecord]]
    categories: NotRequired[list[str]]
    tags: NotRequired[list[TagRecord]]
    created: NotRequired[int]
    version: NotRequired[int]
    # How many milestones (any system) name this badge as their primary badge, kept by the
    # milestone transactions (`primary_count_change`); absent on badges written before it was
    # kept: unknown (docs/data-model.md). Never rendered, never taken from input.
    primaryMilestones: NotRequired[int]


def key_of(badge: BadgeRecord) -> keys.Key:
    return keys.badge(badge["slug"])


def stored(badge: BadgeRecord) -> BadgeRecord:
    """`badge` with the key attributes of its item (records do not declare them; the generic
    write helpers of `store/db.py` read them from items the domain hands on)."""
    return cast(BadgeRecord, {**badge, **key_of(badge), **keys.by_id("badge", badge["id"])})


def _badge(item: db.Item) -> BadgeRecord:
    return record(item, BadgeRecord)


# --- reads -----------------------------------------------------------------------------------


def with_system(
    badge_slug: str, system_slug: str | None
) -> tuple[SystemRecord | None, BadgeRecord | None]:
    """A badge by its (global) slug and, when `system_slug` is given, that system too: one
    strongly consistent BatchGetItem (of those this request has not read ahead)."""
    badge_key = keys.badge(badge_slug)
    wanted = [badge_key]
    if system_slug is not None:
        wanted.insert(0, container_store.system_key(system_slug))
    found = {(item["PK"], item["SK"]): item for item in prefetch.batch_get(wanted)}
    badge = found.get((badge_key["PK"], badge_key["SK"]))
    system = None
    if system_slug is not None:
        system = found.get((wanted[0]["PK"], wanted[0]["SK"]))
    return optional(system, SystemRecord), optional(badge, BadgeRecord)


def _lists(scopes: keys.ListScope | Sequence[keys.ListScope]) -> list[keys.ListScope]:
    return [scopes] if isinstance(scopes, keys.ListScope) else list(scopes)


def list_queries(
    scopes: keys.ListScope | Sequence[keys.ListScope], page: db.Page | None
) -> list[prefetch.Planned]:
    """(name, run) of the Queries `page_of` makes: one per list (for reading them ahead)."""
    limit = db.list_limit(page)
    return [db.list_rows_query(scope, limit) for scope in _lists(scopes)]


def page_of(
    scopes: keys.ListScope | Sequence[keys.ListScope],
    page: db.Page | None,
    with_owners: bool = False,
) -> tuple[list[BadgeRecord], int]:
    """The badges of one list (or of several merged), one page or all, and the total.

    One Query per list (concurrently, unless this request made them ahead), then one
    consistent BatchGetItem of the page's badges with, `with_owners` (a list to render) and
    where the directory knows where the badges were last seen, their systems, issuers and
    programs (`owner_keys`; a wrong guess is a key nobody asks for)."""
    entries, total, badge_keys = _page_keys(_lists(scopes), page, with_owners)
    found = {(item["PK"], item["SK"]): item for item in prefetch.batch_get(badge_keys)}
    items = [item for entry in entries if (item := found.get((entry["refPK"], entry["refSK"])))]
    return [_badge(item) for item in items], total


def _page_keys(
    lists: list[keys.ListScope], page: db.Page | None, with_owners: bool
) -> tuple[list[db.Item], int, list[keys.Key]]:
    """The page's list entries, the total, and the keys `page_of` reads in its BatchGetItem:
    the page's badges, then (`with_owners`) their containers where the directory last saw them,
    as far as the last 100 keys have room."""
    rows = prefetch.queries(list_queries(lists, page))
    entries, total = db.list_page(lists, rows, page)
    badge_keys = [db.member_key(entry) for entry in entries]
    room = -len(badge_keys) % db.BATCH_GET_MAX if with_owners else 0
    if room:
        ids = {db.member_id(entry) for entry in entries}
        badge_keys += owner_keys(ids)[:room]
    return entries, total, badge_keys


def page_keys_ahead(
    scopes: keys.ListScope | Sequence[keys.ListScope], page: db.Page | None
) -> list[keys.Key]:
    """The keys a rendered page of the lists reads (`page_of` with owners), for a request that
    made the lists' Queries ahead and reads these with its path's items (one BatchGetItem)."""
    return _page_keys(_lists(scopes), page, True)[2]


def owner_keys(badge_ids: Iterable[int]) -> list[keys.Key]:
    """The keys of the systems, issuers and programs of badges (by id) where the directory last
    saw them, each once."""
    wanted: dict[tuple[str, int], None] = {}
    for badge_id in badge_ids:
        place = directory.seen("badge", badge_id)
        if place is None:
            continue
        for entity, owner_id in (
            ("system", place.system_id),
            ("issuer", place.issuer_id),
            ("program", place.program_id),
        ):
            if owner_id is not None:
                wanted[(entity, owner_id)] = None
    found = (directory.key_of(entity, owner_id) for entity, owner_id in wanted)
    return [key for key in found if key is not None]


def with_system_by_id(
    badge_id: int, system_id: int
) -> tuple[BadgeRecord | None, SystemRecord | None]:
    """A badge and a system by id: where the directory last saw them (same ids), read ahead by
    this request or else now, in one BatchGetItem; what that misses by its GSI1 lookup, then
    one consistent BatchGetItem confirms it still exists (and reads its current version)."""
    system_key = directory.key_of("system", system_id)
    prefetch.read([*keys_by_id([badge_id]), *([system_key] if system_key else [])])
    badge = cast("db.Item | None", read_by_id(badge_id))  # an item until `optional` below
    system = container_store.read_by_id("system", system_id)
    missing = [("badge", badge_id)] if badge is None else []
    missing += [("system", system_id)] if system is None else []
    if missing:
        hits = db.fan_out(lambda pair: db.by_id(pair[0], pair[1]), missing)
        wanted = [{"PK": hit["PK"], "SK": hit["SK"]} for hit in hits if hit is not None]
        found = prefetch.batch_get(wanted) if wanted else []
        for entity, entity_id in missing:
            item = next(
                (i for i in found if i.get("entity") == entity and int(i["id"]) == entity_id),
                None,
            )
            if entity == "badge":
                badge = item
            else:
                system = item
    return optional(badge, BadgeRecord), optional(system, SystemRecord)


def indexed(badge_id: int) -> BadgeRecord | None:
    """A badge by id as GSI1 has it (eventually consistent)."""
    item = db.by_id("badge", badge_id)
    directory.learn(item)
    return optional(item, BadgeRecord)


def current(found: Iterable[BadgeRecord]) -> list[BadgeRecord]:
    """`found` (badges read through GSI1) as they are now: one consistent BatchGetItem (of
    those this request has not read yet); a badge since deleted is left out."""
    items = prefetch.batch_get([key_of(badge) for badge in found])
    return [_badge(item) for item in items if item.get("entity") == "badge"]


def read_by_id(badge_id: int) -> BadgeRecord | None:
    """The badge `badge_id` if this request has read it ahead where the directory last saw it
    and it is still that badge (same id); else None, and the caller reads it by id its own
    way (GSI1)."""
    key = directory.key_of("badge", badge_id)
    item = prefetch.known_item(key) if key is not None else None
    if item is None or item.get("entity") != "badge" or int(item["id"]) != badge_id:
        return None
    return _badge(item)


def keys_by_id(badge_ids: Iterable[int]) -> list[keys.Key]:
    """The keys the directory guesses for badges by id, with their issuers' and programs' (what
    rendering them reads): for reading them ahead in one BatchGetItem."""
    return [key for badge_id in sorted(set(badge_ids)) for key in directory.badge_keys(badge_id)]


def by_ids(badge_ids: Iterable[int], also: Sequence[keys.Key] = ()) -> dict[int, BadgeRecord]:
    """Badges by id through the directory, in one consistent BatchGetItem with their issuers
    and programs and the items at `also` (a GET request only): those found at their guessed key
    with the same id. The caller reads the others by id (GSI1)."""
    wanted = sorted(set(badge_ids))
    prefetch.read([*also, *keys_by_id(wanted)])
    found = {badge_id: read_by_id(badge_id) for badge_id in wanted}
    return {badge_id: badge for badge_id, badge in found.items() if badge is not None}


def reload(current: BadgeRecord, gone: Exception, failure: Exception) -> BadgeRecord:
    """`current` read again after a lost race (`db.reload`)."""
    return _badge(db.reload({**current, **key_of(current)}, gone, failure))


# --- write actions ---------------------------------------------------------------------------


def put_new(badge: BadgeRecord) -> dict[str, Any]:
    """Put action: the new badge at its slug's key, which must be free."""
    return put_over(badge, None)


def put_over(badge: BadgeRecord, held_by: int | None) -> dict[str, Any]:
    """Put action: the new badge at its slug's key over the badge `held_by`, whose container
    is being purged (only if that one is still there: the purge deletes by id); when None,
    only if the key is free."""
    item = {**badge, **key_of(badge), **keys.by_id("badge", badge["id"])}
    return {"Put": {"Item": item, **db.free_or(held_by)}}


def at(key: keys.Key) -> BadgeRecord | None:
    """The badge at a slug's key, read consistently now."""
    item = db.get(key)
    return None if item is None or item.get("entity") != "badge" else _badge(item)


def still_there(badge: BadgeRecord) -> dict[str, Any]:
    return db.still_there({**key_of(badge), "id": badge["id"]})


PRIMARY_COUNT = "primaryMilestones"


def counts_primaries(badge: BadgeRecord) -> bool:
    """Whether the badge's item keeps its count of primary milestones (written since it is)."""
    return PRIMARY_COUNT in badge


def has_no_primaries(badge: BadgeRecord) -> bool:
    """True only when the badge's count says no milestone names it as primary."""
    return badge.get(PRIMARY_COUNT) == 0


def counted_guess(badge_id: int) -> BadgeRecord | None:
    """The badge (by id) as the directory last saw it keeping a count of primary milestones:
    only its id, slug and count (what `primary_count_change` and `key_of` need), None if it did
    not see it so. A guess: the count's change is conditioned on the id at that key."""
    count = directory.primary_count(badge_id)
    place = directory.seen("badge", badge_id)
    if count is None or count < 0 or place is None:
        return None
    return cast(BadgeRecord, {"id": badge_id, "slug": place.slug, PRIMARY_COUNT: count})


def primary_count_change(badge_key: keys.Key, badge_id: int, delta: int) -> dict[str, Any]:
    """Update action: add `delta` to the badge's count of primary milestones, only if the badge
    is still there (same id) and keeps the count. It also bumps the badge's `version`, so a
    badge update that read the item before (and writes it whole, `save`) fails and reads it
    again instead of writing back the old count."""
    return {
        "Update": {
            "Key": {"PK": badge_key["PK"], "SK": badge_key["SK"]},
            "UpdateExpression": "ADD #count :delta, version :one",
            "ConditionExpression": "id = :id AND attribute_exists(#count)",
            "ExpressionAttributeNames": {"#count": PRIMARY_COUNT},
            "ExpressionAttributeValues": {":delta": delta, ":one": 1, ":id": badge_id},
        }
    }


def delete_same(badge: BadgeRecord) -> dict[str, Any]:
    return db.delete_same({**key_of(badge), "id": badge["id"]})


def save(
    current: BadgeRecord,
    updated: BadgeRecord,
    extra: list[dict[str, Any]],
    over: int | None = None,
) -> None:
    """Write `updated` over `current` (moved on a slug change) with `extra` actions, if
    `current` is still the stored version; on success `updated` carries its new version. A
    move takes the new key over from badge `over` (being purged) if given, else needs it free."""
    item: db.Item = {**updated, **key_of(updated)}
    db.save_revision({**current, **key_of(current)}, db.Revision(item, extra, over))
    updated["version"] = int(item["version"])


def children(badge_id: int) -> list[db.Item]:
    """The keys of everything in a badge's own partition, list entries with what they point at
    (`refPK`, `refSK`): one consistent Query (per MB), for the delete cascade."""
    return list(db.partition_rows(keys.badge_partition(badge_id), extra=("refPK", "refSK")))


def purge_children(rows: Iterable[db.Item]) -> int:
    """Remove what is left in a deleted badge's own partition (codes, instances, ...), the
    `children` read before the cascade's other steps."""
    return db.delete_keys({"PK": row["PK"], "SK": row["SK"]} for row in rows)


def stored_form(badge: Mapping[str, Any]) -> db.Item:
    """A badge's attributes (`id`, `slug`, ...) as the item stored, keys included (its size)."""
    return {**badge, **keys.badge(str(badge["slug"])), **keys.by_id("badge", int(badge["id"]))}
