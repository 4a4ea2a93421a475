"""The container a request addresses (spec README §1): a system, maybe an issuer and a program.

`badgekit.http.resolve` builds it from the URL; the domain takes it as given."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from badgekit.store import keys
from badgekit.store.containers import (
    ContainerRecord,
    IssuerRecord,
    ProgramRecord,
    SystemRecord,
)


@dataclass(frozen=True)
class Place:
    """The container named by a URL prefix: a system, and maybe an issuer and a program."""

    system: SystemRecord
    issuer: IssuerRecord | None = None
    program: ProgramRecord | None = None

    def contains(self, owned: Mapping[str, Any]) -> bool:
        """Rule 2: an item is addressable through its own container or any ancestor (and not
        while its issuer or program is being purged after its delete: domain/cascade.py)."""
        if owned["systemId"] != self.system["id"]:
            return False
        if self.purged(owned):
            return False
        if self.issuer is not None and owned.get("issuerId") != self.issuer["id"]:
            return False
        return self.program is None or owned.get("programId") == self.program["id"]

    @property
    def purging(self) -> frozenset[str]:
        """The system's issuers and programs being purged after their delete."""
        return frozenset(self.system.get("purging", ()))

    def purged(self, owned: Mapping[str, Any]) -> bool:
        """Whether `owned` (of this system) is under an issuer or program being purged."""
        purging = self.system.get("purging")
        if not purging:
            return False
        issuer_id, program_id = owned.get("issuerId"), owned.get("programId")
        return (
            issuer_id is not None and keys.container_token("issuer", int(issuer_id)) in purging
        ) or (
            program_id is not None and keys.container_token("program", int(program_id)) in purging
        )

    def owner_ids(self) -> dict[str, int]:
        ids = {"systemId": self.system["id"]}
        if self.issuer is not None:
            ids["issuerId"] = self.issuer["id"]
        if self.program is not None:
            ids["programId"] = self.program["id"]
        return ids

    def scope_prefix(self) -> str:
        """GSI2 sort-key prefix selecting items of this container and its descendants."""
        ids = self.owner_ids()
        return keys.scope_prefix(ids["systemId"], ids.get("issuerId"), ids.get("programId"))

    def level(self) -> tuple[str, int]:
        """The most specific container: ("system" | "issuer" | "program", id)."""
        if self.program is not None:
            return "program", self.program["id"]
        if self.issuer is not None:
            return "issuer", self.issuer["id"]
        return "system", self.system["id"]

    def parents(self) -> list[ContainerRecord]:
        return [c for c in (self.system, self.issuer, self.program) if c is not None]
