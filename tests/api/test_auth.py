"""API keys: bearer or X-API-Key, 401 without a valid key, isolation between keys."""

from __future__ import annotations

from pathlib import Path

from api.auth import KeyRing, hash_key
from tests.api.conftest import KEY_A, KEY_B, job_body, wait_for


def test_missing_or_wrong_key_is_401(client_factory) -> None:
    """Without a key, or with an unknown one, /v1 answers 401 problem+json with a challenge."""
    c = client_factory()
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"X-API-Key": "wrong"},
                    {"Authorization": "Basic abc"}):
        r = c.get("/v1/jobs", headers=headers)
        assert r.status_code == 401, headers
        assert r.headers["content-type"] == "application/problem+json"
        assert r.headers["www-authenticate"].startswith("Bearer")
    assert c.get("/v1/jobs", headers={"X-API-Key": KEY_A}).status_code == 200
    assert c.get("/v1/jobs", headers={"Authorization": f"bearer {KEY_B}"}).status_code == 200
    assert c.get("/healthz").status_code == 200  # probes need no key


def test_each_key_sees_only_its_own_jobs(client_factory) -> None:
    """Key B gets 404 for key A's job on every route and does not see it in its list."""
    c = client_factory()
    a = {"Authorization": f"Bearer {KEY_A}"}
    b = {"X-API-Key": KEY_B}
    job = c.post("/v1/jobs", json=job_body(), headers=a).json()
    wait_for_a = c.get(f"/v1/jobs/{job['id']}", headers=a)
    assert wait_for_a.status_code == 200
    for method, path in [("get", ""), ("get", "/solution"), ("get", "/events"),
                         ("post", "/cancel")]:
        r = getattr(c, method)(f"/v1/jobs/{job['id']}{path}", headers=b)
        assert r.status_code == 404, path
    assert c.get("/v1/jobs", headers=b).json()["items"] == []
    assert [j["id"] for j in c.get("/v1/jobs", headers=a).json()["items"]] == [job["id"]]
    # idempotency keys are per principal too: B's k1 is not A's k1
    ja = c.post("/v1/jobs", json=job_body(), headers={**a, "Idempotency-Key": "k1"}).json()
    jb = c.post("/v1/jobs", json=job_body(seed=9), headers={**b, "Idempotency-Key": "k1"})
    assert jb.status_code == 202 and jb.json()["id"] != ja["id"]
    c.headers.update(a)
    wait_for(c, ja["id"])


def test_keys_file_with_hashed_keys(client_factory, tmp_path: Path) -> None:
    """A keys file may hold sha256:<hex> hashes and comments; the plain key then works."""
    keys = tmp_path / "keys.txt"
    keys.write_text(f"# ops team\nsha256:{hash_key('file-key')}\n")
    c = client_factory(api_keys=[], api_keys_file=keys)
    assert c.get("/v1/jobs", headers={"X-API-Key": "file-key"}).status_code == 200
    assert c.get("/v1/jobs", headers={"X-API-Key": "other"}).status_code == 401


def test_no_keys_means_open_local_access(client_factory) -> None:
    """With no keys configured every caller is the local principal (serve binds localhost)."""
    c = client_factory(api_keys=[])
    assert c.get("/v1/jobs").status_code == 200


def test_keyring_stores_only_hashes() -> None:
    """The key ring keeps no plaintext key and maps one key to one stable principal."""
    ring = KeyRing(["secret-1", "secret-2"])
    assert "secret-1" not in repr(vars(ring))
    p1, p2 = ring.principal("secret-1"), ring.principal("secret-2")
    assert p1 is not None and p2 is not None and p1 != p2
    assert ring.principal("secret-1") == p1 and ring.principal("nope") is None
