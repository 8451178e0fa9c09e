"""The store's vocabularies: job kinds, and the statuses of each lifecycle with its legal moves.

Jobs and scenario runs share one set of words (a run that ended well ``succeeded``, as a
job does); each lifecycle has its own transitions. The store, the HTTP schemas and the
workers all use these enums, so a status is spelled in one place.
"""

from __future__ import annotations

from enum import StrEnum


class JobKind(StrEnum):
    """What a job does; :mod:`api.kinds` maps each kind to its create, run and view."""

    SOLVE = "solve"
    SCENARIOS = "scenarios"
    TRAIN = "train"
    RETRAIN = "retrain"
    REPLAN = "replan"  # a solve job's plan re-planned for a day in progress (a child job)
    EVALUATE = "evaluate"  # a plan timed on learned travel (its matrices built by a worker)


# the kinds whose jobs end with a plan: served by /v1/jobs, parents of replans
PLAN_KINDS = (JobKind.SOLVE, JobKind.REPLAN)


class JobStatus(StrEnum):
    """The lifecycle of a job (of any kind)."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


class RunStatus(StrEnum):
    """The lifecycle of one run of a scenario batch."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


JOB_TERMINAL = frozenset({JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED})
RUN_TERMINAL = frozenset({RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELLED})

# from -> the statuses it may move to (running -> queued is the retry after a lost worker)
JOB_TRANSITIONS: dict[str, frozenset[str]] = {
    JobStatus.QUEUED: frozenset({JobStatus.RUNNING, JobStatus.CANCELLED}),
    JobStatus.RUNNING: frozenset({JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED,
                                  JobStatus.QUEUED}),
    **{s: frozenset() for s in JOB_TERMINAL},
}
# a run may end without having been seen running (events arrive out of order)
RUN_TRANSITIONS: dict[str, frozenset[str]] = {
    RunStatus.QUEUED: frozenset({RunStatus.RUNNING, *RUN_TERMINAL}),
    RunStatus.RUNNING: frozenset(RUN_TERMINAL),
    **{s: frozenset() for s in RUN_TERMINAL},
}
