"""The local stack's state folder: the table, the buckets and the queues kept across restarts,
with the stream records each stream consumer has not processed yet.

Why: a developer's data (systems, badges, images, claim codes, pending webhook deliveries) must
outlive `make dev` being stopped and started, and no outbox event committed before a stop may
go undelivered after it. The embedded moto server keeps everything in memory only.

What: one JSON file, `state.json` in the folder (default `.local-state/` at the repository
root), written atomically (a temporary file, flushed to disk, renamed over the previous one):

- the table's items, as DynamoDB JSON;
- every object of the template's buckets, with its content type, metadata and tags (its bytes
  in `objects/`, one file per content, named by its MD5 (its ETag): written once, not at every
  save, and deleted once no saved state names it);
- the pending messages of the template's queues, with what is left of their delay and their
  receive count (a message received but not deleted when the stack stopped is visible again
  at once after the restart: nobody is working on it any more);
- per stream consumer (`Function.Event`), the records, in Lambda's shape, that it had read and
  not finished or not read yet.

When: on every clean stop (SIGINT, SIGTERM) and every `interval` seconds while something changed
(the embedded server answered a request that may write, or a stream consumer finished a batch),
so a crash loses at most the last few seconds. Reading happens under the embedded server's lock
(no request is half-done), straight from moto's in-process backends.

Restore: on start, before any function is imported or any poller started, straight into moto's
backends with the table's stream muted, so restored items make no stream record (the pollers
then start at LATEST); each consumer's unprocessed records become its poller's backlog, delivered
before anything new. Delivery is at least once, as on Lambda: the webhook sender keys each
delivery by (webhook, event) and the milestone awarder's awards are conditional, so a record
handed over again never delivers or awards twice.

A state file that cannot be read or does not have this shape is reported and nothing of it is
loaded: the stack does not start (starting empty would overwrite the file at the first save).
One stack at a time uses a folder (a lock file).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import datetime as dt
import fcntl
import hashlib
import json
import logging
import math
import os
import re
import threading
import time
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from local.dynamodb import EmbeddedDynamoDB, moto_backends, unread_stream_records
from local.streams import StreamPoller

LOG = logging.getLogger("local.state")

STATE_FILE = "state.json"
LOCK_FILE = "lock"
OBJECTS_DIR = "objects"
_BLOB_NAME = re.compile(r"^[0-9a-f]{32}(-[0-9]+)?$")  # an ETag: MD5, or MD5-parts (multipart)
FORMAT = "badgekit-local-state"
VERSION = 1
SAVE_INTERVAL = 2.0  # seconds between checks for changes to save
# Reading the state holds every request up (~20 ms per 1,000 items): periodic saves are spaced
# so that they hold the server at most this share of the time.
MAX_HELD_SHARE = 0.05
MAX_QUEUE_DELAY = 900  # SQS's longest DelaySeconds


class StateError(Exception):
    """The state folder cannot be used (unreadable or malformed file, folder in use)."""


# -- the file's shape ---------------------------------------------------------------------------


@dataclass
class StoredObject:
    key: str
    body: bytes
    metadata: dict[str, str]  # content-type, cache-control, x-amz-meta-*, ...
    tags: dict[str, str] = field(default_factory=dict)


@dataclass
class StoredMessage:
    body: str
    attributes: dict[str, Any]  # message attributes (BinaryValue as bytes)
    delay_seconds: float  # left of its delay when saved
    receive_count: int


@dataclass
class State:
    """A state file's content, decoded and checked in full."""

    saved_at: float
    table_name: str
    items: list[dict[str, Any]]  # DynamoDB AttributeValue maps, binaries as bytes (as moto)
    buckets: dict[str, list[StoredObject]]
    queues: dict[str, list[StoredMessage]]
    streams: dict[str, list[dict[str, Any]]]  # consumer -> Lambda-format records

    def summary(self) -> str:
        objects = sum(len(v) for v in self.buckets.values())
        messages = sum(len(v) for v in self.queues.values())
        records = sum(len(v) for v in self.streams.values())
        return (
            f"{len(self.items)} items, {objects} objects, {messages} queued messages, "
            f"{records} stream records to deliver"
        )


