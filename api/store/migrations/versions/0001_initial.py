"""The store as it was before migrations (main at 7e138fd): jobs, results, events,
scenario batches and runs.

A database created then (by ``create_all``, with no ``alembic_version``) is stamped at
this revision by :func:`api.store.migrate.upgrade`, then upgraded like any other.

Revision ID: 0001
Revises:
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

BigInt = sa.Integer().with_variant(sa.BigInteger(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "jobs",
        sa.Column("seq", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("owner", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("input_format", sa.String(16), nullable=False),
        sa.Column("problem_json", sa.Text(), nullable=False),
        sa.Column("options_json", sa.Text(), nullable=False),
        sa.Column("problem_name", sa.String(200), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("idempotency_key", sa.String(200), nullable=True),
        sa.Column("cancel_requested", sa.Boolean(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("worker", sa.String(120), nullable=True),
        sa.Column("lease_expires_at", sa.Float(), nullable=True),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("started_at", sa.Float(), nullable=True),
        sa.Column("finished_at", sa.Float(), nullable=True),
        sa.Column("progress_elapsed", sa.Float(), nullable=True),
        sa.Column("progress_iterations", BigInt, nullable=True),
        sa.Column("progress_best_cost", sa.Float(), nullable=True),
        sa.Column("progress_feasible", sa.Boolean(), nullable=True),
        sa.Column("stopped_by", sa.String(40), nullable=True),
        sa.Column("error_json", sa.Text(), nullable=True),
        sa.UniqueConstraint("owner", "idempotency_key", name="uq_jobs_owner_idempotency"),
    )
    op.create_index("ix_jobs_id", "jobs", ["id"], unique=True)
    op.create_index("ix_jobs_queue", "jobs", ["status", "priority", "seq"])
    op.create_index("ix_jobs_owner_seq", "jobs", ["owner", "seq"])
    op.create_table(
        "results",
        sa.Column("job_id", sa.String(40), sa.ForeignKey("jobs.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("solution_json", sa.Text(), nullable=False),
        sa.Column("kpis_json", sa.Text(), nullable=False),
        sa.Column("violations_json", sa.Text(), nullable=False),
        sa.Column("csv", sa.Text(), nullable=False),
        sa.Column("geojson", sa.Text(), nullable=False),
    )
    op.create_table(
        "job_events",
        sa.Column("seq", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("job_id", sa.String(40), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("data_json", sa.Text(), nullable=False),
    )
    op.create_index("ix_events_job_seq", "job_events", ["job_id", "seq"])
    op.create_table(
        "scenario_batches",
        sa.Column("job_id", sa.String(40), sa.ForeignKey("jobs.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("set_json", sa.Text(), nullable=False),
        sa.Column("warm_start", sa.Boolean(), nullable=False),
        sa.Column("n_runs", sa.Integer(), nullable=False),
        sa.Column("axes_json", sa.Text(), nullable=False),
        sa.Column("comparison_json", sa.Text(), nullable=True),
        sa.Column("csv", sa.Text(), nullable=True),
        sa.Column("html", sa.Text(), nullable=True),
    )
    op.create_table(
        "scenario_runs",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("batch_id", sa.String(40), sa.ForeignKey("jobs.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(260), nullable=False),
        sa.Column("variant", sa.String(220), nullable=False),
        sa.Column("seed", BigInt, nullable=False),
        sa.Column("cell_json", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("elapsed_s", sa.Float(), nullable=True),
        sa.Column("iterations", BigInt, nullable=True),
        sa.Column("best_cost", sa.Float(), nullable=True),
        sa.Column("total_cost", sa.Float(), nullable=True),
        sa.Column("feasible", sa.Boolean(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.UniqueConstraint("batch_id", "key", name="uq_scenario_runs_batch_key"),
    )
    op.create_index("ix_scenario_runs_batch_pos", "scenario_runs", ["batch_id", "position"])


def downgrade() -> None:
    for table in ("scenario_runs", "scenario_batches", "job_events", "results", "jobs"):
        op.drop_table(table)
