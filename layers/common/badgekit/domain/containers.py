"""Systems, issuers and programs: the three container levels (spec systems/issuers/programs.md).

The three levels share one shape (slug, name, url, description, email, image), so one set of
create / update / delete rules serves all of them; a `Level` says where an item lives.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from badgekit import timestamps
from badgekit.domain import images, render
from badgekit.domain.images import ImageInput, image_input, image_url
from badgekit.domain.inputs import Body
from badgekit.domain.validation import EMAIL, URL, Report, StringField, check_fields, length
from badgekit.errors import ResourceConflict, ResourceNotFound
from badgekit.store import containers as container_store
from badgekit.store import db, keys
from badgekit.store.containers import (
    ContainerRecord,
    IssuerRecord,
    ProgramRecord,
    SystemRecord,
)
from badgekit.store.records import record

FIELDS = (
    StringField("slug", required=True, rules=(length(1, 255),)),
    StringField("name", required=True, rules=(length(1, 255),)),
    StringField("url", required=True, rules=(URL, length(0, 255))),
    StringField("description", rules=(length(0, 255),)),
    StringField("email", rules=(EMAIL, length(0, 255))),
)
FIELD_NAMES = tuple(spec.name for spec in FIELDS)


@dataclass(frozen=True)
class Level[R: ContainerRecord]:
    """Where items of one container level live, given their resolved parents."""

    model: str
    kind: type[R]
    members: keys.ListScope
    parents: tuple[ContainerRecord, ...] = ()

    def owner_ids(self) -> dict[str, int]:
        names = ("systemId", "issuerId")
        return {name: parent["id"] for name, parent in zip(names, self.parents, strict=False)}


def system_level() -> Level[SystemRecord]:
    return Level("system", SystemRecord, keys.systems_list())


def issuer_level(system: SystemRecord) -> Level[IssuerRecord]:
    return Level("issuer", IssuerRecord, keys.issuers_list(system["id"]), (system,))


def program_level(system: SystemRecord, issuer: IssuerRecord) -> Level[ProgramRecord]:
    members = keys.programs_list(system["id"], issuer["id"])
    return Level("program", ProgramRecord, members, (system, issuer))


# --- resolution (spec README §1) -------------------------------------------------------------


def find_system(slug: str) -> SystemRecord | None:
    return container_store.get_system(slug)


def get_issuer(system: SystemRecord, slug: str) -> IssuerRecord:
    issuer = container_store.get_issuer(system["id"], slug)
    if issuer is None:
        raise ResourceNotFound.for_field("issuer", "slug", slug)
    return issuer


def get_program(system: SystemRecord, issuer: IssuerRecord, slug: str) -> ProgramRecord:
    program = container_store.get_program(system["id"], issuer["id"], slug)
    if program is None:
        raise ResourceNotFound.for_field("program", "slug", slug)
    return program


def programs_of(system: SystemRecord, issuer: IssuerRecord) -> list[ProgramRecord]:
    return container_store.programs_of(system["id"], issuer["id"])


def describe_system(system: SystemRecord, base_url: str) -> dict[str, Any]:
    return render.system_json(system, container_store.owned_by(system["id"]), base_url)


def describe_issuer(system: SystemRecord, issuer: IssuerRecord, base_url: str) -> dict[str, Any]:
    return render.issuer_json(issuer, programs_of(system, issuer), base_url)


# --- lists -----------------------------------------------------------------------------------


def list_systems(page: db.Page | None, base_url: str) -> tuple[list[dict[str, Any]], int]:
    systems, total = container_store.systems_page(page)
    # Each System embeds its issuers and programs: the listed systems have consecutive ids in
    # the list, so one GSI3 Query over their id range reads them all.
    owned = container_store.owned_by_systems(systems)
    return [render.system_json(s, owned[s["id"]], base_url) for s in systems], total


def list_issuers(
    system: SystemRecord, page: db.Page | None, base_url: str
) -> tuple[list[dict[str, Any]], int]:
    issuers, total = container_store.issuers_page(system["id"], page)
    if not issuers:
        return [], total
    if page is None:  # every issuer: one Query for all the system's programs
        found = render.programs_by_issuer(container_store.programs_of_system(system["id"]))
        programs = [found[i["id"]] for i in issuers]
    else:  # one page: only its issuers' programs, one GSI3 Query over their id range
        grouped = container_store.programs_of_issuers(system["id"], issuers)
        programs = [grouped[i["id"]] for i in issuers]
    return [
        render.issuer_json(i, p, base_url) for i, p in zip(issuers, programs, strict=True)
    ], total


def list_programs(
    system: SystemRecord, issuer: IssuerRecord, page: db.Page | None, base_url: str
) -> tuple[list[dict[str, Any]], int]:
    programs, total = container_store.programs_page(system["id"], issuer["id"], page)
    return [render.program_json(p, base_url) for p in programs], total


# --- writes ----------------------------------------------------------------------------------


def _validate(
    values: Mapping[str, Any], body: Body, current: ContainerRecord | None
) -> tuple[dict[str, Any], ImageInput | None]:
    report = Report()
    cleaned = check_fields(FIELDS, values, report)
    # A stored image's URL without the base ("/public/images/<slug>"): image_input recognises
    # the current image by that path, whatever base URL the client saw.
    current_url = image_url(current, "") if current else None
    image = image_input(body.fields, body.upload, report, current_url)
    report.raise_if_any()
    return cleaned, image


def _with_image(item: dict[str, Any], prepared: images.PreparedImage | None) -> None:
    """Point `item` at its new image (a remote URL or a stored image's slug)."""
    if prepared is not None:
        item.pop("imageUrl", None)
        item.pop("imageSlug", None)
        item.update(prepared.owner_attributes)


def _conflict_details(values: Mapping[str, Any]) -> dict[str, Any]:
    order = ("slug", "url", "name", "description", "email")
    return {name: values[name] for name in order if name in values}


def parent_checks(parents: Sequence[ContainerRecord]) -> list[dict[str, Any]]:
    """Parents must still be there (and be the same ones) when the child is written."""
    return [container_store.still_there(parent) for parent in parents]


def create[R: ContainerRecord](level: Level[R], body: Body) -> R:
    """Create a container whose slug is free in its scope: one 201, every racer a 409."""
    values, new_image = _validate(body.fields, body, None)
    stored = new_image is not None and new_image.stored
    ids = db.allocate_ids({level.model: 1, "image": 1 if stored else 0})
    entity_id = ids[level.model][0]
    draft: dict[str, Any] = {
        "entity": level.model,
        "id": entity_id,
        **{name: value for name, value in values.items() if value is not None},
        **level.owner_ids(),
        "created": timestamps.now(),
        "version": 1,
    }
    # Uploaded after validation, before the transaction that references it (see images.py).
    image_id = ids["image"][0] if stored else None
    prepared = images.prepare(new_image, image_id=image_id) if new_image else None
    _with_image(draft, prepared)
    item = container_store.stored(record(draft, level.kind))
    actions = container_store.new_actions(item, level.members)
    checks = parent_checks(level.parents)
    image_actions = prepared.actions if prepared else []
    try:
        with images.settling(prepared):
            db.transact([*actions, *checks, *image_actions])
    except db.TransactionFailed as failure:
        if failure.failed(0):
            raise ResourceConflict.duplicate_slug(
                level.model, _conflict_details(values)
            ) from failure
        raise_if_parent_gone(level.parents, failure, first_check=3)
        raise
    return item


def raise_if_parent_gone(
    parents: Sequence[ContainerRecord], failure: db.TransactionFailed, first_check: int
) -> None:
    """A failed `still_there` check (actions from `first_check` on) is the parent's 404."""
    for offset, parent in enumerate(parents):
        if failure.failed(first_check + offset):
            raise ResourceNotFound.for_field(parent["entity"], "slug", parent["slug"]) from failure


def update[R: ContainerRecord](level: Level[R], current: R, body: Body) -> R:
    """Partial update: absent keys keep their value, null clears optional ones; all or nothing."""
    for _ in range(db.MAX_ATTEMPTS):
        merged = {name: current.get(name) for name in FIELD_NAMES}
        merged.update({name: body.fields[name] for name in FIELD_NAMES if name in body.fields})
        values, new_image = _validate(merged, body, current)
        draft: dict[str, Any] = {k: v for k, v in current.items() if k not in FIELD_NAMES}
        draft.update({name: value for name, value in values.items() if value is not None})
        # A lost race deletes this attempt's upload and the retry uploads again (rare); the
        # replaced image is kept: published badge classes may still point at it (README §10).
        prepared = images.prepare(new_image) if new_image else None
        _with_image(draft, prepared)
        updated = container_store.stored(record(draft, level.kind))
        new_key = container_store.key_of(updated)
        moved = new_key != container_store.key_of(current)
        extra = [db.list_move(level.members, current["id"], new_key)] if moved else []
        extra.extend(prepared.actions if prepared else [])
        try:
            with images.settling(prepared):
                container_store.save(current, updated, extra)
            return updated
        except db.TransactionFailed as failure:
            if moved and failure.failed(1):
                raise ResourceConflict.duplicate_slug(
                    level.model, _conflict_details(values)
                ) from failure
            gone = ResourceNotFound.for_field(level.model, "slug", current["slug"])
            current = container_store.reload(current, level.kind, gone, failure)
    raise db.TransactionFailed(["TransactionConflict"])