_SCALAR_TYPES = {"S": str, "N": str, "BOOL": bool, "NULL": bool}


def _attribute(value: Any, decode: bool, where: str) -> dict[str, Any]:
    """One AttributeValue in the file's form (binaries in base64) or moto's (bytes)."""
    if not isinstance(value, Mapping) or len(value) != 1:
        raise StateError(f"{where}: not an attribute value: {value!r:.80}")
    ((kind, inner),) = value.items()
    if kind in _SCALAR_TYPES:
        if not isinstance(inner, _SCALAR_TYPES[kind]):
            raise StateError(f"{where}: {kind} value {inner!r:.80}")
        return {kind: inner}
    if kind == "B":
        return {kind: _binary(inner, decode, where)}
    if kind in ("SS", "NS", "BS"):
        if not isinstance(inner, list):
            raise StateError(f"{where}: {kind} is not a list")
        if kind == "BS":
            return {kind: [_binary(v, decode, where) for v in inner]}
        if not all(isinstance(v, str) for v in inner):
            raise StateError(f"{where}: {kind} holds a non-string")
        return {kind: list(inner)}
    if kind == "L":
        if not isinstance(inner, list):
            raise StateError(f"{where}: L is not a list")
        return {kind: [_attribute(v, decode, where) for v in inner]}
    if kind == "M":
        if not isinstance(inner, Mapping):
            raise StateError(f"{where}: M is not a map")
        return {kind: {str(k): _attribute(v, decode, where) for k, v in inner.items()}}
    raise StateError(f"{where}: unknown attribute type {kind!r}")


def _binary(value: Any, decode: bool, where: str) -> Any:
    if not decode:
        data = value.encode() if isinstance(value, str) else bytes(value)
        return base64.b64encode(data).decode("ascii")
    if not isinstance(value, str):
        raise StateError(f"{where}: binary value is not base64 text")
    try:
        return base64.b64decode(value, validate=True)
    except binascii.Error as exc:
        raise StateError(f"{where}: binary value is not base64: {exc}") from exc


def _item(value: Any, decode: bool, where: str) -> dict[str, Any]:
    if not isinstance(value, Mapping) or not value:
        raise StateError(f"{where}: not an item")
    return {str(name): _attribute(v, decode, f"{where}.{name}") for name, v in value.items()}


def _expect(value: Any, kind: type, where: str) -> Any:
    if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
        raise StateError(f"{where}: expected {kind.__name__}, found {type(value).__name__}")
    return value


