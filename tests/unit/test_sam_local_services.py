"""`python -m local --services-only` (`make services`) and the `local/env.json` it writes for
`sam local start-api --env-vars`, tested up to the container boundary (no Docker here).

The services run in a subprocess, as `make services` runs them. The functions then run in this
process the way a sam local container would run them: with exactly the environment sam local
would give them (its own AWS_* variables, and env.json's values for the variables the template
declares for that function), importing the handler fresh from its code directory with the layer
on the path.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from badgekit import config, signing
from badgekit.store import db, directory, images, queue
from local.events import HttpRequest
from local.functions import load_functions
from local.gateway import Gateway
from local.routing import Route, Router
from local.services import SAM_LOCAL_URL
from local.template import Resolver, Template
from tests.support.environment import declared
from tests.support.services import Services, start_services, stop

REPO_ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = Template(REPO_ROOT / "infra" / "template.yaml")

# What sam local itself puts in every container (samcli.local.lambdafn.env_vars): the region given
# by --region, the host's credentials (the README's dummy ones), its marker, Lambda's own.
SAM_LOCAL_VARIABLES = {
    "AWS_SAM_LOCAL": "true",
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_ACCOUNT_ID": "123456789012",
    "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
    "AWS_LAMBDA_LOG_GROUP_NAME": "aws/lambda/ContainersFunction",
    "AWS_LAMBDA_LOG_STREAM_NAME": "$LATEST",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
    "AWS_LAMBDA_FUNCTION_TIMEOUT": "29",
    "AWS_LAMBDA_FUNCTION_HANDLER": "app.lambda_handler",
    "AWS_LAMBDA_FUNCTION_NAME": "ContainersFunction",
    "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
}


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    running = start_services(tmp_path_factory.mktemp("services"))
    try:
        yield running
    finally:
        stop(running)


def container_environment(env_vars: dict[str, dict[str, str]], function: str) -> dict[str, str]:
    """What sam local gives `function`'s container (samcli's `LocalLambdaRunner._make_env_vars`
    and `EnvironmentVariables.resolve`): its own variables, then each variable the template
    declares for the function, from env.json (its object, else Parameters) or else the template's
    value (parameters at their defaults). sam local also lets the shell running it set declared
    variables, below env.json: an empty shell is assumed here."""
    spec = next(s for s in TEMPLATE.functions(Resolver(TEMPLATE.data)) if s.logical_id == function)
    environment = {
        **SAM_LOCAL_VARIABLES,
        "AWS_LAMBDA_FUNCTION_NAME": function,
        "AWS_LAMBDA_LOG_GROUP_NAME": f"aws/lambda/{function}",
    }
    for name, value in spec.environment.items():
        overrides = {**env_vars.get("Parameters", {}), **env_vars.get(function, {})}
        environment[name] = overrides.get(name, value)
    return environment


def _client(service: str, url: str) -> Any:
    return boto3.client(
        service,  # type: ignore[call-overload]
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(s3={"addressing_style": "path"}),
    )


# -- env.json ---------------------------------------------------------------------------------


def test_env_json_sets_every_local_variable_to_the_running_services(services: Services) -> None:
    env_vars = services.env_vars
    everywhere = env_vars["Parameters"]
    for name in ("DYNAMODB_ENDPOINT", "S3_ENDPOINT", "SQS_ENDPOINT"):
        assert everywhere[name] == services.url, name
    assert everywhere["PUBLIC_BASE_URL"] == SAM_LOCAL_URL == "http://127.0.0.1:3000"
    assert everywhere["WEBHOOKS_ALLOW_HTTP"] == "true"
    assert everywhere["WEBHOOKS_ALLOW_PRIVATE"] == "loopback"
    secret = (services.env_file.parent / "master-secret").read_text().strip()
    assert everywhere["MASTER_SECRET"] == secret
    assert len(secret) >= 32
    assert f"master secret: generated (set MASTER_SECRET to choose one): {secret}" in (
        services.output()
    )
    # The template's resources exist where env.json says.
    dynamodb = _client("dynamodb", services.url)
    table = dynamodb.describe_table(TableName=everywhere["TABLE_NAME"])["Table"]
    assert {index["IndexName"] for index in table["GlobalSecondaryIndexes"]} == {
        "GSI1",
        "GSI2",
        "GSI3",
    }
    _client("s3", services.url).head_bucket(Bucket=everywhere["IMAGES_BUCKET"])
    sqs = _client("sqs", services.url)
    queues = {
        "WebhooksFunction": ["WEBHOOK_RETRY_QUEUE_URL"],
        "WebhookSenderFunction": ["WEBHOOK_RETRY_QUEUE_URL", "WEBHOOK_DEAD_LETTER_QUEUE_URL"],
    }
    for function, names in queues.items():
        for name in names:
            url = env_vars[function][name]
            assert url.startswith(services.url + "/"), (function, name, url)
            sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])


def test_every_resource_reference_the_functions_get_is_replaced_locally(
    services: Services,
) -> None:
    """A declared variable whose template value names a resource (`!Ref Table`, a queue URL...)
    means nothing in a sam local container unless env.json replaces it."""
    env_vars = services.env_vars
    resources = set(TEMPLATE.resources)
    unresolved = {}
    for spec in TEMPLATE.functions(Resolver(TEMPLATE.data)):
        environment = container_environment(env_vars, spec.logical_id)
        for name in spec.environment:
            if environment[name] in resources:
                unresolved[f"{spec.logical_id}.{name}"] = environment[name]
    assert unresolved == {}


def test_every_env_json_key_is_declared_for_the_functions_it_targets(services: Services) -> None:
    """sam local's rule: --env-vars only sets variables the template declares for a function;
    `Parameters` targets every function."""
    declarations = declared(TEMPLATE)
    env_vars = services.env_vars
    assert set(env_vars) - {"Parameters"} <= set(declarations)
    for function, names in declarations.items():
        assert set(env_vars["Parameters"]) <= names, function
        assert set(env_vars.get(function, {})) <= names, function


# -- a function as the container runs it ----------------------------------------------------------


@pytest.fixture
def container(services: Services, monkeypatch: pytest.MonkeyPatch) -> Iterator[Gateway]:
    """ContainersFunction imported fresh under exactly its sam local environment."""
    for name in list(os.environ):
        monkeypatch.delenv(name)
    for name, value in container_environment(services.env_vars, "ContainersFunction").items():
        monkeypatch.setenv(name, value)

    def forget() -> None:  # the layer's per-process state, as in a new container
        db.reset_clients()
        images.reset_clients()
        queue.reset_clients()
        config.forget_master_secret()
        directory.clear()

    forget()
    try:
        specs = [
            spec
            for spec in TEMPLATE.functions(Resolver(TEMPLATE.data))
            if spec.logical_id == "ContainersFunction"
        ]
        routes = [Route(e.path, e.method, e.function) for s in specs for e in s.api_events]
        yield Gateway(Router(routes), load_functions(specs))
    finally:
        forget()


def _request(method: str, path: str, body: bytes, secret: str) -> HttpRequest:
    claims = signing.request_claims(method, path, body, exp=int(time.time()) + 60)
    headers = [
        ("Host", "127.0.0.1:3000"),
        ("Authorization", signing.authorization_header(signing.sign(claims, secret))),
    ]
    if body:
        headers.append(("Content-Type", "application/json"))
    return HttpRequest(method, path, None, tuple(headers), body)


def test_a_function_with_env_json_works_against_the_services(
    services: Services, container: Gateway
) -> None:
    secret = services.env_vars["Parameters"]["MASTER_SECRET"]
    body = json.dumps({"slug": "sam-local", "name": "Sam", "url": "http://example.org"}).encode()
    created = container.dispatch(_request("POST", "/systems", body, secret))
    assert created.status == 201, created.body
    assert json.loads(created.body) == {
        "status": "created",
        "system": {
            "id": 1,
            "slug": "sam-local",
            "url": "http://example.org",
            "name": "Sam",
            "email": None,
            "imageUrl": None,
            "description": None,
            "issuers": [],
        },
    }
    listed = container.dispatch(_request("GET", "/systems", b"", secret))
    assert listed.status == 200, listed.body
    assert [system["slug"] for system in json.loads(listed.body)["systems"]] == ["sam-local"]
    # The item is in the services process's table, not anywhere else.
    table = services.env_vars["Parameters"]["TABLE_NAME"]
    items = _client("dynamodb", services.url).scan(TableName=table)["Items"]
    assert any(item.get("slug", {}).get("S") == "sam-local" for item in items)
    # The wrong secret is refused: the function really checks against env.json's.
    refused = container.dispatch(_request("GET", "/systems", b"", secret + "x"))
    assert refused.status == 403


# -- stopping -------------------------------------------------------------------------------------


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_services_stop_cleanly_on_a_signal(tmp_path: Path, signum: int) -> None:
    running = start_services(tmp_path, "--services-address", "host.docker.internal")
    # Docker Desktop's containers reach the host by name; this process still uses 127.0.0.1.
    port = running.url.rpartition(":")[2]
    env_vars = running.env_vars
    for name in ("DYNAMODB_ENDPOINT", "S3_ENDPOINT", "SQS_ENDPOINT"):
        assert env_vars["Parameters"][name] == f"http://host.docker.internal:{port}"
    assert env_vars["WebhooksFunction"]["WEBHOOK_RETRY_QUEUE_URL"] == (
        f"http://host.docker.internal:{port}/123456789012/badgekit-local-webhookretryqueue"
    )
    assert stop(running, signum) == 0, running.output()
    assert running.output().rstrip().endswith("Stopping...")


# -- where the generated files go -----------------------------------------------------------------


def test_stack_and_sign_default_to_the_same_git_ignored_secret_file(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from local import __main__ as entry
    from local import sign

    monkeypatch.delenv("LOCAL_SECRET_FILE", raising=False)
    assert Path(entry.parse_args([]).secret_file) == sign.DEFAULT_SECRET_FILE
    assert sign.secret_file(os.environ) == sign.DEFAULT_SECRET_FILE
    assert sign.DEFAULT_SECRET_FILE == REPO_ROOT / ".local-state" / "master-secret"
    assert sign.secret_file({"LOCAL_SECRET_FILE": ""}) is None
    assert entry.parse_args([]).env_file == REPO_ROOT / "local" / "env.json"
    ignored = subprocess.run(
        ["git", "check-ignore", ".local-state/master-secret", "local/env.json"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert ignored.stdout.split() == [".local-state/master-secret", "local/env.json"]


def test_services_port_and_address_come_from_the_environment() -> None:
    from local.services import DEFAULT_SERVICES_PORT
    from local.stack import StackOptions

    assert DEFAULT_SERVICES_PORT == 5055
    default = StackOptions.from_environ({})
    assert (default.services_port, default.services_address) == (5055, "127.0.0.1")
    chosen = StackOptions.from_environ(
        {"SERVICES_PORT": "6000", "SERVICES_ADDRESS": "host.docker.internal"}
    )
    assert (chosen.services_port, chosen.services_address) == (6000, "host.docker.internal")


def test_sam_command_uses_host_networking_only_for_a_loopback_address() -> None:
    from local.services import DEFAULT_ENV_FILE, sam_command

    assert sam_command(DEFAULT_ENV_FILE, "127.0.0.1") == (
        "AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing .venv-sam/bin/sam local "
        "start-api --env-vars local/env.json --docker-network host --region us-east-1"
    )
    assert sam_command(DEFAULT_ENV_FILE, "host.docker.internal") == (
        "AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing .venv-sam/bin/sam local "
        "start-api --env-vars local/env.json --region us-east-1"
    )


# -- make dev with the declarations ---------------------------------------------------------------


def test_the_local_stack_still_sets_the_declared_local_variables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Declared empty in the template, the local variables still get the local stack's values
    (`make dev`), and a developer's own value of an empty-by-default one is kept."""
    from local.stack import LocalStack, StackOptions

    environ = {"WEBHOOK_RETRY_SCHEDULE": "1,2,3", "BADGEKIT_VERSION": ""}
    monkeypatch.setattr(os, "environ", environ)
    stack = LocalStack(StackOptions(master_secret="dev", template=TEMPLATE.path))
    stack.endpoint = stack.s3_endpoint = stack.sqs_endpoint = "http://127.0.0.1:1"
    specs = TEMPLATE.functions(Resolver(TEMPLATE.data, parameters={"PublicBaseUrl": "http://x"}))
    stack._set_function_environment(specs)
    assert {
        name: environ[name] for name in ("DYNAMODB_ENDPOINT", "S3_ENDPOINT", "SQS_ENDPOINT")
    } == {
        "DYNAMODB_ENDPOINT": "http://127.0.0.1:1",
        "S3_ENDPOINT": "http://127.0.0.1:1",
        "SQS_ENDPOINT": "http://127.0.0.1:1",
    }
    assert environ["MASTER_SECRET"] == "dev"
    assert (environ["WEBHOOKS_ALLOW_HTTP"], environ["WEBHOOKS_ALLOW_PRIVATE"]) == (
        "true",
        "loopback",
    )
    assert environ["WEBHOOK_RETRY_SCHEDULE"] == "1,2,3"  # the developer's, not the empty default
    assert environ["WEBHOOK_RETRY_JITTER"] == ""
    assert environ["BADGEKIT_VERSION"] == ""
    assert environ["PUBLIC_BASE_URL"] == "http://x"
