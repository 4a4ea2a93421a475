"""Badge classes (spec badges.md): fields, child collections, lists with the archived filter.

A badge lives at its global slug key (slugs are unique across the deployment) and carries its
children (criteria, alignments, categories, tags) as attributes, so one GetItem reads a whole
badge and one conditional write stores it atomically. It is listed in up to four ordered lists —
all badges, its system's, its issuer's, its program's — each split into active and archived
halves, so the default (non-archived) list and `archived=true` are single lists and `any` merges
two.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from badgekit import timestamps
from badgekit.domain import containers, images
from badgekit.domain.inputs import Body
from badgekit.domain.places import Place
from badgekit.domain.validation import (
    NOT_IN_RANGE,
    URL,
    BooleanField,
    CoercionError,
    IntegerField,
    Report,
    StringField,
    as_integer,
    as_list,
    as_string,
    bound_length,
    check_fields,
    each_object,
    length,
    one_of,
)
from badgekit.errors import (
    InvalidParameter,
    RequestEntityTooLarge,
    ResourceConflict,
    ResourceNotFound,
)
from badgekit.jsonutil import dumps
from badgekit.store import badges as badge_store
from badgekit.store import containers as container_store
from badgekit.store import db, keys
from badgekit.store.badges import AlignmentRecord, BadgeRecord, CriterionRecord
from badgekit.store.containers import SystemRecord
from badgekit.store.records import record

Draft = dict[str, Any]  # a badge or a child (criterion, alignment) being built from input

TEXT = 65535
FIELDS = (
    StringField("slug", rules=(length(1, 255),)),
    StringField("name", required=True, rules=(length(1, 255),)),
    StringField("strapline", rules=(length(0, 140),)),
    StringField("earnerDescription", required=True, rules=(length(1, TEXT),)),
    StringField("consumerDescription", required=True, rules=(length(1, TEXT),)),
    StringField("issuerUrl", rules=(length(0, 255),)),
    StringField("rubricUrl", rules=(length(0, 255),)),
    StringField("criteriaUrl", required=True, rules=(URL, length(0, 255))),
    IntegerField("timeValue"),
    StringField("timeUnits", rules=(one_of("minutes", "hours", "days", "weeks"),)),
    IntegerField("limit"),
    BooleanField("unique", required=True),
    BooleanField("archived"),
    StringField("type", rules=(length(0, 255),)),
    StringField("evidenceType", rules=(one_of("URL", "Text", "Photo", "Video", "Sound"),)),
)
FIELD_NAMES = tuple(spec.name for spec in FIELDS)
CRITERION_FIELDS = (
    StringField("description", rules=(length(0, TEXT),)),
    BooleanField("required"),
    StringField("note", rules=(length(0, TEXT),)),
)
ALIGNMENT_FIELDS = (
    StringField("name", required=True, rules=(length(1, TEXT),)),
    StringField("url", required=True, rules=(URL,)),
    StringField("description", rules=(length(0, TEXT),)),
)
CHILDREN = ("criteria", "alignments", "categories", "tags")
# DynamoDB items are limited to 400 KB; leave room for keys and bookkeeping attributes.
MAX_ITEM_BYTES = 380_000

ARCHIVED_MESSAGE = "Invalid `archived` parameter. Expecting one of 'true', 'false' or 'any'."


# --- where a badge is listed ------------------------------------------------------------------


def list_scope(place: Place, archived: bool) -> keys.ListScope:
    """The URL container's list of badges (itself and its descendants) in one state."""
    level, level_id = place.level()
    return keys.badges_list(place.system["id"], level, level_id, archived)


def memberships(badge: BadgeRecord, archived: bool) -> list[keys.ListScope]:
    """Every list a badge belongs to in a given state: all badges, system, issuer, program."""
    system_id = badge["systemId"]
    scopes = [
        keys.all_badges_list(archived),
        keys.badges_list(system_id, "system", system_id, archived),
    ]
    issuer_id, program_id = badge.get("issuerId"), badge.get("programId")
    if issuer_id is not None:
        scopes.append(keys.badges_list(system_id, "issuer", issuer_id, archived))
    if program_id is not None:
        scopes.append(keys.badges_list(system_id, "program", program_id, archived))
    return scopes


