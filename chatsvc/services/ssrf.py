"""Server-side request forgery guard for outbound webhooks (SECURITY case 17).

An admin's URL must not make this server talk to itself, the internal network or a cloud metadata service
(Live Helper Chat CVE-2022-1213; Chatwoot CVE-2021-3742). The rule: resolve the host with the system resolver,
refuse if ANY address it gives is not a public unicast address, and then connect to one of exactly those
addresses (the caller puts the IP literal in the request and keeps the Host header / SNI), so a DNS answer
that changes between check and connection (rebinding) cannot slip a private address in.

The system resolver is also what turns ``2130706433``, ``0177.0.0.1``, ``0x7f.1`` and ``127.1`` into
127.0.0.1, so those forms are judged by what they really are, not by how they are spelt.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket

from chatsvc.errors import BadRequest

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

RESOLVE_TIMEOUT = 5.0  # seconds; a resolver that hangs must not hold an admin request or a worker slot
MAX_ADDRESSES = 16

# Ranges Python's ``is_global`` does not flag (or flags inconsistently across versions) that must not be
# reachable either: shared address space (CGNAT), IETF protocol assignments, benchmarking, "this network",
# multicast and the old class E.
_EXTRA_BLOCKED = tuple(
    ipaddress.ip_network(net)
    for net in (
        "0.0.0.0/8", "100.64.0.0/10", "192.0.0.0/24", "198.18.0.0/15", "224.0.0.0/4", "240.0.0.0/4",
        "ff00::/8", "100::/64", "2001:db8::/32", "64:ff9b:1::/48",
    )
)
# IPv6 forms that carry an IPv4 address inside: the IPv4 address is what a gateway would really reach.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class BlockedAddress(BadRequest):
    code = "blocked_address"
    default_message = (
        "The webhook URL points at a private, loopback, link-local or otherwise non-public address. "
        "Set allow_private to true to allow an internal receiver on purpose."
    )


class UnresolvableHost(BadRequest):
    code = "unresolvable_host"
    default_message = "The webhook URL's host name does not resolve to any address."


def embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address inside an IPv4-mapped, 6to4 or NAT64 IPv6 address."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_public(address: Address) -> bool:
    """True only for globally routable unicast addresses (and, for IPv6, whatever IPv4 they embed)."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.scope_id or address.teredo is not None:
            return False  # an interface of this machine; Teredo (obsolete) tunnels to anywhere
        inner = embedded_ipv4(address)
        if inner is not None:
            return is_public(inner)
    if (
        not address.is_global
        or address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    ):
        return False
    return not any(address.version == net.version and address in net for net in _EXTRA_BLOCKED)


async def resolve(host: str, port: int) -> list[Address]:
    """Every address the system resolver gives for ``host`` (TCP), in its order, without duplicates."""
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout(RESOLVE_TIMEOUT):
            infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError, TimeoutError) as exc:
        raise UnresolvableHost(f"The host {host[:100]!r} does not resolve to any address.") from exc
    addresses: list[Address] = []
    for family, _type, _proto, _name, sockaddr in infos:
        if family not in (socket.AF_INET, socket.AF_INET6):
            continue
        text = str(sockaddr[0])
        try:
            address = ipaddress.ip_address(text)
        except ValueError:
            # A scoped IPv6 answer ("fe80::1%eth0") and the like: never a public address.
            raise BlockedAddress() from None
        if isinstance(address, ipaddress.IPv6Address) and len(sockaddr) >= 4 and sockaddr[3]:
            raise BlockedAddress()  # an interface scope: a link-local address of this machine's network
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise UnresolvableHost(f"The host {host[:100]!r} does not resolve to any address.")
    return addresses[:MAX_ADDRESSES]


async def resolve_public(host: str, port: int, allow_private: bool) -> list[Address]:
    """The addresses to connect to for ``host``; raises ``BlockedAddress`` if any of them is not public
    (unless ``allow_private``), ``UnresolvableHost`` if there are none. Any, not all: a name that resolves to
    one public and one private address could otherwise be steered to the private one."""
    addresses = await resolve(host, port)
    if not allow_private and not all(is_public(address) for address in addresses):
        raise BlockedAddress()
    return addresses
