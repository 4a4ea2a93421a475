"""Systems, issuers and programs in the table: their records, reads, list pages and the
transaction actions that write them (keys: `store/keys.py`)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Literal, NotRequired, TypedDict, cast

from badgekit.store import db, directory, keys, prefetch
from badgekit.store.records import optional, record


class _Container(TypedDict):
    """What the three levels share (systems.md, issuers.md, programs.md)."""

    id: int
    slug: str
    name: str
    url: str
    description: NotRequired[str]
    email: NotRequired[str]
    imageUrl: NotRequired[str]  # a remote image
    imageSlug: NotRequired[str]  # a stored image (store/images.py)
    created: NotRequired[int]
    version: NotRequired[int]


class SystemRecord(_Container):
    entity: Literal["system"]
    # Its issuers and programs being purged after their delete (`keys.container_token`s):
    # readers leave out what they owned (domain/cascade.py). Never rendered.
    purging: NotRequired[set[str]]


class IssuerRecord(_Container):
    entity: Literal["issuer"]
    systemId: int


class ProgramRecord(_Container):
    entity: Literal["program"]
    systemId: int
    issuerId: int


ContainerRecord = SystemRecord | IssuerRecord | ProgramRecord
OwnedRecord = IssuerRecord | ProgramRecord  # what a system's partition holds


def key_of(container: ContainerRecord) -> keys.Key:
    """The item key of a container, rebuilt from its ids and slug."""
    if container["entity"] == "system":
        return keys.system(container["slug"])
    if container["entity"] == "issuer":
        return keys.issuer(container["systemId"], container["slug"])
    return keys.program(container["systemId"], container["issuerId"], container["slug"])


def index_of(container: ContainerRecord) -> dict[str, str]:
    """The index attributes of a container's item: GSI1 (by id) and, for issuers and programs,
    GSI3 (every container in id order: a page of systems or issuers reads its embeds at once)."""
    attributes = keys.by_id(container["entity"], container["id"])
    if container["entity"] == "issuer":
        attributes.update(keys.container_index(container["systemId"], container["id"]))
    elif container["entity"] == "program":
        ids = (container["systemId"], container["issuerId"], container["id"])
        attributes.update(keys.container_index(*ids))
    return attributes


def stored[R: ContainerRecord](container: R) -> R:
    """`container` with the key attributes of its item (records do not declare them; the
    generic write helpers of `store/db.py` read them from items the domain hands on)."""
    return cast(R, {**container, **key_of(container), **index_of(container)})


def _owned(item: db.Item) -> OwnedRecord:
    if item["entity"] == "issuer":
        return record(item, IssuerRecord)
    return record(item, ProgramRecord)


# --- reads -----------------------------------------------------------------------------------


def system_key(slug: str) -> keys.Key:
    """For reading a system in a batch with other items (`store.badges.with_system`)."""
    return keys.system(slug)


def get_system(slug: str) -> SystemRecord | None:
    return optional(prefetch.get(keys.system(slug)), SystemRecord)


def get_issuer(system_id: int, slug: str) -> IssuerRecord | None:
    return optional(prefetch.get(keys.issuer(system_id, slug)), IssuerRecord)


def get_program(system_id: int, issuer_id: int, slug: str) -> ProgramRecord | None:
    return optional(prefetch.get(keys.program(system_id, issuer_id, slug)), ProgramRecord)


def system_by_id(system_id: int) -> SystemRecord | None:
    """Systems are keyed by slug: GSI1 finds one by id, a consistent read confirms it (unless
    this request has already read it where the directory last saw it)."""
    known = read_by_id("system", system_id)
    if known is not None:
        return record(known, SystemRecord)
    found = db.by_id("system", system_id)
    if found is None:
        return None
    system = prefetch.get(keys.system(str(found["slug"])))
    if system is None or system["id"] != found["id"]:
        return None
    return record(system, SystemRecord)


def read_by_id(entity: str, entity_id: int, system_id: int | None = None) -> db.Item | None:
    """The system, issuer or program `entity_id` if this request has read it ahead where the
    directory last saw it (and it is that one: same id, of `system_id` when given); else None,
    and the caller reads it its own way."""
    key = directory.key_of(entity, entity_id)
    item = prefetch.known_item(key) if key is not None else None
    if item is None or item.get("entity") != entity or int(item["id"]) != entity_id:
        return None
    if system_id is not None and entity != "system" and int(item["systemId"]) != system_id:
        return None
    return item


def owner_by_id(system_id: int, entity: str, entity_id: int) -> OwnedRecord | None:
    """An issuer or program of `system_id` by id, if this request has read it ahead."""
    item = read_by_id(entity, entity_id, system_id)
    return None if item is None else _owned(item)


# Up to this many issuers and programs missing from the directory are read by id (GSI1, one
# Query each, concurrently); more take the one Query of every container of the system.
BY_ID_MAX = 2


def owners(system_id: int, wanted: Iterable[tuple[str, int]]) -> dict[tuple[str, int], OwnedRecord]:
    """Issuers and programs of `system_id` by (entity, id), as they are now: those this request
    has read where the directory last saw them; else, when the directory now knows where each
    missing one was (e.g. learnt from the badges just read), one consistent BatchGetItem at
    those keys; and for those still missing (a cold directory, a rename elsewhere), each found
    by id (GSI1, concurrently) and read consistently at the key found (one BatchGetItem) when
    there are at most BY_ID_MAX, else (or if one is still missing: a create not yet in GSI1)
    the Query of every container of the system. One absent from all of them is left out."""
    pairs = list(dict.fromkeys(wanted))
    found: dict[tuple[str, int], OwnedRecord] = {}

    def take() -> list[tuple[str, int]]:
        for entity, entity_id in pairs:
            if (entity, entity_id) not in found:
                item = read_by_id(entity, entity_id, system_id)
                if item is not None:
                    found[(entity, entity_id)] = _owned(item)
        return [pair for pair in pairs if pair not in found]

    missing = take()
    if missing and prefetch.active():
        guessed = [directory.key_of(*pair) for pair in missing]
        if all(key is not None for key in guessed):
            prefetch.read([key for key in guessed if key is not None])
            missing = take()
        if 0 < len(missing) <= BY_ID_MAX:
            hits = db.fan_out(lambda pair: db.by_id(*pair), missing)
            prefetch.read([{"PK": hit["PK"], "SK": hit["SK"]} for hit in hits if hit is not None])
            missing = take()
    if missing:
        every = {(item["entity"], item["id"]): item for item in owned_by(system_id)}
        found.update({pair: every[pair] for pair in missing if pair in every})
    return found


def owned_query(system_id: int) -> prefetch.Planned:
    """(name, run) of the Query of every issuer and program of a system (`owned_by`)."""
    partition = keys.system_partition(system_id)
    return ("containers", system_id), lambda: db.query_prefix(partition, keys.CONTAINER_PREFIX)


def owned_by(system_id: int) -> list[OwnedRecord]:
    """Every issuer and program of a system: one strongly consistent Query."""
    items = prefetch.query(*owned_query(system_id))
    directory.learn_all(items)
    return [_owned(item) for item in items]


def programs_query(system_id: int, issuer_id: int) -> prefetch.Planned:
    """(name, run) of the Query of an issuer's programs (`programs_of`)."""
    partition = keys.system_partition(system_id)
    prefix = keys.programs_prefix(issuer_id)
    return ("programs", system_id, issuer_id), lambda: db.query_prefix(partition, prefix)


