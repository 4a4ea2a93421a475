"""The pure tier's guard (conftest.py) refuses AWS and the network while a test runs."""

from __future__ import annotations

import socket

import boto3
import botocore.session
import pytest


@pytest.mark.parametrize(
    ("make", "what"),
    [
        (lambda: boto3.client("dynamodb"), "a boto3 client"),
        (lambda: boto3.resource("dynamodb"), "a boto3 resource"),
        (lambda: boto3.session.Session().client("s3"), "a boto3 client"),
        (lambda: boto3.session.Session().resource("s3"), "a boto3 resource"),
        (lambda: botocore.session.get_session().create_client("sqs"), "a botocore client"),
        (lambda: socket.create_connection(("example.org", 443)), "a network connection"),
        (lambda: socket.getaddrinfo("example.org", 443), "a DNS lookup"),
    ],
)
def test_aws_and_the_network_are_refused(make, what):
    with pytest.raises(AssertionError) as raised:
        make()
    assert type(raised.value).__name__ == "ImpureTest"
    assert str(raised.value) == f"{what} in the pure tier (tests/unit/domain): no AWS, no network"


def test_a_raw_socket_cannot_connect():
    with socket.socket() as sock, pytest.raises(AssertionError, match=r"^a network connection "):
        sock.connect(("127.0.0.1", 9))
