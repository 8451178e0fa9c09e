"""Failed-authentication limits per client address behind proxies (issue 14): the
``X-Forwarded-For`` header counts only when the peer is a trusted proxy
(``ROUTECAST_TRUSTED_PROXIES``); anyone else's header is ignored, so a client cannot
dodge the limit by making up addresses."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from api.app import create_app
from api.settings import Settings
from tests.api.conftest import KEY_A, make_settings
from tests.api.test_e2e import Server

LIMITS = {"auth_failures_per_minute": 1, "auth_failure_burst": 2}


@pytest.fixture
def peer(tmp_path: Path) -> Iterator[Any]:
    """A started TestClient for settings overrides, connecting from a given address."""
    opened: list[TestClient] = []

    def build(address: str, **overrides: Any) -> TestClient:
        app = create_app(make_settings(tmp_path, **LIMITS, **overrides))
        c = TestClient(app, raise_server_exceptions=False, client=(address, 40000))
        c.__enter__()
        opened.append(c)
        return c

    yield build
    for c in opened:
        c.__exit__(None, None, None)


def _guess(c: TestClient, forwarded: str | None) -> int:
    headers = {"X-API-Key": "wrong"}
    if forwarded is not None:
        headers["X-Forwarded-For"] = forwarded
    return c.get("/v1/jobs", headers=headers).status_code


def test_forwarded_for_is_ignored_without_trusted_proxies(peer: Any) -> None:
    """No trusted proxy: made-up X-Forwarded-For addresses all count against the peer."""
    c = peer("198.51.100.9")
    codes = [_guess(c, f"203.0.113.{k}") for k in range(4)]
    assert codes == [401, 401, 429, 429]


def test_an_untrusted_peer_cannot_spoof_its_address(peer: Any) -> None:
    """With a trusted proxy configured, a peer outside it is still limited as itself."""
    c = peer("198.51.100.9", trusted_proxies=["10.0.0.0/8"])
    assert [_guess(c, f"203.0.113.{k}") for k in range(3)] == [401, 401, 429]


def test_a_trusted_proxy_names_the_client(peer: Any) -> None:
    """Behind the trusted proxy, each client has its own budget, and what a client puts
    to the left of its own address (a made-up first hop) does not move it."""
    c = peer("10.0.0.5", trusted_proxies=["10.0.0.0/8", "192.0.2.1"])
    blocked = [_guess(c, f"{k}.1.1.1, 203.0.113.7") for k in range(1, 4)]
    assert blocked == [401, 401, 429]
    assert _guess(c, "203.0.113.8") == 401  # another client through the same proxy
    assert _guess(c, "203.0.113.7, 192.0.2.1") == 429  # a trusted second proxy is skipped
    ok = c.get("/v1/jobs", headers={"X-API-Key": KEY_A, "X-Forwarded-For": "203.0.113.9"})
    assert ok.status_code == 200


def test_trusted_proxies_are_validated() -> None:
    """A bad entry is refused at start, naming it; a comma-separated list is read."""
    with pytest.raises(ValidationError, match="'proxy.local' is not an IP address"):
        Settings(trusted_proxies="10.0.0.1,proxy.local")
    assert Settings(trusted_proxies="10.0.0.1, fd00::/8").trusted_proxies == [
        "10.0.0.1", "fd00::/8"]


def test_routecast_serve_ignores_forwarded_for_from_localhost(tmp_path: Path) -> None:
    """Through `routecast serve` (uvicorn would believe X-Forwarded-For from 127.0.0.1 by
    default): made-up addresses from a local client still share one budget."""
    (tmp_path / "data").mkdir()
    (tmp_path / "pids").mkdir()
    server = Server(tmp_path / "data", tmp_path / "pids", workers=0, extra_env={
        "ROUTECAST_AUTH_FAILURES_PER_MINUTE": "1", "ROUTECAST_AUTH_FAILURE_BURST": "2"})
    server.start()
    try:
        codes = [httpx.get(server.url + "/v1/jobs", timeout=10, headers={
            "X-API-Key": "wrong", "X-Forwarded-For": f"203.0.113.{k}"}).status_code
            for k in range(4)]
    finally:
        server.stop()
    assert codes == [401, 401, 429, 429]