def decode_state(document: Any, read_blob: Callable[[str], bytes]) -> State:
    """Check a parsed state file in full and decode it (objects' bytes from `read_blob`, by
    name); StateError names what is wrong."""
    _expect(document, dict, "the file")
    if document.get("format") != FORMAT or document.get("version") != VERSION:
        raise StateError(
            f"not a {FORMAT} file of version {VERSION} "
            f"(format {document.get('format')!r}, version {document.get('version')!r})"
        )
    table = _expect(document.get("table"), dict, "table")
    items = [
        _item(item, True, f"table item {index}")
        for index, item in enumerate(_expect(table.get("items"), list, "table.items"))
    ]
    buckets: dict[str, list[StoredObject]] = {}
    for name, objects in _expect(document.get("buckets"), dict, "buckets").items():
        buckets[name] = []
        for index, stored in enumerate(_expect(objects, list, f"bucket {name}")):
            where = f"bucket {name} object {index}"
            _expect(stored, dict, where)
            metadata = _expect(stored.get("metadata"), dict, f"{where} metadata")
            tags = _expect(stored.get("tags", {}), dict, f"{where} tags")
            buckets[name].append(
                StoredObject(
                    key=_expect(stored.get("key"), str, f"{where} key"),
                    body=read_blob(_blob_name(stored.get("blob"), where)),
                    metadata={str(k): str(v) for k, v in metadata.items()},
                    tags={str(k): str(v) for k, v in tags.items()},
                )
            )
    queues: dict[str, list[StoredMessage]] = {}
    for name, messages in _expect(document.get("queues"), dict, "queues").items():
        queues[name] = []
        for index, message in enumerate(_expect(messages, list, f"queue {name}")):
            where = f"queue {name} message {index}"
            _expect(message, dict, where)
            attributes = _expect(message.get("attributes", {}), dict, f"{where} attributes")
            delay = message.get("delaySeconds", 0)
            if isinstance(delay, bool) or not isinstance(delay, int | float) or delay < 0:
                raise StateError(f"{where}: delaySeconds {delay!r}")
            queues[name].append(
                StoredMessage(
                    body=_expect(message.get("body"), str, f"{where} body"),
                    attributes={
                        k: _message_attribute(v, True, where) for k, v in attributes.items()
                    },
                    delay_seconds=float(delay),
                    receive_count=_expect(message.get("receiveCount", 0), int, f"{where} count"),
                )
            )
    streams: dict[str, list[dict[str, Any]]] = {}
    for consumer, records in _expect(document.get("streams"), dict, "streams").items():
        checked = []
        for index, record in enumerate(_expect(records, list, f"stream consumer {consumer}")):
            where = f"stream consumer {consumer} record {index}"
            _expect(record, dict, where)
            images = _expect(record.get("dynamodb"), dict, f"{where} dynamodb")
            _expect(images.get("SequenceNumber"), str, f"{where} SequenceNumber")
            checked.append(record)
        streams[str(consumer)] = checked
    saved_at = document.get("savedAt")
    if isinstance(saved_at, bool) or not isinstance(saved_at, int | float):
        raise StateError(f"savedAt: {saved_at!r}")
    return State(
        saved_at=float(saved_at),
        table_name=str(table.get("name") or ""),
        items=items,
        buckets=buckets,
        queues=queues,
        streams=streams,
    )


def _blob_name(value: Any, where: str) -> str:
    if not isinstance(value, str) or not _BLOB_NAME.match(value):
        raise StateError(f"{where}: blob {value!r:.80} is not an ETag")
    return value


def _blob_reader(directory: Path) -> Callable[[str], bytes]:
    def read(name: str) -> bytes:
        path = directory / name
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise StateError(f"the object content {path} cannot be read ({exc})") from exc
        if "-" not in name and hashlib.md5(data, usedforsecurity=False).hexdigest() != name:
            raise StateError(f"the object content {path} is not what was saved")
        return data

    return read


def _message_attribute(value: Any, decode: bool, where: str) -> dict[str, Any]:
    _expect(value, dict, f"{where} attribute")
    out = dict(value)
    if out.get("BinaryValue") is not None:
        out["BinaryValue"] = _binary(out["BinaryValue"], decode, where)
    return out


# -- moto's in-process backends -----------------------------------------------------------------


def _table(name: str) -> Any:
    from moto.dynamodb.models import dynamodb_backends

    for backend in moto_backends(dynamodb_backends):
        if name in backend.tables:
            return backend.tables[name]
    raise StateError(f"table {name} does not exist in the embedded server")


def _objects(bucket: Any) -> Iterator[tuple[str, Any]]:
    """A bucket's current objects (moto's; not delete markers)."""
    from moto.s3.models import FakeKey

    for name, key in list(bucket.keys.items()):
        if isinstance(key, FakeKey):
            yield name, key


def _s3_bucket(name: str) -> tuple[Any, Any]:
    from moto.s3.models import s3_backends

    for backend in moto_backends(s3_backends):
        if name in backend.buckets:
            return backend, backend.buckets[name]
    raise StateError(f"bucket {name} does not exist in the embedded server")


def _sqs_queue(name: str) -> tuple[Any, Any]:
    from moto.sqs.models import sqs_backends

    for backend in moto_backends(sqs_backends):
        if name in backend.queues:
            return backend, backend.queues[name]
    raise StateError(f"queue {name} does not exist in the embedded server")


