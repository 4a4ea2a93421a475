"""A process-wide memory of where things were last seen: slug -> id and id -> slug (and parents)
of systems, issuers, programs and badges, and an assertion's badge and system.

It only ever GUESSES keys: a request uses it to read the items its path names (and the items
they name by id) in one BatchGetItem instead of one read per level, and every guess is verified
against items read in that same request before anything is used:

- an item at a key derived from a guessed id is used only when the code that needs it builds
  the same key from the ids it actually read (an issuer at `SYS#<guessed system id>` only when
  the system read by its slug in the same batch has that id): keys embed the parents' ids;
- an item looked up by id through a guessed slug is used only when its `id` is that id (and
  its parents' ids are the expected ones).

A miss or a mismatch falls back to the reads made without the directory, whose items then
refresh it. So a rename, a delete or a slug reused by a new item can cost a request its round
trip saving, never serve it stale data. Entries are bounded (least recently used dropped) and
safe to share between threads; each process has its own, starting empty (a cold container reads
as it would without it).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from badgekit.store import keys

CAPACITY = 20_000

_lock = threading.Lock()
_facts: OrderedDict[tuple[Any, ...], Any] = OrderedDict()


@dataclass(frozen=True)
class Place:
    """Where a container or a badge was seen: its slug and its parents' ids."""

    slug: str
    system_id: int | None = None
    issuer_id: int | None = None
    program_id: int | None = None


def _get(fact: tuple[Any, ...]) -> Any:
    with _lock:
        value = _facts.get(fact)
        if value is not None:
            _facts.move_to_end(fact)
        return value


def clear() -> None:
    """Forget everything (tests start each case cold)."""
    with _lock:
        _facts.clear()


def size() -> int:
    with _lock:
        return len(_facts)


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


_FORGET = object()  # a fact's value in `_facts_of`: forget the fact


def _facts_of(item: Mapping[str, Any] | None) -> list[tuple[tuple[Any, ...], Any]]:
    """What `item` tells of where things are: (fact, value) pairs, value `_FORGET` to forget."""
    if not item:
        return []
    entity = item.get("entity")
    try:
        if entity == "badge":  # first: lists read many
            badge_id, slug = int(item["id"]), str(item["slug"])
            place = Place(
                slug,
                _int(item.get("systemId")),
                _int(item.get("issuerId")),
                _int(item.get("programId")),
            )
            return [
                (("slug", "badge", keys.slug_key(slug)), badge_id),
                (("id", "badge", badge_id), place),
                # Its count of primary milestones (-1: none kept, unknown).
                (("primaries", badge_id), _int(item.get("primaryMilestones", -1))),
            ]
        if entity == "system":
            system_id, slug = int(item["id"]), str(item["slug"])
            return [
                (("slug", "system", keys.slug_key(slug)), system_id),
                (("id", "system", system_id), Place(slug)),
            ]
        if entity == "issuer":
            issuer_id, system_id, slug = int(item["id"]), int(item["systemId"]), str(item["slug"])
            return [
                (("slug", "issuer", system_id, keys.slug_key(slug)), issuer_id),
                (("id", "issuer", issuer_id), Place(slug, system_id)),
            ]
        if entity == "program":
            program_id, slug = int(item["id"]), str(item["slug"])
            system_id, issuer_id = int(item["systemId"]), int(item["issuerId"])
            return [
                (("slug", "program", issuer_id, keys.slug_key(slug)), program_id),
                (("id", "program", program_id), Place(slug, system_id, issuer_id)),
            ]
        if entity == "assertion":
            hosted = ("assertion", keys.slug_key(str(item["slug"])))
            if item.get("revoked"):  # a tombstone: its badge is no longer read with it
                return [(hosted, _FORGET)]
            return [(hosted, (int(item["badgeId"]), int(item["systemId"])))]
        if entity == "milestone":
            badge_ids = (int(item["primaryBadgeId"]), *map(int, item["supportBadgeIds"]))
            milestone_key = keys.milestone(int(item["systemId"]), int(item["id"]))
            return [(("milestone", milestone_key["PK"], milestone_key["SK"]), badge_ids)]
        if entity == "application":
            fact_key = ("slug", "application", int(item["badgeId"]), keys.slug_key(item["slug"]))
            return [(fact_key, int(item["id"]))]
    except (KeyError, TypeError, ValueError):
        pass  # not the shape expected: remember nothing
    return []


