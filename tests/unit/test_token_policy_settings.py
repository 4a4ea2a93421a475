"""The token policy the handlers apply (auth.md §3.1 "Token policy"), as `api.token_policy()`
builds it from TOKEN_POLICY and TOKEN_MAX_LIFETIME per request. Kept out of the pure tier
(tests/unit/domain, where the settings themselves are tested): importing `badgekit.http.api`
sets up Powertools' tracer, which makes a boto3 client.
"""

from __future__ import annotations

import pytest

from badgekit.http import api, auth


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, "strict"),
        ("", "strict"),
        ("strict", "strict"),
        ("legacy", "legacy"),
        (" legacy ", "legacy"),
        ("LEGACY", "strict"),
        ("lax", "strict"),
        ("none", "strict"),
    ],
)
def test_handlers_read_the_token_policy_setting(monkeypatch, value, expected):
    if value is None:
        monkeypatch.delenv("TOKEN_POLICY", raising=False)
    else:
        monkeypatch.setenv("TOKEN_POLICY", value)
    monkeypatch.delenv("TOKEN_MAX_LIFETIME", raising=False)
    assert api.token_policy() == (auth.LEGACY if expected == "legacy" else auth.STRICT)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, 86400),
        ("", 86400),
        ("3600", 3600),
        (" 60 ", 60),
        ("1", 1),
        ("0", 86400),
        ("-5", 86400),
        ("1.5", 86400),
        ("abc", 86400),
        ("1e3", 86400),
    ],
)
def test_handlers_read_the_token_max_lifetime_setting(monkeypatch, value, expected):
    if value is None:
        monkeypatch.delenv("TOKEN_MAX_LIFETIME", raising=False)
    else:
        monkeypatch.setenv("TOKEN_MAX_LIFETIME", value)
    monkeypatch.delenv("TOKEN_POLICY", raising=False)
    assert api.token_policy() == auth.TokenPolicy(strict=True, max_lifetime=expected)