_IMMUTABLE = frozenset({"S", "N", "BOOL", "NULL"})


def _plain(value: Any) -> dict[str, Any]:
    """A moto attribute (`DynamoType`) in the file's form, read without moto's deep copies."""
    kind, inner = value.type, value.value
    if kind == "B":
        return {kind: _binary(inner, False, "item")}
    if kind in ("SS", "NS"):
        return {kind: list(inner)}
    if kind == "BS":
        return {kind: [_binary(v, False, "item") for v in inner]}
    if kind == "L":
        return {
            kind: [_plain(v) if hasattr(v, "type") else _attribute(v, False, "item") for v in inner]
        }
    if kind == "M":
        return {
            kind: {
                k: _plain(v) if hasattr(v, "type") else _attribute(v, False, "item")
                for k, v in inner.items()
            }
        }
    return {kind: inner}  # S, N, BOOL, NULL: immutable values


def _kept_metadata(name: str) -> bool:
    """Object headers worth keeping: not the request's own (checksums, signing)."""
    lower = name.lower()
    return not lower.startswith("x-amz-") or lower.startswith("x-amz-meta-")


def _stream_record(raw: Mapping[str, Any]) -> dict[str, Any]:
    """A moto stream record as `GetRecords` gives it (moto's creation time is naive UTC)."""
    images = dict(raw.get("dynamodb") or {})
    created = images.get("ApproximateCreationDateTime")
    if isinstance(created, dt.datetime) and created.tzinfo is None:
        images["ApproximateCreationDateTime"] = created.replace(tzinfo=dt.UTC)
    return {**raw, "dynamodb": images}


def capture(
    table_name: str,
    buckets: Sequence[str],
    queues: Sequence[str],
    pollers: Sequence[StreamPoller],
    stored_blobs: Collection[str] = (),
) -> tuple[dict[str, Any], dict[str, bytes]]:
    """The state document (JSON-ready), and the objects' contents not in `stored_blobs` yet
    (by blob name). Call under the embedded server's lock (`exclusive`)."""
    scalar = _IMMUTABLE  # most attributes: no call per attribute
    items = [
        {
            name: {value.type: value.value} if value.type in scalar else _plain(value)
            for name, value in item.attrs.items()
        }
        for item in _table(table_name).all_items()
    ]
    stored_buckets: dict[str, list[dict[str, Any]]] = {}
    blobs: dict[str, bytes] = {}
    for name in buckets:
        backend, bucket = _s3_bucket(name)
        stored_buckets[name] = []
        for key_name, key in _objects(bucket):
            blob = str(key.etag).strip('"')
            if blob not in stored_blobs and blob not in blobs:
                blobs[blob] = key.value
            stored_buckets[name].append(
                {
                    "key": key_name,
                    "blob": blob,
                    "metadata": {k: str(v) for k, v in key.metadata.items() if _kept_metadata(k)},
                    "tags": {
                        tag["Key"]: tag["Value"]
                        for tag in backend.get_object_tagging(key).get("Tags", [])
                    },
                }
            )
    now_ms = time.time() * 1000
    stored_queues: dict[str, list[dict[str, Any]]] = {}
    for name in queues:
        _, queue = _sqs_queue(name)
        stored_queues[name] = [
            {
                "body": message.body,
                "attributes": {
                    k: _message_attribute(v, False, name)
                    for k, v in message.message_attributes.items()
                },
                "delaySeconds": math.ceil(max(0.0, message.delayed_until - now_ms) / 1000),
                "receiveCount": int(message.approximate_receive_count),
            }
            for message in list(queue._messages)
        ]
    streams: dict[str, list[dict[str, Any]]] = {}
    for poller in pollers:
        pending, iterators = poller.progress()
        unread = [
            _stream_record(raw) for iterator in iterators for raw in unread_stream_records(iterator)
        ]
        records, seen = [], set()
        for record in [*pending, *poller.lambda_records(unread)]:
            if record.get("eventID") not in seen:
                seen.add(record.get("eventID"))
                records.append(record)
        streams[poller.name] = records
    document = {
        "format": FORMAT,
        "version": VERSION,
        "savedAt": time.time(),
        "table": {"name": table_name, "items": items},
        "buckets": stored_buckets,
        "queues": stored_queues,
        "streams": streams,
    }
    return document, blobs


