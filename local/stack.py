"""Wiring of the local stack: template → DynamoDB table, S3 buckets, SQS queues and KMS keys →
environment → warm functions → HTTP, stream pollers and queue pollers.

Why this order: the HTTP socket is bound first because the port is part of the environment
(`PUBLIC_BASE_URL` defaults to the local URL); the table is created before the functions' intrinsics
are resolved because `!GetAtt Table.StreamArn` needs it (and the KMS keys for
`!GetAtt SigningKey.Arn`); the environment is complete before any
function is imported because modules read it at import time (all functions share this one
process, hence one environment).
"""

from __future__ import annotations

import functools
import json
import logging
import os
import secrets
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from local.dynamodb import EmbeddedDynamoDB, ensure_table, queue_holds_messages
from local.events import HttpRequest
from local.functions import LocalFunction, load_functions
from local.gateway import Gateway
from local.queues import LocalQueue, QueuePoller, creation_order, local_queue_name, queue_arn
from local.queues import queue_attributes as sqs_queue_attributes
from local.routing import Route, Router
from local.server import LocalHttpServer
from local.services import (
    DEFAULT_ENV_FILE,
    DEFAULT_SERVICES_PORT,
    SAM_LOCAL_URL,
    env_vars,
    sam_command,
    write_env_file,
)
from local.state import SAVE_INTERVAL, StateKeeper, describe
from local.streams import StreamPoller
from local.template import DEFAULT_REGION, FunctionSpec, Resolver, Template

LOG = logging.getLogger("local.stack")

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_TEMPLATE = REPO_ROOT / "infra" / "template.yaml"
DEFAULT_TABLE = "badgekit-local"
BUCKET_PREFIX = "badgekit-local-"
DEFAULT_STATE_DIR = REPO_ROOT / ".local-state"
STOP_POLLERS_SECONDS = 2.0  # how long a stop waits for the pollers' current batches
STOP_REQUESTS_SECONDS = 1.0  # ... and for the requests being answered (within the above)


def _powertools_level(level: str) -> str:
    """A FUNCTION_LOG_LEVEL as Powertools reads it (OFF: nothing below CRITICAL)."""
    return "CRITICAL" if level in ("OFF", "NONE") else level


def local_bucket_name(logical_id: str) -> str:
    """The local name of a template bucket (`!Ref ImagesBucket` → badgekit-local-imagesbucket)."""
    return f"{BUCKET_PREFIX}{logical_id.lower()}"