def learn(item: Mapping[str, Any] | None) -> None:
    """Remember where `item` (a raw item or a record) lives, if it is a container, a badge or a
    hosted assertion; anything else is ignored."""
    learn_all([item])


def learn_all(items: Iterable[Mapping[str, Any] | None]) -> None:
    facts = [fact for item in items for fact in _facts_of(item)]
    if not facts:
        return
    with _lock:
        for fact, value in facts:
            if value is _FORGET:
                _facts.pop(fact, None)
                continue
            _facts[fact] = value
            _facts.move_to_end(fact)
        while len(_facts) > CAPACITY:
            _facts.popitem(last=False)


# --- guesses ---------------------------------------------------------------------------------


def system_id(slug: str) -> int | None:
    found: int | None = _get(("slug", "system", keys.slug_key(slug)))
    return found


def issuer_id(system_id: int, slug: str) -> int | None:
    found: int | None = _get(("slug", "issuer", system_id, keys.slug_key(slug)))
    return found


def program_id(issuer_id: int, slug: str) -> int | None:
    found: int | None = _get(("slug", "program", issuer_id, keys.slug_key(slug)))
    return found


def badge_id(slug: str) -> int | None:
    found: int | None = _get(("slug", "badge", keys.slug_key(slug)))
    return found


def application_id(badge_id: int, slug: str) -> int | None:
    found: int | None = _get(("slug", "application", badge_id, keys.slug_key(slug)))
    return found


def primary_count(badge_id: int) -> int | None:
    """The badge's count of primary milestones when last seen (-1: it kept none; None: not
    seen). A guess, like everything here: a GET plans no milestones Query ahead when it was 0
    (the count it reads decides), a milestone delete tries the count at the badge's last key."""
    found: int | None = _get(("primaries", badge_id))
    return found


def may_be_primary(badge_id: int) -> bool:
    return primary_count(badge_id) != 0


def milestone_badges(partition: str, sort_key: str) -> tuple[int, ...]:
    """The badge ids the milestone at (`partition`, `sort_key`) named when last seen."""
    found: tuple[int, ...] | None = _get(("milestone", partition, sort_key))
    return found or ()


def seen(entity: str, entity_id: int) -> Place | None:
    """Where the system, issuer, program or badge `entity_id` was last seen."""
    found: Place | None = _get(("id", entity, entity_id))
    return found


def assertion(slug: str) -> tuple[int, int] | None:
    """(badge id, system id) of a hosted assertion (an instance never changes badge)."""
    found: tuple[int, int] | None = _get(("assertion", keys.slug_key(slug)))
    return found


def key_of(entity: str, entity_id: int) -> keys.Key | None:
    """The item key the system, issuer, program or badge `entity_id` had when last seen."""
    place = seen(entity, entity_id)
    if place is None:
        return None
    if entity == "system":
        return keys.system(place.slug)
    if entity == "badge":
        return keys.badge(place.slug)
    if entity == "issuer" and place.system_id is not None:
        return keys.issuer(place.system_id, place.slug)
    if entity == "program" and place.system_id is not None and place.issuer_id is not None:
        return keys.program(place.system_id, place.issuer_id, place.slug)
    return None


def badge_keys(badge_id: int) -> list[keys.Key]:
    """The keys of a badge (by id) and of its issuer and program, as last seen: what rendering
    the badge reads."""
    place = seen("badge", badge_id)
    if place is None:
        return []
    found = [keys.badge(place.slug)]
    for entity, owner_id in (("issuer", place.issuer_id), ("program", place.program_id)):
        if owner_id is not None:
            key = key_of(entity, owner_id)
            if key is not None:
                found.append(key)
    return found