def apply(state: State, table_name: str, buckets: Sequence[str], queues: Sequence[str]) -> None:
    """Replace the table's items, the buckets' objects and the queues' messages with the
    state's. Call under the embedded server's lock. The table's stream is muted meanwhile."""
    table = _table(table_name)
    shard = table.stream_shard
    table.stream_shard = None
    try:
        table.items.clear()
        for item in state.items:
            table.put_item(item)
    finally:
        table.stream_shard = shard
    for name in buckets:
        backend, bucket = _s3_bucket(name)
        for key_name in list(bucket.keys):
            backend.delete_object(name, key_name)
        for stored in state.buckets.get(name, []):
            key = backend.put_object(name, stored.key, stored.body)
            key.set_metadata(dict(stored.metadata))
            if stored.tags:
                backend.put_object_tagging(key, dict(stored.tags))
    for name in queues:
        backend, queue = _sqs_queue(name)
        queue._messages = []
        for message in state.queues.get(name, []):
            sent = backend.send_message(
                name,
                message.body,
                message_attributes=dict(message.attributes) or None,
                delay_seconds=min(math.ceil(message.delay_seconds), MAX_QUEUE_DELAY) or None,
            )
            sent.approximate_receive_count = message.receive_count


# -- the file -----------------------------------------------------------------------------------


def write_atomically(path: Path, data: bytes) -> None:
    """Write `data` to `path` so that `path` always holds either the old or the new content."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(temporary, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    os.replace(temporary, path)
    with contextlib.suppress(OSError):  # the rename itself, on file systems that allow it
        directory = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)


def read_state(path: Path) -> State | None:
    """The state in `path`; None when there is none; StateError when it cannot be used."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StateError(f"cannot read {path}: {exc}") from exc
    try:
        document = json.loads(data)
    except (UnicodeDecodeError, ValueError) as exc:
        raise StateError(f"{path} is not a complete state file ({exc})") from exc
    try:
        return decode_state(document, _blob_reader(path.parent / OBJECTS_DIR))
    except StateError as exc:
        raise StateError(f"{path}: {exc}") from exc


def clear(directory: Path) -> bool:
    """Delete the saved state in `directory` (nothing else); whether there was one."""
    path = directory / STATE_FILE
    existed = path.exists()
    path.unlink(missing_ok=True)
    for stray in directory.glob(f".{STATE_FILE}.*.tmp"):
        stray.unlink(missing_ok=True)
    for blob in (directory / OBJECTS_DIR).glob("*"):
        blob.unlink(missing_ok=True)
    return existed


