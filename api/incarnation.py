"""Service incarnations: which start of which service process holds a job's lease.

An incarnation is ``"<host>:<pid>:<nonce>"``, made once per service start. Workers of the
local and inline executors record their service's incarnation when they claim a job
(a local worker process exits with its service). When a service starts, jobs still
running under an incarnation of this host whose process is gone are requeued at once,
without counting the attempt: the crash was not the job's fault, and waiting out the
lease (60 s by default) would only delay it. Jobs of other hosts, of live processes, or
with no incarnation (Dask workers outlive a service restart) are left to their leases.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Callable

from sqlalchemy.orm import Session

from api.store import leases
from api.store.enums import JobStatus

logger = logging.getLogger(__name__)


def new_incarnation() -> str:
    """A fresh incarnation id of this process."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def is_dead(incarnation: str, current: str) -> bool:
    """Whether ``incarnation`` is known to be gone, seen from the service ``current``: on
    this host, and its process is gone or is this very process under another start (a
    restarted container reuses the pid). Unknowable (another host) counts as alive."""
    host, _, rest = incarnation.partition(":")
    pid_text = rest.partition(":")[0]
    if incarnation == current or host != current.partition(":")[0] or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    return pid == os.getpid() or not _pid_alive(pid)


def recover(sessions: Callable[[], Session], current: str) -> list[tuple[str, JobStatus]]:
    """Requeue (or end, if cancelled) the running jobs of dead incarnations of this host;
    returns ``(job_id, status)`` of each job released."""
    released = []
    with sessions() as session:
        held = leases.held_by_incarnations(session)
        for incarnation, job_ids in held.items():
            if not is_dead(incarnation, current):
                continue
            for job_id in job_ids:
                status = leases.release_crashed(
                    session, job_id=job_id, incarnation=incarnation,
                    reason=f"its service ({incarnation}) is gone")
                logger.warning("job %s held by dead service %s: now %s", job_id, incarnation,
                               status)
                released.append((job_id, status))
    return released
