"""Standard Webhooks signatures, checked against an independent computation."""

from __future__ import annotations

import base64
import hashlib
import hmac

from api.webhooks.signing import headers, new_secret, signature


def test_signature_is_hmac_sha256_of_id_timestamp_body() -> None:
    """v1,<base64 HMAC-SHA256(key = base64-decoded secret, "id.timestamp.body")>."""
    secret = "whsec_" + base64.b64encode(b"0123456789abcdef0123").decode()
    body = b'{"type":"job.succeeded"}'
    expected = base64.b64encode(hmac.new(
        b"0123456789abcdef0123", b"msg_1.1700000000." + body, hashlib.sha256).digest()).decode()
    assert signature(secret, "msg_1", 1700000000, body) == "v1," + expected


def test_headers_carry_id_timestamp_and_signature() -> None:
    """The three headers are present and consistent with each other."""
    secret = new_secret()
    h = headers(secret, "msg_2", 1700000001, b"{}")
    assert (h["webhook-id"], h["webhook-timestamp"]) == ("msg_2", "1700000001")
    assert h["webhook-signature"] == signature(secret, "msg_2", 1700000001, b"{}")


def test_secrets_are_fresh_and_prefixed() -> None:
    """Each secret is whsec_ + base64 of 24 random bytes."""
    a, b = new_secret(), new_secret()
    assert a != b and a.startswith("whsec_")
    assert len(base64.b64decode(a[6:])) == 24
