"""The webhook URL safety policy on its own (webhooks.md §1 POST webhooks, §4 Safety): which
addresses the sender may connect to, and which URLs are accepted when a webhook is created, under
the default policy and the deployment's relaxations (`WEBHOOKS_ALLOW_PRIVATE`,
`WEBHOOKS_ALLOW_HTTP`). Pure functions: no AWS, no sockets.
"""

from __future__ import annotations

import ipaddress

import pytest
import requests

from badgekit.domain import webhooks


@pytest.fixture(autouse=True)
def default_policy(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("WEBHOOKS_ALLOW_HTTP", "WEBHOOKS_ALLOW_PRIVATE"):
        monkeypatch.delenv(name, raising=False)


def fullwidth(text: str) -> str:
    """`text` in fullwidth forms (U+FF01-U+FF5E; the dot is U+FF0E), which IDNA maps back."""
    return "".join(chr(ord(c) + 0xFEE0) for c in text)


FULLWIDTH_LOOPBACK = fullwidth("127.0.0.1")
FULLWIDTH_LOCALHOST = fullwidth("localhost")


def allowed(address: str) -> bool:
    return webhooks.address_allowed(ipaddress.ip_address(address))


PUBLIC = [
    "8.8.8.8",
    "1.1.1.1",
    "93.184.216.34",
    "2606:4700::1111",
    "2606:4700:4700::1111",
    "2a00:1450:4001:82a::200e",
    "::ffff:8.8.8.8",  # IPv4-mapped public
    "64:ff9b::808:808",  # NAT64 (well-known prefix) of 8.8.8.8
    "64:ff9b::5db8:d822",  # NAT64 of 93.184.216.34
]

NOT_PUBLIC = [
    # IPv4: RFC 1918, loopback, link-local and metadata, shared, "this network", multicast,
    # reserved, broadcast
    "10.0.0.1",
    "10.255.255.255",
    "172.16.0.1",
    "172.31.255.254",
    "192.168.1.1",
    "127.0.0.1",
    "127.255.255.254",
    "169.254.0.1",
    "169.254.169.254",
    "100.64.0.1",
    "100.100.100.200",
    "100.127.255.254",
    "0.0.0.0",
    "0.1.2.3",
    "224.0.0.1",
    "239.255.255.250",
    "240.0.0.1",
    "255.255.255.255",
    # IPv6: unspecified, loopback, link-local, unique local (AWS metadata), multicast,
    # deprecated site-local
    "::",
    "::1",
    "fe80::1",
    "fc00::1",
    "fd00::1",
    "fd00:ec2::254",
    "ff02::1",
    "fec0::1",
    # IPv4-mapped ::ffff:0:0/96 of non-public IPv4
    "::ffff:10.0.0.1",
    "::ffff:127.0.0.1",
    "::ffff:169.254.169.254",
    "::ffff:100.64.0.1",
    "::ffff:0.0.0.0",
    # IPv4-compatible ::/96 (deprecated): refused whatever it embeds
    "::a00:1",
    "::7f00:1",
    "::a9fe:a9fe",
    "::808:808",
    # NAT64 well-known prefix 64:ff9b::/96 of non-public IPv4
    "64:ff9b::a00:1",
    "64:ff9b::7f00:1",
    "64:ff9b::a9fe:a9fe",
    "64:ff9b::c0a8:101",
    "64:ff9b::6440:1",
    "64:ff9b::",
    # local-use NAT64 64:ff9b:1::/48: refused whatever it embeds (operator-defined layout)
    "64:ff9b:1::a00:1",
    "64:ff9b:1::808:808",
    # 6to4 2002::/16 (IPv4 in bits 16-48): refused whatever it embeds
    "2002:a00:1::",
    "2002:7f00:1::1",
    "2002:a9fe:a9fe::",
    "2002:808:808::1",
    # Teredo 2001::/32: refused outright
    "2001::1",
    "2001:0:4136:e378:8000:63bf:3fff:fdd2",
]


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_are_allowed_under_every_policy(address, monkeypatch):
    assert allowed(address) is True
    monkeypatch.setenv("WEBHOOKS_ALLOW_PRIVATE", "loopback")
    assert allowed(address) is True
    monkeypatch.setenv("WEBHOOKS_ALLOW_PRIVATE", "true")
    assert allowed(address) is True


LOOPBACK = {"127.0.0.1", "127.255.255.254", "::1", "::ffff:127.0.0.1"}


@pytest.mark.parametrize("address", NOT_PUBLIC)
def test_non_public_addresses_are_refused_unless_allowed(address, monkeypatch):
    assert allowed(address) is False
    # `loopback`: the loopback addresses and their IPv4-mapped form only; never 0.0.0.0, ::,
    # nor a NAT64 / 6to4 / IPv4-compatible form of 127.0.0.1 (those route elsewhere)
    monkeypatch.setenv("WEBHOOKS_ALLOW_PRIVATE", "loopback")
    assert allowed(address) is (address in LOOPBACK)
    monkeypatch.setenv("WEBHOOKS_ALLOW_PRIVATE", "true")
    assert allowed(address) is True


# --- url_allowed: the check when a webhook is created ----------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.example.org/x",
        "https://8.8.8.8/x",
        "https://hooks.example.org:8443/x?y=1",
        "HTTPS://Hooks.Example.org/x",
        "https://hooks.example.org/path@with-at",  # `@` in the path is no userinfo
    ],
)
def test_public_urls_are_accepted(url):
    assert webhooks.url_allowed(url) is True


