"""X-Ray tracing of the handlers through the X-Ray SDK: opt-in, decided once per cold start.

The rule (docs/architecture.md, "Tracing"): the handlers are traced with Powertools' `Tracer`
only when `POWERTOOLS_TRACE_DISABLED` is not true and the code runs in Lambda (`LAMBDA_TASK_ROOT`
set, neither `sam local` nor Chalice's local server) — exactly when Powertools' own Tracer would
trace. The template turns it off unless its `TraceHandlers` parameter is `true`. Otherwise the
X-Ray SDK (and Powertools' tracer module) is never imported: importing it and creating the
Tracer (which patches botocore and requests) costs about 30 ms of a cold start in Lambda, over
100 ms elsewhere, and a Tracer created while disabled records nothing anyway. Lambda's own
traces of each invocation (the function's `Tracing: Active`) need no SDK and stay on either way.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, cast

# Powertools' truthy values for its boolean settings (`resolve_truthy_env_var_choice`).
_TRUE = frozenset({"1", "y", "yes", "t", "true", "on"})


def enabled() -> bool:
    """Whether the handlers are traced with the X-Ray SDK (see the module's rule)."""
    if os.environ.get("POWERTOOLS_TRACE_DISABLED", "false").lower() in _TRUE:
        return False
    if not os.environ.get("LAMBDA_TASK_ROOT"):
        return False
    return not (os.environ.get("AWS_SAM_LOCAL") or os.environ.get("AWS_CHALICE_CLI_MODE"))


def capture_lambda_handler[Handler: Callable[..., Any]](handler: Handler) -> Handler:
    """`handler` traced by Powertools' Tracer when tracing is enabled, else `handler` itself
    (nothing imported). The response is never recorded (it may hold personal data)."""
    if not enabled():
        return handler
    from aws_lambda_powertools import Tracer

    return cast(Handler, Tracer().capture_lambda_handler(handler, capture_response=False))
