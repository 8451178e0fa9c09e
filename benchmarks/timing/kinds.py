"""The instance kinds of the adherence table, each built the same way in every process."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from solver.demo import demo_problem
from solver.io import read_instance
from solver.problem import LearnedTravel, Problem, Shipment

SHARED = Path("/work/shared/instances")
KINDS = ("cvrp-x", "vrptw-gh", "multi-window", "learned", "shipments", "tiny", "operating-day")
DEPARTURE = datetime(2024, 1, 29, 7, 0, tzinfo=UTC)  # the CLI demo's Monday morning


def build(kind: str) -> Problem:
    """The problem of ``kind``: X-n101-k25, GH C1_2_1 (200 stops), the 60-stop demo day,
    the same day on learned travel (hourly slices, 12 h), 20 shipments on a 40-stop day,
    a 4-stop problem (where a limit should not be a duration), and the repository's
    operating day (``instances/day``)."""
    if kind == "cvrp-x":
        return read_instance(SHARED / "CVRP" / "X-n101-k25.vrp")
    if kind == "vrptw-gh":
        return read_instance(SHARED / "GH200" / "C1_2_1.txt")
    if kind == "multi-window":
        return demo_problem()
    if kind == "learned":
        return demo_problem(travel=LearnedTravel(departure=DEPARTURE, slice_minutes=60,
                                                 horizon_hours=12))
    if kind == "shipments":
        day = demo_problem(n_stops=40)
        pairs = [Shipment(id=f"P{k}", pickup=day.stops[2 * k].id,
                          delivery=day.stops[2 * k + 1].id, amount=[2.0, 0.0])
                 for k in range(20) if day.stops[2 * k].required == day.stops[2 * k + 1].required]
        return day.model_copy(update={"shipments": pairs})
    if kind == "operating-day":  # 300 stops, 3 depots, breaks, soft windows (ILS refuses)
        return read_instance(Path(__file__).resolve().parents[2] / "instances" / "day"
                             / "operating_day.json")
    if kind == "tiny":
        return read_instance(Path(__file__).resolve().parents[2] / "instances" / "tiny"
                             / "tiny4.json")
    raise ValueError(f"unknown kind {kind!r}; known: {', '.join(KINDS)}")
