"""Where the import writes: the table and the images bucket, on AWS or in a local stack.

Settings, first found wins for each of them:

1. the command line: `--stack NAME` (a deployed stack: its CloudFormation outputs `TableName`
   and `ImagesBucketName`, on AWS), or `--table`, `--bucket`, `--endpoint` (DynamoDB and S3 at
   one URL, as the local stack serves them) and `--s3-endpoint`;
2. the environment, the same variables the functions read: `TABLE_NAME`, `IMAGES_BUCKET`,
   `DYNAMODB_ENDPOINT`, `S3_ENDPOINT`;
3. a running `make dev` stack: the endpoints it publishes in its state folder
   (`$LOCAL_STATE_DIR`, default `.local-state/`, file `services.json`);
4. `local/env.json`, written by `make services` (`Parameters`);
5. the local stack's names: table `badgekit-local`, bucket `badgekit-local-imagesbucket`.

Without an endpoint from any of these the target is AWS, and only when it was named on purpose
(`--stack`, `--table` or `TABLE_NAME`); otherwise it is an error (no local stack is running), so
a forgotten setting never writes into whatever account the default credentials reach.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

REPO_ROOT = Path(__file__).resolve().parent.parent
LOCAL_TABLE = "badgekit-local"  # local.stack.DEFAULT_TABLE
LOCAL_BUCKET = "badgekit-local-imagesbucket"  # local.stack.local_bucket_name("ImagesBucket")
LOCAL_REGION = "us-east-1"  # local.template.DEFAULT_REGION: the region moto keeps the data in
LOCAL_STATE_DIR = REPO_ROOT / ".local-state"  # local.stack.DEFAULT_STATE_DIR
SERVICES_FILE = "services.json"  # written there by `python -m local` while it runs
ENV_FILE = REPO_ROOT / "local" / "env.json"  # local.services.DEFAULT_ENV_FILE
VARIABLES = ("TABLE_NAME", "IMAGES_BUCKET", "DYNAMODB_ENDPOINT", "S3_ENDPOINT")


class TargetError(Exception):
    """The target cannot be determined (the message says what to set)."""


@dataclass(frozen=True)
class Target:
    table: str
    bucket: str
    dynamodb_endpoint: str | None  # None: AWS
    s3_endpoint: str | None
    region: str | None
    origin: str  # where the settings came from (for the report)

    @property
    def local(self) -> bool:
        return self.dynamodb_endpoint is not None

    def describe(self) -> str:
        where = (
            f"at {self.dynamodb_endpoint}"
            if self.local
            else f"on AWS ({self.region or 'default region'})"
        )
        return f"table {self.table}, bucket {self.bucket} {where} [{self.origin}]"

    def apply(self, environ: MutableMapping[str, str]) -> None:
        """Set the variables `badgekit.store` reads (and, for a local stack, the region its data
        lives in and dummy credentials when none are set, as the local stack does)."""
        environ["TABLE_NAME"] = self.table
        environ["IMAGES_BUCKET"] = self.bucket
        for name, value in (
            ("DYNAMODB_ENDPOINT", self.dynamodb_endpoint),
            ("S3_ENDPOINT", self.s3_endpoint),
        ):
            if value:
                environ[name] = value
            else:
                environ.pop(name, None)
        if self.region:
            environ["AWS_DEFAULT_REGION"] = environ["AWS_REGION"] = self.region
        if self.local:
            environ["AWS_EC2_METADATA_DISABLED"] = "true"
            if not environ.get("AWS_ACCESS_KEY_ID") and not environ.get("AWS_PROFILE"):
                environ["AWS_ACCESS_KEY_ID"] = "testing"
                environ["AWS_SECRET_ACCESS_KEY"] = "testing"


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as error:
        raise TargetError(f"{path}: unreadable ({error})") from None


def running_stack(environ: Mapping[str, str]) -> dict[str, str]:
    """The settings a running `make dev` publishes (empty when none runs: no file, or a file a
    stack that was killed left behind, whose endpoint no longer answers)."""
    folder = Path(environ.get("LOCAL_STATE_DIR") or LOCAL_STATE_DIR)
    found = _read_json(folder / SERVICES_FILE)
    if not isinstance(found, dict):
        return {}
    published = {k: str(v) for k, v in found.items() if k in VARIABLES and v}
    endpoint = published.get("DYNAMODB_ENDPOINT")
    return published if endpoint and _answers(endpoint) else {}


def _answers(url: str) -> bool:
    """Whether something listens at the URL's host and port."""
    parts = urlsplit(url)
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        with socket.create_connection((parts.hostname or "127.0.0.1", port), timeout=1.0):
            return True
    except (OSError, ValueError):
        return False