@dataclass
class StackOptions:
    """Everything configurable; `from_environ` reads the documented environment variables."""

    template: Path = DEFAULT_TEMPLATE
    host: str = "127.0.0.1"
    port: int = 8080
    table_name: str = DEFAULT_TABLE
    dynamodb_endpoint: str | None = None
    s3_endpoint: str | None = None
    sqs_endpoint: str | None = None
    kms_endpoint: str | None = None
    master_secret: str | None = None
    public_base_url: str | None = None
    log_level: str = "WARNING"
    # The functions' own output (JSON log lines, EMF metrics) on stdout, labelled per function:
    # FUNCTION_LOG_LEVEL (their POWERTOOLS_LOG_LEVEL; OFF prints none) and FUNCTION_METRICS.
    function_log_level: str = "INFO"
    function_metrics: bool = True
    system: str | None = None
    system_name: str | None = None
    system_url: str | None = None
    token_policy: str | None = None  # template parameter TokenPolicy (default strict)
    token_max_lifetime: str | None = None  # template parameter TokenMaxLifetime
    parameter_overrides: dict[str, str] = field(default_factory=dict)
    stream_interval: float = 0.2
    queue_interval: float = 0.1
    # --services-only (local/services.py): the embedded services' port, the address sam local's
    # containers reach them at (written to env_file), and the file sam local's --env-vars reads.
    services_only: bool = False
    services_port: int = DEFAULT_SERVICES_PORT
    services_address: str = "127.0.0.1"
    env_file: Path = DEFAULT_ENV_FILE
    state_dir: Path | None = None  # None: keep nothing (`python -m local` defaults to a folder)
    state_interval: float = SAVE_INTERVAL

    @classmethod
    def from_environ(cls, environ: Mapping[str, str], **overrides: Any) -> StackOptions:
        options = cls(
            port=int(environ.get("PORT") or 8080),
            table_name=environ.get("TABLE_NAME") or DEFAULT_TABLE,
            dynamodb_endpoint=environ.get("DYNAMODB_ENDPOINT") or None,
            s3_endpoint=environ.get("S3_ENDPOINT") or None,
            sqs_endpoint=environ.get("SQS_ENDPOINT") or None,
            kms_endpoint=environ.get("KMS_ENDPOINT") or None,
            master_secret=environ.get("MASTER_SECRET") or None,
            public_base_url=environ.get("PUBLIC_BASE_URL") or None,
            log_level=(environ.get("LOG_LEVEL") or "WARNING").upper(),
            function_log_level=(environ.get("FUNCTION_LOG_LEVEL") or "INFO").upper(),
            function_metrics=(environ.get("FUNCTION_METRICS") or "on").lower()
            not in ("off", "false", "0", "no"),
            system=environ.get("BADGEKIT_SYSTEM") or None,
            system_name=environ.get("BADGEKIT_SYSTEM_NAME") or None,
            system_url=environ.get("BADGEKIT_SYSTEM_URL") or None,
            token_policy=environ.get("TOKEN_POLICY") or None,
            token_max_lifetime=environ.get("TOKEN_MAX_LIFETIME") or None,
            services_port=int(environ.get("SERVICES_PORT") or DEFAULT_SERVICES_PORT),
            services_address=environ.get("SERVICES_ADDRESS") or "127.0.0.1",
        )
        for key, value in overrides.items():
            setattr(options, key, value)
        return options


