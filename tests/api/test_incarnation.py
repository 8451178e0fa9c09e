"""Crash recovery: a restarted service requeues the jobs of its own dead incarnation at
once, without counting the attempt, and leaves live or unknowable ones to their leases."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from api.auth import KeyRing
from api.incarnation import is_dead, new_incarnation
from api.store import jobs, leases
from api.store.db import init_db, make_engine, session_factory
from tests.api.conftest import KEY_A, job_body, make_settings, wait_for


def _dead_pid() -> int:
    """The pid of a process of this host that has exited."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_which_incarnations_are_dead() -> None:
    """Dead: this host, and its process is gone, or is this process under another start
    (a restarted container reuses its pid). Alive: this incarnation, a live process,
    another host (unknowable), a malformed id."""
    host = socket.gethostname()
    current = new_incarnation()
    assert current.startswith(f"{host}:{os.getpid()}:")
    assert is_dead(f"{host}:{_dead_pid()}:old", current)
    assert is_dead(f"{host}:{os.getpid()}:previous-start", current)
    assert not is_dead(current, current)
    assert not is_dead(f"{host}:{os.getppid()}:parent", current)
    assert not is_dead(f"other-{host}:{_dead_pid()}:x", current)
    assert not is_dead(f"{host}:not-a-pid:x", current)


def test_a_restarted_service_requeues_its_dead_incarnations_jobs_at_once(
        tmp_path: Path, client_factory: Any) -> None:
    """A job left running by a killed service (its lease still has 10 minutes) is run at
    once after the restart and succeeds on its first counted attempt; a job held by a live
    service on this host stays where it is."""
    settings = make_settings(tmp_path)
    engine = make_engine(settings.db_url)
    init_db(engine)
    sessions = session_factory(engine)
    owner = KeyRing([KEY_A]).principal(KEY_A).id  # type: ignore[union-attr]
    host = socket.gethostname()
    body = job_body()
    problem, options = json.dumps(body["problem"]), json.dumps(body["options"])
    with sessions() as s:
        orphan, _ = jobs.create_job(s, owner=owner, problem_json=problem,
                                    options_json=options, content_hash="a")
        live, _ = jobs.create_job(s, owner=owner, problem_json=problem,
                                  options_json=options, content_hash="b")
        leases.claim_job(s, worker="old-worker", lease_seconds=600, job_id=orphan.id,
                         incarnation=f"{host}:{_dead_pid()}:killed")
        leases.claim_job(s, worker="other-worker", lease_seconds=600, job_id=live.id,
                         incarnation=f"{host}:{os.getppid()}:alive")
    engine.dispose()
    started = time.monotonic()
    c = client_factory()
    c.headers["X-API-Key"] = KEY_A
    done = wait_for(c, orphan.id, timeout=30)
    assert done["status"] == "succeeded" and time.monotonic() - started < 30
    assert done["attempts"] == 1  # the crash gave its attempt back
    events = c.get(f"/v1/jobs/{orphan.id}/events", params={"after": 0})
    assert "is gone; requeued (the attempt does not count)" in events.text
    assert c.get(f"/v1/jobs/{live.id}").json()["status"] == "running"
