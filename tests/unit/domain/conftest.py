"""The pure tier: the rules of every resource tested on their own, without moto, AWS or the
network, so `make unit-pure` runs in seconds.

Every test here is guarded: asking for the moto tier's fixtures (`aws`, `api`) fails the test
before moto starts, and so does making a boto3 client or resource, or opening a network
connection, while the test runs. A rule that cannot be tested without them belongs to the moto
tier (`tests/unit/`) or the HTTP tier (`tests/integration/`).
"""

from __future__ import annotations

import socket
from typing import Any, NoReturn

import boto3
import boto3.session
import botocore.session
import pytest

MOTO_FIXTURES = ("aws", "api")


class ImpureTest(AssertionError):
    """A test of the pure tier reached for AWS or the network."""


def _refuse(what: str) -> Any:
    def refuse(*_: Any, **__: Any) -> NoReturn:
        raise ImpureTest(f"{what} in the pure tier (tests/unit/domain): no AWS, no network")

    return refuse


@pytest.fixture(autouse=True)
def pure(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Fails a test that uses moto's fixtures, and makes any boto3 client or resource and any
    outgoing connection raise `ImpureTest` while it runs."""
    used = [name for name in MOTO_FIXTURES if name in request.fixturenames]
    if used:
        pytest.fail(f"the pure tier does not start moto: {request.node.nodeid} uses {used}")
    for target in (boto3, boto3.session.Session):
        monkeypatch.setattr(target, "client", _refuse("a boto3 client"))
        monkeypatch.setattr(target, "resource", _refuse("a boto3 resource"))
    monkeypatch.setattr(botocore.session.Session, "create_client", _refuse("a botocore client"))
    monkeypatch.setattr(socket.socket, "connect", _refuse("a network connection"))
    monkeypatch.setattr(socket.socket, "connect_ex", _refuse("a network connection"))
    monkeypatch.setattr(socket, "create_connection", _refuse("a network connection"))
    monkeypatch.setattr(socket, "getaddrinfo", _refuse("a DNS lookup"))
