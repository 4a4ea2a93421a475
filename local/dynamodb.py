"""The embedded DynamoDB (moto's server, in-process) and the template's table.

Why: the local stack needs a real DynamoDB wire endpoint (the data-access code talks to it with
boto3 via `DYNAMODB_ENDPOINT`, and streams are polled over it) without Docker or Java. Moto's
server is used rather than `mock_aws` so the functions run the exact code paths they run on AWS.

Requests to moto are serialised with a lock: moto's backends are not thread-safe, and without it
two concurrent conditional writes (id counters, uniqueness guards) could both succeed, which real
DynamoDB never allows. The table is created from the template's own definition so that keys,
indexes, streams and TTL cannot drift from what is deployed.
"""

from __future__ import annotations

import contextlib
import io
import logging
import threading
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from typing import Any

LOG = logging.getLogger("local.dynamodb")

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


# Requests that change no stored data (what the state folder keeps): reads of every service;
# a received SQS message only changes its visibility, which a restart resets anyway.
_READ_ACTIONS = frozenset(
    {
        "GetItem",
        "BatchGetItem",
        "Query",
        "Scan",
        "DescribeTable",
        "DescribeTimeToLive",
        "ListTables",
        "ReceiveMessage",
        "GetQueueUrl",
        "GetQueueAttributes",
        "ListQueues",
    }
)


def changes_data(environ: Mapping[str, Any]) -> bool:
    """Whether a request may change stored data (a DynamoDB, SQS or S3 write); unknown
    requests count as writes."""
    target = str(environ.get("HTTP_X_AMZ_TARGET") or "")
    if target:
        return not target.startswith("DynamoDBStreams_") and (
            target.rpartition(".")[2] not in _READ_ACTIONS
        )
    return str(environ.get("REQUEST_METHOD") or "") not in ("GET", "HEAD")


# The requests after which a poller may find something new: DynamoDB writes (stream records)
# and SQS sends (messages); `EmbeddedDynamoDB.on_write` wakes the pollers on them.
WRITE_TARGETS = {
    "dynamodb": frozenset(
        f"DynamoDB_20120810.{name}"
        for name in (
            "PutItem",
            "UpdateItem",
            "DeleteItem",
            "BatchWriteItem",
            "TransactWriteItems",
            "ExecuteStatement",
            "BatchExecuteStatement",
            "ExecuteTransaction",
            "UpdateTable",
        )
    ),
    "sqs": frozenset(
        f"AmazonSQS.{name}"
        for name in (
            "SendMessage",
            "SendMessageBatch",
            "ChangeMessageVisibility",
            "ChangeMessageVisibilityBatch",
        )
    ),
}


class _Serialised:
    """WSGI middleware running one request at a time (see module docstring); `after` runs
    after each request with its `X-Amz-Target` (empty for S3), still under the lock.
    `table_requests` counts the DynamoDB requests (not DynamoDB Streams ones) it has answered:
    only those can add stream records; `writes` counts the requests that may have changed
    stored data (`changes_data`)."""

    def __init__(self, app: WsgiApp, after: Callable[[str], None] | None = None) -> None:
        self._app = app
        self._after = after
        self.lock = threading.Lock()
        self.table_requests = 0
        self.writes = 0

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        target = str(environ.get("HTTP_X_AMZ_TARGET") or "")
        with self.lock:
            result = self._app(environ, start_response)
            try:
                return list(result)
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()
                if target.startswith("DynamoDB_"):
                    self.table_requests += 1
                if changes_data(environ):
                    self.writes += 1
                if self._after is not None:
                    self._after(target)


def _tables() -> Iterator[Any]:
    """Every table of moto's in-process DynamoDB (all accounts and regions)."""
    from moto.dynamodb.models import dynamodb_backends

    for backend in moto_backends(dynamodb_backends):
        yield from list(backend.tables.values())


def _stream_backends() -> Iterator[Any]:
    """Moto's in-process DynamoDB Streams backends (all accounts and regions)."""
    from moto.dynamodbstreams.models import dynamodbstreams_backends

    return moto_backends(dynamodbstreams_backends)


