"""PurgerFunction: the purge of deleted containers (systems.md, issuers.md, programs.md DELETE),
from the table's stream.

A container delete answers after a bounded amount of work and writes a purge job item; the
event source mapping's filter hands this function only the INSERT and MODIFY records of such
jobs. Each record runs one bounded step of its job (domain/cascade.py `purge_step`), which ends
by moving the job's cursor on (a MODIFY record: the next step) or, at the end, deleting the job.

Each record is processed on its own (Powertools' BatchProcessor): a failing record is reported in
`batchItemFailures` and retried by the mapping. Steps are idempotent and read the job as it is
now, so a re-delivered record repeats nothing harmful.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from badgekit import logs, tracing
from badgekit.domain import cascade
from badgekit.logs import logger

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse

processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


def is_purge_job(record: DynamoDBRecord, image: dict[str, Any]) -> bool:
    """The mapping's filter, checked again: a purge job written or moved on."""
    return (
        record.raw_event.get("eventName") in ("INSERT", "MODIFY") and image.get("entity") == "purge"
    )


def record_handler(record: DynamoDBRecord) -> None:
    image = record.dynamodb.new_image if record.dynamodb is not None else {}
    if not is_purge_job(record, image):
        return
    key = {"PK": str(image["PK"]), "SK": str(image["SK"])}
    moved_on = cascade.purge_step(key)
    logger.info("purge step", extra={"job": key["PK"], "movedOn": moved_on})


@logs.invocation
@tracing.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: Any) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
