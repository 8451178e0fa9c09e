"""SQLAlchemy tables: jobs, their results and events, what each kind adds, the webhook
outbox and the shared rate-limit buckets (times are UNIX seconds). The schema changes only through migrations (:mod:`api.store.migrate`).

The same tables serve SQLite and PostgreSQL. Two column types smooth over what PostgreSQL
refuses and SQLite accepts: ``Str``/``LongStr`` (PostgreSQL text cannot hold NUL characters) and
``BigInt`` (PostgreSQL INTEGER is 32-bit; SQLite's is 64-bit).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NUL_REPLACEMENT = "\ufffd"


class _NulSafe(TypeDecorator[str]):
    """Text that PostgreSQL accepts whatever the client sent: a NUL character (which
    PostgreSQL text cannot store, and SQLite can) is stored there as U+FFFD. JSON columns
    never contain one (JSON escapes it); names, CSV and HTML exports can. Other databases
    get the value unchanged."""

    impl: Any = String
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if value is not None and dialect.name == "postgresql" and "\x00" in value:
            return value.replace("\x00", NUL_REPLACEMENT)
        return value


class Str(_NulSafe):
    """``String(n)``, NUL-safe on PostgreSQL."""

    impl = String
    cache_ok = True


class LongStr(_NulSafe):
    """``Text``, NUL-safe on PostgreSQL."""

    impl = Text
    cache_ok = True


# seeds (any int below 2**63 on SQLite) and iteration counters: 64-bit on PostgreSQL too
BigInt = Integer().with_variant(BigInteger(), "postgresql")


class Base(DeclarativeBase):
    pass


class JobRow(Base):
    """One job of any kind (:class:`api.store.enums.JobKind`): its status, lease and
    progress, and the input of the kinds that solve. ``seq`` orders the queue."""

    __tablename__ = "jobs"
    __table_args__ = (
        UniqueConstraint("owner", "idempotency_key", name="uq_jobs_owner_idempotency"),
        Index("ix_jobs_queue", "status", "priority", "seq"),
        Index("ix_jobs_owner_seq", "owner", "seq"),
        Index("ix_jobs_parent", "parent_id"),
    )

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(Str(40), unique=True, index=True)
    owner: Mapped[str] = mapped_column(Str(64))
    kind: Mapped[str] = mapped_column(Str(16), default="solve")
    status: Mapped[str] = mapped_column(Str(16))  # a JobStatus
    priority: Mapped[int] = mapped_column(Integer, default=0)
    input_format: Mapped[str] = mapped_column(Str(16), default="routecast")
    # the problem and solve options of solve and scenario jobs (training has its own table)
    problem_json: Mapped[str | None] = mapped_column(LongStr(), nullable=True)
    options_json: Mapped[str | None] = mapped_column(LongStr(), nullable=True)
    problem_name: Mapped[str] = mapped_column(Str(200), default="problem")
    content_hash: Mapped[str] = mapped_column(Str(64))
    idempotency_key: Mapped[str | None] = mapped_column(Str(200), nullable=True)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=2)
    worker: Mapped[str | None] = mapped_column(Str(120), nullable=True)
    # the service process that holds the lease ("host:pid:nonce"): a restarted service
    # requeues the jobs of its own dead incarnation at once, not when the lease expires
    incarnation: Mapped[str | None] = mapped_column(Str(120), nullable=True)
    lease_expires_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    created_at: Mapped[float] = mapped_column(Float)
    started_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    finished_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    progress_elapsed: Mapped[float | None] = mapped_column(Float, nullable=True)
    progress_iterations: Mapped[int | None] = mapped_column(BigInt, nullable=True)
    progress_best_cost: Mapped[float | None] = mapped_column(Float, nullable=True)
    progress_feasible: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    stopped_by: Mapped[str | None] = mapped_column(Str(40), nullable=True)
    error_json: Mapped[str | None] = mapped_column(LongStr(), nullable=True)
    # lineage of plan versions: a replan's parent job, and 1 + the parent's version
    parent_id: Mapped[str | None] = mapped_column(Str(40), nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")


class ResultRow(Base):
    """The solution of a finished solve job and its ready-made exports."""

    __tablename__ = "results"

    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"),
                                        primary_key=True)
    solution_json: Mapped[str] = mapped_column(LongStr())
    kpis_json: Mapped[str] = mapped_column(LongStr())
    violations_json: Mapped[str] = mapped_column(LongStr())
    csv: Mapped[str] = mapped_column(LongStr())
    geojson: Mapped[str] = mapped_column(LongStr())


class EventRow(Base):
    """A status change or a progress report of a job, in order (``seq``)."""

    __tablename__ = "job_events"
    __table_args__ = (Index("ix_events_job_seq", "job_id", "seq"),)

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[str] = mapped_column(Str(40))
    created_at: Mapped[float] = mapped_column(Float)
    kind: Mapped[str] = mapped_column(Str(16))  # status | progress
    data_json: Mapped[str] = mapped_column(LongStr())


class ScenarioBatchRow(Base):
    """What a scenario batch adds to its job row (``jobs.kind == "scenarios"``): the
    variant set as submitted and, once it has ended, the comparison and its exports.

    The job row keeps the base problem, the solve options, the status, the lease and the
    cancel flag, so a batch is queued, claimed, retried and cancelled like any job.
    """

    __tablename__ = "scenario_batches"

    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"),
                                        primary_key=True)
    name: Mapped[str] = mapped_column(Str(200), default="scenarios")
    set_json: Mapped[str] = mapped_column(LongStr())
    warm_start: Mapped[bool] = mapped_column(Boolean, default=True)
    n_runs: Mapped[int] = mapped_column(Integer)
    axes_json: Mapped[str] = mapped_column(LongStr(), default="[]")
    comparison_json: Mapped[str | None] = mapped_column(LongStr(), nullable=True)
    csv: Mapped[str | None] = mapped_column(LongStr(), nullable=True)
    html: Mapped[str | None] = mapped_column(LongStr(), nullable=True)  # rendered on first request


class ScenarioRunRow(Base):
    """One run of a batch (a variant, or the base, solved with one seed) and its progress."""

    __tablename__ = "scenario_runs"
    __table_args__ = (
        UniqueConstraint("batch_id", "key", name="uq_scenario_runs_batch_key"),
        Index("ix_scenario_runs_batch_pos", "batch_id", "position"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    batch_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    key: Mapped[str] = mapped_column(Str(260))  # "<variant>#<seed>"
    variant: Mapped[str] = mapped_column(Str(220))
    seed: Mapped[int] = mapped_column(BigInt)
    cell_json: Mapped[str] = mapped_column(LongStr(), default="{}")
    status: Mapped[str] = mapped_column(Str(16))  # a RunStatus
    elapsed_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    iterations: Mapped[int | None] = mapped_column(BigInt, nullable=True)
    best_cost: Mapped[float | None] = mapped_column(Float, nullable=True)
    total_cost: Mapped[float | None] = mapped_column(Float, nullable=True)
    feasible: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    error: Mapped[str | None] = mapped_column(LongStr(), nullable=True)
    updated_at: Mapped[float] = mapped_column(Float)


class TrainingRow(Base):
    """What a training job (``jobs.kind`` ``"train"`` or ``"retrain"``) adds to its job
    row: where the trips come from, the hyperparameters, and, once it succeeded, the
    registered model (a retrain's challenger) and the result document."""

    __tablename__ = "trainings"

    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"),
                                        primary_key=True)
    spec_json: Mapped[str] = mapped_column(LongStr())  # a TrainingSpec
    params_json: Mapped[str] = mapped_column(LongStr())  # TrainingParams
    model_id: Mapped[str | None] = mapped_column(Str(120), nullable=True)
    result_json: Mapped[str | None] = mapped_column(LongStr(), nullable=True)


