"""Deleting a container or a badge and everything under it (systems.md, issuers.md,
programs.md, badges.md DELETE).

The owner's own delete is one transaction, after which nothing under it resolves (every path
goes through it). What it owned is then purged: a container's badges badge by badge (each also
leaves the deployment-wide list, so `/public/badges` never shows them), then its partition; a
badge's children (claim codes, instances, applications, reviews) live in the badge's own
partition, plus the few items keyed elsewhere (assertions, milestone references). No webhooks
are sent and no events recorded for any of it (webhooks.md §3).
"""

from __future__ import annotations

from badgekit.domain import assessment, badges, codes, containers, instances, milestones
from badgekit.domain.places import Place
from badgekit.errors import ResourceNotFound
from badgekit.store import badges as badge_store
from badgekit.store.badges import BadgeRecord
from badgekit.store.containers import IssuerRecord, ProgramRecord, SystemRecord


def delete_system(system: SystemRecord) -> None:
    containers.delete(containers.system_level(), system)
    _purge_badges(Place(system))
    containers.purge_system(system)


def delete_issuer(system: SystemRecord, issuer: IssuerRecord) -> None:
    containers.delete(containers.issuer_level(system), issuer)
    _purge_badges(Place(system, issuer))
    containers.purge_issuer(system, issuer)


def delete_program(system: SystemRecord, issuer: IssuerRecord, program: ProgramRecord) -> None:
    containers.delete(containers.program_level(system, issuer), program)
    _purge_badges(Place(system, issuer, program))


def delete_badge(badge: BadgeRecord) -> None:
    """DELETE {L}/badges/{b}: the badge goes atomically, then what it owned."""
    badges.delete(badge)
    _purge_badge_children(badge)


def _purge_badges(place: Place) -> int:
    removed = 0
    for badge in badges.all_of(place):
        try:
            delete_badge(badge)
            removed += 1
        except ResourceNotFound:
            continue  # already gone (a concurrent delete)
    return removed


def _purge_badge_children(badge: BadgeRecord) -> None:
    # Items keyed outside the badge's partition first: they are found through it.
    instances.purge_badge(badge)
    milestones.detach_badge(badge)
    children = badge_store.children(badge["id"])
    codes.purge_badge(badge, children)  # container lists: entries and totals
    assessment.purge_badge(badge, children)  # the same for applications
    badge_store.purge_children(children)
