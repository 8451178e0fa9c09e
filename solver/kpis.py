"""KPIs from an evaluation report: what planners read first."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from solver.evaluate import EvaluationReport
from solver.problem import Problem


@dataclass(frozen=True)
class Kpis:
    cost: float
    distance: float
    duration: float
    vehicles_used: int
    stops_served: int
    unassigned: int
    waiting_time: float
    on_time_rate: float  # share of visits that start within a window
    utilisation: float  # mean over used routes of max over dimensions of load / capacity
    feasible: bool
    lateness_cost: float = 0.0  # soft windows: late_cost x lateness, summed
    max_lateness: float = 0.0  # the latest visit's lateness past its window (seconds)
    overtime_cost: float = 0.0
    breaks: int = 0  # breaks taken
    stops_moved: int = 0  # a day in progress: stops served by another vehicle than planned
    max_eta_shift: float = 0.0  # the largest |service start - promised start| (seconds)
    disruption_cost: float = 0.0

    def as_dict(self) -> dict[str, float | int | bool]:
        return asdict(self)


def compute_kpis(problem: Problem, report: EvaluationReport) -> Kpis:
    """Aggregate the evaluator's numbers; nothing here comes from an engine."""
    capacity = {v.id: v.capacity for v in problem.vehicle_types}
    visits = [v for r in report.routes for v in r.visits]
    late = {v.stop for v in report.violations if v.kind == "time_window"}
    late |= {v.stop for v in visits if v.lateness > 1e-6}  # soft windows: past the end too
    ratios = []
    for r in report.routes:
        caps = capacity[r.vehicle_type]
        used = [load / cap for load, cap in zip(r.load, caps, strict=True) if 0 < cap < float("inf")]
        ratios.append(max(used, default=0.0))
    return Kpis(
        cost=report.cost,
        distance=report.distance,
        duration=report.duration,
        vehicles_used=len(report.routes),
        stops_served=len(visits),
        unassigned=len(report.unassigned_required) + len(report.unassigned_optional),
        waiting_time=sum(v.wait for v in visits),
        on_time_rate=(1.0 - len(late) / len(visits)) if visits else 1.0,
        utilisation=sum(ratios) / len(ratios) if ratios else 0.0,
        feasible=report.feasible,
        lateness_cost=report.lateness_cost,
        max_lateness=max((v.lateness for v in visits), default=0.0),
        overtime_cost=report.overtime_cost,
        breaks=sum(len(r.breaks) for r in report.routes),
        **({} if report.disruption is None else {
            "stops_moved": len(report.disruption.moved),
            "max_eta_shift": report.disruption.max_shift,
            "disruption_cost": report.disruption.cost}),
    )
