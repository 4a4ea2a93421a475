"""Offline SAM transform of a template that is already loaded as a dict (no AWS calls).

Used by ``conftest.py`` in-process when ``samtranslator`` is importable, otherwise run as a script
with the SAM CLI's interpreter (``.venv-sam/bin/python``): it reads
``{"template": {...}, "parameters": {...}}`` as JSON on stdin and writes the transformed template
as JSON on stdout. It depends on nothing but ``samtranslator`` (and its ``boto3``).
"""

from __future__ import annotations

import copy
import json
import os
import sys
from typing import Any

REGION = "us-east-1"

# What the real loader would fetch from IAM (ListPolicies). Only names the template may use as
# bare managed-policy names need to be here; SAM's own policies are added by ARN.
MANAGED_POLICIES = {
    "AWSLambdaBasicExecutionRole": (
        "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
    ),
    "AWSXrayWriteOnlyAccess": "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess",
    "AWSXRayDaemonWriteAccess": "arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess",
}

# `sam package` replaces local code paths by S3 URIs before the transform; do the same.
_ARTIFACT_PROPERTIES = {
    "AWS::Serverless::Function": "CodeUri",
    "AWS::Serverless::LayerVersion": "ContentUri",
}


class StubManagedPolicyLoader:
    """Stands in for ``samtranslator``'s ``ManagedPolicyLoader`` (which calls IAM)."""

    def __init__(self) -> None:
        self.calls = 0

    def load(self) -> dict[str, str]:
        self.calls += 1
        return dict(MANAGED_POLICIES)


def with_placeholder_artifacts(template: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``template`` whose local code/content paths are S3 URIs."""
    result = copy.deepcopy(template)
    for name, resource in result.get("Resources", {}).items():
        prop = _ARTIFACT_PROPERTIES.get(resource.get("Type", ""))
        if prop and prop in resource.get("Properties", {}):
            resource["Properties"][prop] = f"s3://artifacts-bucket/{name}.zip"
    return result


def transform_template(template: dict[str, Any], parameters: dict[str, Any]) -> dict[str, Any]:
    """Run the SAM transform offline (region us-east-1) and return plain JSON data."""
    from samtranslator.translator.transform import transform

    saved = os.environ.get("AWS_DEFAULT_REGION")
    os.environ["AWS_DEFAULT_REGION"] = REGION
    try:
        output = transform(
            with_placeholder_artifacts(template),
            dict(parameters),
            StubManagedPolicyLoader(),  # type: ignore[arg-type]
        )
    finally:
        if saved is None:
            os.environ.pop("AWS_DEFAULT_REGION", None)
        else:
            os.environ["AWS_DEFAULT_REGION"] = saved
    result: dict[str, Any] = json.loads(json.dumps(output))
    return result


def main() -> None:
    request = json.load(sys.stdin)
    json.dump(transform_template(request["template"], request.get("parameters", {})), sys.stdout)


if __name__ == "__main__":
    main()
