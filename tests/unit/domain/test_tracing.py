"""Tracing is opt-in at run time (badgekit.tracing, docs/architecture.md "Tracing"): the X-Ray
SDK is imported only when the handlers are traced, never by a function's cold start otherwise."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from badgekit import tracing

ROOT = Path(__file__).resolve().parents[3]
FUNCTIONS = sorted(path.parent.name for path in ROOT.glob("functions/*/app.py"))
LAMBDA = {"LAMBDA_TASK_ROOT": "/var/task"}


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    for name in ("POWERTOOLS_TRACE_DISABLED", "LAMBDA_TASK_ROOT", "AWS_SAM_LOCAL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("AWS_CHALICE_CLI_MODE", raising=False)


@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        ({}, False),  # not in Lambda (tests, the local stack, the bench)
        (LAMBDA, True),
        ({**LAMBDA, "POWERTOOLS_TRACE_DISABLED": "false"}, True),
        ({**LAMBDA, "POWERTOOLS_TRACE_DISABLED": "0"}, True),
        ({**LAMBDA, "POWERTOOLS_TRACE_DISABLED": "true"}, False),
        ({**LAMBDA, "POWERTOOLS_TRACE_DISABLED": "TRUE"}, False),
        ({**LAMBDA, "POWERTOOLS_TRACE_DISABLED": "1"}, False),
        ({**LAMBDA, "AWS_SAM_LOCAL": "true"}, False),  # sam local: no X-Ray daemon
        ({**LAMBDA, "AWS_CHALICE_CLI_MODE": "true"}, False),
        ({"POWERTOOLS_TRACE_DISABLED": "false"}, False),
    ],
)
def test_the_rule(monkeypatch, environment, expected):
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    assert tracing.enabled() is expected


def test_an_untraced_handler_is_the_handler_itself(monkeypatch):
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")
    monkeypatch.setenv("LAMBDA_TASK_ROOT", "/var/task")

    def handler(event, context):
        return {"event": event}

    assert tracing.capture_lambda_handler(handler) is handler


def _run(code: str, environment: dict[str, str]) -> dict[str, object]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("POWERTOOLS_TRACE_DISABLED", "LAMBDA_TASK_ROOT", "AWS_SAM_LOCAL")
    }
    env.update(environment, PYTHONPATH=str(ROOT / "layers" / "common"))
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout.splitlines()[-1])
    return result


IMPORT_FUNCTIONS = """
import importlib.util, json, sys
loaded = {}
for name in %r:
    path = f"functions/{name}/app.py"
    spec = importlib.util.spec_from_file_location(f"app_{name}", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # as any import does (dataclasses look their module up)
    spec.loader.exec_module(module)
    loaded[name] = sorted(
        top for top in ("aws_xray_sdk", "requests") if top in sys.modules
    )
print(json.dumps(loaded))
"""


def test_no_function_imports_the_xray_sdk_when_tracing_is_off():
    # The webhook sender last: it is the one function that imports `requests` (deliveries).
    order = [name for name in FUNCTIONS if name != "webhook_sender"] + ["webhook_sender"]
    loaded = _run(
        IMPORT_FUNCTIONS % (order,),
        {**LAMBDA, "POWERTOOLS_TRACE_DISABLED": "true", "TABLE_NAME": "t"},
    )
    expected = {name: [] for name in order}
    expected["webhook_sender"] = ["requests"]
    assert loaded == expected


def test_a_traced_handler_goes_through_powertools_tracer():
    code = """
import json, sys
from badgekit import tracing
def handler(event, context):
    return None
traced = tracing.capture_lambda_handler(handler)
print(json.dumps({"wrapped": traced is not handler, "sdk": "aws_xray_sdk" in sys.modules}))
"""
    environment = {
        **LAMBDA,
        "POWERTOOLS_TRACE_DISABLED": "false",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    assert _run(code, environment) == {"wrapped": True, "sdk": True}
