"""samconfig.toml: `sam build && sam deploy` (dev) and `--config-env prod` from the repo root."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.template


@pytest.fixture(scope="module")
def samconfig(samconfig_path: Path) -> dict[str, Any]:
    with samconfig_path.open("rb") as handle:
        return tomllib.load(handle)


@pytest.mark.parametrize(
    ("env", "stack", "environment", "confirm"),
    [("default", "badgekit-api", "dev", False), ("prod", "badgekit-api-prod", "prod", True)],
)
def test_environment(
    samconfig: dict[str, Any],
    template_path: Path,
    samconfig_path: Path,
    env: str,
    stack: str,
    environment: str,
    confirm: bool,
) -> None:
    section = samconfig[env]
    assert section["global"]["parameters"]["stack_name"] == stack
    for command in ("build", "validate"):
        template_file = section[command]["parameters"]["template_file"]
        assert (samconfig_path.parent / template_file).resolve() == template_path.resolve()
    deploy = section["deploy"]["parameters"]
    # deploy must use the built template (.aws-sam/build), which it does unless told otherwise.
    assert "template_file" not in deploy
    assert "template_file" not in section["global"]["parameters"]
    assert "CAPABILITY_IAM" in deploy["capabilities"].split()
    assert deploy["resolve_s3"] is True
    assert deploy["confirm_changeset"] is confirm
    assert f"Environment={environment}" in deploy["parameter_overrides"].split()
    # The token policy is explicit in both environments (spec auth.md §3.1; the default too).
    assert "TokenPolicy=strict" in deploy["parameter_overrides"].split()
