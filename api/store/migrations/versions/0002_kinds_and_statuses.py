"""Job kinds get their own rows; runs share the jobs' status words.

- ``trainings``: a training job's spec, parameters, model id and result, which it kept in
  ``jobs.problem_json``/``options_json`` and ``results.solution_json`` before; moved here.
- ``jobs.problem_json``/``options_json`` may be null (kinds that solve nothing).
- scenario runs that ended well say ``succeeded``, as jobs do (was ``done``).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "trainings",
        sa.Column("job_id", sa.String(40), sa.ForeignKey("jobs.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("spec_json", sa.Text(), nullable=False),
        sa.Column("params_json", sa.Text(), nullable=False),
        sa.Column("model_id", sa.String(120), nullable=True),
        sa.Column("result_json", sa.Text(), nullable=True),
    )
    with op.batch_alter_table("jobs") as batch:
        batch.alter_column("problem_json", existing_type=sa.Text(), nullable=True)
        batch.alter_column("options_json", existing_type=sa.Text(), nullable=True)
    bind = op.get_bind()
    rows = bind.execute(sa.text(
        "SELECT j.id, j.problem_json, j.options_json, r.solution_json FROM jobs j "
        "LEFT JOIN results r ON r.job_id = j.id WHERE j.kind = 'train'")).all()
    for job_id, spec, params, result in rows:
        model_id = json.loads(result).get("model_id") if result else None
        bind.execute(sa.text(
            "INSERT INTO trainings (job_id, spec_json, params_json, model_id, result_json) "
            "VALUES (:id, :spec, :params, :model, :result)"),
            {"id": job_id, "spec": spec, "params": params, "model": model_id,
             "result": result})
    bind.execute(sa.text(
        "DELETE FROM results WHERE job_id IN (SELECT id FROM jobs WHERE kind = 'train')"))
    bind.execute(sa.text(
        "UPDATE jobs SET problem_json = NULL, options_json = NULL WHERE kind = 'train'"))
    bind.execute(sa.text("UPDATE scenario_runs SET status = 'succeeded' WHERE status = 'done'"))


def downgrade() -> None:
    bind = op.get_bind()
    bind.execute(sa.text("UPDATE scenario_runs SET status = 'done' WHERE status = 'succeeded'"))
    rows = bind.execute(sa.text(
        "SELECT job_id, spec_json, params_json, result_json FROM trainings")).all()
    for job_id, spec, params, result in rows:
        bind.execute(sa.text("UPDATE jobs SET problem_json = :spec, options_json = :params "
                             "WHERE id = :id"), {"id": job_id, "spec": spec, "params": params})
        if result is not None:
            bind.execute(sa.text(
                "INSERT INTO results (job_id, solution_json, kpis_json, violations_json, csv, "
                "geojson) VALUES (:id, :result, '{}', '[]', '', '')"),
                {"id": job_id, "result": result})
    bind.execute(sa.text("UPDATE jobs SET problem_json = '', options_json = '' "
                         "WHERE problem_json IS NULL OR options_json IS NULL"))
    with op.batch_alter_table("jobs") as batch:
        batch.alter_column("problem_json", existing_type=sa.Text(), nullable=False)
        batch.alter_column("options_json", existing_type=sa.Text(), nullable=False)
    op.drop_table("trainings")
