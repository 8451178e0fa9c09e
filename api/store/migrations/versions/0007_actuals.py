"""Actuals of executed routes and the legs that became training trips (issue 18).

- ``actuals``: one row per solve job with actuals (when they came, zone, skipped legs);
- ``actual_visits``: each reported visit;
- ``actual_legs``: each leg kept as a training trip, indexed by (owner, departure).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "actuals",
        sa.Column("job_id", sa.String(40), sa.ForeignKey("jobs.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("owner", sa.String(64), nullable=False),
        sa.Column("received_at", sa.Float(), nullable=False),
        sa.Column("tz", sa.String(64), nullable=False),
        sa.Column("skipped_json", sa.Text(), nullable=False),
    )
    op.create_table(
        "actual_visits",
        sa.Column("job_id", sa.String(40),
                  sa.ForeignKey("actuals.job_id", ondelete="CASCADE"), primary_key=True),
        sa.Column("position", sa.Integer(), primary_key=True),
        sa.Column("source_row", sa.String(40), nullable=False),
        sa.Column("vehicle", sa.String(200), nullable=False),
        sa.Column("place", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("plan_position", sa.Integer(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("arrival", sa.Float(), nullable=True),
        sa.Column("departure", sa.Float(), nullable=True),
        sa.Column("departure_estimated", sa.Boolean(), nullable=False),
    )
    op.create_table(
        "actual_legs",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("job_id", sa.String(40),
                  sa.ForeignKey("actuals.job_id", ondelete="CASCADE"), nullable=False),
        sa.Column("owner", sa.String(64), nullable=False),
        sa.Column("vehicle", sa.String(200), nullable=False),
        sa.Column("from_place", sa.String(200), nullable=False),
        sa.Column("to_place", sa.String(200), nullable=False),
        sa.Column("from_row", sa.String(40), nullable=False),
        sa.Column("to_row", sa.String(40), nullable=False),
        sa.Column("origin_lat", sa.Float(), nullable=False),
        sa.Column("origin_lon", sa.Float(), nullable=False),
        sa.Column("dest_lat", sa.Float(), nullable=False),
        sa.Column("dest_lon", sa.Float(), nullable=False),
        sa.Column("departure", sa.Float(), nullable=False),
        sa.Column("duration_s", sa.Float(), nullable=False),
        sa.Column("departure_estimated", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_actual_legs_owner_departure", "actual_legs", ["owner", "departure"])
    op.create_index("ix_actual_legs_job", "actual_legs", ["job_id"])


def downgrade() -> None:
    op.drop_index("ix_actual_legs_job", table_name="actual_legs")
    op.drop_index("ix_actual_legs_owner_departure", table_name="actual_legs")
    op.drop_table("actual_legs")
    op.drop_table("actual_visits")
    op.drop_table("actuals")
