"""Single-use tokens (auth.md §3.1, step 18): the `jti` values each key has used.

One conditional PutItem per token that carries a `jti`, made only after its signature verified:
it succeeds the first time and fails while an earlier token of the same key with that `jti` is
unexpired. The item's `expiresAt` (the table's TTL attribute) is the token's `exp`, so the table
forgets it afterwards; an item past its expiry that the TTL has not removed yet is overwritten.
The items' `entity` is `jti`, which no stream consumer's filter selects.
"""

from __future__ import annotations

from badgekit.store import db, keys

ENTITY = "jti"


def consume(api_key: str, jti: str, expires_at: int, now: int) -> bool:
    """Record that `api_key` used `jti` until `expires_at`; False if it already had."""
    try:
        db.table().put_item(
            Item={**keys.used_jti(api_key, jti), "entity": ENTITY, "expiresAt": expires_at},
            ConditionExpression="attribute_not_exists(PK) OR #ttl <= :now",
            ExpressionAttributeNames={"#ttl": "expiresAt"},
            ExpressionAttributeValues={":now": now},
        )
    except db.client().exceptions.ConditionalCheckFailedException:
        return False
    return True