def moto_backends(registry: Any) -> Iterator[Any]:
    """Every backend of one of moto's in-process registries (all accounts and regions)."""
    # moto's registries map account -> region -> backend (a dict subclass whose values() differs)
    for regions in list(registry.values()):
        yield from list(dict.values(regions))


def discard_stream_records() -> int:
    """Drop every table's buffered stream records (moto's in-process state).

    Why: moto keeps stream records forever and deep-copies each table, records included, once per
    item of every transaction, so with nobody reading the stream each write gets slower than the
    last. Sequence numbers stay monotonic: the shard's start moves past what was dropped.
    """
    dropped = 0
    for table in _tables():
        shard = getattr(table, "stream_shard", None)
        if shard is not None and shard.items:
            dropped += len(shard.items)
            shard.starting_sequence_number += len(shard.items)
            shard.items = []
    return dropped


def reattach_shard_iterators() -> int:
    """Point moto's shard iterators at their table's current stream shard.

    Why: when a transaction fails, moto restores each table it touched from a deep copy made
    before the transaction, stream shard included; iterators handed out earlier still hold the
    replaced shard and would never see a new record (every poller would go silent after the
    first 409). Returns how many iterators were moved.
    """
    shards: dict[str, Any] = {}  # table name -> its current shard
    for table in _tables():
        if getattr(table, "stream_shard", None) is not None:
            shards[table.name] = table.stream_shard
    moved = 0
    for backend in _stream_backends():
        for iterator in list(backend.shard_iterators.values()):
            current = shards.get(iterator.stream_shard.table.name)
            if current is not None and current is not iterator.stream_shard:
                iterator.stream_shard = current
                moved += 1
    return moved


def trim_stream_records(held_iterators: Collection[str], keep_recent_iterators: int = 64) -> int:
    """Drop the buffered stream records every reader has read (moto's in-process state).

    `held_iterators` are the shard iterators the readers (the local event source mappings) will
    read next; each one's position is the first record that reader still needs. A table that no
    reader holds an iterator for keeps nothing. Moto also keeps every shard iterator it ever
    returned (one per `GetRecords` call); those neither held nor among the most recent few
    (a reader may not have stored the one it was just given) are forgotten too.
    """
    needed: dict[int, int] = {}  # id(shard) -> first sequence number still needed
    held = set(held_iterators)
    for backend in _stream_backends():
        iterators = backend.shard_iterators
        for arn in held:
            iterator = iterators.get(arn)
            if iterator is not None:
                key = id(iterator.stream_shard)
                position = int(iterator.sequence_number)
                needed[key] = min(needed.get(key, position), position)
        if len(iterators) > len(held) + keep_recent_iterators:
            recent = list(iterators)[-keep_recent_iterators:]
            backend.shard_iterators = {
                arn: iterators[arn] for arn in (*held, *recent) if arn in iterators
            }
    dropped = 0
    for table in _tables():
        shard = getattr(table, "stream_shard", None)
        if shard is None or not shard.items:
            continue
        end = shard.starting_sequence_number + len(shard.items)
        keep_from = min(max(needed.get(id(shard), end), shard.starting_sequence_number), end)
        count = keep_from - shard.starting_sequence_number
        if count > 0:
            del shard.items[:count]
            shard.starting_sequence_number = keep_from
            dropped += count
    return dropped


def unread_stream_records(held_iterator: str) -> list[dict[str, Any]]:
    """The records a reader holding `held_iterator` has not read yet, as `GetRecords` would
    return them (moto's in-process state; read under the server's lock, `exclusive`)."""
    for backend in _stream_backends():
        iterator = backend.shard_iterators.get(held_iterator)
        if iterator is None:
            continue
        shard = iterator.stream_shard
        start = max(int(iterator.sequence_number) - shard.starting_sequence_number, 0)
        return [dict(record.to_json()) for record in shard.items[start:]]
    return []


