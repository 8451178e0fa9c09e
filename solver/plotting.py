"""Pure plot functions: each draws on an optional matplotlib Axes and returns it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from solver.evaluate import EvaluationReport
from solver.problem import Problem

if TYPE_CHECKING:
    from matplotlib.axes import Axes


def _xy(location) -> tuple[float, float]:
    return (location.x, location.y) if location.kind == "planar" else (location.lon, location.lat)


def plot_routes(problem: Problem, report: EvaluationReport, ax: Axes | None = None) -> Axes:
    """Depots, stops and each route as a coloured polyline; unserved stops as crosses."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(8, 8))
    stops = {s.id: s for s in problem.stops}
    depots = {d.id: d for d in problem.depots}
    types = {v.id: v for v in problem.vehicle_types}
    served: set[str] = set()
    for k, route in enumerate(report.routes):
        vtype = types[route.vehicle_type]
        path = [_xy(depots[vtype.start_depot].location)]
        path += [_xy(stops[v.stop].location) for v in route.visits]
        path.append(_xy(depots[vtype.end].location))
        served.update(v.stop for v in route.visits)
        xs, ys = zip(*path, strict=True)
        ax.plot(xs, ys, "-o", ms=3, lw=1.2, color=f"C{k % 10}", label=f"{k + 1}: {vtype.id}")
    left = [_xy(s.location) for s in problem.stops if s.id not in served]
    if left:
        ax.scatter(*zip(*left, strict=True), marker="x", c="k", s=30, label="unserved")
    dx, dy = zip(*(_xy(d.location) for d in problem.depots), strict=True)
    ax.scatter(dx, dy, marker="s", c="red", s=80, zorder=5, label="depot")
    ax.set_title(f"{problem.name}: cost {report.cost:,.1f}, {len(report.routes)} routes")
    ax.set_aspect("equal", adjustable="datalim")
    if len(report.routes) <= 12:
        ax.legend(fontsize=7, loc="best")
    return ax
