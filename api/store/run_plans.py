"""The plan of each scenario run, kept so the web app can draw a map per variant.

A table of its own (created by ``init_db`` on existing databases too, since
``create_all`` adds missing tables): one row per run that produced a solution.
"""

from __future__ import annotations

from sqlalchemy import ForeignKey, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from api.store.tables import Base, LongStr, Str


class RunPlanRow(Base):
    """A run's solution (routecast solution JSON, costs recomputed by the evaluator)."""

    __tablename__ = "scenario_run_plans"

    batch_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"),
                                          primary_key=True)
    key: Mapped[str] = mapped_column(Str(260), primary_key=True)  # "<variant>#<seed>"
    solution_json: Mapped[str] = mapped_column(LongStr())


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
