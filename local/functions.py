"""Importing and invoking the template's functions in-process.

Why: each function is imported once at start-up and stays warm, like a Lambda execution
environment that is reused, so module-level clients and caches behave as they do on AWS. Every
handler file is called `app.py`, so each is imported under a unique module name; helper modules
next to one handler are kept from leaking into another function's import.

Like Lambda, one execution environment handles one request at a time: a handler's module state
(e.g. the Powertools resolver's current event) is never shared by two concurrent requests.
Concurrent requests get further instances, imported on demand (a "cold start") up to
`MAX_INSTANCES` per function; beyond that they wait for an idle one.
"""

from __future__ import annotations

import contextvars
import importlib.util
import itertools
import logging
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, TextIO

from local.template import DEFAULT_ACCOUNT_ID, DEFAULT_REGION, FunctionSpec

LOG = logging.getLogger("local.functions")

MAX_INSTANCES = 8
_instance_numbers = itertools.count(1)

# The logical id of the function whose invocation runs in this context (None outside one):
# what `LabelledStream` writes before each of its lines. Threads a function hands work to keep
# it when they run in a copy of its context.
invoking: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "local_function", default=None
)


class LabelledStream:
    """A text stream whose lines written during an invocation start with the function's name
    (`IssuingFunction {"level":"INFO",...}`), as CloudWatch keeps each function's output in its
    own log group. Lines are written whole (a line is buffered per thread until its newline),
    so lines of concurrent invocations never mix."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self._pending = threading.local()
        self._lock = threading.Lock()

    def write(self, text: str) -> int:
        name = invoking.get()
        if name is None:
            with self._lock:
                return self.stream.write(text)
        buffered: str = getattr(self._pending, "text", "") + text
        complete, newline, rest = buffered.rpartition("\n")
        self._pending.text = rest
        if newline:
            lines = "".join(f"{name} {line}\n" for line in complete.split("\n"))
            with self._lock:
                self.stream.write(lines)
        return len(text)

    def flush(self) -> None:
        self.stream.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)


@dataclass
class LambdaContext:
    """The subset of Lambda's context object that handlers and Powertools use."""

    function_name: str
    memory_limit_in_mb: int
    timeout_s: int
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    _deadline: float = 0.0

    def __post_init__(self) -> None:
        self._deadline = time.monotonic() + self.timeout_s
        self.invoked_function_arn = (
            f"arn:aws:lambda:{DEFAULT_REGION}:{DEFAULT_ACCOUNT_ID}:function:{self.function_name}"
        )
        self.log_group_name = f"/aws/lambda/{self.function_name}"
        self.log_stream_name = "local"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


Handler = Callable[[Any, Any], Any]


@dataclass
class LocalFunction:
    """A warm, imported function: a pool of execution environments, one request each."""

    spec: FunctionSpec
    module: ModuleType
    handler: Handler
    max_instances: int = MAX_INSTANCES
    _idle: list[Handler] = field(default_factory=list, repr=False)
    _instances: int = 1
    _available: threading.Condition = field(default_factory=threading.Condition, repr=False)

    def __post_init__(self) -> None:
        self._idle.append(self.handler)

    @property
    def name(self) -> str:
        return self.spec.logical_id

    def _acquire(self) -> Handler:
        with self._available:
            while not self._idle and self._instances >= self.max_instances:
                self._available.wait()
            if self._idle:
                return self._idle.pop()
            self._instances += 1
        try:
            return _import_handler(self.spec, [])[1]
        except BaseException:
            with self._available:
                self._instances -= 1
                self._available.notify()
            raise

    def _release(self, handler: Handler) -> None:
        with self._available:
            self._idle.append(handler)
            self._available.notify()

    def invoke(self, event: Any, request_id: str | None = None) -> Any:
        """Call the handler; exceptions propagate (the caller decides what the platform does)."""
        context = LambdaContext(self.name, self.spec.memory_mb, self.spec.timeout_s)
        if request_id:
            context.aws_request_id = request_id
        handler = self._acquire()
        started = time.monotonic()
        label = invoking.set(self.name)
        try:
            return handler(event, context)
        finally:
            invoking.reset(label)
            self._release(handler)
            elapsed = time.monotonic() - started
            if elapsed > self.spec.timeout_s:
                LOG.warning(
                    "%s took %.1f s: Lambda would have timed out after %d s",
                    self.name,
                    elapsed,
                    self.spec.timeout_s,
                )


def add_layers(specs: list[FunctionSpec]) -> None:
    """Put every layer directory on sys.path (once), like /opt/python on Lambda."""
    for spec in specs:
        for layer in spec.layer_dirs:
            if str(layer) not in sys.path:
                sys.path.insert(0, str(layer))


def load_function(spec: FunctionSpec, other_code_dirs: list[Path] | None = None) -> LocalFunction:
    """Import `spec`'s handler module under a unique name and return the warm function."""
    module, handler = _import_handler(spec, other_code_dirs or [])
    return LocalFunction(spec, module, handler)


def _import_handler(spec: FunctionSpec, other_code_dirs: list[Path]) -> tuple[ModuleType, Handler]:
    """One execution environment: a fresh import of the handler module."""
    path = spec.handler_file
    if not path.is_file():
        raise FileNotFoundError(f"{spec.logical_id}: handler file {path} does not exist")
    _forget_modules_from(other_code_dirs)
    name = f"_local_function_{spec.logical_id}_{next(_instance_numbers)}"
    module_spec = importlib.util.spec_from_file_location(name, path)
    if module_spec is None or module_spec.loader is None:
        raise ImportError(f"cannot import {path}")
    module = importlib.util.module_from_spec(module_spec)
    code_dir = str(spec.code_dir)
    # The handler's directory is the Lambda task root: its sibling modules import from there.
    # It stays on sys.path afterwards, for imports a handler makes lazily.
    if code_dir in sys.path:
        sys.path.remove(code_dir)
    sys.path.insert(0, code_dir)
    sys.modules[name] = module
    try:
        module_spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    finally:
        sys.path.remove(code_dir)
        sys.path.append(code_dir)
    handler = getattr(module, spec.handler_name, None)
    if not callable(handler):
        raise AttributeError(f"{spec.logical_id}: {path} has no callable {spec.handler_name!r}")
    return module, handler


def load_functions(specs: list[FunctionSpec]) -> dict[str, LocalFunction]:
    """Import every function once, with the layers on sys.path."""
    add_layers(specs)
    loaded: dict[str, LocalFunction] = {}
    for spec in specs:
        others = [s.code_dir for s in specs if s.code_dir != spec.code_dir]
        loaded[spec.logical_id] = load_function(spec, others)
    return loaded


def _forget_modules_from(code_dirs: list[Path]) -> None:
    """Drop cached modules that live in other functions' code directories.

    Two functions may both have e.g. a `routes.py`; without this the second would silently get the
    first one's module from sys.modules. Already imported functions keep their references.
    """
    roots = [str(d) for d in code_dirs]
    for name, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None) or ""
        if any(file.startswith(root + "/") for root in roots) and not name.startswith(
            "_local_function_"
        ):
            del sys.modules[name]
