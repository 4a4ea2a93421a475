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

import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any

LOG = logging.getLogger("local.dynamodb")

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class _Serialised:
    """WSGI middleware running one request at a time (see module docstring); `after` runs
    after each request, still under the lock."""

    def __init__(self, app: WsgiApp, after: Callable[[], None] | None = None) -> None:
        self._app = app
        self._after = after
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        with self._lock:
            result = self._app(environ, start_response)
            try:
                return list(result)
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()
                if self._after is not None:
                    self._after()


def discard_stream_records() -> int:
    """Drop every table's buffered stream records (moto's in-process state).

    Why: moto keeps stream records forever and deep-copies each table, records included, once per
    item of every transaction, so with nobody reading the stream each write gets slower than the
    last. Sequence numbers stay monotonic: the shard's start moves past what was dropped.
    """
    from moto.dynamodb.models import dynamodb_backends

    dropped = 0
    for regions in list(dynamodb_backends.values()):
        for backend in list(dict.values(regions)):
            for table in list(backend.tables.values()):
                shard = getattr(table, "stream_shard", None)
                if shard is not None and shard.items:
                    dropped += len(shard.items)
                    shard.starting_sequence_number += len(shard.items)
                    shard.items = []
    return dropped


class EmbeddedDynamoDB:
    """Moto's server on 127.0.0.1 in a daemon thread (port 0 picks a free port)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self.port = port
        # Set to False when no function reads the table's stream (see discard_stream_records).
        self.keep_stream_records = True
        self._server: Any = None
        self._thread: threading.Thread | None = None

    def _after_request(self) -> None:
        if not self.keep_stream_records:
            discard_stream_records()

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> str:
        # Imported here: moto (Flask) takes most of a second to import and is only needed here.
        from moto.moto_server.werkzeug_app import (
            DomainDispatcherApplication,
            MotoRequestHandler,
            create_backend_app,
        )
        from werkzeug.serving import make_server

        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no access log per boto3 call
        app = _Serialised(DomainDispatcherApplication(create_backend_app), self._after_request)
        self._server = make_server(
            self.host, self.port, app, threaded=True, request_handler=MotoRequestHandler
        )
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.1,), name="moto-server", daemon=True
        )
        self._thread.start()
        return self.endpoint

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
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
