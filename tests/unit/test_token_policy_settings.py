"""The token policy the handlers apply (auth.md §3.1 "Token policy"), as `api.token_policy()`
builds it from TOKEN_POLICY and TOKEN_MAX_LIFETIME per request. How the two settings are read
(defaults, fail-safe values) is tested in the pure tier (tests/unit/domain/test_auth.py); this
module is kept out of it because importing `badgekit.http.api` loads the whole handler stack
(Powertools' resolver, the store and its boto3 clients' modules).
"""

from __future__ import annotations

import pytest

from badgekit.http import api, auth


@pytest.mark.parametrize(
    ("policy", "lifetime", "expected"),
    [
        (None, None, auth.STRICT),
        ("strict", "3600", auth.TokenPolicy(strict=True, max_lifetime=3600)),
        ("lax", None, auth.STRICT),
        ("legacy", "3600", auth.LEGACY),
    ],
)
def test_handlers_read_the_settings_per_request(monkeypatch, policy, lifetime, expected):
    for name, value in (("TOKEN_POLICY", policy), ("TOKEN_MAX_LIFETIME", lifetime)):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    assert api.token_policy() == expected
