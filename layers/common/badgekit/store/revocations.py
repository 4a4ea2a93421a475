"""The revoked awards of each system, for its revocation lists (Open Badges 2.0 `RevocationList`
and the Open Badges 3.0 `1EdTechRevocationList` status document; docs/open-badges.md).

One small item per revoked award at `keys.revocation(systemId, slug)`, put by the revoke's own
transaction (`put_action`), read back with one Query of the system's partition (never a Scan).
The system delete's purge removes them with the rest of the partition; a badge delete leaves
them (the award stays revoked for verifiers holding a signed copy).
"""

from __future__ import annotations

from typing import Any, TypedDict

from badgekit.store import db, keys
from badgekit.store.records import record

ENTITY = "revocation"

# The contract's revoke (DELETE of an instance) takes no reason: every entry gives this one.
DEFAULT_REASON = "Revoked by the issuer"


class RevocationRecord(TypedDict):
    slug: str
    systemId: int
    badgeId: int
    revokedAt: int
    reason: str


def put_action(revoked: RevocationRecord) -> dict[str, Any]:
    """Put action: the award in its system's revocation lists."""
    item = {**keys.revocation(revoked["systemId"], revoked["slug"]), "entity": ENTITY, **revoked}
    return {"Put": {"Item": item}}


def list_for_system(system_id: int) -> list[RevocationRecord]:
    """Every revoked award of the system, in slug order (sort-key order)."""
    items = db.query_prefix(keys.system_partition(system_id), keys.REVOCATION_PREFIX)
    return [record(item, RevocationRecord) for item in items]
