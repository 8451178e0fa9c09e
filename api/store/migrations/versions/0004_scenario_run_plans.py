"""Each scenario run's plan, kept so the web app can draw a map per variant.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "scenario_run_plans",
        sa.Column("batch_id", sa.String(40), sa.ForeignKey("jobs.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("key", sa.String(260), primary_key=True),
        sa.Column("solution_json", sa.Text(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("scenario_run_plans")
