"""`python -m local --services-only` (`make services`): the embedded services for `sam local`.

Why: `sam local start-api` runs each function in a Docker container, and those containers need
somewhere to keep data. This mode starts only the local stack's embedded moto server (DynamoDB,
S3 path-style and SQS on one port) with the template's table, buckets and queues, and writes
`local/env.json` in the format `sam local start-api --env-vars` reads: `Parameters` for every
function (the template's Globals) and one object per function for the variables only it
declares. sam local only sets variables the template declares for a function
(tests/template/test_environment.py checks that every variable the code reads is declared), so
every key written here is one of those.

What sam local cannot do with it: it runs API-triggered functions only, so the stream- and
queue-triggered ones (webhook delivery and retries, milestone awards) never run there; outbox
events stay in the table. `make dev` runs them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from local.sign import write_private
from local.template import DEFAULT_REGION, FunctionSpec, Template

DEFAULT_SERVICES_PORT = 5055  # neither make dev's 8080 nor sam local's 3000
SAM_LOCAL_URL = "http://127.0.0.1:3000"  # where `sam local start-api` listens by default
REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_ENV_FILE = REPO_ROOT / "local" / "env.json"


def global_variables(template: Template) -> dict[str, Any]:
    """The template's `Globals.Function.Environment.Variables` (unresolved)."""
    function = (template.data.get("Globals") or {}).get("Function") or {}
    variables: dict[str, Any] = (function.get("Environment") or {}).get("Variables") or {}
    return variables


def own_variables(template: Template, logical_id: str) -> dict[str, Any]:
    """The variables a function declares itself (unresolved; Globals not included)."""
    properties = template.resources[logical_id].get("Properties") or {}
    variables: dict[str, Any] = (properties.get("Environment") or {}).get("Variables") or {}
    return variables


def env_vars(
    template: Template, specs: list[FunctionSpec], environ: Mapping[str, str]
) -> dict[str, dict[str, str]]:
    """`--env-vars` content: the Globals' variables as the local stack sets them (`environ`,
    after `LocalStack._set_function_environment`) for every function, and each function's own
    variables (resolved locally; an empty default falls back to `environ`) under its logical
    id."""
    result = {"Parameters": {name: environ.get(name, "") for name in global_variables(template)}}
    for spec in specs:
        own = {
            name: spec.environment.get(name) or environ.get(name, "")
            for name in own_variables(template, spec.logical_id)
        }
        if own:
            result[spec.logical_id] = own
    return result


def write_env_file(path: Path, content: Mapping[str, Mapping[str, str]]) -> None:
    """Write `content` as JSON, readable by its owner only (it holds the master secret)."""
    write_private(path, json.dumps(content, indent=2, sort_keys=True) + "\n")


def sam_command(env_file: Path, address: str) -> str:
    """The `sam local start-api` command line for this env file and services address."""
    try:
        shown = env_file.relative_to(REPO_ROOT)
    except ValueError:
        shown = env_file
    network = " --docker-network host" if address in ("127.0.0.1", "localhost") else ""
    return (
        f"AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing .venv-sam/bin/sam local "
        f"start-api --env-vars {shown}{network} --region {DEFAULT_REGION}"
    )