def programs_of(system_id: int, issuer_id: int) -> list[ProgramRecord]:
    items = prefetch.query(*programs_query(system_id, issuer_id))
    directory.learn_all(items)
    return [record(item, ProgramRecord) for item in items]


def programs_of_system(system_id: int) -> list[ProgramRecord]:
    """Every program of a system (all its issuers'): one Query."""
    partition = keys.system_partition(system_id)
    items = db.query_prefix(partition, "CONTAINER#PROGRAM#")
    return [record(item, ProgramRecord) for item in items]


def owned_by_systems(systems: Sequence[SystemRecord]) -> dict[int, list[OwnedRecord]]:
    """The issuers and programs of systems with consecutive ids in the systems list (a page):
    one GSI3 Query over the id range (more only past 1 MB), grouped by system id. Anything of
    a system not in `systems` (deleted, being purged) is left out."""
    grouped: dict[int, list[OwnedRecord]] = {system["id"]: [] for system in systems}
    if not systems:
        return grouped
    ids = [system["id"] for system in systems]
    low, high = keys.containers_of_systems(min(ids), max(ids))
    for item in db.index_range("GSI3", keys.CONTAINER_INDEX, low, high):
        owned = grouped.get(int(item["systemId"]))
        if owned is not None:
            owned.append(_owned(item))
    return grouped


