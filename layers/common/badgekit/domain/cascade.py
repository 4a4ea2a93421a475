"""Deleting a container or a badge and everything under it (systems.md, issuers.md,
programs.md, badges.md DELETE).

A badge delete is one transaction (the badge and its list entries), then its children are
purged inside the request: they are bounded by the badge.

A container delete answers after a bounded amount of work, whatever it holds: one BatchGetItem
(the exact totals of the container's own badge, code and application lists) and one transaction
that
- deletes the container (if it is still the same one) and its entry in its parent's list;
- takes the subtree's badges, codes and applications out of the totals of every list above it
  that counts them (the deployment-wide badge lists behind `/public/badges`, the system's and
  the issuer's badge, code and application lists), checking the container's own totals
  unchanged (a member added meanwhile retries the delete), and names the container in those
  lists' headers (`purging`), and, for an issuer or a program, in its system's item;
- writes a purge job (`store/purges.py`).

Readers never see the subtree meanwhile: every path resolves through the deleted container
(404); list readers skip the entries of containers their header names and read on to fill the
page (`store.db.live_rows`; the totals are already exact); anything read by id or through GSI2
under a live system is checked against the system's `purging` set (`Place.contains`); hosted
assertions of a deleted system find no system. A badge slug held by a badge being purged is
free at once: a new badge takes its item over (domain/badges.py), and the purge deletes only
items with the old ids.

The purge itself runs in the purger (functions/purger), driven by the job's stream records: one
bounded step per record (BADGES_PER_STEP badges with everything they own, then the container's
leftovers KEYS_PER_STEP keys at a time), each ending with a conditional update of the job's
cursor whose MODIFY record brings it back; the last step clears the `purging` marks and deletes
the job. Every step is idempotent and keyed by ids, so a re-delivered record (at least once)
repeats nothing harmful. No webhooks are sent and no events recorded for any of it (webhooks.md
§3).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from badgekit import timestamps
from badgekit.domain import assessment, badges, codes, containers, instances, milestones
from badgekit.errors import ResourceNotFound
from badgekit.store import badges as badge_store
from badgekit.store import consumers as consumer_store
from badgekit.store import containers as container_store
from badgekit.store import db, keys
from badgekit.store import instances as instance_store
from badgekit.store import purges as purge_store
from badgekit.store.badges import BadgeRecord
from badgekit.store.containers import (
    ContainerRecord,
    IssuerRecord,
    ProgramRecord,
    SystemRecord,
)
from badgekit.store.purges import PurgeRecord

# One purge step: this many badges with everything they own (each: ~6 calls, plus milestone
# detaches for an issuer or a program), or this many leftover keys of the container.
BADGES_PER_STEP = 20
KEYS_PER_STEP = 1000


@dataclass(frozen=True)
class Subtree:
    """A deleted container: where it was, and the containers above it (within its system)."""

    system_id: int
    level: str  # "system" | "issuer" | "program"
    level_id: int
    issuer_id: int | None = None  # a program's issuer

    @property
    def token(self) -> str:
        return keys.container_token(self.level, self.level_id)

    def above(self) -> list[tuple[str, int]]:
        """The containers of the system above this one (none for a system)."""
        if self.level == "system":
            return []
        found = [("system", self.system_id)]
        if self.level == "program" and self.issuer_id is not None:
            found.append(("issuer", self.issuer_id))
        return found

    def own_badges(self) -> list[keys.ListScope]:
        return [keys.badges_list(self.system_id, self.level, self.level_id, s) for s in STATES]

    def own_codes(self) -> keys.ListScope:
        return keys.container_codes_list(self.system_id, self.level, self.level_id)

    def own_applications(self) -> list[keys.ListScope]:
        return [
            keys.container_applications_list(self.system_id, self.level, self.level_id, s)
            for s in STATES
        ]

    def badges_above(self, archived: bool) -> list[keys.ListScope]:
        scopes = [keys.all_badges_list(archived)]
        scopes += [keys.badges_list(self.system_id, lv, i, archived) for lv, i in self.above()]
        return scopes

    def codes_above(self) -> list[keys.ListScope]:
        return [keys.container_codes_list(self.system_id, lv, i) for lv, i in self.above()]

    def applications_above(self, processed: bool) -> list[keys.ListScope]:
        return [
            keys.container_applications_list(self.system_id, lv, i, processed)
            for lv, i in self.above()
        ]

    def headers_above(self) -> list[keys.ListScope]:
        """Every list header above the container that the delete marked."""
        return [
            *self.badges_above(False),
            *self.badges_above(True),
            *self.codes_above(),
            *self.applications_above(False),
            *self.applications_above(True),
        ]

    def job(self) -> PurgeRecord:
        job: PurgeRecord = {
            "entity": "purge",
            "target": self.level,
            "systemId": self.system_id,
            "stage": "badges",
            "cursor": 0,
            "created": timestamps.now(),
        }
        if self.level == "issuer":
            job["issuerId"] = self.level_id
        elif self.level == "program":
            job["programId"] = self.level_id
            if self.issuer_id is not None:
                job["issuerId"] = self.issuer_id
        return job


STATES = (False, True)


def subtree_of(job: PurgeRecord) -> Subtree:
    return Subtree(job["systemId"], job["target"], purge_store.target_id(job), job.get("issuerId"))


# --- the request: bounded --------------------------------------------------------------------


def delete_system(system: SystemRecord) -> None:
    _delete(containers.system_level(), system, Subtree(system["id"], "system", system["id"]))


def delete_issuer(system: SystemRecord, issuer: IssuerRecord) -> None:
    subtree = Subtree(system["id"], "issuer", issuer["id"])
    _delete(containers.issuer_level(system), issuer, subtree, system)


def delete_program(system: SystemRecord, issuer: IssuerRecord, program: ProgramRecord) -> None:
    subtree = Subtree(system["id"], "program", program["id"], issuer["id"])
    _delete(containers.program_level(system, issuer), program, subtree, system)


def _delete(
    level: containers.Level[ContainerRecord],
    current: ContainerRecord,
    subtree: Subtree,
    system: SystemRecord | None = None,
) -> None:
    """The container goes, its subtree leaves every total above it and is marked as being
    purged, and its purge job is written: one BatchGetItem and one transaction (retried when a
    member joined or left the container's lists meanwhile)."""
    # (own list, the lists above it that count the same members)
    pairs: list[tuple[keys.ListScope, list[keys.ListScope]]] = [
        (own, subtree.badges_above(archived))
        for own, archived in zip(subtree.own_badges(), STATES, strict=True)
    ]
    if subtree.above():
        pairs.append((subtree.own_codes(), subtree.codes_above()))
        pairs += [
            (own, subtree.applications_above(processed))
            for own, processed in zip(subtree.own_applications(), STATES, strict=True)
        ]
    token = subtree.token
    for attempt in range(db.MAX_ATTEMPTS):
        totals = purge_store.totals([own for own, _ in pairs])
        actions = [
            container_store.delete_same(current),
            *db.list_remove(level.members, current["id"]),
        ]
        for own, above in pairs:
            count = totals[own.prefix]
            actions.append(purge_store.total_is(own, count))
            if count:
                actions.extend(purge_store.subtract(scope, count, token) for scope in above)
        if system is not None:
            system_key = container_store.key_of(system)
            actions.append(purge_store.mark_system(system["id"], system_key, token))
        actions.append(purge_store.put_new(subtree.job()))
        try:
            db.transact(actions)
            return
        except db.TransactionFailed as failure:
            if failure.failed(0):
                raise ResourceNotFound.for_field(level.model, "slug", current["slug"]) from failure
            db.back_off(attempt)
    raise db.TransactionFailed(["TransactionConflict"])


def delete_badge(badge: BadgeRecord) -> None:
    """DELETE {L}/badges/{b}: the badge goes atomically, then what it owned."""
    badges.delete(badge)
    _purge_badge_children(badge)


def _purge_badge_children(badge: BadgeRecord) -> None:
    # Items keyed outside the badge's partition first: they are found through it.
    instances.purge_badge(badge)
    milestones.detach_badge(badge)
    children = badge_store.children(badge["id"])
    codes.purge_badge(badge, children)  # container lists: entries and totals
    assessment.purge_badge(badge, children)  # the same for applications
    badge_store.purge_children(children)


# --- the purger: one bounded step per stream record ------------------------------------------


def purge_step(job_key: keys.Key) -> bool:
    """One step of the purge job at `job_key` as it is now (nothing if it is done or another
    delivery moved it on meanwhile). True when the job moved on (its MODIFY record brings the
    purger back), False when there is nothing more to do here."""
    job = purge_store.get(job_key)
    if job is None:
        return False
    subtree = subtree_of(job)
    if job["stage"] == "badges":
        entries = purge_store.badge_entries(subtree.own_badges(), job["cursor"], BADGES_PER_STEP)
        for entry in entries:
            _purge_badge(subtree, db.member_id(entry), db.member_key(entry))
        if len(entries) >= BADGES_PER_STEP:
            return purge_store.advance(job, "badges", db.member_id(entries[-1]))
        return purge_store.advance(job, "containers", 0)
    if _purge_leftovers(subtree) >= KEYS_PER_STEP:
        return purge_store.advance(job, "containers", job["cursor"] + 1)
    _unmark(subtree)
    purge_store.finish(job)
    return False


def _purge_badge(subtree: Subtree, badge_id: int, badge_key: keys.Key) -> None:
    """Everything badge `badge_id` of a deleted container owns, by id: its assertions, its
    milestone references, its (and its codes' and applications') entries in the lists above the
    container (their totals left it with the delete), its partition and, if it is still that
    badge (not a new one that took the slug over), its item."""
    children = badge_store.children(badge_id)
    instance_store.purge_assertions(badge_id)
    if subtree.level == "system":  # its milestones go with the system's partition
        db.delete_keys(db.partition_keys(keys.support_partition(badge_id)))
    else:
        gone = cast(BadgeRecord, {"id": badge_id, "systemId": subtree.system_id})
        milestones.detach_badge(gone)
    entries: list[keys.Key] = [
        scope.entry(badge_id) for archived in STATES for scope in subtree.badges_above(archived)
    ]
    codes_prefix = keys.codes_list(badge_id).prefix
    apps = {processed: keys.applications_list(badge_id, processed).prefix for processed in STATES}
    for child in children:
        sort_key = str(child["SK"])
        if sort_key.startswith(codes_prefix) and sort_key != codes_prefix:
            code_id = int(sort_key.rsplit("#", 1)[1])
            entries += [scope.entry(code_id) for scope in subtree.codes_above()]
        for processed, prefix in apps.items():
            if sort_key.startswith(prefix) and sort_key != prefix:
                created, application_id = (int(p) for p in sort_key[len(prefix) :].split("#"))
                entries += [
                    keys.container_application_entry(scope, badge_id, created, application_id)
                    for scope in subtree.applications_above(processed)
                ]
    db.delete_keys(entries)
    badge_store.purge_children(children)
    purge_store.delete_if_same(badge_key, badge_id)


def _purge_leftovers(subtree: Subtree) -> int:
    """Up to KEYS_PER_STEP keys of what the container left (its own lists, its programs, for
    a system its whole partition and its consumer keys); the number deleted."""
    partition = keys.system_partition(subtree.system_id)
    if subtree.level == "system":
        consumers = consumer_store.purge_of_system(subtree.system_id)
        found = purge_store.keys_under(partition, [""], KEYS_PER_STEP)
        return consumers + db.delete_keys(found)
    prefixes: list[str] = []
    if subtree.level == "issuer":
        for program in container_store.programs_of(subtree.system_id, subtree.level_id):
            prefixes += keys.own_list_prefixes("program", program["id"])
        prefixes.append(keys.programs_list(subtree.system_id, subtree.level_id).prefix)
        prefixes.append(keys.programs_prefix(subtree.level_id))
    prefixes = [*keys.own_list_prefixes(subtree.level, subtree.level_id), *prefixes]
    return db.delete_keys(purge_store.keys_under(partition, prefixes, KEYS_PER_STEP))


def _unmark(subtree: Subtree) -> None:
    """The purge is over: no header (nor the system) names the container any more."""
    for scope in subtree.headers_above():
        purge_store.unmark(scope, subtree.token)
    if subtree.level != "system":
        purge_store.unmark_system(subtree.system_id, subtree.token)
