"""The table's stream as a stream function's event source mapping sees it, for moto-backed
unit tests: records not read yet, converted to Lambda's format and filtered by the template's
FilterCriteria, then handed to the function."""

from __future__ import annotations

from typing import Any

import boto3

from local.events import stream_record_event
from local.streams import is_noop_modify, passes_filters
from tests.unit.conftest import TABLE_NAME, Api

REGION = "us-east-1"


class TableStream:
    def __init__(self, api: Api, function: str) -> None:
        self.client = boto3.client("dynamodbstreams", region_name=REGION)
        table = boto3.client("dynamodb", region_name=REGION).describe_table(TableName=TABLE_NAME)
        self.arn = table["Table"]["LatestStreamArn"]
        self.function = api.gateway.functions[function]
        (self.source,) = self.function.spec.stream_events
        self.seen: set[str] = set()

    def unread(self) -> list[dict[str, Any]]:
        """Every record written since the last call, in Lambda's format, unfiltered."""
        records: list[dict[str, Any]] = []
        for shard in self.client.describe_stream(StreamArn=self.arn)["StreamDescription"]["Shards"]:
            iterator = self.client.get_shard_iterator(
                StreamArn=self.arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
            )["ShardIterator"]
            while iterator:
                response = self.client.get_records(ShardIterator=iterator, Limit=1000)
                batch = response.get("Records") or []
                for raw in batch:
                    number = raw["dynamodb"]["SequenceNumber"]
                    if number not in self.seen and not is_noop_modify(raw):
                        records.append(stream_record_event(raw, self.arn, REGION))
                    self.seen.add(number)
                iterator = response.get("NextShardIterator") if batch else None
        return records

    def delivered(self) -> list[dict[str, Any]]:
        """The unread records the template's filter lets through to the function."""
        return [r for r in self.unread() if passes_filters(self.source.filter_patterns, r)]

    def invoke(self, records: list[dict[str, Any]]) -> Any:
        return self.function.invoke({"Records": records})

    def process(self) -> list[dict[str, Any]]:
        """Deliver what is pending (repeatedly, as the mapping would for the function's own
        writes); returns the records delivered."""
        delivered: list[dict[str, Any]] = []
        while records := self.delivered():
            assert self.function.invoke({"Records": records}) == {"batchItemFailures": []}
            delivered.extend(records)
        return delivered
