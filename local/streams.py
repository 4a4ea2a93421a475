"""DynamoDB Streams event sources for the local stack.

Why: functions with a `Type: DynamoDB` event (e.g. work triggered by writes) must run locally
too, with the batches Lambda's event source mapping would give them. One poller per mapping reads
the table's stream from the embedded DynamoDB every ~200 ms (backing off to ~1 s while
nothing is written, `local.polling`) and invokes the function with
Lambda-format records, honouring `BatchSize`, `FilterCriteria` (the common pattern forms) and
`ReportBatchItemFailures` (retrying from the earliest failed record, as Lambda does, a bounded
number of times).

Two moto differences are smoothed over: moto writes a MODIFY record even when a put changes
nothing (DynamoDB writes no record then), and the poller starts at LATEST, so records written
before the stack started are not replayed.

Progress survives a restart through the state folder (`local.state`): a poller knows the records
it has read but not finished (`progress`), the state keeps those and the ones it has not read
yet, and a poller started with them as its `backlog` delivers them before anything new.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from local.events import stream_record_event
from local.polling import Poller
from local.template import StreamEvent

LOG = logging.getLogger("local.streams")

LOCAL_MAX_RETRIES = 3  # used when the template says "retry forever" (-1) or more than this
_MISSING = object()


# -- filter patterns (the subset of Lambda event filtering that real templates use) -----------


def matches_pattern(pattern: Mapping[str, Any], event: Any) -> bool:
    """Whether `event` matches one Lambda filter pattern.

    Supported: nested objects, lists of exact values, and rules `prefix`, `suffix`, `exists`,
    `anything-but`, `equals-ignore-case`, `numeric` (pairs of operator and value).
    """
    for key, rule in pattern.items():
        value = event.get(key, _MISSING) if isinstance(event, Mapping) else _MISSING
        if isinstance(rule, Mapping):
            if not matches_pattern(rule, value if value is not _MISSING else {}):
                return False
        elif isinstance(rule, list):
            if not any(_matches_rule(r, value) for r in rule):
                return False
        else:
            raise ValueError(f"invalid filter pattern at {key!r}: {rule!r}")
    return True


def _matches_rule(rule: Any, value: Any) -> bool:
    if not isinstance(rule, Mapping):
        return value is not _MISSING and (
            value == rule or (isinstance(value, list) and rule in value)
        )
    if "exists" in rule:
        return (value is not _MISSING) == bool(rule["exists"])
    if value is _MISSING:
        return False
    if "prefix" in rule:
        return isinstance(value, str) and value.startswith(rule["prefix"])
    if "suffix" in rule:
        return isinstance(value, str) and value.endswith(rule["suffix"])
    if "equals-ignore-case" in rule:
        return isinstance(value, str) and value.lower() == str(rule["equals-ignore-case"]).lower()
    if "anything-but" in rule:
        excluded = rule["anything-but"]
        return value not in (excluded if isinstance(excluded, list) else [excluded])
    if "numeric" in rule:
        return _numeric(rule["numeric"], value)
    raise ValueError(f"unsupported filter rule {rule!r}")


def _numeric(conditions: Sequence[Any], value: Any) -> bool:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return False
    checks = {
        "=": number.__eq__,
        "<": number.__lt__,
        "<=": number.__le__,
        ">": number.__gt__,
        ">=": number.__ge__,
    }
    pairs = zip(conditions[::2], conditions[1::2], strict=True)
    return all(checks[op](float(operand)) for op, operand in pairs)


def passes_filters(patterns: Sequence[Mapping[str, Any]], record: Mapping[str, Any]) -> bool:
    """Lambda semantics: no filters pass everything; otherwise any matching pattern passes."""
    return not patterns or any(matches_pattern(p, record) for p in patterns)


def is_noop_modify(record: Mapping[str, Any]) -> bool:
    """A MODIFY whose old and new images are equal (moto writes these; DynamoDB does not)."""
    images = record.get("dynamodb") or {}
    return (
        record.get("eventName") == "MODIFY"
        and "NewImage" in images
        and images.get("NewImage") == images.get("OldImage")
    )


# -- the poller ------------------------------------------------------------------------------


class StreamPoller(Poller):
    """Reads one stream and feeds one function, like a Lambda event source mapping."""

    kind = "stream"

    def __init__(
        self,
        client: Any,
        stream_arn: str,
        source: StreamEvent,
        invoke: Callable[[dict[str, Any]], Any],
        *,
        region: str = "us-east-1",
        interval: float = 0.2,
        shard_refresh: float = 5.0,
        on_failure: Callable[[dict[str, Any]], Any] | None = None,
        table_requests: Callable[[], int] | None = None,
        backlog: Sequence[Mapping[str, Any]] = (),
    ) -> None:
        super().__init__(source, interval)
        self.client = client
        self.on_failure = on_failure  # the mapping's OnFailure destination, if any
        self.stream_arn = stream_arn
        self.invoke = invoke
        self.region = region
        self.shard_refresh = shard_refresh
        retries = source.maximum_retry_attempts
        self.max_retries = LOCAL_MAX_RETRIES if retries < 0 else min(retries, LOCAL_MAX_RETRIES)
        self._iterators: dict[str, str] = {}
        self._known_shards: set[str] = set()
        self._last_sequence: dict[str, str] = {}
        self._refreshed_at = 0.0
        # The embedded DynamoDB's count of table requests (None: an external endpoint): a poll
        # when it has not moved since the last one would read nothing, and is skipped.
        self.table_requests = table_requests
        self._read_at: int | None = None
        # Lambda-format records read (or handed over as the backlog of an earlier run) and not
        # finished yet; `_progress` guards them with the iterators, `delivered` counts batches.
        self._progress = threading.Lock()
        self._pending: list[dict[str, Any]] = [  # (the filters may have changed since)
            {**record, "eventSourceARN": stream_arn}
            for record in backlog
            if passes_filters(source.filter_patterns, record)
        ]
        self._backlog = list(self._pending)
        self.delivered = 0

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self) -> None:
        """Position on the stream (LATEST) now, then poll in a daemon thread."""
        self.refresh_shards(initial=True)
        super().start()

    def held_iterators(self) -> list[str]:
        """The shard iterators this poller reads next (what it has not read yet starts there)."""
        with self._progress:
            return list(self._iterators.values())

    def progress(self) -> tuple[list[dict[str, Any]], list[str]]:
        """At one instant: the records read and not finished (Lambda format, filtered), and
        the iterators where what is not read yet starts."""
        with self._progress:
            return list(self._pending), list(self._iterators.values())

    # -- reading --------------------------------------------------------------------------------

    def refresh_shards(self, *, initial: bool = False) -> None:
        """Pick up shards; those found after start are read from their beginning."""
        self._refreshed_at = time.monotonic()
        kwargs: dict[str, Any] = {"StreamArn": self.stream_arn}
        for _ in range(100):  # pages of shards; bounded
            description = self.client.describe_stream(**kwargs)["StreamDescription"]
            for shard in description.get("Shards", []):
                shard_id = shard["ShardId"]
                if shard_id not in self._known_shards:
                    self._known_shards.add(shard_id)
                    iterator = self._iterator(shard_id, "LATEST" if initial else "TRIM_HORIZON")
                    with self._progress:
                        self._iterators[shard_id] = iterator
            last = description.get("LastEvaluatedShardId")
            if not last:
                break
            kwargs["ExclusiveStartShardId"] = last

    def _iterator(self, shard_id: str, position: str, sequence: str | None = None) -> str:
        kwargs = {"StreamArn": self.stream_arn, "ShardId": shard_id, "ShardIteratorType": position}
        if sequence:
            kwargs["SequenceNumber"] = sequence
        return str(self.client.get_shard_iterator(**kwargs)["ShardIterator"])

    def poll_once(self) -> int:
        """Read every shard once and deliver what passed the filters; returns records delivered."""
        if self._backlog:  # an earlier run's unfinished records come first
            backlog, self._backlog = self._backlog, []
            self.deliver_events(backlog)
            return len(backlog)
        refresh = time.monotonic() - self._refreshed_at > self.shard_refresh
        if self.table_requests is not None:
            seen = self.table_requests()
            if seen == self._read_at:
                return 0  # nothing was written (no record, no new shard) since the last read
            self._read_at = seen
        if refresh:
            self.refresh_shards()
        delivered = 0
        for shard_id, iterator in list(self._iterators.items()):
            try:
                response = self.client.get_records(ShardIterator=iterator, Limit=1000)
            except self.client.exceptions.ExpiredIteratorException:
                last = self._last_sequence.get(shard_id)
                position = "AFTER_SEQUENCE_NUMBER" if last else "LATEST"
                iterator = self._iterator(shard_id, position, last)
                with self._progress:
                    self._iterators[shard_id] = iterator
                continue
            records = response.get("Records") or []
            events = self.lambda_records(records)
            next_iterator = response.get("NextShardIterator")
            with self._progress:  # pending before the iterator moves past them
                self._pending.extend(events)
                if next_iterator:
                    self._iterators[shard_id] = next_iterator
                else:  # the shard is closed and fully read
                    del self._iterators[shard_id]
            if records:
                self._last_sequence[shard_id] = records[-1]["dynamodb"]["SequenceNumber"]
            delivered += self.deliver_events(events)
        return delivered

    # -- delivering -----------------------------------------------------------------------------

    def lambda_records(self, raw_records: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """`GetRecords` records in Lambda's shape, those the mapping's filters pass."""
        records = [
            stream_record_event(r, self.stream_arn, self.region)
            for r in raw_records
            if not is_noop_modify(r)
        ]
        return [r for r in records if passes_filters(self.source.filter_patterns, r)]

    def deliver(self, raw_records: Sequence[Mapping[str, Any]]) -> int:
        """Convert, filter, batch and invoke; returns the number of records delivered."""
        return self.deliver_events(self.lambda_records(raw_records))

    def deliver_events(self, records: list[dict[str, Any]]) -> int:
        """Batch and invoke Lambda-format records; each batch finished (succeeded, or given up
        on) stops being pending. Once the poller is stopping, what is left stays pending."""
        size = max(1, self.source.batch_size)
        for start in range(0, len(records), size):
            if self._stop.is_set():
                break
            batch = records[start : start + size]
            if self._invoke_with_retries(batch):
                with self._progress:
                    done = {id(record) for record in batch}
                    self._pending = [r for r in self._pending if id(r) not in done]
                    self.delivered += 1
        return len(records)

    def _invoke_with_retries(self, batch: list[dict[str, Any]]) -> bool:
        """Deliver one batch; False when the poller stopped before it was finished."""
        pending = batch
        for attempt in range(self.max_retries + 1):
            failed_from = self._failed_from(pending)
            if failed_from is None:
                return True
            pending = pending[failed_from:]
            if self._stop.is_set():
                return False
            LOG.warning(
                "%s: %d record(s) failed (attempt %d of %d)",
                self.name,
                len(pending),
                attempt + 1,
                self.max_retries + 1,
            )
        LOG.error("%s: dropping %d record(s) after retries", self.name, len(pending))
        if self.on_failure is not None and pending:
            try:
                self.on_failure(self.failure_record(pending, attempt + 1))
            except Exception:
                LOG.exception("%s: could not send to the on-failure destination", self.name)
        return True

    def failure_record(self, batch: list[dict[str, Any]], invocations: int) -> dict[str, Any]:
        """What Lambda sends to a stream mapping's on-failure destination: where the batch is,
        not its records."""
        sequence_numbers = [r["dynamodb"]["SequenceNumber"] for r in batch]
        return {
            "requestContext": {
                "condition": "RetryAttemptsExhausted",
                "approximateInvokeCount": invocations,
            },
            "version": "1.0",
            "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
            "DDBStreamBatchInfo": {
                "shardId": next(iter(self._known_shards), None),
                "startSequenceNumber": sequence_numbers[0],
                "endSequenceNumber": sequence_numbers[-1],
                "batchSize": len(batch),
                "streamArn": self.stream_arn,
            },
        }

    def _failed_from(self, batch: list[dict[str, Any]]) -> int | None:
        """Invoke once; None on success, else the index to retry from (Lambda's checkpoint)."""
        try:
            result = self.invoke({"Records": batch})
        except Exception:
            LOG.exception("%s: handler raised; the whole batch is retried", self.name)
            return 0
        if not self.source.report_batch_item_failures or not isinstance(result, Mapping):
            return None
        failures = result.get("batchItemFailures") or []
        if not failures:
            return None
        sequence_numbers = [r["dynamodb"]["SequenceNumber"] for r in batch]
        indexes = []
        for failure in failures:
            identifier = failure.get("itemIdentifier") if isinstance(failure, Mapping) else None
            if identifier not in sequence_numbers:
                return 0  # an unknown identifier fails the whole batch, as on Lambda
            indexes.append(sequence_numbers.index(identifier))
        return min(indexes)
