"""The plan of each scenario run, kept so the web app can draw a map per variant.

One row of ``scenario_run_plans`` (migration 0004) per run that produced a solution.
"""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from api.store.tables import RunPlanRow


def save_run_plans(session: Session, *, batch_id: str, plans: dict[str, str]) -> None:
    """Replace the batch's stored plans (a retried batch reruns every run)."""
    session.execute(delete(RunPlanRow).where(RunPlanRow.batch_id == batch_id))
    session.add_all(RunPlanRow(batch_id=batch_id, key=key, solution_json=text)
                    for key, text in plans.items())
    session.commit()


def run_plan(session: Session, *, batch_id: str, key: str) -> str | None:
    """The solution JSON of one run, or None when it produced no plan."""
    return session.scalar(select(RunPlanRow.solution_json).where(
        RunPlanRow.batch_id == batch_id, RunPlanRow.key == key))
