"""Store fixtures: every store test runs on SQLite and on PostgreSQL (a fresh schema)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from api.store import jobs
from api.store.db import init_db, make_engine, session_factory
from api.store.tables import JobRow


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
    eng = make_engine(store_url)
    init_db(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def sessions(engine: Any) -> Any:
    return session_factory(engine)


def new_job(session: Any, owner: str = "a", key: str | None = None, body: str = "p",
            **kw: Any) -> JobRow:
    """A queued solve job whose content hash is its body."""
    job, _ = jobs.create_job(session, owner=owner, problem_json=body, options_json="{}",
                             content_hash=body, idempotency_key=key, **kw)
    return job
