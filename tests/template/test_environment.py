"""Every environment variable the code reads is declared in the template for every function that
can read it, so `sam local start-api --env-vars` (which only sets declared variables) can set it
(README "Developing with sam local").

The reads are found by parsing the sources (`tests/support/environment.py`): each function's code
directory and the layer modules it imports, transitively. Powertools' own variables that the
template sets count as read by every function that imports Powertools. Only the variables the
runtime itself provides are exempt (`RUNTIME_PROVIDED`).
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from local.template import Template
from tests.support.environment import (
    declared,
    function_reads,
    function_specs,
    variables_read,
)

pytestmark = pytest.mark.template

REPO_ROOT = Path(__file__).resolve().parents[2]

# Set by the platform, never by the template (Lambda's reserved variables, sam local's and
# Chalice's local markers): a template may not, or need not, declare them.
RUNTIME_PROVIDED = {
    "AWS_REGION": "Lambda",
    "AWS_DEFAULT_REGION": "Lambda",
    "AWS_ACCESS_KEY_ID": "Lambda (the execution role's credentials)",
    "AWS_SECRET_ACCESS_KEY": "Lambda",
    "AWS_SESSION_TOKEN": "Lambda",
    "AWS_EXECUTION_ENV": "Lambda",
    "AWS_LAMBDA_FUNCTION_NAME": "Lambda",
    "AWS_LAMBDA_FUNCTION_VERSION": "Lambda",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "Lambda",
    "AWS_LAMBDA_LOG_GROUP_NAME": "Lambda",
    "AWS_LAMBDA_LOG_STREAM_NAME": "Lambda",
    "AWS_LAMBDA_INITIALIZATION_TYPE": "Lambda",
    "LAMBDA_TASK_ROOT": "Lambda",
    "LAMBDA_RUNTIME_DIR": "Lambda",
    "_HANDLER": "Lambda",
    "_X_AMZN_TRACE_ID": "Lambda",
    "AWS_SAM_LOCAL": "sam local (true in its containers)",
    "AWS_CHALICE_CLI_MODE": "Chalice's local server (read to mirror Powertools' tracing rule)",
}


def undeclared(template: Template) -> dict[str, dict[str, set[str]]]:
    """{function: {variable: files reading it}} for every read variable it does not declare."""
    declarations = declared(template)
    powertools = {name for names in declarations.values() for name in names}
    powertools = {name for name in powertools if name.startswith("POWERTOOLS_")}
    missing: dict[str, dict[str, set[str]]] = {}
    for spec in function_specs(template):
        reads = function_reads(spec.code_dir, spec.layer_dirs, REPO_ROOT)
        needed = dict(reads.names)
        if reads.imports_powertools:
            for name in powertools:
                needed.setdefault(name, set()).add("aws_lambda_powertools")
        for name, files in needed.items():
            if name not in declarations[spec.logical_id] and name not in RUNTIME_PROVIDED:
                missing.setdefault(spec.logical_id, {})[name] = files
    return missing


def test_every_variable_read_is_declared_for_each_function_that_can_read_it(
    template_path: Path,
) -> None:
    assert undeclared(Template(template_path)) == {}


def test_no_environment_access_the_scan_cannot_name(template_path: Path) -> None:
    """A computed name (or `os.environ` passed around) would escape the check above."""
    unresolved = []
    for spec in function_specs(Template(template_path)):
        unresolved += function_reads(spec.code_dir, spec.layer_dirs, REPO_ROOT).unresolved
    assert unresolved == []


def test_the_scan_sees_the_variables_this_issue_is_about(template_path: Path) -> None:
    """The scan finds what the code is known to read (else the checks above prove nothing)."""
    template = Template(template_path)
    reads = {
        spec.logical_id: set(function_reads(spec.code_dir, spec.layer_dirs, REPO_ROOT).names)
        for spec in function_specs(template)
    }
    every_api_function = {
        "MASTER_SECRET",
        "MASTER_SECRET_PARAMETER",
        "DYNAMODB_ENDPOINT",
        "S3_ENDPOINT",
        "TABLE_NAME",
        "IMAGES_BUCKET",
        "PUBLIC_BASE_URL",
        "TOKEN_POLICY",
        "BADGEKIT_VERSION",
    }
    assert every_api_function <= reads["ContainersFunction"]
    assert {"SQS_ENDPOINT", "WEBHOOK_RETRY_QUEUE_URL", "WEBHOOKS_ALLOW_HTTP"} <= reads[
        "WebhooksFunction"
    ]
    assert {
        "WEBHOOK_DEAD_LETTER_QUEUE_URL",
        "WEBHOOK_RETRY_SCHEDULE",
        "WEBHOOK_RETRY_JITTER",
        "WEBHOOKS_ALLOW_PRIVATE",
    } <= reads["WebhookSenderFunction"]
    # Only the sender imports the delivery module: the others need not declare its queue.
    assert "WEBHOOK_DEAD_LETTER_QUEUE_URL" not in reads["WebhooksFunction"]


def test_local_variables_are_declared_empty_or_safe_on_aws(template_path: Path) -> None:
    """What `local/env.json` sets must exist on AWS too, where it must change nothing."""
    variables = Template(template_path).data["Globals"]["Function"]["Environment"]["Variables"]
    for name in (
        "MASTER_SECRET",
        "DYNAMODB_ENDPOINT",
        "S3_ENDPOINT",
        "SQS_ENDPOINT",
        "WEBHOOKS_ALLOW_HTTP",
        "WEBHOOKS_ALLOW_PRIVATE",
        "BADGEKIT_VERSION",
    ):
        assert variables[name] == "", name
    assert variables["POWERTOOLS_METRICS_DISABLED"] == "false"
    assert variables["POWERTOOLS_DEV"] == "false"


# -- the check can fail -------------------------------------------------------------------------


def test_scan_finds_every_form_of_read() -> None:
    source = textwrap.dedent(
        """
        import os
        from os import environ as env, getenv

        NAME = "FROM_CONSTANT"

        def f():
            a = os.environ["SUBSCRIPT"]
            b = os.environ.get("GET", "x")
            c = os.getenv("GETENV")
            d = env.get(NAME)
            e = getenv("BARE_GETENV")
            g = "CONTAINED" in os.environ
            h = os.environ.setdefault("SETDEFAULT", "1")
            return a, b, c, d, e, g, h
        """
    )
    reads = variables_read(source, "m.py")
    assert set(reads.names) == {
        "SUBSCRIPT",
        "GET",
        "GETENV",
        "FROM_CONSTANT",
        "BARE_GETENV",
        "CONTAINED",
        "SETDEFAULT",
    }
    assert reads.unresolved == []


def test_scan_reports_what_it_cannot_name() -> None:
    source = textwrap.dedent(
        """
        import os

        def f(name):
            copy = dict(os.environ)
            return os.environ.get(name), os.environ[name.upper()], copy
        """
    )
    reads = variables_read(source, "m.py")
    assert reads.names == {}
    assert reads.unresolved == [
        "m.py:5: os.environ",
        "m.py:6: os.environ.get(name)",
        "m.py:6: os.environ[name.upper()]",
    ]


def _project(tmp_path: Path, layer_module: str, function_env: str = "") -> Template:
    """A template with one function importing a layer module that reads `NEW_SETTING`."""
    (tmp_path / "layer" / "pkg").mkdir(parents=True, exist_ok=True)
    (tmp_path / "layer" / "pkg" / "__init__.py").write_text("")
    (tmp_path / "layer" / "pkg" / "settings.py").write_text(layer_module)
    (tmp_path / "layer" / "pkg" / "unused.py").write_text('import os\nos.environ["UNUSED"]\n')
    (tmp_path / "fn").mkdir(exist_ok=True)
    (tmp_path / "fn" / "app.py").write_text(
        "from pkg import settings\n\ndef handler(event, context):\n    return settings.value()\n"
    )
    (tmp_path / "template.yaml").write_text(
        textwrap.dedent(
            f"""
            Transform: AWS::Serverless-2016-10-31
            Globals:
              Function:
                Environment:
                  Variables:
                    TABLE_NAME: t
            Resources:
              Layer:
                Type: AWS::Serverless::LayerVersion
                Properties: {{ContentUri: layer/}}
              Fn:
                Type: AWS::Serverless::Function
                Properties:
                  CodeUri: fn/
                  Handler: app.handler
                  Layers: [!Ref Layer]
                  {function_env}
            """
        )
    )
    return Template(tmp_path / "template.yaml")


def test_an_undeclared_read_in_an_imported_layer_module_fails(tmp_path: Path) -> None:
    source = 'import os\n\ndef value():\n    return os.environ.get("NEW_SETTING") or "x"\n'
    assert undeclared(_project(tmp_path, source)) == {
        "Fn": {"NEW_SETTING": {str(tmp_path / "layer" / "pkg" / "settings.py")}}
    }
    declaring = "Environment: {Variables: {NEW_SETTING: ''}}"
    assert undeclared(_project(tmp_path, source, declaring)) == {}


def test_runtime_variables_need_no_declaration(tmp_path: Path) -> None:
    source = 'import os\n\ndef value():\n    return os.environ["AWS_REGION"]\n'
    assert undeclared(_project(tmp_path, source)) == {}