def owners(badge: BadgeRecord) -> list[str]:
    """The containers a badge's list entries name (readers skip those of a container being
    purged: domain/cascade.py)."""
    return keys.owner_tokens(badge["systemId"], badge.get("issuerId"), badge.get("programId"))


def new_actions(badge: BadgeRecord) -> list[dict[str, Any]]:
    """A new badge's put (action 0, only if its key is free) and its entries in every list of
    its state, with their totals."""
    key = badge_store.key_of(badge)
    actions: list[dict[str, Any]] = [badge_store.put_new(badge)]
    for scope in memberships(badge, bool(badge.get("archived", False))):
        actions.extend(db.list_add(scope, badge["id"], key, owners(badge)))
    return actions


# --- reading -------------------------------------------------------------------------------------


def under(place: Place, badge: BadgeRecord | None, slug: str) -> BadgeRecord:
    """The badge if it exists and is addressable through the URL's container, else the 404."""
    if badge is None or not place.contains(badge):
        raise ResourceNotFound.for_field("badge", "slug", slug)
    return badge


def with_system(
    badge_slug: str, system_slug: str | None
) -> tuple[SystemRecord | None, BadgeRecord | None]:
    """A badge by slug, and (unless `system_slug` is None) a system: one BatchGetItem."""
    return badge_store.with_system(badge_slug, system_slug)


def archived_filter(values: Sequence[str] | None) -> list[bool]:
    """The `archived` query parameter as the badge states to list (badges.md, GET {L}/badges)."""
    if values is None:
        return [False]
    if len(values) != 1:
        raise InvalidParameter("archived", ARCHIVED_MESSAGE)
    value = values[0]
    if value in ("undefined", "false", "0"):
        return [False]
    if value in ("true", "1"):
        return [True]
    if value in ("any", ""):
        return [False, True]
    raise InvalidParameter("archived", ARCHIVED_MESSAGE)


def list_badges(
    place: Place, states: list[bool], page: db.Page | None
) -> tuple[list[BadgeRecord], int]:
    return badge_store.page_of([list_scope(place, state) for state in states], page, True)


def list_all_badges(states: list[bool], page: db.Page | None) -> tuple[list[BadgeRecord], int]:
    """Every badge of every system (`GET /public/badges`)."""
    return badge_store.page_of([keys.all_badges_list(state) for state in states], page, True)


# --- input ----------------------------------------------------------------------------------------


@dataclass
class Children:
    """Child collections sent in a request (None = key absent: keep the current one)."""

    criteria: list[Draft] | None = None
    alignments: list[Draft] | None = None
    categories: list[str] | None = None
    tags: list[str] | None = None

    def new_ids_needed(self) -> dict[str, int]:
        return {
            "criterion": sum(1 for c in self.criteria or [] if "id" not in c),
            "alignment": sum(1 for a in self.alignments or [] if "id" not in a),
            "tag": len(self.tags or []),
        }


def _identified(
    name: str,
    value: Any,
    specs: tuple[StringField | BooleanField, ...],
    current: Iterable[CriterionRecord | AlignmentRecord],
    report: Report,
) -> list[Draft]:
    """Criteria or alignments: validated items; an `id` of one of this badge's own items is kept
    (review items refer to criterion ids), any other id is dropped so a new one is assigned."""
    bound_length(name, value, MAX_ITEM_BYTES, "Badge")
    own_ids = {item["id"] for item in current}
    items: list[Draft] = []
    for raw, scoped in each_object(name, value, report):
        cleaned = check_fields(specs, raw, scoped)
        item = {key: cleaned.get(key) for key in (s.name for s in specs)}
        try:
            claimed = as_integer(raw.get("id"))
        except CoercionError:
            claimed = None
        if claimed is not None and claimed in own_ids:
            own_ids.discard(claimed)  # one item per id
            item["id"] = claimed
        items.append(item)
    return items


