"""`sam local start-api --env-vars local/env.json` finds every variable env.json sets: the SAM
CLI's own code (run in .venv-sam, no container) resolves each function's environment from the
template and the env.json that `make services` wrote, and every value env.json gives a function
(`Parameters`, then its own object) is what its container would get. A variable the template did
not declare for a function would be missing here (sam local drops it silently).
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from local.template import Template
from tests.support.environment import declared
from tests.support.services import Services, start_services, stop
from tests.template.conftest import _sam_python

pytestmark = pytest.mark.template

SCRIPT = Path(__file__).with_name("sam_local_env.py")


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    running = start_services(tmp_path_factory.mktemp("services"))
    try:
        yield running
    finally:
        stop(running)


def sam_local_environments(template: Path, env_file: Path) -> dict[str, dict[str, str]]:
    python = _sam_python()
    if python is None:
        pytest.fail("the SAM CLI's Python is needed: make sam-validate creates .venv-sam")
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(env_file.parent),
        "SAM_CLI_TELEMETRY": "0",
        # The README's sam local shell: dummy credentials, the services' region.
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    result = subprocess.run(
        [str(python), str(SCRIPT), str(template), str(env_file)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    environments: dict[str, dict[str, str]] = json.loads(result.stdout)
    return environments


def test_sam_local_gives_every_function_what_env_json_sets(
    services: Services, template_path: Path
) -> None:
    env_vars = services.env_vars
    environments = sam_local_environments(template_path, services.env_file)
    assert set(environments) == set(declared(Template(template_path)))
    for function, environment in environments.items():
        expected = {**env_vars["Parameters"], **env_vars.get(function, {})}
        assert {name: environment.get(name) for name in expected} == expected, function
        assert environment["AWS_SAM_LOCAL"] == "true"
        assert environment["AWS_REGION"] == "us-east-1"
        assert environment["AWS_ACCESS_KEY_ID"] == "testing"


def test_an_undeclared_variable_never_reaches_the_container(
    template_path: Path, tmp_path: Path
) -> None:
    """Why the template must declare everything: sam local drops what it does not declare."""
    env_file = tmp_path / "env.json"
    env_file.write_text(json.dumps({"Parameters": {"NOT_DECLARED": "x", "TABLE_NAME": "t"}}))
    environments = sam_local_environments(template_path, env_file)
    containers = environments["ContainersFunction"]
    assert containers["TABLE_NAME"] == "t"
    assert "NOT_DECLARED" not in containers