class StateKeeper:
    """Restores the embedded server's data from the folder and saves it there."""

    def __init__(
        self,
        directory: Path,
        server: EmbeddedDynamoDB,
        table_name: str,
        buckets: Sequence[str],
        queues: Sequence[str],
        interval: float = SAVE_INTERVAL,
    ) -> None:
        self.directory = directory
        self.path = directory / STATE_FILE
        self.server = server
        self.table_name = table_name
        self.buckets = list(buckets)
        self.queues = list(queues)
        self.interval = interval
        self.restored: State | None = None
        self.saves = 0
        self._pollers: list[StreamPoller] = []
        self._lock_file: IO[bytes] | None = None
        self._ready = False  # restored (or nothing to restore): saving is safe
        self._save_lock = threading.Lock()
        self._saved_at: tuple[int, int] | None = None
        self._blobs: set[str] = set()  # the objects' contents in objects/
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def restore(self) -> State | None:
        """Take the folder, check the state file in full, then load it into the server."""
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            self._lock_file = open(self.directory / LOCK_FILE, "wb")  # noqa: SIM115 (held)
            fcntl.flock(self._lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            self.release()
            raise StateError(
                f"the state folder {self.directory} is in use by another local stack "
                f"or cannot be written ({exc})"
            ) from exc
        objects = self.directory / OBJECTS_DIR
        for stray in [*self.directory.glob(".*.tmp"), *objects.glob(".*.tmp")]:  # a save cut short
            stray.unlink(missing_ok=True)
        self._blobs = {p.name for p in objects.glob("*")}
        state = read_state(self.path)
        if state is not None:
            with self.server.exclusive():
                try:
                    apply(state, self.table_name, self.buckets, self.queues)
                except StateError:
                    raise
                except Exception as exc:
                    raise StateError(f"{self.path} could not be loaded: {exc!r}") from exc
            for name in sorted(set(state.buckets) - set(self.buckets)):
                LOG.warning(
                    "state: bucket %s is not in the template; its objects are dropped", name
                )
            for name in sorted(set(state.queues) - set(self.queues)):
                LOG.warning(
                    "state: queue %s is not in the template; its messages are dropped", name
                )
        self.restored = state
        self._ready = True
        return state

    def backlog(self, consumer: str) -> list[dict[str, Any]]:
        """The records `consumer` had not processed when the state was saved."""
        return list(self.restored.streams.get(consumer, [])) if self.restored else []

    def watch(self, pollers: Sequence[StreamPoller]) -> None:
        """Save every `interval` seconds while something changed, from now on."""
        self._pollers = list(pollers)
        known = {poller.name for poller in self._pollers}
        for consumer, records in (self.restored.streams if self.restored else {}).items():
            if records and consumer not in known:
                LOG.warning(
                    "state: %d record(s) for %s dropped: no such stream consumer",
                    len(records),
                    consumer,
                )
        self._saved_at = self._marker()
        self._thread = threading.Thread(target=self._run, name="state-saver", daemon=True)
        self._thread.start()

    def _marker(self) -> tuple[int, int]:
        return self.server.writes(), sum(poller.delivered for poller in self._pollers)

    def _run(self) -> None:
        wait = self.interval
        while not self._stop.wait(wait):
            try:
                if self._marker() != self._saved_at:
                    wait = max(self.interval, self.save() / MAX_HELD_SHARE)
            except Exception:
                LOG.exception("state: could not save to %s; trying again", self.path)

    def save(self) -> float:
        """Write the current state (consistent: read while no request is being answered);
        returns how long requests were held up (seconds)."""
        if not self._ready:
            return 0.0
        with self._save_lock:
            with self.server.exclusive():
                started = time.monotonic()
                marker = self._marker()
                document, blobs = capture(
                    self.table_name, self.buckets, self.queues, self._pollers, self._blobs
                )
                held = time.monotonic() - started
            data = json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()
            objects = self.directory / OBJECTS_DIR
            if blobs:
                objects.mkdir(exist_ok=True)
            for name, content in blobs.items():  # before the state that names them
                write_atomically(objects / name, content)
                self._blobs.add(name)
            write_atomically(self.path, data)
            named = {o["blob"] for stored in document["buckets"].values() for o in stored}
            for name in self._blobs - named:  # no saved state names them any more
                (objects / name).unlink(missing_ok=True)
            self._blobs &= named
            self._saved_at = marker
            self.saves += 1
            return held

    def stop(self, *, save: bool = True) -> None:
        """Stop the periodic saves, then save once more (unless `save` is False)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
            self._thread = None
        try:
            if save:
                self.save()
        finally:
            self._ready = False
            self.release()

    def release(self) -> None:
        if self._lock_file is not None:
            self._lock_file.close()  # releases the lock
            self._lock_file = None


def describe(state: State | None, path: Path) -> str:
    """The banner's line about the state."""
    if state is None:
        return f"{path.parent} (new: nothing saved yet)"
    when = dt.datetime.fromtimestamp(state.saved_at, dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    return f"{path.parent} (restored {state.summary()}, saved {when})"