def _values(name: str, value: Any, report: Report) -> list[str]:
    """Categories or tags: strings (tags may be `{"value": …}`), empties and duplicates dropped."""
    bound_length(name, value, MAX_ITEM_BYTES, "Badge")
    seen: dict[str, None] = {}  # insertion-ordered set
    for raw in as_list(value):
        if name == "tags" and isinstance(raw, dict):
            raw = raw.get("value")
        if raw is None:
            continue
        try:
            text = as_string(raw)
        except CoercionError:
            report.add(name, NOT_IN_RANGE, value)
            return []
        if len(text) > 255:
            report.add(name, NOT_IN_RANGE, value)
            return []
        if text:
            seen.setdefault(text)
    return list(seen)


def _children(fields: Mapping[str, Any], current: BadgeRecord | None, report: Report) -> Children:
    """The child collections of a create (`current` None) or an update of `current`."""
    children = Children()
    if "criteria" in fields:
        criteria = current.get("criteria", []) if current is not None else []
        children.criteria = _identified(
            "criteria", fields["criteria"], CRITERION_FIELDS, criteria, report
        )
    if "alignments" in fields:
        alignments = current.get("alignments", []) if current is not None else []
        children.alignments = _identified(
            "alignments", fields["alignments"], ALIGNMENT_FIELDS, alignments, report
        )
    if "categories" in fields:
        children.categories = _values("categories", fields["categories"], report)
    if "tags" in fields:
        children.tags = _values("tags", fields["tags"], report)
    return children


def _apply_children(item: Draft, children: Children, ids: dict[str, list[int]]) -> None:
    fresh = {kind: iter(values) for kind, values in ids.items()}
    if children.criteria is not None:
        item["criteria"] = [
            {
                "id": c.get("id") or next(fresh["criterion"]),
                "description": c.get("description") or "",
                "required": bool(c.get("required") or False),
                "note": c.get("note") or "",
            }
            for c in children.criteria
        ]
    if children.alignments is not None:
        item["alignments"] = [
            {
                "id": a.get("id") or next(fresh["alignment"]),
                "name": a["name"],
                "url": a["url"],
                "description": a.get("description") or "",
            }
            for a in children.alignments
        ]
    if children.categories is not None:
        item["categories"] = children.categories
    if children.tags is not None:
        item["tags"] = [{"id": next(fresh["tag"]), "value": value} for value in children.tags]


def _scalars(item: Draft, values: Mapping[str, Any]) -> None:
    for name in FIELD_NAMES:
        if name not in values:
            continue
        if values[name] is None:
            item.pop(name, None)
        else:
            item[name] = values[name]
    item.setdefault("type", "")
    item["archived"] = bool(item.get("archived", False))


def _check_size(item: Mapping[str, Any]) -> None:
    """413 when `item` (a badge being written) would exceed the item size, keys included."""
    if len(dumps(badge_store.stored_form(item)).encode()) > MAX_ITEM_BYTES:
        raise RequestEntityTooLarge(
            f"Badge exceeds the maximum stored size of {MAX_ITEM_BYTES} bytes"
        )


def _conflict_details(fields: Mapping[str, Any], values: Mapping[str, Any]) -> dict[str, Any]:
    """The submitted scalar fields after defaults (arrays and image omitted)."""
    details = {name: fields[name] for name in FIELD_NAMES if name in fields}
    details.setdefault("slug", values.get("slug"))
    details.setdefault("type", "")
    details.setdefault("archived", False)
    return details


# --- writing ------------------------------------------------------------------------------------


