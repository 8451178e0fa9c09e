"""The store's schema at main 7e138fd, the last before migrations (a frozen copy of
api/store/tables.py then): tests build a store "written by that version" with it and
check that migrating it loses nothing."""

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
    """One job: its input, status, lease and progress. ``seq`` orders the queue."""

    __tablename__ = "jobs"
    __table_args__ = (
        UniqueConstraint("owner", "idempotency_key", name="uq_jobs_owner_idempotency"),
        Index("ix_jobs_queue", "status", "priority", "seq"),
        Index("ix_jobs_owner_seq", "owner", "seq"),
    )

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(Str(40), unique=True, index=True)
    owner: Mapped[str] = mapped_column(Str(64))
    kind: Mapped[str] = mapped_column(Str(16), default="solve")
    status: Mapped[str] = mapped_column(Str(16))
    priority: Mapped[int] = mapped_column(Integer, default=0)
    input_format: Mapped[str] = mapped_column(Str(16), default="routecast")
    problem_json: Mapped[str] = mapped_column(LongStr())
    options_json: Mapped[str] = mapped_column(LongStr())
    problem_name: Mapped[str] = mapped_column(Str(200), default="problem")
    content_hash: Mapped[str] = mapped_column(Str(64))
    idempotency_key: Mapped[str | None] = mapped_column(Str(200), nullable=True)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=2)
    worker: Mapped[str | None] = mapped_column(Str(120), nullable=True)
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


class ResultRow(Base):
    """The solution of a finished job and its ready-made exports."""

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
    status: Mapped[str] = mapped_column(Str(16))  # queued running done failed cancelled
    elapsed_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    iterations: Mapped[int | None] = mapped_column(BigInt, nullable=True)
    best_cost: Mapped[float | None] = mapped_column(Float, nullable=True)
    total_cost: Mapped[float | None] = mapped_column(Float, nullable=True)
    feasible: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    error: Mapped[str | None] = mapped_column(LongStr(), nullable=True)
    updated_at: Mapped[float] = mapped_column(Float)