class LocalStack:
    """The running stack. `start()` prepares everything; `serve_forever()` answers requests."""

    def __init__(self, options: StackOptions) -> None:
        self.options = options
        self.template = Template(options.template)
        self.http: LocalHttpServer | None = None
        self.dynamodb: EmbeddedDynamoDB | None = None
        self.endpoint = ""
        self.s3_endpoint = ""
        self.sqs_endpoint = ""
        self.kms_endpoint = ""
        self.keys: dict[str, tuple[str, str]] = {}  # logical id -> (key id, ARN) of a KMS key
        self.queues: dict[str, LocalQueue] = {}  # logical id -> created queue
        self.buckets: dict[str, str] = {}  # logical id -> local bucket name
        self.master_secret = ""
        self.master_secret_source = ""
        self.functions: dict[str, LocalFunction] = {}
        self.router = Router([])
        self.gateway: Gateway | None = None
        self.pollers: list[StreamPoller] = []
        self.queue_pollers: list[QueuePoller] = []
        self.bootstrap_result: str | None = None
        self.state: StateKeeper | None = None
        self.state_note = "in memory (nothing is kept when the stack stops)"
        self._serving = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        assert self.http is not None, "start() first"
        host = self.options.host
        return f"http://{'127.0.0.1' if host in ('', '0.0.0.0') else host}:{self.http.port}"

    # -- start ----------------------------------------------------------------------------------

    def start(self) -> None:
        options = self.options
        self.http = LocalHttpServer((options.host, options.port))
        try:
            self._set_aws_environment()
            embedded = ""
            endpoints = (options.dynamodb_endpoint, options.s3_endpoint, options.sqs_endpoint)
            if not (all(endpoints) and options.kms_endpoint):
                # One moto server answers DynamoDB, S3 (path-style), SQS and KMS, by signature
                # scope.
                self.dynamodb = EmbeddedDynamoDB(host="127.0.0.1")
                embedded = self.dynamodb.start()
            self.endpoint = options.dynamodb_endpoint or embedded
            self.s3_endpoint = options.s3_endpoint or embedded
            self.sqs_endpoint = options.sqs_endpoint or embedded
            self.kms_endpoint = options.kms_endpoint or embedded
            table = self._create_table()
            self.buckets = self._create_buckets()
            self.queues = self._create_queues()
            self.keys = self._create_keys()
            self._restore_state()
            specs = self._function_specs(table)
            self._set_function_environment(specs)
            self.functions = load_functions(specs)
            self.router = Router(
                Route(e.path, e.method, e.function) for s in specs for e in s.api_events
            )
            api = self.template.api_properties(self._resolver(table))
            self.gateway = Gateway(
                self.router,
                self.functions,
                stage=str(api.get("StageName") or "Prod"),
                binary_media_types=api.get("BinaryMediaTypes") or (),
                internal_error_body=self.template.gateway_response_body(api, "DEFAULT_5XX"),
                response_headers=self.template.gateway_response_headers(api),
            )
            self.http.gateway = self.gateway
            self._start_pollers(specs, table)
            self._start_queue_pollers(specs)
            if self.dynamodb is not None:
                # Nobody reads the stream: drop every record; else drop what every reader read
                # (moto keeps records forever and copies them on every transaction).
                self.dynamodb.keep_stream_records = bool(self.pollers)
                pollers = list(self.pollers)
                for poller in pollers:  # a write ends an idle poller's pause (local.polling)
                    self.dynamodb.on_write("dynamodb", poller.wake)
                for queue_poller in self.queue_pollers:
                    self.dynamodb.on_write("sqs", queue_poller.wake)
                self.dynamodb.stream_readers = lambda: [
                    iterator for poller in pollers for iterator in poller.held_iterators()
                ]
            if self.state is not None:
                self.state.watch(self.pollers)
            self.bootstrap_result = self._bootstrap()
        except BaseException:
            self.stop()
            raise

    def start_services(self) -> None:
        """--services-only: the embedded moto server alone (DynamoDB, S3, SQS) on
        `services_port` with the template's table, buckets and queues, and `env_file` for
        `sam local start-api --env-vars`; no functions, API or pollers (local/services.py)."""
        options = self.options
        options.public_base_url = options.public_base_url or SAM_LOCAL_URL  # the API's URL
        try:
            self._set_aws_environment()
            self.dynamodb = EmbeddedDynamoDB(host=options.host, port=options.services_port)
            self.dynamodb.start()
            self.dynamodb.keep_stream_records = False  # no stream reader here
            self.endpoint = self.s3_endpoint = self.sqs_endpoint = self.services_url()
            self.kms_endpoint = self.endpoint
            table = self._create_table()
            self.buckets = self._create_buckets()
            self.queues = self._create_queues()
            self.keys = self._create_keys()
            # What the containers see: the services at their address.
            advertised = f"http://{options.services_address}:{self.dynamodb.port}"
            self.queues = {
                name: replace(queue, url=advertised + queue.url.removeprefix(self.endpoint))
                for name, queue in self.queues.items()
            }
            self.endpoint = self.s3_endpoint = self.sqs_endpoint = self.kms_endpoint = advertised
            specs = self._function_specs(table)
            self._set_function_environment(specs)
            write_env_file(options.env_file, env_vars(self.template, specs, os.environ))
        except BaseException:
            self.stop()
            raise

    def services_url(self) -> str:
        """Where this process reaches its embedded services."""
        assert self.dynamodb is not None, "start first"
        return f"http://127.0.0.1:{self.dynamodb.port}"

    def _set_aws_environment(self) -> None:
        env = os.environ
        env["AWS_DEFAULT_REGION"] = env["AWS_REGION"] = DEFAULT_REGION
        env["AWS_ACCOUNT_ID_ENDPOINT_MODE"] = "disabled"  # moto streams with current botocore
        env["AWS_EC2_METADATA_DISABLED"] = "true"  # never wait on IMDS for credentials
        if not env.get("AWS_ACCESS_KEY_ID") and not env.get("AWS_PROFILE"):
            env["AWS_ACCESS_KEY_ID"] = "testing"
            env["AWS_SECRET_ACCESS_KEY"] = "testing"  # dummy: everything is local

    def _client(self, service: Literal["dynamodb", "dynamodbstreams", "s3", "sqs", "kms"]) -> Any:
        import boto3
        from botocore.config import Config

        if service == "s3":
            return boto3.client(
                "s3",
                endpoint_url=self.s3_endpoint,
                region_name=DEFAULT_REGION,
                config=Config(s3={"addressing_style": "path"}),
            )
        endpoint = {"sqs": self.sqs_endpoint, "kms": self.kms_endpoint}.get(service, self.endpoint)
        return boto3.client(service, endpoint_url=endpoint, region_name=DEFAULT_REGION)

    def _parameters(self) -> dict[str, str]:
        # TOKEN_POLICY / TOKEN_MAX_LIFETIME feed the template's parameters (which become the
        # functions' variables of the same names); unset, the template's defaults apply.
        tokens = {
            "TokenPolicy": self.options.token_policy,
            "TokenMaxLifetime": self.options.token_max_lifetime,
        }
        return {
            "PublicBaseUrl": self.options.public_base_url or self.url,
            "LogLevel": self.options.log_level,
            **{name: value for name, value in tokens.items() if value},
            **self.options.parameter_overrides,
        }

    def _resolver(self, table: Mapping[str, Any] | None = None) -> Resolver:
        spec = self.template.table()
        attributes = {}
        if table:
            attributes = {
                f"{spec.logical_id}.Arn": table.get("TableArn"),
                f"{spec.logical_id}.StreamArn": table.get("LatestStreamArn"),
            }
        buckets = {name: local_bucket_name(name) for name in self.template.buckets()}
        attributes.update(
            {f"{name}.Arn": f"arn:aws:s3:::{bucket}" for name, bucket in buckets.items()}
        )
        queues = {name: queue.url for name, queue in self.queues.items()}
        for name, queue in self.queues.items():
            attributes.update(
                {
                    f"{name}.Arn": queue.arn,
                    f"{name}.QueueName": queue.name,
                    f"{name}.QueueUrl": queue.url,
                }
            )
        keys = {name: key_id for name, (key_id, _) in self.keys.items()}
        for name, (key_id, arn) in self.keys.items():
            attributes.update({f"{name}.Arn": arn, f"{name}.KeyId": key_id})
        return Resolver(
            self.template.data,
            parameters=self._parameters(),
            refs={spec.logical_id: self.options.table_name, **buckets, **queues, **keys},
            attributes=attributes,
        )

    def _create_table(self) -> dict[str, Any]:
        spec = self.template.table()
        properties = self._resolver().resolve(dict(spec.properties))
        return ensure_table(self._client("dynamodb"), self.options.table_name, properties)

    def _create_buckets(self) -> dict[str, str]:
        """Every `AWS::S3::Bucket` of the template, under its local name (kept if it exists)."""
        client = self._client("s3")
        existing = {b["Name"] for b in client.list_buckets().get("Buckets", [])}
        created = {}
        for logical_id in self.template.buckets():
            name = local_bucket_name(logical_id)
            if name not in existing:
                client.create_bucket(Bucket=name)
            created[logical_id] = name
        return created

    def _create_queues(self) -> dict[str, LocalQueue]:
        """Every `AWS::SQS::Queue` of the template under its local name, dead-letter queues
        first (their ARNs are in the others' redrive policies); existing queues are kept."""
        client = self._client("sqs")
        queues = self.template.queues()
        for logical_id in creation_order(queues):
            properties = self._resolver().resolve(dict(queues[logical_id].get("Properties") or {}))
            name = local_queue_name(logical_id)
            attributes = sqs_queue_attributes(properties)
            url = client.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
            self.queues[logical_id] = LocalQueue(logical_id, name, url, queue_arn(name))
        return self.queues

    def _create_keys(self) -> dict[str, tuple[str, str]]:
        """Every `AWS::KMS::Key` of the template, new at each start (the state folder keeps the
        table, not the keys: a restart is a key rotation, and the old keys' public halves stay
        published from the table), and its aliases."""
        client = self._client("kms")
        created: dict[str, tuple[str, str]] = {}
        for logical_id, resource in self.template.keys().items():
            properties = self._resolver().resolve(dict(resource.get("Properties") or {}))
            metadata = client.create_key(
                KeySpec=properties.get("KeySpec") or "SYMMETRIC_DEFAULT",
                KeyUsage=properties.get("KeyUsage") or "ENCRYPT_DECRYPT",
                Description=str(properties.get("Description") or logical_id),
            )["KeyMetadata"]
            created[logical_id] = (metadata["KeyId"], metadata["Arn"])
        self.keys = created
        for resource in self.template.key_aliases().values():
            properties = self._resolver().resolve(dict(resource.get("Properties") or {}))
            name, target = properties["AliasName"], properties["TargetKeyId"]
            try:
                client.create_alias(AliasName=name, TargetKeyId=target)
            except client.exceptions.AlreadyExistsException:
                client.update_alias(AliasName=name, TargetKeyId=target)
        return created

    def _restore_state(self) -> None:
        """Load the state folder's data into the embedded server (before any function or
        poller runs); a state file that cannot be used stops the start (`StateError`)."""
        options = self.options
        if options.state_dir is None:
            return
        external = options.dynamodb_endpoint or options.s3_endpoint or options.sqs_endpoint
        if self.dynamodb is None or external:
            self.state_note = "kept by the external endpoints (no state folder)"
            LOG.warning("external endpoints: the state folder %s is not used", options.state_dir)
            return
        keeper = StateKeeper(
            options.state_dir,
            self.dynamodb,
            options.table_name,
            list(self.buckets.values()),
            [queue.name for queue in self.queues.values()],
            interval=options.state_interval,
        )
        try:
            restored = keeper.restore()
        except BaseException:
            keeper.release()
            raise
        self.state = keeper
        self.state_note = describe(restored, keeper.path)

    def _send_to_queue(self, arn: str, body: Mapping[str, Any]) -> None:
        """An on-failure destination: `arn` names one of the template's queues."""
        url = next((q.url for q in self.queues.values() if q.arn == arn), None)
        if url is None:
            LOG.warning("on-failure destination %s is not a local queue: dropped", arn)
            return
        self._client("sqs").send_message(QueueUrl=url, MessageBody=json.dumps(body))

    def _function_specs(self, table: Mapping[str, Any]) -> list[FunctionSpec]:
        return self.template.functions(self._resolver(table))

    def _set_function_environment(self, specs: list[FunctionSpec]) -> None:
        merged: dict[str, str] = {}
        for spec in specs:
            for key, value in spec.environment.items():
                # An empty default means unset (tests/template/test_environment.py): the
                # developer's own value applies, as sam local lets the shell's win.
                value = value or os.environ.get(key, "")
                if merged.get(key, value) != value:
                    LOG.warning(
                        "%s=%r of %s differs from another function's %r; they share one "
                        "process, so the first wins",
                        key,
                        value,
                        spec.logical_id,
                        merged[key],
                    )
                merged.setdefault(key, value)
        if self.options.master_secret:
            self.master_secret = self.options.master_secret
            self.master_secret_source = "from MASTER_SECRET"
        else:
            self.master_secret = secrets.token_urlsafe(24)
            self.master_secret_source = "generated (set MASTER_SECRET to choose one)"
        merged.update(
            DYNAMODB_ENDPOINT=self.endpoint,
            S3_ENDPOINT=self.s3_endpoint,
            SQS_ENDPOINT=self.sqs_endpoint,
            KMS_ENDPOINT=self.kms_endpoint,
            # Webhook receivers on the developer's machine (webhooks.md §1): plain http and
            # loopback addresses are allowed locally, unless the environment says otherwise.
            WEBHOOKS_ALLOW_HTTP=os.environ.get("WEBHOOKS_ALLOW_HTTP") or "true",
            WEBHOOKS_ALLOW_PRIVATE=os.environ.get("WEBHOOKS_ALLOW_PRIVATE") or "loopback",
            MASTER_SECRET=self.master_secret,
            POWERTOOLS_TRACE_DISABLED="true",
            POWERTOOLS_METRICS_DISABLED="false" if self.options.function_metrics else "true",
            POWERTOOLS_LOG_LEVEL=_powertools_level(self.options.function_log_level),
        )
        os.environ.update(merged)

    def _start_pollers(self, specs: list[FunctionSpec], table: Mapping[str, Any]) -> None:
        stream_arn = table.get("LatestStreamArn")
        for spec in specs:
            for source in spec.stream_events:
                if not source.enabled:
                    continue
                if source.stream != stream_arn:
                    LOG.warning(
                        "%s.%s reads %s, not the table's stream: not polled",
                        spec.logical_id,
                        source.name,
                        source.stream,
                    )
                    continue
                function = self.functions[spec.logical_id]
                destination = source.on_failure
                poller = StreamPoller(
                    self._client("dynamodbstreams"),
                    stream_arn,
                    source,
                    function.invoke,
                    interval=self.options.stream_interval,
                    on_failure=(
                        functools.partial(self._send_to_queue, destination) if destination else None
                    ),
                    table_requests=self.dynamodb.table_requests if self.dynamodb else None,
                    # what this mapping (named as its poller is) had not processed last time
                    backlog=self.state.backlog(f"{source.function}.{source.name}")
                    if self.state
                    else (),
                )
                poller.start()
                self.pollers.append(poller)

    def _start_queue_pollers(self, specs: list[FunctionSpec]) -> None:
        by_arn = {queue.arn: queue for queue in self.queues.values()}
        for spec in specs:
            for source in spec.queue_events:
                if not source.enabled:
                    continue
                queue = by_arn.get(source.queue)
                if queue is None:
                    LOG.warning(
                        "%s.%s reads %s, not a queue of the template: not polled",
                        spec.logical_id,
                        source.name,
                        source.queue,
                    )
                    continue
                poller = QueuePoller(
                    self._client("sqs"),
                    queue.url,
                    source,
                    self.functions[spec.logical_id].invoke,
                    interval=self.options.queue_interval,
                    holds_messages=(
                        functools.partial(queue_holds_messages, queue.url)
                        if self.dynamodb
                        else None
                    ),
                )
                poller.start()
                self.queue_pollers.append(poller)

    def _bootstrap(self) -> str | None:
        """Create BADGEKIT_SYSTEM through the API itself (409: it exists already)."""
        slug = self.options.system
        if not slug or self.gateway is None:
            return None
        from badgekit import signing  # the common layer is on sys.path by now

        payload = {
            "slug": slug,
            "name": self.options.system_name or slug,
            "url": self.options.system_url or "http://example.org",
        }
        body = json.dumps(payload, separators=(",", ":")).encode()
        claims = signing.request_claims("POST", "/systems", body, exp=int(time.time()) + 300)
        token = signing.sign(claims, self.master_secret)
        request = HttpRequest(
            method="POST",
            path="/systems",
            query=None,
            headers=[
                ("Host", self.url.removeprefix("http://")),
                ("Content-Type", "application/json"),
                ("Authorization", signing.authorization_header(token)),
            ],
            body=body,
        )
        response = self.gateway.dispatch(request)
        if response.status == 201:
            return f"{slug} (created)"
        if response.status == 409:
            return f"{slug} (already exists)"
        detail = response.body[:300].decode("utf-8", "replace")
        LOG.warning("could not create system %s: HTTP %d %s", slug, response.status, detail)
        return f"{slug} (NOT created: HTTP {response.status} {detail})"

    # -- serve / stop ---------------------------------------------------------------------------

    def serve_forever(self) -> None:
        assert self.http is not None, "start() first"
        self._serving.set()
        self.http.serve_forever(poll_interval=0.1)

    def serve_in_background(self) -> threading.Thread:
        self._thread = threading.Thread(target=self.serve_forever, name="http", daemon=True)
        self._thread.start()
        return self._thread

    def stop(self) -> None:
        """Stop everything that was started, saving the state before the embedded server
        stops; safe to call more than once. Bounded: the requests being answered and the
        pollers' current batches get STOP_POLLERS_SECONDS together to finish (what a stream
        poller leaves unfinished is saved and handed to it again on the next start; a request
        still running is not waited for)."""
        until = time.monotonic() + STOP_POLLERS_SECONDS
        pollers = [*self.pollers, *self.queue_pollers]
        for poller in pollers:
            poller.request_stop()
        if self.http is not None:
            if self._serving.is_set():
                self.http.shutdown()
                self._serving.clear()
            if not self.http.drain(STOP_REQUESTS_SECONDS):
                LOG.warning("requests still running: not waited for")
            self.http.server_close()
        for poller in pollers:
            if not poller.join(until - time.monotonic()):
                LOG.warning("%s poller %s is still busy: not waited for", poller.kind, poller.name)
        self.pollers = []
        self.queue_pollers = []
        if self._thread is not None:
            self._thread.join(timeout=1)
            self._thread = None
        if self.state is not None:
            try:
                self.state.stop()
            except Exception:
                LOG.exception("the state could not be saved to %s", self.state.path)
            self.state = None
        if self.dynamodb is not None:
            self.dynamodb.stop(timeout=1)
            self.dynamodb = None

    # -- reporting ------------------------------------------------------------------------------

    def token_policy(self) -> str:
        """The policy the functions apply: the `TokenPolicy` parameter they get (from
        TOKEN_POLICY or --parameter-overrides), read as config.token_policy reads it."""
        if (self._parameters().get("TokenPolicy") or "").strip() == "legacy":
            return "legacy (the original's rules; tokens without a usable exp never expire)"
        return "strict (the default; TOKEN_POLICY=legacy for the original's rules)"

    def banner(self) -> str:
        if self.options.services_only:
            return self.services_banner()
        where = "external" if self.options.dynamodb_endpoint else "embedded moto"
        s3_where = "external" if self.options.s3_endpoint else "embedded moto"
        buckets = ", ".join(self.buckets.values()) or "none"
        queues = ", ".join(q.name for q in self.queues.values()) or "none"
        sqs_where = "external" if self.options.sqs_endpoint else "embedded moto"
        functions = ", ".join(self.functions) or "none"
        system = self.bootstrap_result or "none (set BADGEKIT_SYSTEM=<slug> to create one)"
        generated = not self.options.master_secret
        secret = self.master_secret_source + (f": {self.master_secret}" if generated else "")
        sign_env = f"MASTER_SECRET={self.master_secret} " if generated else ""
        return "\n".join(
            [
                f"BadgeKit API (local) listening on {self.url}",
                f"  template:      {self.template.path}",
                f"  functions:     {functions} ({len(self.router)} routes, "
                f"{len(self.pollers)} stream pollers, {len(self.queue_pollers)} queue pollers)",
                f"  DynamoDB:      table {self.options.table_name} at {self.endpoint} ({where})",
                f"  S3:            {buckets} at {self.s3_endpoint} ({s3_where})",
                f"  SQS:           {queues} at {self.sqs_endpoint} ({sqs_where})",
                f"  data:          {self.state_note}",
                f"  system:        {system}",
                f"  master secret: {secret}",
                f"  token policy:  {self.token_policy()}",
                f"  sign requests: {sign_env}.venv/bin/python -m local.sign GET /systems",
                f'                 curl -H "$({sign_env}.venv/bin/python -m local.sign GET '
                f'/systems)" {self.url}/systems',
                "Press Ctrl-C to stop.",
            ]
        )

    def services_banner(self) -> str:
        buckets = ", ".join(self.buckets.values()) or "none"
        queues = ", ".join(q.name for q in self.queues.values()) or "none"
        generated = not self.options.master_secret
        secret = self.master_secret_source + (f": {self.master_secret}" if generated else "")
        command = sam_command(self.options.env_file, self.options.services_address)
        return "\n".join(
            [
                f"Embedded services for sam local (moto) listening on {self.services_url()}",
                f"  DynamoDB:      table {self.options.table_name}",
                f"  S3:            {buckets}",
                f"  SQS:           {queues}",
                f"  env vars:      {self.options.env_file} (services at {self.endpoint}, API at "
                f"{self.options.public_base_url})",
                f"  master secret: {secret}",
                "  then, in another shell: make sam-build, and",
                f"                 {command}",
                "  not in sam local: stream- and queue-triggered functions (webhook delivery, "
                "milestone awards); make dev runs them",
                "Press Ctrl-C to stop.",
            ]
        )