def create(place: Place, body: Body) -> BadgeRecord:
    """Create a badge with its image and children in one transaction (badges.md POST)."""
    report = Report()
    values = check_fields(FIELDS, body.fields, report)
    image = images.image_input(body.fields, body.upload, report, required=True)
    children = _children(body.fields, None, report)
    report.raise_if_any()
    assert image is not None
    slug = values.get("slug") or keys.new_slug()
    ids = db.allocate_ids({"badge": 1, "image": int(image.stored), **children.new_ids_needed()})
    badge_id = ids.pop("badge")[0]
    image_ids = ids.pop("image")
    draft: dict[str, Any] = {
        "entity": "badge",
        "id": badge_id,
        **place.owner_ids(),
        "created": timestamps.now(),
        "criteria": [],
        "alignments": [],
        "categories": [],
        "tags": [],
        "version": 1,
        badge_store.PRIMARY_COUNT: 0,  # no milestone names it yet (kept by milestone writes)
    }
    _scalars(draft, {**values, "slug": slug})
    _apply_children(draft, children, ids)
    _check_size(draft)  # before uploading anything
    prepared = images.prepare(image, image_id=image_ids[0] if image_ids else None)
    draft.update(prepared.owner_attributes)
    item = badge_store.stored(record(draft, BadgeRecord))
    key = badge_store.key_of(item)
    actions = new_actions(item)
    checks = containers.parent_checks(place.parents())
    first_check = len(actions)
    actions.extend(checks)
    actions.extend(prepared.actions)
    with images.settling(prepared):
        for _ in range(db.MAX_ATTEMPTS):
            try:
                db.transact(actions)
                return item
            except db.TransactionFailed as failure:
                holder = badge_store.at(key) if failure.failed(0) else None
                if holder is not None and not _being_purged(holder):
                    raise ResourceConflict.duplicate_slug(
                        "badge", _conflict_details(body.fields, {"slug": slug})
                    ) from failure
                containers.raise_if_parent_gone(place.parents(), failure, first_check)
                if not failure.failed(0):
                    raise
                # The slug's badge is being purged (or just went): take its item over.
                actions[0] = badge_store.put_over(item, None if holder is None else holder["id"])
    raise db.TransactionFailed(["TransactionConflict"])


def _being_purged(badge: BadgeRecord) -> bool:
    """Whether a badge's container is deleted and its purge under way (its slug is free: a new
    badge takes its item over, and the purge, keyed by ids, leaves the newcomer alone)."""
    system = container_store.system_by_id(badge["systemId"])
    return system is None or Place(system).purged(badge)


def _input_form(badge: BadgeRecord) -> dict[str, Any]:
    """A stored badge's scalar fields as request input, for merge-then-validate on PUT."""
    return {name: badge.get(name) for name in FIELD_NAMES}


def update(place: Place, badge: BadgeRecord, body: Body, base_url: str) -> BadgeRecord:
    """Partial update (badges.md PUT): absent fields and collections are kept; all or nothing."""
    current = badge
    over: int | None = None  # a badge being purged that holds the new slug's item
    for _ in range(db.MAX_ATTEMPTS):
        merged = _input_form(current)
        merged.update({name: body.fields[name] for name in FIELD_NAMES if name in body.fields})
        if merged.get("slug") is None:
            merged["slug"] = current["slug"]  # a slug cannot be cleared: `null` keeps it
        report = Report()
        values = check_fields(FIELDS, merged, report)
        current_url = images.image_url(current, base_url)
        image = images.image_input(body.fields, body.upload, report, current_url)
        children = _children(body.fields, current, report)
        report.raise_if_any()
        stored = image is not None and image.stored
        ids = db.allocate_ids({"image": int(stored), **children.new_ids_needed()})
        image_ids = ids.pop("image")
        draft: dict[str, Any] = dict(current)
        _scalars(draft, values)
        _apply_children(draft, children, ids)
        _check_size(draft)  # before uploading anything
        prepared = None
        if image is not None:
            prepared = images.prepare(image, image_id=image_ids[0] if image_ids else None)
            for attribute in ("imageUrl", "imageSlug"):
                draft.pop(attribute, None)
            draft.update(prepared.owner_attributes)
        updated = badge_store.stored(record(draft, BadgeRecord))
        new_key = badge_store.key_of(updated)
        moved = new_key != badge_store.key_of(current)
        extra = _list_changes(current, updated, new_key, moved)
        extra.extend(prepared.actions if prepared else [])
        try:
            with images.settling(prepared):
                badge_store.save(current, updated, extra, over if moved else None)
        except db.TransactionFailed as failure:
            if moved and failure.failed(1):
                holder = badge_store.at(new_key)
                if holder is not None and not _being_purged(holder):
                    raise ResourceConflict.duplicate_slug(
                        "badge", _conflict_details(body.fields, values)
                    ) from failure
                over = None if holder is None else holder["id"]  # take its item over
                continue
            gone = ResourceNotFound.for_field("badge", "slug", current["slug"])
            current = badge_store.reload(current, gone, failure)
            continue
        return updated
    raise db.TransactionFailed(["TransactionConflict"])


