"""Deleting a container and everything under it (systems.md, issuers.md, programs.md DELETE).

The container's own delete is one transaction, after which nothing under it resolves (every
path goes through it). Its badges are then deleted badge by badge — each also leaves the
deployment-wide list, so `/public/badges` never shows them — and the container's partition is
purged. No webhooks are sent for any of it.
"""

from __future__ import annotations

from typing import Any

from badgekit import badges, containers
from badgekit.places import Place

Item = dict[str, Any]


def delete_system(system: Item) -> None:
    containers.delete(containers.system_level(), system)
    badges.purge(Place(system))
    containers.purge_system(system)


def delete_issuer(system: Item, issuer: Item) -> None:
    containers.delete(containers.issuer_level(system), issuer)
    badges.purge(Place(system, issuer))
    containers.purge_issuer(system, issuer)


def delete_program(system: Item, issuer: Item, program: Item) -> None:
    containers.delete(containers.program_level(system, issuer), program)
    badges.purge(Place(system, issuer, program))
