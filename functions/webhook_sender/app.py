"""WebhookSenderFunction: delivers outbox events to the systems' webhooks (webhooks.md §4).

Two triggers, one function:
- the table's stream (only INSERTs of `entity = "event"` pass the mapping's filter): each new
  event gets one delivery record per enabled webhook of its system, and a first attempt;
- the retry queue (an SQS delay queue): each message is one scheduled attempt (a retry, or a
  redelivery requested over the API).

Both report partial batch failures through Powertools' BatchProcessor; the records of a batch
are independent deliveries, so they are processed concurrently (`ConcurrentBatchProcessor`): a
receiver that is slow to answer never delays the other records of its batch. A record fails only
when its work could not be recorded or scheduled (DynamoDB or SQS errors); a failing receiver is
not a failure here, its delivery is simply scheduled for a retry.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from badgekit import delivery

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse

logger = Logger()
tracer = Tracer()

# The records of one batch at most (the mappings' BatchSize is 10): one thread each.
_pool = ThreadPoolExecutor(max_workers=10, thread_name_prefix="webhook-record")


class ConcurrentBatchProcessor(BatchProcessor):
    """BatchProcessor whose records are handled concurrently (they are independent; failures
    are still reported per record)."""

    def process(self) -> list[tuple[Any, ...]]:
        return list(_pool.map(self._process_record, self.records))


def _is_queue_batch(event: dict[str, Any]) -> bool:
    records = event.get("Records") or []
    return bool(records) and records[0].get("eventSource") == "aws:sqs"


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: Any) -> PartialItemFailureResponse:
    handler: Callable[[Any], None]
    if _is_queue_batch(event):
        event_type = EventType.SQS

        def handler(record: SQSRecord) -> None:
            delivery.handle_queue_message(record.body)

    else:
        event_type = EventType.DynamoDBStreams
        batch = delivery.StreamBatch.prepare(event.get("Records") or [])

        def handler(record: DynamoDBRecord) -> None:
            batch.deliver(record.raw_event)

    return process_partial_response(
        event=event,
        record_handler=handler,
        processor=ConcurrentBatchProcessor(event_type=event_type),
        context=context,
    )
