"""The client's address for per-address limits (failed authentications), proxy-aware.

``X-Forwarded-For`` is written by whoever sends the request, so it is believed only from
the proxies the operator trusts (``ROUTECAST_TRUSTED_PROXIES``): the header is read from
the right (the hop our trusted proxy appended) leftwards, skipping trusted proxies, and
the first other address is the client. Entries to the left of it are the client's own
claims and are ignored, so a client cannot pick the address it is limited under.
"""

from __future__ import annotations

from collections.abc import Sequence
from ipaddress import IPv4Network, IPv6Network, ip_address, ip_network

from fastapi import Request

Network = IPv4Network | IPv6Network


def parse_networks(entries: Sequence[str]) -> list[Network]:
    """IP addresses or CIDR blocks; ValueError names the entry that is neither."""
    networks = []
    for entry in entries:
        try:
            networks.append(ip_network(entry.strip(), strict=False))
        except ValueError:
            raise ValueError(f"trusted proxy {entry!r} is not an IP address or CIDR "
                             "block (e.g. 10.0.0.7 or 10.0.0.0/8)") from None
    return networks


def _trusted(address: str, proxies: Sequence[Network]) -> bool:
    try:
        ip = ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in proxies)


def client_address(request: Request, proxies: Sequence[Network]) -> str:
    """The peer's address, or, when the peer is a trusted proxy, the nearest untrusted
    hop of ``X-Forwarded-For`` (see the module docstring)."""
    peer = request.client.host if request.client else "unknown"
    if not proxies or not _trusted(peer, proxies):
        return peer
    hops = [h.strip() for v in request.headers.getlist("x-forwarded-for")
            for h in v.split(",")]
    nearest = peer
    for hop in reversed(hops):
        try:
            address = str(ip_address(hop))
        except ValueError:  # garbage from a trusted proxy: the hop that sent it
            return nearest
        if not _trusted(address, proxies):
            return address
        nearest = address
    return nearest