class EvaluationRow(Base):
    """What an evaluation job (``jobs.kind == "evaluate"``) adds to its job row: the
    request (a problem and a plan) and, once it succeeded, the evaluation."""

    __tablename__ = "evaluations"

    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"),
                                        primary_key=True)
    request_json: Mapped[str] = mapped_column(LongStr())  # an EvaluateRequest
    response_json: Mapped[str | None] = mapped_column(LongStr(), nullable=True)


class RunPlanRow(Base):
    """A run's solution (routecast solution JSON, costs recomputed by the evaluator)."""

    __tablename__ = "scenario_run_plans"

    batch_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"),
                                          primary_key=True)
    key: Mapped[str] = mapped_column(Str(260), primary_key=True)  # "<variant>#<seed>"
    solution_json: Mapped[str] = mapped_column(LongStr())


# Webhooks: an outbox row is written in the same transaction as the status change it
# reports, so an event is never lost between the commit and the send; the delivery loop
# claims due rows with a lease (lease_owner/lease_expires_at) so replicas never double-send.


class WebhookRow(Base):
    """One endpoint registered by ``owner``: its URL, the event types it wants, its key."""

    __tablename__ = "webhooks"
    __table_args__ = (Index("ix_webhooks_owner", "owner", "created_at"),)

    id: Mapped[str] = mapped_column(Str(40), primary_key=True)
    owner: Mapped[str] = mapped_column(Str(64))
    url: Mapped[str] = mapped_column(Str(2000))
    events_json: Mapped[str] = mapped_column(LongStr())
    secret: Mapped[str] = mapped_column(Str(100))  # whsec_<base64 key>
    created_at: Mapped[float] = mapped_column(Float)


