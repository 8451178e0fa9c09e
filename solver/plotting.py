"""Pure plot functions: each draws on an optional matplotlib Axes and returns it."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from solver.evaluate import EvaluationReport
from solver.problem import Problem

if TYPE_CHECKING:
    from matplotlib.axes import Axes


# Route colours without red, which marks late visits and overtime (as in the web app).
ROUTE_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf",
                 "#bcbd22", "#393b79", "#ad494a", "#637939", "#7b4173")


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


def plot_timeline(problem: Problem, report: EvaluationReport,
                  on_time: dict[str, float] | None = None, ax: Axes | None = None) -> Axes:
    """A Gantt row per vehicle: travel, waiting and service (breaks when the plan has
    them), time windows shaded, late visits and overtime in red, and each stop's on-time
    probability when ``on_time`` (learned travel) is given."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker  # noqa: F401  (the clock formatter)

    if ax is None:
        _, ax = plt.subplots(figsize=(11, 1.2 + 0.55 * max(1, len(report.routes))))
    stops = {s.id: s for s in problem.stops}
    types = {v.id: v for v in problem.vehicle_types}
    depots = {d.id: d for d in problem.depots}
    late = {v.stop for v in report.violations if v.kind == "time_window"}
    horizon = (min((r.start_time for r in report.routes), default=0.0),
               max((r.end_time for r in report.routes), default=0.0))
    for k, route in enumerate(report.routes):
        y = len(report.routes) - 1 - k
        vtype = types[route.vehicle_type]
        # The evaluator times the first arrival from the earliest departure; the vehicle
        # leaves at start_time, so the first leg is drawn from there.
        earliest = max(vtype.shift.start, depots[vtype.start_depot].time_window.start)
        prev = route.start_time
        for i, visit in enumerate(route.visits):
            for window in stops[visit.stop].time_windows if visit.stop in stops else []:
                if window.start > horizon[0] or window.end < horizon[1]:  # not always open
                    end = window.end if math.isfinite(window.end) else horizon[1]
                    ax.broken_barh([(window.start, end - window.start)], (y - 0.42, 0.12),
                                   color="#c9e4c5")
            arrival = (max(visit.arrival, prev + max(0.0, visit.arrival - earliest)) if i == 0
                       else visit.arrival)
            ax.broken_barh([(prev, arrival - prev)], (y - 0.06, 0.12), color="#9aa3b2")
            if visit.start > arrival:
                ax.broken_barh([(arrival, visit.start - arrival)], (y - 0.18, 0.36),
                               facecolor="none", edgecolor="#b8c0cc", hatch="///", lw=0.5)
            kind = getattr(visit, "kind", "service")
            colour = ("#d62728" if visit.stop in late else "#555555" if kind == "break"
                      else ROUTE_COLOURS[k % len(ROUTE_COLOURS)])
            ax.broken_barh([(visit.start, max(visit.departure - visit.start, 1e-9))],
                           (y - 0.28, 0.56), color=colour, edgecolor="white", lw=0.5)
            if on_time and visit.stop in on_time:
                ax.text(visit.start, y + 0.32, f"{100 * on_time[visit.stop]:.0f}%", fontsize=6,
                        color="#d62728" if on_time[visit.stop] < 0.8 else "#176b2c")
            prev = visit.departure
        ax.broken_barh([(prev, route.end_time - prev)], (y - 0.06, 0.12), color="#9aa3b2")
        shift_end = vtype.shift.end
        if route.end_time > shift_end:
            ax.broken_barh([(shift_end, route.end_time - shift_end)], (y - 0.3, 0.6),
                           facecolor="none", edgecolor="#d62728", lw=1.5)
    ax.set_yticks(range(len(report.routes)))
    ax.set_yticklabels(list(reversed(_vehicle_labels(report))))
    ax.set_ylim(-0.6, len(report.routes) - 0.4)
    geo = problem.depots[0].location.kind == "geo"
    if geo:
        departure = getattr(problem.travel, "departure", None)  # learned travel's origin
        offset = departure.hour * 3600 + departure.minute * 60 if departure else 0

        def clock(t: float, _: object) -> str:
            m = int((t + offset) // 60)
            return f"{m // 60:02d}:{m % 60:02d}"

        ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(clock))
        low, high = ax.get_xlim()
        step = next((s for s in (300, 900, 1800, 3600, 7200, 10800) if (high - low) / s <= 10),
                    21600)
        ax.xaxis.set_major_locator(matplotlib.ticker.MultipleLocator(step, offset=-offset))
    ax.set_xlabel("time of day" if geo else "time")
    from matplotlib.patches import Patch

    ax.legend(handles=[Patch(color="#9aa3b2", label="travel"),
                       Patch(facecolor="none", edgecolor="#b8c0cc", hatch="///", label="waiting"),
                       Patch(color=ROUTE_COLOURS[0], label="service"),
                       Patch(color="#c9e4c5", label="window"),
                       Patch(color="#d62728", label="late / overtime")],
              fontsize=7, ncols=5, loc="upper center", frameon=False,
              bbox_to_anchor=(0.5, -0.6 / (ax.get_position().height * ax.figure.get_figheight())))
    ax.set_title(f"{problem.name}: {len(report.routes)} vehicles, {len(late)} late visits")
    ax.grid(axis="x", color="#eceef2")
    return ax


def _vehicle_labels(report: EvaluationReport) -> list[str]:
    """``type #n`` per route, numbering the vehicles of each type."""
    seen: dict[str, int] = {}
    labels = []
    for route in report.routes:
        seen[route.vehicle_type] = seen.get(route.vehicle_type, 0) + 1
        labels.append(f"{route.vehicle_type} #{seen[route.vehicle_type]}")
    return labels
