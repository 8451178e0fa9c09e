"""Webhook targets: only http(s) to public addresses unless private ones are allowed."""

from __future__ import annotations

import pytest

from api.webhooks.targets import TargetRefusedError, check_url, pinned


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:8080/x", "http://localhost/x", "http://10.1.2.3/", "http://192.168.0.1/",
    "http://169.254.169.254/latest/meta-data", "http://[::1]/", "http://[::ffff:127.0.0.1]/",
    "http://0.0.0.0/", "http://100.64.0.1/", "http://224.0.0.1/",
])
def test_private_and_loopback_targets_are_refused(url: str) -> None:
    """Every non-public address is refused, IPv4-mapped IPv6 and metadata included."""
    with pytest.raises(TargetRefusedError, match="private or loopback"):
        check_url(url, allow_private=False)


@pytest.mark.parametrize("url", ["ftp://example.com/", "http:///nohost",
                                 "https://user:pw@93.184.216.34/", "file:///etc/passwd"])
def test_malformed_targets_are_refused(url: str) -> None:
    """Other schemes, no host and embedded credentials are refused."""
    with pytest.raises(TargetRefusedError):
        check_url(url, allow_private=True)


def test_public_address_is_accepted_and_private_only_when_allowed() -> None:
    """A public literal passes; loopback passes only with allow_private."""
    check_url("https://93.184.216.34/hook", allow_private=False)
    check_url("http://127.0.0.1:9/hook", allow_private=True)


def test_unresolvable_host_is_refused() -> None:
    """A name that does not resolve is refused, not stored."""
    with pytest.raises(TargetRefusedError, match="cannot be resolved"):
        check_url("http://no-such-host.invalid/", allow_private=True)


def test_pinned_request_connects_to_the_checked_address() -> None:
    """The URL's host becomes the checked address (IPv6 bracketed, port kept); the Host
    header and the TLS server name keep the original name."""
    assert pinned("https://hooks.example.com/x?a=1", "93.184.216.34") == (
        "https://93.184.216.34/x?a=1", "hooks.example.com", "hooks.example.com")
    assert pinned("http://hooks.example.com:8080/x", "2606:2800:220:1::1") == (
        "http://[2606:2800:220:1::1]:8080/x", "hooks.example.com:8080", "hooks.example.com")


def test_check_returns_every_resolved_address() -> None:
    """A literal address resolves to itself."""
    assert check_url("http://127.0.0.1:9/", allow_private=True) == ["127.0.0.1"]
