"""Which queued job a free worker takes next: fair between keys.

Taking jobs strictly by age lets one key's burst starve another key's single job (a
burst of jobs delayed another key's job by 58.8 s). So the queue is served round-robin
across owners: the highest priority first (sync solves), then the owner with the fewest
running jobs, then the owner served least recently (the oldest latest start; never
served first), and within that owner its oldest job.
"""

from __future__ import annotations

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from api.store.enums import JobStatus
from api.store.tables import JobRow


def next_queued_id(session: Session) -> str | None:
    """The id of the job the next claim should take, or None when the queue is empty."""
    waiting = select(JobRow.owner).where(JobRow.status == JobStatus.QUEUED).distinct()
    owners = (
        select(JobRow.owner.label("owner"),
               func.sum(case((JobRow.status == JobStatus.RUNNING, 1), else_=0)).label("running"),
               func.max(JobRow.started_at).label("last_start"))
        .where(JobRow.owner.in_(waiting)).group_by(JobRow.owner).subquery()
    )
    return session.scalar(
        select(JobRow.id).join(owners, owners.c.owner == JobRow.owner)
        .where(JobRow.status == JobStatus.QUEUED)
        .order_by(JobRow.priority.desc(), owners.c.running,
                  owners.c.last_start.asc().nulls_first(), JobRow.seq)
        .limit(1))
