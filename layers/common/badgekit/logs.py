"""Structured logs: one Powertools Logger (JSON lines on stdout) for the whole package.

Every function logs through `logger` (docs/observability.md lists the fields). The keys of an
invocation (function name, request id, cold start, `correlation_id`) are kept per execution
context (Powertools' thread-safe keys, a context variable), not in the formatter's shared keys:
in Lambda one process serves one invocation at a time and it makes no difference, but the local
stack runs every function in one process and several invocations at once, and the webhook
sender handles the records of a batch on threads. So a line always names the invocation that
wrote it. Work handed to another thread keeps them with `contextvars.copy_context().run`.

The package's stdlib loggers (`logging.getLogger(__name__)` under `badgekit.`) write through the
same handler and formatter, so their lines are the same JSON with the same keys.

Correlation id: the API Gateway request id for API requests; in the stream and queue functions,
the id carried by the outbox event (`correlationId`: the request that made it), else the event's
own id. Never logged: secrets, tokens, the Authorization header, webhook secrets.
"""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Callable
from typing import Any, TextIO, cast

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging.formatter import THREAD_LOCAL_KEYS


class _Stdout:
    """sys.stdout as it is when a line is written (not when the logger was made): the local
    stack and the tests replace sys.stdout after the package is imported."""

    def write(self, text: str) -> int:
        return sys.stdout.write(text)

    def flush(self) -> None:
        sys.stdout.flush()


logger = Logger(stream=cast(TextIO, _Stdout()), utc=True)

# The package's stdlib loggers (badgekit.domain.images, ...) through the same handler.
_package = logging.getLogger("badgekit")
if logger.registered_handler not in _package.handlers:
    _package.addHandler(logger.registered_handler)
_package.setLevel(logger.log_level)
_package.propagate = False


def correlation_id() -> str | None:
    """The current invocation's (or record's) correlation id, if one is set."""
    value = THREAD_LOCAL_KEYS.get().get("correlation_id")
    return str(value) if value else None


def set_keys(**keys: Any) -> None:
    """Add keys to every line written from here on in this execution context (e.g. a record's
    correlation id on the thread handling it). Powertools' thread-safe keys: the formatter adds
    them to every line."""
    THREAD_LOCAL_KEYS.set({**THREAD_LOCAL_KEYS.get(), **keys})


Handler = Callable[[Any, Any], Any]


def invocation(handler: Handler) -> Handler:
    """A Lambda handler whose invocations log with the context's keys (function name, request
    id, cold start; the first invocation of this handler is the cold one)."""
    state = {"cold": True}

    @functools.wraps(handler)
    def wrapped(event: Any, context: Any) -> Any:
        cold, state["cold"] = state["cold"], False
        THREAD_LOCAL_KEYS.set({})
        set_keys(
            function_name=getattr(context, "function_name", None),
            function_request_id=getattr(context, "aws_request_id", None),
            cold_start=cold,
        )
        try:
            return handler(event, context)
        finally:
            THREAD_LOCAL_KEYS.set({})

    return wrapped
