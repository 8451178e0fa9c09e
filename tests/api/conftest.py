"""API test fixtures: a temporary SQLite store, an inline executor and the fake engine.

PostgreSQL: the store tests (``tests/api/store``) run on SQLite and on the PostgreSQL
server at ``ROUTECAST_TEST_DATABASE_URL``, by default the CI machines' one
(``postgresql://127.0.0.1:5432/test``), each test in a fresh schema of its own (so
parallel xdist workers never collide), dropped afterwards. They skip, saying so, only
when no server answers there. With ``ROUTECAST_TEST_DATABASE_URL`` set explicitly, every
other API test's store lives on PostgreSQL too.
"""

from __future__ import annotations

import os
import random
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import Settings
from api.store.db import dispose_sessions
from solver.engines.catalog import load_plugin

load_plugin("tests.fakes")  # fake-nn and the scenario fakes, for the inline executor's threads

KEY_A, KEY_B = "key-alpha-123", "key-bravo-456"
TEST_DATABASE_ENV = "ROUTECAST_TEST_DATABASE_URL"
DEFAULT_TEST_DATABASE = "postgresql://127.0.0.1:5432/test"
REQUIRE_POSTGRES_ENV = "ROUTECAST_TEST_REQUIRE_POSTGRES"  # CI: a missing server fails


def _postgres_base_url() -> Any:
    """The PostgreSQL URL from ``ROUTECAST_TEST_DATABASE_URL``, else the CI server's
    (psycopg 3 by default)."""
    from sqlalchemy.engine import make_url

    raw = os.environ.get(TEST_DATABASE_ENV, "").strip() or DEFAULT_TEST_DATABASE
    url = make_url(raw)
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    return url


@pytest.fixture(scope="session")
def postgres_admin() -> Iterator[Any]:
    """An autocommit engine on the test PostgreSQL database; skips, naming the URL and the
    error, only when no server answers there (or its driver is missing), and fails
    instead under ``ROUTECAST_TEST_REQUIRE_POSTGRES=1`` (CI)."""
    from sqlalchemy import create_engine, text

    url = _postgres_base_url()
    try:
        engine = create_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # no driver, no server, bad credentials
        reason = (f"no PostgreSQL server answers at {url.render_as_string(hide_password=True)}"
                  f" (set {TEST_DATABASE_ENV}): {type(exc).__name__}: {str(exc).strip()[:200]}")
        if os.environ.get(REQUIRE_POSTGRES_ENV) == "1":
            pytest.fail(f"{reason}; {REQUIRE_POSTGRES_ENV}=1 (CI) requires one")
        pytest.skip(reason)
    yield engine
    engine.dispose()


@pytest.fixture
def postgres_url(postgres_admin: Any) -> Iterator[str]:
    """The URL of a fresh, empty schema in the test database (its ``search_path``);
    the schema and everything in it are dropped after the test."""
    from sqlalchemy import text

    schema = f"rc_test_{uuid.uuid4().hex[:16]}"
    with postgres_admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = postgres_admin.url.update_query_dict({"options": f"-csearch_path={schema}"})
    rendered = url.render_as_string(hide_password=False)
    yield rendered
    dispose_sessions(rendered)  # the workers' pooled connections to the schema
    with postgres_admin.connect() as conn:
        conn.execute(text("SET lock_timeout = '10s'"))
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))


_store_url: str | None = None  # the current test's PostgreSQL schema (make_settings uses it)


@pytest.fixture(autouse=True)
def _store_database(request: pytest.FixtureRequest) -> Iterator[None]:
    """Give every test's ``make_settings`` a fresh PostgreSQL schema when
    ``ROUTECAST_TEST_DATABASE_URL`` is set; otherwise leave the SQLite default alone.
    (The end-to-end tests' ``routecast serve`` process keeps its own SQLite file.)"""
    global _store_url
    if not os.environ.get(TEST_DATABASE_ENV, "").strip():
        yield
        return
    _store_url = request.getfixturevalue("postgres_url")
    try:
        yield
    finally:
        _store_url = None


def tiny_problem(n: int = 6, seed: int = 1, capacity: float = 10.0, vehicles: int = 2,
                 name: str = "tiny") -> dict[str, Any]:
    """A planar problem with ``n`` unit-demand stops, numbered ids (VRPLIB style)."""
    rnd = random.Random(seed)
    return {
        "name": name,
        "depots": [{"id": "0", "location": {"x": 50, "y": 50}}],
        "stops": [{"id": str(k), "location": {"x": rnd.randint(0, 100), "y": rnd.randint(0, 100)},
                   "demand": [1]} for k in range(1, n + 1)],
        "vehicle_types": [{"id": "van", "count": vehicles, "capacity": [capacity],
                           "start_depot": "0"}],
    }


def missing_model_problem() -> dict[str, Any]:
    """A learned-travel problem naming a model no key has: its job fails (not found)."""
    return {
        "depots": [{"id": "D", "location": {"lat": 40.75, "lon": -73.99}}],
        "stops": [{"id": "A", "location": {"lat": 40.76, "lon": -73.98}}],
        "vehicle_types": [{"id": "van", "start_depot": "D"}],
        "travel": {"kind": "learned", "model": "tt-nope", "departure": "2024-01-29T08:00:00Z"},
    }


def job_body(problem: dict | None = None, **options: Any) -> dict[str, Any]:
    opts = {"engine": "fake-nn", "time_limit": 5, "iteration_limit": 5, "seed": 0}
    opts.update(options)
    return {"problem": problem or tiny_problem(), "options": opts}


def make_settings(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "data_dir": tmp_path, "executor": "inline", "workers": 2,
        "api_keys": [KEY_A, KEY_B], "rate_limit_per_minute": 0, "sse_poll_seconds": 0.05,
        "progress_interval": 0.0, "cancel_poll_seconds": 0.05,
        "evaluate_wait_seconds": 60,  # a loaded machine: evaluations answer 200, not 202
    }
    if _store_url is not None:
        values["database_url"] = _store_url
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def client_factory(tmp_path: Path) -> Iterator[Any]:
    """Build started TestClients for given settings overrides (closed at teardown)."""
    clients: list[TestClient] = []

    def build(**overrides: Any) -> TestClient:
        app = create_app(make_settings(tmp_path, **overrides))
        client = TestClient(app, raise_server_exceptions=False)
        client.__enter__()
        clients.append(client)
        return client

    yield build
    for c in clients:
        c.__exit__(None, None, None)


@pytest.fixture
def client(client_factory: Any) -> TestClient:
    """A client of an app with two API keys, key A sent by default."""
    c = client_factory()
    c.headers["Authorization"] = f"Bearer {KEY_A}"
    return c


def wait_for(client: TestClient, job_id: str, statuses: tuple[str, ...] = (
        "succeeded", "failed", "cancelled"), timeout: float = 20.0) -> dict[str, Any]:
    """Poll a job until its status is one of ``statuses``."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        body = client.get(f"/v1/jobs/{job_id}").json()
        if body["status"] in statuses or time.monotonic() > deadline:
            return body
        time.sleep(0.02)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database: a SQLite file, or a fresh PostgreSQL schema (skipped, saying
    why, only when no PostgreSQL server answers)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'jobs.db'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def engine(store_url: str) -> Iterator[Any]:
    """An engine on ``store_url`` with the current schema."""
    from api.store.db import init_db, make_engine

    eng = make_engine(store_url)
    init_db(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def sessions(engine: Any) -> Any:
    """Sessions on ``engine`` (the store tests', the webhook outbox's)."""
    from api.store.db import session_factory

    return session_factory(engine)
