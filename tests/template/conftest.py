"""Fixtures for the checks of ``infra/template.yaml``.

- ``template``: the template as written, loaded with a CloudFormation-aware YAML loader
  (short-form tags such as ``!Ref``/``!Sub``/``!If`` become their long JSON forms);
- ``sam_output``: the CloudFormation produced by the SAM transform, run offline (stubbed
  managed-policy loader, region us-east-1). ``samtranslator`` is used in-process when installed,
  otherwise through the SAM CLI's virtualenv (``.venv-sam``, created by ``make sam-validate``);
- ``evaluate``: resolves parameters, conditions and ``Fn::If`` for a given set of parameter values.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from local.template import CfnLoader

REPO_ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_PATH = REPO_ROOT / "infra" / "template.yaml"
SAMCONFIG_PATH = REPO_ROOT / "samconfig.toml"
_TRANSFORM_SCRIPT = Path(__file__).with_name("sam_transform.py")


# --- CloudFormation-aware YAML loading -------------------------------------------------------


def load_cfn_yaml(text: str) -> dict[str, Any]:
    """The local stack's loader (one CloudFormation YAML reader for the whole project)."""
    data = yaml.load(text, Loader=CfnLoader)
    assert isinstance(data, dict), "template is not a mapping"
    return data


# --- offline SAM transform --------------------------------------------------------------------


def _sam_python() -> Path | None:
    configured = os.environ.get("SAM_PYTHON")
    candidates = [Path(configured)] if configured else []
    candidates.append(REPO_ROOT / ".venv-sam" / "bin" / "python")
    return next((path for path in candidates if path.exists()), None)


def run_sam_transform(template: dict[str, Any], parameters: Mapping[str, str]) -> dict[str, Any]:
    if importlib.util.find_spec("samtranslator") is not None:
        spec = importlib.util.spec_from_file_location("_badgekit_sam_transform", _TRANSFORM_SCRIPT)
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        result: dict[str, Any] = module.transform_template(template, dict(parameters))
        return result

    python = _sam_python()
    if python is None:
        pytest.fail(
            "the SAM transform needs samtranslator: install aws-sam-translator in this "
            "environment, or create .venv-sam (make sam-validate), or set SAM_PYTHON"
        )
    env = {**os.environ, "AWS_DEFAULT_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true"}
    proc = subprocess.run(
        [str(python), str(_TRANSFORM_SCRIPT)],
        input=json.dumps({"template": template, "parameters": dict(parameters)}),
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    if proc.returncode != 0:
        pytest.fail(f"SAM transform failed:\n{proc.stderr}")
    output: dict[str, Any] = json.loads(proc.stdout)
    return output


# --- condition / parameter evaluation ---------------------------------------------------------


class Evaluator:
    """Resolves ``Ref`` to parameters, conditions and ``Fn::If``/``Fn::Equals``/... for a given
    set of parameter values (defaults from the template). Other intrinsics are left as they are."""

    def __init__(self, template: dict[str, Any], overrides: Mapping[str, str]) -> None:
        unknown = set(overrides) - set(template.get("Parameters", {}))
        assert not unknown, f"unknown parameters {unknown}"
        self.conditions: dict[str, Any] = template.get("Conditions", {})
        self.params: dict[str, Any] = {
            name: spec.get("Default") for name, spec in template.get("Parameters", {}).items()
        }
        self.params.update(overrides)

    def condition(self, name: str) -> bool:
        result = self(self.conditions[name])
        assert isinstance(result, bool), f"condition {name} did not evaluate to a boolean"
        return result

    def __call__(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self(item) for item in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, arg),) = value.items()
            if key == "Ref" and arg in self.params:
                return self.params[arg]
            if key == "Condition":
                return self.condition(arg)
            if key == "Fn::If":
                name, if_true, if_false = arg
                return self(if_true if self.condition(name) else if_false)
            if key == "Fn::Equals":
                left, right = (self(item) for item in arg)
                return left == right
            if key == "Fn::Not":
                (inner,) = arg
                return not self(inner)
            if key == "Fn::And":
                return all(self(item) for item in arg)
            if key == "Fn::Or":
                return any(self(item) for item in arg)
        return {key: self(item) for key, item in value.items()}


# --- fixtures ---------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def template_path() -> Path:
    return TEMPLATE_PATH


@pytest.fixture(scope="session")
def samconfig_path() -> Path:
    return SAMCONFIG_PATH


@pytest.fixture(scope="session")
def cfn_yaml() -> Callable[[str], dict[str, Any]]:
    """The CloudFormation-aware YAML loader, as a function of the YAML text."""
    return load_cfn_yaml


@pytest.fixture(scope="session")
def template_text(template_path: Path) -> str:
    return template_path.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def template(template_text: str) -> dict[str, Any]:
    return load_cfn_yaml(template_text)


@pytest.fixture(scope="session")
def resources(template: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = template["Resources"]
    return result


@pytest.fixture(scope="session")
def sam_output(template: dict[str, Any]) -> dict[str, Any]:
    """The template after the SAM transform, with the default parameter values."""
    return run_sam_transform(template, {})


@pytest.fixture(scope="session")
def evaluate(template: dict[str, Any]) -> Callable[..., Evaluator]:
    def make(**overrides: str) -> Evaluator:
        return Evaluator(template, overrides)

    return make