@pytest.mark.parametrize(
    "url",
    [
        "https://user:pass@hooks.example.org/x",
        "https://user@hooks.example.org/x",
        "https://user:@hooks.example.org/x",
        "https://:@hooks.example.org/x",
        "https://@hooks.example.org/x",
        "https://:pass@hooks.example.org/x",
        "https://hooks.example.org\\@evil.example.net/x",
    ],
)
def test_urls_with_credentials_are_refused_under_every_policy(url, monkeypatch):
    assert webhooks.url_allowed(url) is False
    monkeypatch.setenv("WEBHOOKS_ALLOW_HTTP", "true")
    monkeypatch.setenv("WEBHOOKS_ALLOW_PRIVATE", "true")
    assert webhooks.url_allowed(url) is False
    assert webhooks.url_allowed(url.replace("https://", "http://")) is False


@pytest.mark.parametrize(
    "url",
    [
        "https://10.0.0.1/x",
        "https://100.64.0.1/x",
        "https://0.0.0.0/x",
        "https://0.1.2.3/x",
        "https://127.0.0.1/x",
        "https://169.254.169.254/latest/meta-data",
        "https://localhost/x",
        "https://hooks.localhost/x",
        f"https://hooks.{FULLWIDTH_LOCALHOST}/x",  # hooks.localhost once IDNA-normalised
    ],
)
def test_non_public_literals_are_refused(url):
    assert webhooks.url_allowed(url) is False


@pytest.mark.parametrize(
    "url",
    [
        # Bracketed IPv6 hosts are outside the URL rule (README §3.2): refused whatever the
        # address, so no embedded form can be stored as a literal
        "https://[64:ff9b::a00:1]/x",
        "https://[64:ff9b:1::a00:1]/x",
        "https://[::a00:1]/x",
        "https://[::ffff:169.254.169.254]/x",
        "https://[2002:a00:1::]/x",
        "https://[fc00::1]/x",
        "https://[2606:4700::1111]/x",
        # The resolver's other IPv4 spellings (inet_aton) are outside the URL rule too
        "http://2130706433/",
        "http://0x7f.1/",
        "http://127.1/",
        "http://0177.0.0.1/",
        "http://0x7f000001/",
        # Fullwidth digits and dots (IDNA turns them into 127.0.0.1)
        f"http://{FULLWIDTH_LOOPBACK}/",
        "http://127.0.0.\uff11/",
    ],
)
def test_other_address_spellings_are_refused_even_when_private_is_allowed(url, monkeypatch):
    monkeypatch.setenv("WEBHOOKS_ALLOW_HTTP", "true")
    monkeypatch.setenv("WEBHOOKS_ALLOW_PRIVATE", "true")
    assert webhooks.url_allowed(url) is False


def test_literal_address_reads_what_the_resolver_reads():
    loopback = ipaddress.IPv4Address("127.0.0.1")
    for host in ("127.0.0.1", "127.1", "0x7f.1", "2130706433", "0177.0.0.1", "0x7f000001"):
        assert webhooks.literal_address(host) == loopback, host
    assert webhooks.literal_address("64:ff9b::a00:1") == ipaddress.ip_address("64:ff9b::a00:1")
    for name in ("hooks.example.org", "deadbeef.example", "abc", "1.2.3.4.5"):
        assert webhooks.literal_address(name) is None, name
    assert webhooks.host_names(FULLWIDTH_LOOPBACK) == [FULLWIDTH_LOOPBACK, "127.0.0.1"]
    assert webhooks.host_names(FULLWIDTH_LOCALHOST) == [FULLWIDTH_LOCALHOST, "localhost"]
    assert webhooks.host_names("hooks.example.org") == ["hooks.example.org"]


def test_deployment_relaxations(monkeypatch):
    assert webhooks.url_allowed("http://hooks.example.org/x") is False
    assert webhooks.url_allowed("https://127.0.0.1:8443/x") is False
    monkeypatch.setenv("WEBHOOKS_ALLOW_HTTP", "true")
    assert webhooks.url_allowed("http://hooks.example.org/x") is True
    assert webhooks.url_allowed("http://127.0.0.1:9000/x") is False
    monkeypatch.setenv("WEBHOOKS_ALLOW_PRIVATE", "loopback")
    assert webhooks.url_allowed("http://127.0.0.1:9000/x") is True
    assert webhooks.url_allowed("http://localhost:9000/x") is True
    assert webhooks.url_allowed("http://10.0.0.1/x") is False
    assert webhooks.url_allowed("http://0.0.0.0:9000/x") is False  # not loopback
    assert webhooks.url_allowed("http://user:pw@127.0.0.1:9000/x") is False
    monkeypatch.setenv("WEBHOOKS_ALLOW_PRIVATE", "true")
    assert webhooks.url_allowed("http://10.0.0.1/x") is True
    assert webhooks.url_allowed("http://100.64.0.1/x") is True


# --- the requests version the sender relies on -----------------------------------------------


def test_requests_calls_the_address_pinning_hook():
    """`delivery.PinnedAdapter` pins the connection by overriding this method, which
    `HTTPAdapter.send` calls from requests 2.32.2 on (layers/common/requirements.txt); with an
    older requests the override would be silently skipped."""
    assert hasattr(requests.adapters.HTTPAdapter, "get_connection_with_tls_context")
    from badgekit.domain import delivery

    assert "get_connection_with_tls_context" in vars(delivery.PinnedAdapter)
