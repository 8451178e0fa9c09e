"""Rate limits shared by every replica: token buckets in the database, or in Redis.

Two ``routecast serve`` processes on one database enforce one budget per key: each take
is a single atomic statement (an upsert that refills, spends and records the outcome on
the database; a Lua script on Redis, using Redis's clock). Requests are limited per
principal; failed authentications per client address, so keys cannot be guessed at
full speed (once an address has used up its failures, even a valid key waits).
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import case, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from api.http_errors import ApiProblem
from api.settings import Settings
from api.store.tables import RateBucketRow


@dataclass(frozen=True)
class Budget:
    """``per_minute`` sustained, ``burst`` at once; ``per_minute`` 0 is no limit."""

    per_minute: float
    burst: float

    @property
    def rate(self) -> float:
        return self.per_minute / 60.0

    def wait(self, tokens: float) -> int:
        """Whole seconds until ``tokens`` has refilled to one token."""
        return max(1, math.ceil((1.0 - tokens) / self.rate))


class Buckets(Protocol):
    """Where the buckets live. ``take`` spends ``cost`` tokens (0: only look) when at
    least one is there; returns ``(granted, tokens left)``."""

    def take(self, key: str, budget: Budget, cost: float) -> tuple[bool, float]: ...


class DatabaseBuckets:
    """Buckets as rows of ``rate_buckets``; one upsert per take (SQLite or PostgreSQL)."""

    PRUNE_EVERY_S = 60.0

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions
        self._pruned = time.time()
        self._lock = threading.Lock()

    def take(self, key: str, budget: Budget, cost: float) -> tuple[bool, float]:
        now = time.time()
        if cost == 0:  # only look: a read, no write
            return self._look(key, budget, now)
        t = RateBucketRow.__table__.c
        elapsed = case((t.updated_at < now, now - t.updated_at), else_=0.0)
        refill = t.tokens + elapsed * budget.rate
        avail = case((refill > budget.burst, budget.burst), else_=refill)
        with self.sessions() as session:
            insert = (postgresql.insert if session.get_bind().dialect.name == "postgresql"
                      else sqlite.insert)
            stmt = insert(RateBucketRow).values(
                key=key, tokens=budget.burst - cost, updated_at=now, granted=True)
            stmt = stmt.on_conflict_do_update(index_elements=[t.key], set_={
                "tokens": case((avail >= 1.0, avail - cost), else_=avail),
                "updated_at": case((t.updated_at < now, now), else_=t.updated_at),
                "granted": avail >= 1.0,
            }).returning(t.granted, t.tokens)
            granted, tokens = session.execute(stmt).one()
            session.commit()
        self._prune(now, budget)
        return bool(granted), float(tokens)

    def _look(self, key: str, budget: Budget, now: float) -> tuple[bool, float]:
        with self.sessions() as session:
            row = session.execute(select(RateBucketRow.tokens, RateBucketRow.updated_at)
                                  .where(RateBucketRow.key == key)).first()
        if row is None:
            return True, budget.burst
        tokens = min(budget.burst, row.tokens + max(0.0, now - row.updated_at) * budget.rate)
        return tokens >= 1.0, tokens

    def _prune(self, now: float, budget: Budget) -> None:
        """Drop buckets idle long enough to be full again (absent means full)."""
        with self._lock:
            if now - self._pruned < self.PRUNE_EVERY_S:
                return
            self._pruned = now
        idle = max(budget.burst / budget.rate, self.PRUNE_EVERY_S) * 2
        with self.sessions() as session:
            session.execute(delete(RateBucketRow).where(RateBucketRow.updated_at < now - idle))
            session.commit()


_LUA = """
local rate, burst, cost = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local b = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(b[1]) or burst
local ts = tonumber(b[2]) or now
local avail = math.min(burst, tokens + math.max(0, now - ts) * rate)
local granted = 0
if avail >= 1 then
  granted = 1
  avail = avail - cost
end
redis.call('HSET', KEYS[1], 'tokens', tostring(avail), 'ts', tostring(math.max(now, ts)))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 2000) + 1000)
return {granted, tostring(avail)}
"""


class RedisBuckets:
    """Buckets as Redis hashes under ``routecast:rl:``; one Lua script per take."""

    def __init__(self, url: str, client: Any = None) -> None:
        import redis

        self.client = client or redis.Redis.from_url(url)
        self._script = self.client.register_script(_LUA)

    def take(self, key: str, budget: Budget, cost: float) -> tuple[bool, float]:
        granted, tokens = self._script(keys=[f"routecast:rl:{key}"],
                                       args=[budget.rate, budget.burst, cost])
        return bool(int(granted)), float(tokens)


class SharedRateLimiter:
    """The service's limits: requests per principal, failed authentications per address."""

    def __init__(self, buckets: Buckets, requests: Budget, auth_failures: Budget) -> None:
        self.buckets, self.requests, self.auth_failures = buckets, requests, auth_failures

    def check(self, principal: str) -> None:
        """Spend one request of ``principal`` or raise a 429 problem with Retry-After."""
        self._spend(f"key:{principal}", self.requests, 1.0, "requests")

    def check_address(self, address: str) -> None:
        """429 when ``address`` has used up its failed authentications (spends nothing)."""
        self._spend(f"auth:{address}", self.auth_failures, 0.0, "failed authentications")

    def auth_failed(self, address: str) -> None:
        """Count one failed authentication of ``address`` (the next check may refuse)."""
        if self.auth_failures.rate > 0:
            self.buckets.take(f"auth:{address}", self.auth_failures, 1.0)

    def _spend(self, key: str, budget: Budget, cost: float, what: str) -> None:
        if budget.rate <= 0:
            return
        granted, tokens = self.buckets.take(key, budget, cost)
        if not granted:
            wait = budget.wait(tokens)
            raise ApiProblem(429, "rate-limited", "Too many requests",
                             f"rate limit of {budget.per_minute:g} {what} per minute "
                             f"exceeded; retry in {wait} s",
                             headers={"Retry-After": str(wait)}, retry_after=wait)


def make_rate_limiter(settings: Settings, sessions: sessionmaker[Session]) -> SharedRateLimiter:
    """Redis buckets when ``redis_url`` is set, else database buckets."""
    buckets: Buckets = (RedisBuckets(settings.redis_url) if settings.redis_url
                        else DatabaseBuckets(sessions))
    return SharedRateLimiter(
        buckets, Budget(settings.rate_limit_per_minute, settings.rate_limit_burst),
        Budget(settings.auth_failures_per_minute, settings.auth_failure_burst))