def queue_holds_messages(queue_url: str) -> bool:
    """Whether the in-process SQS queue at `queue_url` holds any message (visible, in flight or
    delayed); True when it is not found here (an external endpoint: ask it).

    Why: a queue poller of the embedded server can skip its `ReceiveMessage` (a request through
    the server and moto's parsing) while its queue is empty, which is nearly always.
    """
    from moto.sqs.models import sqs_backends

    name = queue_url.rstrip("/").rsplit("/", 1)[-1]
    for backend in moto_backends(sqs_backends):
        queue = backend.queues.get(name)
        if queue is not None:
            return bool(queue._messages)
    return True


def _dispatcher() -> WsgiApp:
    """moto's `DomainDispatcherApplication`, remembering which backend serves each host name.

    Why: moto looks a host name up by listing its own package directory (a `stat` per service,
    on every request); the answer for a given name never changes while the process runs.
    """
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    class Dispatcher(DomainDispatcherApplication):
        def __init__(self) -> None:
            super().__init__(create_backend_app)
            self._backends: dict[str | None, Any] = {}

        def get_backend_for_host(self, host: str | None) -> Any:
            # moto calls this under its own lock
            if host not in self._backends:
                self._backends[host] = super().get_backend_for_host(host)
            return self._backends[host]

    app: WsgiApp = Dispatcher()
    return app


