"""Runtime configuration: environment variables and the master secret."""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass

from aws_lambda_powertools.utilities import parameters

from badgekit import VERSION

APP_NAME = "BadgeKit API"
DEFAULT_TOKEN_MAX_LIFETIME = 86_400

logger = logging.getLogger(__name__)


def version() -> str:
    return os.environ.get("BADGEKIT_VERSION") or VERSION  # empty (the template's default): unset


DEFAULT_SECRET_MAX_AGE = 300
# After a failed fetch, the last value read serves this long before the next attempt (so an SSM
# outage or throttling is not multiplied by every request).
SECRET_RETRY_AFTER = 30.0


@dataclass
class _Cached:
    name: str
    value: str | None
    expires: float


_secret: _Cached | None = None
_clock = time.monotonic  # replaced in tests


def master_secret_max_age() -> int:
    """`MASTER_SECRET_MAX_AGE` in seconds: how long a read of the master secret is reused, so a
    rotated secret is in use everywhere within this time (docs/deploy.md). A positive integer,
    else the default."""
    return _positive_int(os.environ.get("MASTER_SECRET_MAX_AGE", ""), DEFAULT_SECRET_MAX_AGE)


def master_secret() -> str | None:
    """The master secret: `MASTER_SECRET` locally, else the SSM SecureString named by
    `MASTER_SECRET_PARAMETER`, read again once `master_secret_max_age()` has passed since the
    last read (a warm container picks up a rotation without a cold start). If a re-read fails
    and an earlier value exists, that value keeps serving and the read is retried after
    `SECRET_RETRY_AFTER` seconds. Never logged."""
    global _secret
    local = os.environ.get("MASTER_SECRET")
    if local:
        return local
    name = os.environ.get("MASTER_SECRET_PARAMETER")
    if not name:
        return None
    now = _clock()
    cached = _secret
    if cached is not None and cached.name == name and now < cached.expires:
        return cached.value
    try:
        fetched = parameters.get_parameter(name, decrypt=True, force_fetch=True)
    except Exception:
        if cached is None or cached.name != name:
            raise
        logger.warning("master secret: re-read failed, keeping the last value", exc_info=True)
        cached.expires = now + SECRET_RETRY_AFTER
        return cached.value
    value = str(fetched) if fetched else None
    _secret = _Cached(name, value, now + master_secret_max_age())
    return value


def forget_master_secret() -> None:
    """Drop the cached master secret (tests; the next call reads it again)."""
    global _secret
    _secret = None


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
    return _positive_int(os.environ.get("TOKEN_MAX_LIFETIME", ""), DEFAULT_TOKEN_MAX_LIFETIME)


def _positive_int(raw: str, default: int) -> int:
    """A setting as a positive integer; empty or anything else: `default` (a typo never turns a
    limit off). Callers read the variable by its literal name (tests/template/test_environment.py
    finds every variable the code reads)."""
    try:
        value = int(raw.strip())
    except ValueError:
        return default
    return value if value > 0 else default
