"""Business metrics in CloudWatch's Embedded Metric Format (Powertools' EMF provider).

The domain calls `count(...)` / `awarded(...)` where each event happens; the handler wrapper
`invocation` collects an invocation's counts and prints them once at its end (one EMF object per
dimension set, on stdout, which CloudWatch Logs turns into metrics). Outside an invocation (unit
tests of the domain, the benchmark) the calls do nothing.

Namespace `POWERTOOLS_METRICS_NAMESPACE` (the template: BadgeKit); every metric carries the one
dimension `service` (`POWERTOOLS_SERVICE_NAME`, badgekit-api). `BadgeAwarded` is emitted with
{service, method} and, in the same object, {service} alone (the total). `ColdStart` is
Powertools' own ({function_name, service}). No dimension names a system: slugs are unbounded,
and per-system counts are in the request log lines. docs/observability.md lists the metrics.

Why not Powertools' `Metrics` class: its metric set is shared by every instance in a process,
and the local stack runs every function in one process, several invocations at once; counts kept
per invocation (a context variable) are always flushed by the invocation that made them.
"""

from __future__ import annotations

import functools
import logging
import os
import threading
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any, Literal

AwardMethod = Literal["direct", "claimCode", "bulk", "milestone"]

BADGE_AWARDED = "BadgeAwarded"
BADGE_REVOKED = "BadgeRevoked"
CLAIM_CODE_CLAIMED = "ClaimCodeClaimed"
APPLICATION_SUBMITTED = "ApplicationSubmitted"
REVIEW_SUBMITTED = "ReviewSubmitted"
WEBHOOK_DELIVERED = "WebhookDelivered"
WEBHOOK_RETRIED = "WebhookRetried"
WEBHOOK_FAILED = "WebhookFailed"
WEBHOOK_DISABLED = "WebhookDisabled"
AUTH_REJECTED = "AuthRejected"

DEFAULT_NAMESPACE = "BadgeKit"
DEFAULT_SERVICE = "badgekit-api"


class Recorder:
    """One invocation's counts: {(metric, method or None): value}. Thread-safe (the webhook
    sender's records run on threads)."""

    def __init__(self) -> None:
        self.counts: dict[tuple[str, str | None], float] = {}
        self._lock = threading.Lock()

    def add(self, name: str, value: float, method: str | None = None) -> None:
        with self._lock:
            key = (name, method)
            self.counts[key] = self.counts.get(key, 0) + value

    def flush(self) -> None:
        """Print the counts as EMF objects: the plain metrics in one, each award method's
        `BadgeAwarded` in its own (its `method` dimension would apply to all)."""
        with self._lock:
            counts, self.counts = self.counts, {}
        groups: dict[str | None, dict[str, float]] = {}
        for (name, method), value in counts.items():
            groups.setdefault(method, {})[name] = value
        if not groups:
            return
        provider = _provider()  # one for the groups: each flush clears its metrics and dimensions
        service = _service()
        for method, metrics in groups.items():
            for name, value in metrics.items():
                provider.add_metric(name=name, unit="Count", value=value)
            provider.add_dimension(name="service", value=service)
            if method is not None:
                provider.add_dimension(name="method", value=method)
                provider.add_dimensions(service=service)  # the total, in the same object
            provider.flush_metrics()


_current: ContextVar[Recorder | None] = ContextVar("badgekit_metrics", default=None)


def count(name: str, value: float = 1) -> None:
    """Count `value` of metric `name` in the current invocation (nothing outside one)."""
    recorder = _current.get()
    if recorder is not None and value:
        recorder.add(name, value)


def awarded(method: AwardMethod, value: int = 1) -> None:
    """`value` badges awarded by `method`."""
    recorder = _current.get()
    if recorder is not None and value:
        recorder.add(BADGE_AWARDED, value, method)


# Powertools' truthy values for its boolean settings.
_TRUE = frozenset({"1", "y", "yes", "t", "true", "on"})


def disabled() -> bool:
    """Powertools' rule: POWERTOOLS_METRICS_DISABLED true, or POWERTOOLS_DEV true with it unset."""
    setting = os.environ.get("POWERTOOLS_METRICS_DISABLED")
    if setting is not None:
        return setting.strip().lower() in _TRUE
    return os.environ.get("POWERTOOLS_DEV", "").strip().lower() in _TRUE


def _service() -> str:
    return os.environ.get("POWERTOOLS_SERVICE_NAME") or DEFAULT_SERVICE


def _provider() -> Any:
    # Imported on first use, not at a function's import: a cold start pays for it only when
    # there is something to print.
    from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import (
        AmazonCloudWatchEMFProvider,
    )

    namespace = os.environ.get("POWERTOOLS_METRICS_NAMESPACE") or DEFAULT_NAMESPACE
    return AmazonCloudWatchEMFProvider(namespace=namespace, service=_service())


Handler = Callable[[Any, Any], Any]


def invocation(handler: Handler) -> Handler:
    """A Lambda handler whose metrics are flushed once at the end of each invocation (also when
    it raises), with Powertools' `ColdStart` on the first invocation of this handler."""
    state = {"cold": True}

    @functools.wraps(handler)
    def wrapped(event: Any, context: Any) -> Any:
        if disabled():
            state["cold"] = False
            return handler(event, context)
        recorder = Recorder()
        token = _current.set(recorder)
        try:
            return handler(event, context)
        finally:
            _current.reset(token)
            cold, state["cold"] = state["cold"], False
            _flush(recorder, context if cold else None)

    return wrapped


def _flush(recorder: Recorder, cold_context: Any) -> None:
    try:
        if cold_context is not None:
            _provider().add_cold_start_metric(context=cold_context)
        recorder.flush()
    except Exception:  # metrics never fail an invocation
        logging.getLogger(__name__).exception("could not emit metrics")
