"""Counting the DynamoDB calls of a block of test code (botocore hooks, on every thread)."""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3


class Meter:
    """DynamoDB operations made by the functions, via botocore hooks on boto3's default session
    (the data layer's client is made from it after `db.reset_clients`)."""

    def __init__(self) -> None:
        self.operations: list[str] = []
        self._lock = threading.Lock()

    def record(self, model: Any, **_: Any) -> None:
        with self._lock:
            self.operations.append(model.name)

    def during(self, action: Any) -> list[str]:
        self.operations = []
        action()
        return sorted(self.operations)


@contextmanager
def metered() -> Iterator[Meter]:
    """A Meter on a fresh default session while the block runs (the `calls` fixtures)."""
    from badgekit.store import db

    meter = Meter()
    previous = boto3.DEFAULT_SESSION
    session = boto3.Session()
    session.events.register("before-call.dynamodb", meter.record)
    boto3.DEFAULT_SESSION = session
    db.reset_clients()
    try:
        yield meter
    finally:
        boto3.DEFAULT_SESSION = previous
        db.reset_clients()


class Trips:
    """DynamoDB calls of a block as the benchmark counts them: a call on the request thread
    is one round trip, a run of calls on the fan-out pool's threads ceil(n / 8)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, bool]] = []
        self._lock = threading.Lock()

    def record(self, model: Any, **_: Any) -> None:
        pooled = threading.current_thread().name.startswith("dynamodb")
        with self._lock:
            self.calls.append((model.name, pooled))

    def during(self, action: Any) -> tuple[list[str], int]:
        self.calls = []
        action()
        trips, run = 0, 0
        for _, pooled in self.calls:
            if pooled:
                run += 1
                continue
            trips += math.ceil(run / 8) + 1
            run = 0
        trips += math.ceil(run / 8)
        return sorted(name for name, _ in self.calls), trips


@contextmanager
def counting_trips() -> Iterator[Trips]:
    """Trips counted while the block runs (inside `metered`)."""
    counter = Trips()
    with metered():
        boto3.DEFAULT_SESSION.events.register("before-call.dynamodb", counter.record)
        yield counter
