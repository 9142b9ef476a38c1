"""SSRF guard (SECURITY case 17): every spelling of a private address is judged by what it resolves to.

The resolver is the real one (getaddrinfo); no connection is made by these tests."""

from __future__ import annotations

import ipaddress

import pytest

from chatsvc.services.ssrf import BlockedAddress, UnresolvableHost, is_public, resolve_public

REFUSED = [
    "127.0.0.1",
    "169.254.169.254",  # cloud metadata
    "::1",  # [::1] in a URL
    "2130706433",  # decimal 127.0.0.1
    "0177.0.0.1",  # octal
    "0x7f.1",  # hex, short form
    "0x7f000001",
    "127.1",  # short form
    "10.1.2.3",
    "172.16.0.1",
    "192.168.1.10",
    "::ffff:127.0.0.1",  # IPv4-mapped IPv6
    "::ffff:169.254.169.254",
    "100.64.0.1",  # carrier-grade NAT
    "0.0.0.0",  # reaches this machine on Linux
    "224.0.0.1",  # multicast
    "255.255.255.255",
    "fe80::1",
    "fc00::1",
    "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
    "2002:7f00:1::",  # 6to4 of 127.0.0.1
    "localhost",
]


@pytest.mark.parametrize("host", REFUSED)
async def test_private_targets_are_refused(host: str) -> None:
    with pytest.raises(BlockedAddress) as refused:
        await resolve_public(host, 80, allow_private=False)
    assert refused.value.code == "blocked_address" and refused.value.status == 400
    assert "allow_private" in refused.value.message


@pytest.mark.parametrize("host", ["127.0.0.1", "2130706433", "localhost", "169.254.169.254"])
async def test_allow_private_lets_them_through(host: str) -> None:
    addresses = await resolve_public(host, 80, allow_private=True)
    assert addresses and not any(is_public(a) for a in addresses)


async def test_allow_private_returns_what_was_checked() -> None:
    assert await resolve_public("127.0.0.1", 8080, allow_private=True) == [ipaddress.ip_address("127.0.0.1")]


@pytest.mark.parametrize("host", ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111", "64:ff9b::5db8:d822"])
async def test_public_literals_pass_without_connecting(host: str) -> None:
    addresses = await resolve_public(host, 443, allow_private=False)
    assert addresses == [ipaddress.ip_address(host)]


async def test_an_unresolvable_name_is_its_own_error() -> None:
    with pytest.raises(UnresolvableHost) as refused:
        await resolve_public("no-such-host.invalid", 443, allow_private=False)
    assert refused.value.code == "unresolvable_host"


@pytest.mark.parametrize(
    ("address", "public"),
    [("93.184.216.34", True), ("1.1.1.1", True), ("198.18.0.1", False), ("192.0.0.8", False),
     ("2001:db8::1", False), ("::", False), ("240.0.0.1", False),
     ("2001:0:4136:e378:8000:63bf:3fff:fdd2", False)],  # Teredo
)
def test_is_public(address: str, public: bool) -> None:
    assert is_public(ipaddress.ip_address(address)) is public