def _list_changes(
    current: BadgeRecord, updated: BadgeRecord, new_key: keys.Key, moved: bool
) -> list[dict[str, Any]]:
    """Keep list entries in step: repoint them on a rename, move them when `archived` flips."""
    badge_id = current["id"]
    was, now = bool(current.get("archived", False)), bool(updated.get("archived", False))
    if was != now:
        actions: list[dict[str, Any]] = []
        for scope in memberships(current, was):
            actions.extend(db.list_remove(scope, badge_id))
        for scope in memberships(updated, now):
            actions.extend(db.list_add(scope, badge_id, new_key, owners(updated)))
        return actions
    if moved:
        return [db.list_move(scope, badge_id, new_key) for scope in memberships(current, was)]
    return []


def delete(badge: BadgeRecord) -> None:
    """Remove a badge and its list entries atomically (children live inside the item)."""
    actions: list[dict[str, Any]] = [badge_store.delete_same(badge)]
    for scope in memberships(badge, bool(badge.get("archived", False))):
        actions.extend(db.list_remove(scope, badge["id"]))
    try:
        db.transact(actions)
    except db.TransactionFailed as failure:
        raise ResourceNotFound.for_field("badge", "slug", badge["slug"]) from failure


def all_of(place: Place) -> list[BadgeRecord]:
    """Every badge of a container and its descendants, active and archived (cascades)."""
    members, _ = badge_store.page_of([list_scope(place, False), list_scope(place, True)], None)
    return members


# --- badges by id ---------------------------------------------------------------------------------


def _indexed(wanted: Sequence[int]) -> dict[int, BadgeRecord]:
    found = db.fan_out(badge_store.indexed, wanted)
    return {badge_id: item for badge_id, item in zip(wanted, found, strict=True) if item}


def indexed_by_id(badge_ids: Iterable[int]) -> dict[int, BadgeRecord]:
    """Badges by id: in a GET request, those found with that id where the directory last saw
    them (one consistent BatchGetItem, `store.badges.by_ids`); the others as GSI1 has them (B3):
    one Query each, run concurrently (one round trip). Eventually consistent: a badge deleted a
    moment ago may still be there, at an old version; for callers whose transaction re-checks
    the badges it relies on (milestone writes) or that only display them."""
    wanted = sorted(set(badge_ids))
    known = badge_store.by_ids(wanted)
    return {**known, **_indexed([badge_id for badge_id in wanted if badge_id not in known])}


def current_by_id(badge_ids: Iterable[int]) -> dict[int, BadgeRecord]:
    """Badges by id as they are now: in a GET request, those found with that id where the
    directory last saw them (one consistent BatchGetItem); for the others GSI1 finds their keys
    (in parallel), one consistent BatchGetItem confirms they still exist and reads their current
    version; a badge being deleted is left out."""
    wanted = sorted(set(badge_ids))
    known = badge_store.by_ids(wanted)
    indexed = _indexed([badge_id for badge_id in wanted if badge_id not in known])
    if not indexed:
        return known
    current = badge_store.current(indexed.values())
    return {**known, **{item["id"]: item for item in current if item["id"] in indexed}}
