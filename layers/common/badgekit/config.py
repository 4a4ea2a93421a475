"""Runtime configuration: environment variables and the master secret."""

from __future__ import annotations

import os
from functools import cache

from aws_lambda_powertools.utilities import parameters

from badgekit import VERSION

APP_NAME = "BadgeKit API"
DEFAULT_TOKEN_MAX_LIFETIME = 86_400


def version() -> str:
    return os.environ.get("BADGEKIT_VERSION", VERSION)


@cache
def master_secret() -> str | None:
    """The master secret: `MASTER_SECRET` locally, else the SSM SecureString named by
    `MASTER_SECRET_PARAMETER`, fetched once per cold start (cached for the container's life).
    Never logged."""
    local = os.environ.get("MASTER_SECRET")
    if local:
        return local
    name = os.environ.get("MASTER_SECRET_PARAMETER")
    if not name:
        return None
    value = parameters.get_parameter(name, decrypt=True, max_age=24 * 3600)
    return str(value) if value else None


def public_base_url(host: str | None) -> str:
    """Base of absolute URLs (spec README §11): configured, else https:// + Host."""
    configured = os.environ.get("PUBLIC_BASE_URL", "").rstrip("/")
    if configured:
        return configured
    return f"https://{host}" if host else ""


def token_policy() -> str:
    """`TOKEN_POLICY` (auth.md §3.1): `legacy` only when set to exactly that, else `strict`
    (unset, empty or a typo never loosens verification)."""
    return "legacy" if os.environ.get("TOKEN_POLICY", "").strip() == "legacy" else "strict"


def token_max_lifetime() -> int:
    """`TOKEN_MAX_LIFETIME` in seconds (strict policy): a positive integer, else the default."""
    raw = os.environ.get("TOKEN_MAX_LIFETIME", "").strip()
    try:
        value = int(raw)
    except ValueError:
        return DEFAULT_TOKEN_MAX_LIFETIME
    return value if value > 0 else DEFAULT_TOKEN_MAX_LIFETIME
