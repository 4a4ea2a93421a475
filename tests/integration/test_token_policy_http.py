"""The token policy over real HTTP (spec auth.md §3.1): `strict` is the local stack's default,
tokens with a `jti` are single-use, and TOKEN_POLICY / TOKEN_MAX_LIFETIME reach the functions."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

from tests.support.client import MASTER_SECRET, OMIT, ApiClient


def refused(response, message: str) -> None:
    assert response.status_code == 403, response.text
    assert response.json() == {"code": "NotAuthorized", "message": message}


def test_strict_is_the_default(api):
    refused(api.get("/systems", claims={"exp": OMIT}), "Missing JWT claim: exp")
    refused(api.get("/systems", claims={"exp": float("nan")}), "Invalid JWT claim: exp")
    refused(api.get("/systems", claims={"exp": True}), "Invalid JWT claim: exp")
    refused(
        api.get("/systems", claims={"exp": int(time.time()) + 86400 + 600}),
        "Token lifetime exceeds 86400 seconds",
    )
    # A past exp in milliseconds is read as such (the server time in the message moves on).
    old_ms = (int(time.time()) - 10) * 1000
    expired = api.get("/systems", claims={"exp": old_ms})
    assert expired.status_code == 403
    assert expired.json()["code"] == "NotAuthorized"
    assert expired.json()["message"].startswith(f"Token is expired (token expiry: {old_ms}, ")
    # Both official clients' exp shapes pass: Node (ms, 60 s ahead), Python (seconds, 16.7 h).
    assert api.get("/systems", claims={"exp": int(time.time() * 1000) + 60000}).status_code == 200
    assert api.get("/systems", claims={"exp": int(time.time()) + 60000}).status_code == 200


def test_a_token_with_a_jti_is_single_use(api, unique):
    jti = unique("jti")
    assert api.get("/systems", claims={"jti": jti}).status_code == 200
    refused(api.get("/systems", claims={"jti": jti}), "Token already used")
    # The same jti in another request (another path and exp) is refused as well.
    refused(
        api.get("/systems?page=1&count=1", claims={"jti": jti, "exp": int(time.time()) + 60}),
        "Token already used",
    )
    refused(api.get("/systems", claims={"jti": 42}), "Invalid JWT claim: jti")
    # A forged token never uses up a jti.
    other = unique("jti")
    forged = ApiClient(api.base_url, "master", "not-the-secret")
    refused(forged.get("/systems", claims={"jti": other}), "Invalid token signature")
    assert api.get("/systems", claims={"jti": other}).status_code == 200


def test_token_settings_reach_the_functions(stack_factory, unique):
    settings = [{"TOKEN_POLICY": "legacy"}, {"TOKEN_MAX_LIFETIME": "60"}]
    with ThreadPoolExecutor(max_workers=2) as pool:  # the two stacks start side by side
        legacy_stack, short_stack = pool.map(lambda env: stack_factory(**env), settings)
    legacy = ApiClient(legacy_stack.base_url, "master", MASTER_SECRET)
    assert legacy.get("/systems", claims={"exp": OMIT}).status_code == 200
    assert legacy.get("/systems", claims={"exp": int(time.time()) + 10**6}).status_code == 200
    jti = unique("jti")
    assert legacy.get("/systems", claims={"jti": jti}).status_code == 200
    assert legacy.get("/systems", claims={"jti": jti}).status_code == 200

    short = ApiClient(short_stack.base_url, "master", MASTER_SECRET)
    refused(short.get("/systems"), "Token lifetime exceeds 60 seconds")  # the client's exp: +300
    assert short.get("/systems", claims={"exp": int(time.time()) + 30}).status_code == 200