def env_file(path: Path) -> dict[str, str]:
    """The `Parameters` of local/env.json (`make services`), empty when there is none."""
    found = _read_json(path)
    parameters = found.get("Parameters") if isinstance(found, dict) else None
    if not isinstance(parameters, dict):
        return {}
    return {k: str(v) for k, v in parameters.items() if k in VARIABLES and v}


def stack_outputs(name: str, region: str | None) -> dict[str, str]:
    """A deployed stack's CloudFormation outputs (key -> value)."""
    import boto3  # imported here: only this path talks to CloudFormation

    client = boto3.client("cloudformation", region_name=region)
    try:
        stacks = client.describe_stacks(StackName=name)["Stacks"]
    except Exception as error:
        raise TargetError(f"stack {name}: {error}") from None
    outputs = stacks[0].get("Outputs", []) if stacks else []
    return {str(o["OutputKey"]): str(o["OutputValue"]) for o in outputs}


def resolve(
    *,
    stack: str | None = None,
    table: str | None = None,
    bucket: str | None = None,
    endpoint: str | None = None,
    s3_endpoint: str | None = None,
    region: str | None = None,
    environ: Mapping[str, str] | None = None,
    env_path: Path | None = None,
) -> Target:
    """The target from the settings above (see the module docstring)."""
    environ = os.environ if environ is None else environ
    env_path = ENV_FILE if env_path is None else env_path
    aws_region = region or environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION") or None
    if stack:
        if endpoint or s3_endpoint:
            raise TargetError("--stack names a deployed stack: it takes no --endpoint")
        outputs = stack_outputs(stack, aws_region)
        missing = [key for key in ("TableName", "ImagesBucketName") if not outputs.get(key)]
        if missing:
            raise TargetError(f"stack {stack} has no output {' or '.join(missing)}")
        return Target(
            table=table or outputs["TableName"],
            bucket=bucket or outputs["ImagesBucketName"],
            dynamodb_endpoint=None,
            s3_endpoint=None,
            region=aws_region,
            origin=f"stack {stack}",
        )
    given = {
        "TABLE_NAME": table,
        "IMAGES_BUCKET": bucket,
        "DYNAMODB_ENDPOINT": endpoint,
        "S3_ENDPOINT": s3_endpoint or endpoint,
    }
    layers: list[tuple[str, Mapping[str, str | None]]] = [
        ("command line", given),
        ("environment", {name: environ.get(name) or None for name in VARIABLES}),
        ("running make dev", running_stack(environ)),
        (
            str(
                env_path.relative_to(REPO_ROOT) if env_path.is_relative_to(REPO_ROOT) else env_path
            ),
            env_file(env_path),
        ),
    ]
    chosen: dict[str, str] = {}
    origins: list[str] = []
    for origin, values in layers:
        took = False
        for name in VARIABLES:
            value = values.get(name)
            if value and name not in chosen:
                chosen[name] = value
                took = True
        if took:
            origins.append(origin)
    named = bool(table or environ.get("TABLE_NAME"))
    dynamodb = chosen.get("DYNAMODB_ENDPOINT")
    if dynamodb is None and not named:
        raise TargetError(
            "no local stack found to import into: start `make dev` (it publishes its endpoints "
            f"in {LOCAL_STATE_DIR.name}/{SERVICES_FILE}), or give --endpoint URL, or name a "
            "deployed stack with --stack NAME (or --table and --bucket for AWS)"
        )
    if dynamodb is None and not chosen.get("IMAGES_BUCKET"):
        raise TargetError(
            "importing into AWS needs the images bucket too: --bucket or IMAGES_BUCKET"
        )
    s3 = chosen.get("S3_ENDPOINT") or dynamodb  # the local stack serves both at one URL
    return Target(
        table=chosen.get("TABLE_NAME") or LOCAL_TABLE,
        bucket=chosen.get("IMAGES_BUCKET") or LOCAL_BUCKET,
        dynamodb_endpoint=dynamodb,
        s3_endpoint=s3,
        # A local stack keeps its data in its own region, whatever the shell's AWS settings.
        region=(region or LOCAL_REGION) if dynamodb else aws_region,
        origin=", ".join(origins) or "local defaults",
    )
