"""Shared rate limits: token buckets in the database (SQLite, PostgreSQL) or Redis,
atomic under concurrent replicas; two real `routecast serve` processes on one PostgreSQL
database (or one Redis) enforce one budget per key; failed authentication is limited per
address."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from api.ratelimit import Budget, DatabaseBuckets, RedisBuckets
from api.store.db import init_db, make_engine, session_factory
from tests.api.conftest import KEY_A, KEY_B
from tests.api.test_e2e import Server

REDIS_URL = "redis://127.0.0.1:6379/15"


@pytest.fixture
def redis_url() -> Iterator[str]:
    """A Redis database flushed before and after; skips (saying so) when none answers."""
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.skip(f"no Redis at {REDIS_URL}: {exc}")
    client.flushdb()
    yield REDIS_URL
    client.flushdb()


@pytest.fixture(params=["sqlite", "postgresql", "redis"])
def bucket_factory(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    """Makes independent bucket stores on one backend, as separate replicas would have
    (each database store with its own engine and connection pool)."""
    engines: list[Any] = []
    if request.param == "redis":
        url = request.getfixturevalue("redis_url")
        yield lambda: RedisBuckets(url)
        return
    url = (f"sqlite:///{tmp_path / 'rl.db'}" if request.param == "sqlite"
           else request.getfixturevalue("postgres_url"))
    init_db(make_engine(url))

    def make() -> DatabaseBuckets:
        engines.append(make_engine(url))
        return DatabaseBuckets(session_factory(engines[-1]))

    yield make
    for e in engines:
        e.dispose()


def test_bucket_grants_the_burst_then_refuses(bucket_factory: Any) -> None:
    """Burst 3 at a negligible refill rate: three takes granted, the fourth refused; a
    look (cost 0) spends nothing; other keys have their own bucket."""
    buckets = bucket_factory()
    budget = Budget(per_minute=0.001, burst=3)
    assert buckets.take("k", budget, 0.0)[0]
    assert [buckets.take("k", budget, 1.0)[0] for _ in range(4)] == [True, True, True, False]
    assert buckets.take("k", budget, 0.0)[0] is False
    assert buckets.take("other", budget, 1.0)[0] is True


def test_bucket_refills_at_its_rate(bucket_factory: Any) -> None:
    """At 60 per minute (1 per second) an empty bucket refuses at once and grants again
    1.2 s later (a whole second between two takes, so a loaded machine cannot refill it)."""
    import time

    buckets = bucket_factory()
    budget = Budget(per_minute=60, burst=1)
    assert buckets.take("r", budget, 1.0)[0] and not buckets.take("r", budget, 1.0)[0]
    time.sleep(1.2)
    assert buckets.take("r", budget, 1.0)[0]


def test_concurrent_replicas_share_one_budget(bucket_factory: Any) -> None:
    """Two replicas, four threads each, 80 takes on one key with burst 20: exactly 20
    granted (the take is atomic on every backend)."""
    replicas = [bucket_factory(), bucket_factory()]
    budget = Budget(per_minute=0.001, burst=20)
    granted: list[bool] = []
    lock = threading.Lock()
    barrier = threading.Barrier(8)

    def hammer(buckets: Any) -> None:
        barrier.wait()
        for _ in range(10):
            ok = buckets.take("shared", budget, 1.0)[0]
            with lock:
                granted.append(ok)

    threads = [threading.Thread(target=hammer, args=(replicas[k % 2],)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(granted) == 80 and sum(granted) == 20


def test_failed_authentication_is_limited_per_address(client_factory: Any) -> None:
    """Three wrong keys answer 401, then the address gets 429 with Retry-After, even
    with a valid key; requests are limited apart from failures."""
    c = client_factory(auth_failures_per_minute=1, auth_failure_burst=3,
                       rate_limit_per_minute=600, rate_limit_burst=100)
    assert c.get("/v1/jobs", headers={"X-API-Key": KEY_A}).status_code == 200
    codes = [c.get("/v1/jobs", headers={"X-API-Key": f"guess-{k}"}).status_code
             for k in range(4)]
    assert codes == [401, 401, 401, 429]
    blocked = c.get("/v1/jobs", headers={"X-API-Key": KEY_B})
    assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) >= 1
    assert "failed authentications" in blocked.json()["detail"]


@pytest.fixture(params=["postgresql", "redis"])
def two_replicas(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[list[Server]]:
    """Two `routecast serve` processes on one PostgreSQL database (buckets there, or in
    Redis), each with its own data folder, 30 requests per minute, burst 10."""
    env = {"ROUTECAST_DATABASE_URL": request.getfixturevalue("postgres_url"),
           "ROUTECAST_RATE_LIMIT_PER_MINUTE": "30", "ROUTECAST_RATE_LIMIT_BURST": "10"}
    if request.param == "redis":
        env["ROUTECAST_REDIS_URL"] = request.getfixturevalue("redis_url")
    servers = []
    for k in range(2):
        (tmp_path / f"r{k}" / "data").mkdir(parents=True)
        (tmp_path / f"r{k}" / "pids").mkdir()
        servers.append(Server(tmp_path / f"r{k}" / "data", tmp_path / f"r{k}" / "pids",
                              extra_env=env, workers=0))
    try:
        for s in servers:
            s.start()
        yield servers
    finally:
        for s in servers:
            s.stop()


def test_two_serve_processes_enforce_one_budget(two_replicas: list[Server]) -> None:
    """20 requests alternating between the replicas: 10 pass (the burst), 10 get 429;
    each replica alone would have let all 20 through with a local bucket."""
    clients = [s.client() for s in two_replicas]
    try:
        codes = [clients[k % 2].get("/v1/jobs").status_code for k in range(20)]
    finally:
        for c in clients:
            c.close()
    assert codes.count(200) in (10, 11)  # 11 if a token refilled (0.5/s) meanwhile
    assert codes.count(429) == 20 - codes.count(200)
    assert codes[:10] == [200] * 10