def programs_of_issuers(
    system_id: int, issuers: Sequence[IssuerRecord]
) -> dict[int, list[ProgramRecord]]:
    """The programs of a page of a system's issuers (consecutive ids in its issuers list): one
    GSI3 Query over the id range, grouped by issuer id; the issuers' own rows are skipped."""
    grouped: dict[int, list[ProgramRecord]] = {issuer["id"]: [] for issuer in issuers}
    if not issuers:
        return grouped
    ids = [issuer["id"] for issuer in issuers]
    low, high = keys.containers_of_issuers(system_id, min(ids), max(ids))
    for item in db.index_range("GSI3", keys.CONTAINER_INDEX, low, high):
        programs = grouped.get(int(item.get("issuerId", 0)))
        if item["entity"] == "program" and programs is not None:
            programs.append(record(item, ProgramRecord))
    return grouped


def systems_page(page: db.Page | None) -> tuple[list[SystemRecord], int]:
    items, total = db.list_members(keys.systems_list(), page)
    return [record(item, SystemRecord) for item in items], total


def issuers_page(system_id: int, page: db.Page | None) -> tuple[list[IssuerRecord], int]:
    items, total = db.list_members(keys.issuers_list(system_id), page)
    return [record(item, IssuerRecord) for item in items], total


def programs_page(
    system_id: int, issuer_id: int, page: db.Page | None
) -> tuple[list[ProgramRecord], int]:
    items, total = db.list_members(keys.programs_list(system_id, issuer_id), page)
    return [record(item, ProgramRecord) for item in items], total


def reload[R: ContainerRecord](current: R, kind: type[R], gone: Exception, failure: Exception) -> R:
    """`current` read again after a lost race (`db.reload`)."""
    return record(db.reload({**current, **key_of(current)}, gone, failure), kind)


# --- write actions ---------------------------------------------------------------------------


def put_new(container: ContainerRecord) -> dict[str, Any]:
    """Put action: the new container at its key, which must be free (slug uniqueness)."""
    item = {**container, **key_of(container), **index_of(container)}
    return {"Put": {"Item": item, "ConditionExpression": "attribute_not_exists(PK)"}}


def new_actions(container: ContainerRecord, members: keys.ListScope) -> list[dict[str, Any]]:
    """A new container's put (action 0, `put_new`) and its entry in its level's list `members`
    with the list's total (actions 1 and 2)."""
    return [put_new(container), *db.list_add(members, container["id"], key_of(container))]


def still_there(container: ContainerRecord) -> dict[str, Any]:
    """ConditionCheck action: the container (a parent) still exists, the same one."""
    return db.still_there({**key_of(container), "id": container["id"]})


def delete_same(container: ContainerRecord) -> dict[str, Any]:
    return db.delete_same({**key_of(container), "id": container["id"]})


def save[R: ContainerRecord](current: R, updated: R, extra: list[dict[str, Any]]) -> None:
    """Write `updated` over `current` (moved to its new key on a slug change) with `extra`
    actions, if `current` is still the stored version (`db.save_revision`); on success
    `updated` carries its new version."""
    item: db.Item = {**updated, **key_of(updated)}
    db.save_revision({**current, **key_of(current)}, db.Revision(item, extra))
    updated["version"] = int(item["version"])
