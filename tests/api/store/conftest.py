"""Store fixtures: every store test runs on SQLite and on PostgreSQL (a fresh schema;
``store_url``, ``engine`` and ``sessions`` are in tests/api/conftest.py)."""

from __future__ import annotations

from typing import Any

from api.store import jobs
from api.store.tables import JobRow


def new_job(session: Any, owner: str = "a", key: str | None = None, body: str = "p",
            **kw: Any) -> JobRow:
    """A queued solve job whose content hash is its body."""
    job, _ = jobs.create_job(session, owner=owner, problem_json=body, options_json="{}",
                             content_hash=body, idempotency_key=key, **kw)
    return job
