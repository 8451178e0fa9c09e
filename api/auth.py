"""API keys: stored hashed, compared in constant time, one principal per key.

A key arrives as ``Authorization: Bearer <key>`` or ``X-API-Key: <key>``. The principal
is derived from the key's hash, so each key sees only its own jobs and models. With no
key configured, authentication is off (principal ``local``) and ``routecast serve``
binds to localhost only.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from fastapi import Request

from api.http_errors import ApiProblem

ANONYMOUS = "local"


@dataclass(frozen=True)
class Principal:
    """Who is calling: ``id`` owns jobs; never the key itself."""

    id: str


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class KeyRing:
    """The configured keys, kept only as SHA-256 hashes."""

    def __init__(self, keys: list[str]) -> None:
        self._hashes = [
            k.removeprefix("sha256:").lower() if k.startswith("sha256:") else hash_key(k)
            for k in keys
        ]

    @property
    def enabled(self) -> bool:
        return bool(self._hashes)

    def principal(self, presented: str | None) -> Principal | None:
        """The principal of ``presented``, or None; every stored hash is compared."""
        if not self.enabled:
            return Principal(ANONYMOUS)
        if not presented:
            return None
        digest = hash_key(presented)
        match = None
        for stored in self._hashes:  # no early exit: timing does not depend on position
            if hmac.compare_digest(digest, stored):
                match = stored
        return Principal("key-" + match[:16]) if match is not None else None


def presented_key(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip() or None
    return request.headers.get("x-api-key") or None


def authenticate(request: Request, ring: KeyRing) -> Principal:
    """The caller's principal, or a 401 problem."""
    principal = ring.principal(presented_key(request))
    if principal is None:
        raise ApiProblem(
            401, "unauthorized", "Unauthorized",
            "a valid API key is required (Authorization: Bearer <key> or X-API-Key)",
            headers={"WWW-Authenticate": 'Bearer realm="routecast"'},
        )
    return principal
