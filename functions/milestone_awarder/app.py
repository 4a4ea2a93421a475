"""MilestoneAwardFunction: milestone auto-award (milestones.md §Auto-award), from the table's
stream.

An award made by an API request (single, claim-code or bulk) writes an `award` outbox event in
the same transaction as the instance (webhooks.md §4). The event source mapping's filter hands
this function only INSERTs of such events with origin "request", so it runs after the award has
committed and never delays or fails the API response. Awards made here record events with
origin "milestone", which the filter leaves out: no chained awards.

Each record is processed on its own (Powertools' BatchProcessor): a failing record is reported in
`batchItemFailures` and retried by the mapping, from that record on. Processing is idempotent
(an award is conditional on the (badge, email) instance being absent, and a primary already
held is not eligible), so records re-delivered after a partial failure award nothing twice.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from badgekit import logs, metrics, tracing
from badgekit.domain import milestones
from badgekit.logs import logger

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse

processor = BatchProcessor(event_type=EventType.DynamoDBStreams)

# Reads shared by the records of the batch being processed (milestone definitions, primary
# badges); replaced at the start of every invocation.
_memo = milestones.AwardMemo()


def is_request_award(record: DynamoDBRecord, image: dict[str, Any]) -> bool:
    """The mapping's filter, checked again: a new `award` event recorded by an API request."""
    return (
        record.raw_event.get("eventName") == "INSERT"
        and image.get("entity") == "event"
        and image.get("action") == "award"
        and image.get("origin") == "request"
    )


def record_handler(record: DynamoDBRecord) -> None:
    image = record.dynamodb.new_image if record.dynamodb is not None else {}
    if not is_request_award(record, image):
        return
    # The event's correlation id (the request that awarded), else its own id.
    event_id = image.get("eventId")
    logs.set_keys(correlation_id=image.get("correlationId") or event_id, eventId=event_id)
    created = milestones.auto_award(
        int(image["badgeId"]),
        str(image["email"]),
        int(image["systemId"]),
        str(image["baseUrl"]),
        _memo,
    )
    logger.info(
        "milestone auto-award",
        extra={
            "badgeId": int(image["badgeId"]),
            "awarded": [instance["badgeId"] for instance in created],
        },
    )


@logs.invocation
@metrics.invocation
@tracing.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: Any) -> PartialItemFailureResponse:
    global _memo
    _memo = milestones.AwardMemo()
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
