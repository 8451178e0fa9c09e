"""Which URLs a webhook may call: http(s) to public addresses only.

The host is resolved and every address it resolves to is checked, at registration and
again before each delivery (a name can start pointing inside later). Private, loopback,
link-local and other non-global addresses are refused unless explicitly allowed
(``ROUTECAST_WEBHOOK_ALLOW_PRIVATE=1``, for tests and closed networks).
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit, urlunsplit


class TargetRefusedError(ValueError):
    """The URL is malformed, unresolvable or points at a non-public address."""


def _non_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone id
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


def check_url(url: str, *, allow_private: bool) -> list[str]:
    """The addresses ``url``'s host resolves to, all checked; raises ``TargetRefusedError``
    unless ``url`` is an http(s) URL whose host resolves only to public addresses (any
    resolvable host when ``allow_private``)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise TargetRefusedError("the URL must start with http:// or https://")
    if not parts.hostname:
        raise TargetRefusedError("the URL has no host")
    if parts.username or parts.password:
        raise TargetRefusedError("the URL must not carry credentials")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        infos = socket.getaddrinfo(parts.hostname, port, proto=socket.IPPROTO_TCP)
    except (OSError, ValueError) as exc:
        raise TargetRefusedError(f"the host {parts.hostname!r} cannot be resolved") from exc
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    refused = sorted(a for a in addresses if _non_public(a))
    if refused and not allow_private:
        raise TargetRefusedError(
            f"the host {parts.hostname!r} resolves to a private or loopback address "
            f"({', '.join(refused)}); set ROUTECAST_WEBHOOK_ALLOW_PRIVATE=1 to allow it")
    return addresses


def pinned(url: str, address: str) -> tuple[str, str, str]:
    """``(url with the host replaced by the checked address, Host header, TLS server
    name)``: the request connects where the check looked, so a name that re-resolves
    elsewhere between check and connect (DNS rebinding) cannot redirect it."""
    parts = urlsplit(url)
    host = f"[{address}]" if ":" in address else address
    netloc = host if parts.port is None else f"{host}:{parts.port}"
    hostname = parts.hostname or ""
    header = hostname if parts.port is None else f"{hostname}:{parts.port}"
    return urlunsplit(parts._replace(netloc=netloc)), header, hostname