def _request_handler() -> type[Any]:
    """moto's request handler, keeping each connection open for the client's next request.

    Why: werkzeug's development server closes the connection after every response, so each
    boto3 call of the functions and pollers opened a TCP connection, and the server started a
    thread for it. Here a request with a `Content-Length` body (what boto3 sends to DynamoDB,
    SQS and S3) is read whole before moto sees it, so nothing of it can be left on the
    connection, and the answer goes out with its length; a chunked body or an
    `Expect: 100-continue` request keeps werkzeug's own handling, which closes the connection.
    An idle connection is closed after `timeout` seconds.
    """
    from moto.moto_server.werkzeug_app import MotoRequestHandler
    from werkzeug.exceptions import InternalServerError

    class KeepAlive(MotoRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # the head and the body are two writes
        timeout = 60

        def run_wsgi(self) -> None:
            declared = self.headers.get("Content-Length") or "0"
            if (
                self.headers.get("Transfer-Encoding")
                or self.headers.get("Expect")
                or not declared.isdigit()
            ):
                super().run_wsgi()
                return
            body = self.rfile.read(int(declared))
            if len(body) < int(declared):  # the client went away
                self.close_connection = True
                return
            environ = self.make_environ()
            environ["wsgi.input"] = io.BytesIO(body)
            self.environ = environ
            reply: list[Any] = []
            chunks: list[bytes] = []

            def start_response(status: str, headers: Any, exc_info: Any = None) -> Any:
                reply[:] = [status, headers]
                return chunks.append

            app: Any = self.server.app
            try:
                chunks.extend(app(environ, start_response))
            except Exception:
                LOG.exception("moto failed on %s %s", self.command, self.path)
                self.close_connection = True
                chunks = list(InternalServerError()(environ, start_response))
            status, headers = reply
            code = int(status.split(" ", 1)[0])
            self.send_response(code, status.partition(" ")[2])
            for name, value in headers:
                self.send_header(name, value)
            data = b"".join(chunks)
            bodiless = self.command == "HEAD" or code < 200 or code in (204, 304)
            if not bodiless and not any(name.lower() == "content-length" for name, _ in headers):
                self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if not bodiless:
                self.wfile.write(data)

    return KeepAlive


class EmbeddedDynamoDB:
    """Moto's server on 127.0.0.1 in a daemon thread (port 0 picks a free port).

    It also answers S3 and SQS (moto dispatches on the request's signing scope).
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self.port = port
        # False: no function reads the table's stream, drop every record (discard_stream_records).
        self.keep_stream_records = True
        # Set when functions read the stream: the shard iterators they will read next; records
        # before every one of them are dropped after each request (trim_stream_records).
        self.stream_readers: Callable[[], Collection[str]] | None = None
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._app: _Serialised | None = None
        self._on_write: dict[str, list[Callable[[], None]]] = {}

    def on_write(self, service: str, callback: Callable[[], None]) -> None:
        """Call `callback` (quick: it runs under the server's lock) after each write request
        to `service` ("dynamodb": a write to a table; "sqs": a message sent or made visible)."""
        self._on_write.setdefault(service, []).append(callback)

    def table_requests(self) -> int:
        """How many DynamoDB requests (not DynamoDB Streams ones) the server has answered so
        far: a stream can only have new records when this has moved."""
        return self._app.table_requests if self._app is not None else 0

    def writes(self) -> int:
        """How many requests that may have changed stored data the server has answered."""
        return self._app.writes if self._app is not None else 0

    @contextlib.contextmanager
    def exclusive(self) -> Iterator[None]:
        """No request is answered inside the block (moto's state can be read or written
        directly; no request to this server may be made from inside it)."""
        if self._app is None:
            yield
            return
        with self._app.lock:
            yield

    def _after_request(self, target: str = "") -> None:
        for service, targets in WRITE_TARGETS.items():
            if target in targets:
                for callback in self._on_write.get(service, ()):
                    callback()
        if not self.keep_stream_records:
            discard_stream_records()
            return
        reattach_shard_iterators()
        if self.stream_readers is not None:
            trim_stream_records(self.stream_readers())

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> str:
        # Imported here: moto (Flask) takes most of a second to import and is only needed here.
        from werkzeug.serving import make_server

        from local import moto_patches

        for name in moto_patches.install():  # writes and queries that slow down as data grows
            LOG.warning("moto changed: local.moto_patches.%s is not installed", name)
        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no access log per boto3 call
        app = self._app = _Serialised(_dispatcher(), self._after_request)
        self._server = make_server(
            self.host, self.port, app, threaded=True, request_handler=_request_handler()
        )
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.1,), name="moto-server", daemon=True
        )
        self._thread.start()
        return self.endpoint

    def stop(self, timeout: float = 5.0) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=timeout)
            self._thread = None


_TABLE_KEYS = ("AttributeDefinitions", "KeySchema", "BillingMode", "ProvisionedThroughput")
_INDEX_KEYS = ("IndexName", "KeySchema", "Projection", "ProvisionedThroughput")
_DEFAULT_THROUGHPUT = {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}


def create_table_kwargs(name: str, properties: Mapping[str, Any]) -> dict[str, Any]:
    """`create_table` arguments from resolved `AWS::DynamoDB::Table` properties."""
    kwargs: dict[str, Any] = {k: properties[k] for k in _TABLE_KEYS if k in properties}
    kwargs["TableName"] = name
    provisioned = kwargs.get("BillingMode", "PROVISIONED") == "PROVISIONED"
    if provisioned:
        kwargs.setdefault("ProvisionedThroughput", _DEFAULT_THROUGHPUT)
    for key in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
        indexes = []
        for index in properties.get(key) or []:
            item = {k: index[k] for k in _INDEX_KEYS if k in index}
            if provisioned and key == "GlobalSecondaryIndexes":
                item.setdefault("ProvisionedThroughput", _DEFAULT_THROUGHPUT)
            indexes.append(item)
        if indexes:
            kwargs[key] = indexes
    stream = properties.get("StreamSpecification")
    if stream and stream.get("StreamViewType"):
        kwargs["StreamSpecification"] = {
            "StreamEnabled": True,
            "StreamViewType": stream["StreamViewType"],
        }
    return kwargs


def ensure_table(client: Any, name: str, properties: Mapping[str, Any]) -> dict[str, Any]:
    """Create the table (and its TTL) unless it exists; return its description."""
    try:
        client.create_table(**create_table_kwargs(name, properties))
    except client.exceptions.ResourceInUseException:
        LOG.info("table %s already exists: left as it is", name)
        return dict(client.describe_table(TableName=name)["Table"])
    client.get_waiter("table_exists").wait(
        TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 30}
    )
    ttl = properties.get("TimeToLiveSpecification")
    if ttl and ttl.get("Enabled") in (True, "true") and ttl.get("AttributeName"):
        client.update_time_to_live(
            TableName=name,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl["AttributeName"]},
        )
    return dict(client.describe_table(TableName=name)["Table"])
