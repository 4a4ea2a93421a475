"""WebhookSenderFunction: delivers outbox events to the systems' webhooks (webhooks.md §4).

Two triggers, one function:
- the table's stream (only INSERTs of `entity = "event"` pass the mapping's filter): each new
  event gets one delivery record per enabled webhook of its system, and a first attempt;
- the retry queue (an SQS delay queue): each message is one scheduled attempt (a retry, or a
  redelivery requested over the API).

Both report partial batch failures through Powertools' AsyncBatchProcessor; the records of a
batch are independent deliveries, so they are processed concurrently (each record's blocking
work runs on a thread of a pool as large as a batch): a receiver that is slow to answer never
delays the other records of its batch. A record fails only when its work could not be recorded
or scheduled (DynamoDB or SQS errors); a failing receiver is not a failure here, its delivery is
simply scheduled for a retry.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.batch import (
    AsyncBatchProcessor,
    EventType,
    async_process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from badgekit import logs, metrics, tracing
from badgekit.domain import delivery

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse

# The records of one batch at most (the mappings' BatchSize is 10): one thread each.
_pool = ThreadPoolExecutor(max_workers=10, thread_name_prefix="webhook-record")


async def _on_thread(work: Callable[[], None]) -> None:
    """Run one record's blocking work (DynamoDB, SQS, HTTP) on the pool, so that the records
    awaited together by the processor overlap; in a copy of the invocation's context (its log
    keys and metrics), where the record sets its own correlation id."""
    context = contextvars.copy_context()
    await asyncio.get_running_loop().run_in_executor(_pool, context.run, work)


def _is_queue_batch(event: dict[str, Any]) -> bool:
    records = event.get("Records") or []
    return bool(records) and records[0].get("eventSource") == "aws:sqs"


@logs.invocation
@metrics.invocation
@tracing.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: Any) -> PartialItemFailureResponse:
    handler: Callable[[Any], Coroutine[Any, Any, None]]
    if _is_queue_batch(event):
        event_type = EventType.SQS

        async def handler(record: SQSRecord) -> None:
            await _on_thread(lambda: delivery.handle_queue_message(record.body))

    else:
        event_type = EventType.DynamoDBStreams
        batch = delivery.StreamBatch.prepare(event.get("Records") or [])

        async def handler(record: DynamoDBRecord) -> None:
            await _on_thread(lambda: batch.deliver(record.raw_event))

    return async_process_partial_response(
        event=event,
        record_handler=handler,
        processor=AsyncBatchProcessor(event_type=event_type),
        context=context,
    )