class WebhookDeliveryRow(Base):
    """One message to one endpoint (the outbox). ``message_id`` is the ``webhook-id``
    header: a redelivery is a new row with the same message id and payload."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
        Index("ix_webhook_deliveries_webhook", "webhook_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(Str(40), primary_key=True)
    webhook_id: Mapped[str] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"))
    message_id: Mapped[str] = mapped_column(Str(40))
    event_type: Mapped[str] = mapped_column(Str(40))
    payload: Mapped[str] = mapped_column(LongStr())
    status: Mapped[str] = mapped_column(Str(16))  # pending | delivered | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[float] = mapped_column(Float)
    lease_owner: Mapped[str | None] = mapped_column(Str(120), nullable=True)
    lease_expires_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    last_status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_error: Mapped[str | None] = mapped_column(LongStr(), nullable=True)
    created_at: Mapped[float] = mapped_column(Float)
    delivered_at: Mapped[float | None] = mapped_column(Float, nullable=True)


class WebhookAttemptRow(Base):
    """One HTTP attempt of a delivery: when, how long, the status code or the error."""

    __tablename__ = "webhook_attempts"
    __table_args__ = (Index("ix_webhook_attempts_delivery", "delivery_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    delivery_id: Mapped[str] = mapped_column(
        ForeignKey("webhook_deliveries.id", ondelete="CASCADE"))
    at: Mapped[float] = mapped_column(Float)
    duration_ms: Mapped[float] = mapped_column(Float)
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    error: Mapped[str | None] = mapped_column(LongStr(), nullable=True)


class RateBucketRow(Base):
    """``tokens`` left at ``updated_at`` (UNIX seconds); ``granted`` is the outcome of the
    last take (written by the same atomic upsert that refills and spends)."""

    __tablename__ = "rate_buckets"

    key: Mapped[str] = mapped_column(Str(200), primary_key=True)
    tokens: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[float] = mapped_column(Float)
    granted: Mapped[bool] = mapped_column(Boolean, default=True)


# Actuals (issue 18): what really happened on a solve job's routes, and the legs between
# consecutive visits that became training trips (solver.actuals). A new POST replaces them.


class ActualsRow(Base):
    """The actuals of one solve job: when they came, the plan's zone, skipped legs."""

    __tablename__ = "actuals"

    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"),
                                        primary_key=True)
    owner: Mapped[str] = mapped_column(Str(64))
    received_at: Mapped[float] = mapped_column(Float)
    tz: Mapped[str] = mapped_column(Str(64))
    skipped_json: Mapped[str] = mapped_column(LongStr(), default="{}")


class ActualVisitRow(Base):
    """One reported visit (UNIX seconds), in the order the client sent it."""

    __tablename__ = "actual_visits"

    job_id: Mapped[str] = mapped_column(ForeignKey("actuals.job_id", ondelete="CASCADE"),
                                        primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_row: Mapped[str] = mapped_column(Str(40))  # "row 4", "visits[3]"
    vehicle: Mapped[str] = mapped_column(Str(200))
    place: Mapped[str] = mapped_column(Str(200))
    kind: Mapped[str] = mapped_column(Str(8))  # start | stop | end
    plan_position: Mapped[int] = mapped_column(Integer)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    arrival: Mapped[float | None] = mapped_column(Float, nullable=True)
    departure: Mapped[float | None] = mapped_column(Float, nullable=True)
    departure_estimated: Mapped[bool] = mapped_column(Boolean, default=False)


class ActualLegRow(Base):
    """A leg that is a training trip; ``owner`` and ``departure`` index the retraining
    and drift reads (an owner's legs in a time window)."""

    __tablename__ = "actual_legs"
    __table_args__ = (Index("ix_actual_legs_owner_departure", "owner", "departure"),
                      Index("ix_actual_legs_job", "job_id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("actuals.job_id", ondelete="CASCADE"))
    owner: Mapped[str] = mapped_column(Str(64))
    vehicle: Mapped[str] = mapped_column(Str(200))
    from_place: Mapped[str] = mapped_column(Str(200))
    to_place: Mapped[str] = mapped_column(Str(200))
    from_row: Mapped[str] = mapped_column(Str(40))
    to_row: Mapped[str] = mapped_column(Str(40))
    origin_lat: Mapped[float] = mapped_column(Float)
    origin_lon: Mapped[float] = mapped_column(Float)
    dest_lat: Mapped[float] = mapped_column(Float)
    dest_lon: Mapped[float] = mapped_column(Float)
    departure: Mapped[float] = mapped_column(Float)
    duration_s: Mapped[float] = mapped_column(Float)
    departure_estimated: Mapped[bool] = mapped_column(Boolean, default=False)
