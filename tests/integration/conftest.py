"""Fixtures for the HTTP integration tests against the local stack.

Why a subprocess: it is exactly what `make dev` runs (entry point, options, signal handling), and
the functions' process-wide state (environment, warm modules, embedded DynamoDB) stays out of the
test process. Each pytest process, including each pytest-xdist worker, starts its own stack on a
port the OS picks (`--port 0`; the stack prints its URL), so workers never race for a port. Tests
share their process's stack: create what you need under `unique()` slugs.

Set `LOCAL_STACK_TEMPLATE` to run the tests against another template than infra/template.yaml.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.support.client import MASTER_SECRET, ApiClient
from tests.support.trees import Tree, created, make_tree

__all__ = ["MASTER_SECRET", "StackProcess", "start_stack"]

REPO_ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 60.0
_URL_LINE = re.compile(r"listening on (http://127\.0\.0\.1:\d+)")
_DYNAMODB_LINE = re.compile(r"DynamoDB:\s+table \S+ at (\S+)")
# Developer settings that would change what the tests see; the tests set their own.
_CLEARED_ENV = (
    "PORT",
    "PUBLIC_BASE_URL",
    "BADGEKIT_SYSTEM",
    "BADGEKIT_SYSTEM_NAME",
    "BADGEKIT_SYSTEM_URL",
    "TOKEN_POLICY",
    "TOKEN_MAX_LIFETIME",
    "LOCAL_STATE_DIR",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.integration)


@dataclass
class StackProcess:
    """A running `python -m local` subprocess."""

    base_url: str
    dynamodb_endpoint: str
    table_name: str
    master_secret: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def output(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()  # SIGTERM: the stack shuts down cleanly
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def start_stack(
    env: Mapping[str, str] | None = None,
    args: Sequence[str] = ("--in-memory",),
    module: str = "local",
) -> StackProcess:
    """Start a stack with the test settings (plus `env`) and wait until it answers; `args` are
    more options (by default `--in-memory`: a test stack keeps nothing), `module` what runs
    (`python -m local`, or a test's variant of it)."""
    table = f"badgekit-it-{uuid.uuid4().hex[:8]}"
    child_env = {k: v for k, v in os.environ.items() if k not in _CLEARED_ENV}
    child_env.update(
        MASTER_SECRET=MASTER_SECRET,
        TABLE_NAME=table,
        LOG_LEVEL="WARNING",
        # The functions' lines and metrics stay out of the tests' stack logs (403s and 5xx
        # still show); tests that read them start a stack with FUNCTION_LOG_LEVEL=INFO.
        FUNCTION_LOG_LEVEL="WARNING",
        FUNCTION_METRICS="off",
        PYTHONUNBUFFERED="1",
        LOCAL_SECRET_FILE="",  # never overwrite the developer's stack's secret (local.sign)
    )
    child_env.update(env or {})
    command = [sys.executable, "-m", module, "--port", "0", *args]
    if os.environ.get("LOCAL_STACK_TEMPLATE"):
        command += ["--template", os.environ["LOCAL_STACK_TEMPLATE"]]
    fd, log_name = tempfile.mkstemp(prefix="local-stack-", suffix=".log")
    log_path = Path(log_name)
    with os.fdopen(fd, "wb") as log:
        process = subprocess.Popen(
            command, cwd=REPO_ROOT, env=child_env, stdout=log, stderr=subprocess.STDOUT
        )
    stack = StackProcess("", "", table, child_env["MASTER_SECRET"], process, log_path)
    try:
        _wait_until_ready(stack)
    except BaseException:  # pytest.fail above carries the output
        stack.stop()
        log_path.unlink(missing_ok=True)
        raise
    return stack


def _wait_until_ready(stack: StackProcess) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if stack.process.poll() is not None:
            pytest.fail(
                f"the local stack exited with {stack.process.returncode}:\n{stack.output()}",
                pytrace=False,
            )
        if not stack.base_url:
            output = stack.output()
            url, endpoint = _URL_LINE.search(output), _DYNAMODB_LINE.search(output)
            if url and endpoint:
                stack.base_url, stack.dynamodb_endpoint = url.group(1), endpoint.group(1)
        if stack.base_url:
            try:
                if requests.get(f"{stack.base_url}/healthcheck", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
        time.sleep(0.1)
    pytest.fail(
        f"the local stack did not answer within {START_TIMEOUT_S:.0f} s:\n{stack.output()}",
        pytrace=False,
    )


@contextmanager
def running_stack(
    env: Mapping[str, str] | None = None, args: Sequence[str] = ("--in-memory",)
) -> Iterator[StackProcess]:
    """A stack (`start_stack(env, args)`) for the block; stopped and its log removed afterwards."""
    running = start_stack(env, args)
    try:
        yield running
    finally:
        running.stop()
        running.log_path.unlink(missing_ok=True)


@pytest.fixture(scope="session")
def stack() -> Iterator[StackProcess]:
    """This process's local stack (started once, stopped at the end of the session)."""
    with running_stack() as running:
        yield running


@pytest.fixture
def stack_factory() -> Iterator[Callable[..., StackProcess]]:
    """Start extra stacks with environment overrides, e.g. `stack_factory(BADGEKIT_SYSTEM="x")`;
    they are stopped after the test."""
    with ExitStack() as stacks:

        def start(**env: str) -> StackProcess:
            return stacks.enter_context(running_stack(env))

        yield start


@pytest.fixture
def api(stack: StackProcess) -> ApiClient:
    """A client signing with the master key."""
    return ApiClient(stack.base_url, "master", MASTER_SECRET)


@pytest.fixture
def unique() -> Callable[..., str]:
    """`unique()` → `t-1a2b3c4d`; `unique("sys")` → `sys-1a2b3c4d`: slugs no other test uses."""

    def make(prefix: str = "t") -> str:
        return f"{prefix}-{uuid.uuid4().hex[:8]}"

    return make


@pytest.fixture
def new_tree(api: ApiClient, unique: Callable[..., str]) -> Callable[..., Tree]:
    """`new_tree()` → a fresh system (with email, description, image) / issuer / program."""
    return lambda **system_extra: make_tree(api, unique("sys"), **system_extra)


@pytest.fixture
def new_system(api: ApiClient, unique: Callable[..., str]) -> Callable[..., dict[str, Any]]:
    """`new_system(**fields)` → a fresh bare system (no email, image, description or issuers)."""

    def make(**fields: Any) -> dict[str, Any]:
        body = {"slug": unique("sys"), "name": "Bare", "url": "http://example.org", **fields}
        return created(api.post("/systems", json=body), "system")

    return make
