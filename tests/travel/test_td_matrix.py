"""travel.kind "time_dependent_matrix": validation, FIFO, and engines judged by the evaluator."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from pydantic import ValidationError

from solver.compile import compile_problem
from solver.evaluate import evaluate
from solver.options import SolveOptions
from solver.pipeline import solve
from solver.problem import Problem
from solver.td_travel import enforce_fifo, fifo_violation
from solver.travel.base import TravelTensor
from tests.solver.engines.cases import city_day


def _small(slices: list[dict[str, Any]], **travel: Any) -> dict[str, Any]:
    """Depot D and stops A, B (planar; the matrices are what counts)."""
    return {
        "depots": [{"id": "D", "location": {"x": 0, "y": 0}}],
        "stops": [{"id": "A", "location": {"x": 1, "y": 0}},
                  {"id": "B", "location": {"x": 0, "y": 1}}],
        "vehicle_types": [{"id": "van", "start_depot": "D", "cost_per_distance": 0,
                           "cost_per_time": 1}],
        "travel": {"kind": "time_dependent_matrix", "locations": ["D", "A", "B"],
                   "slices": slices, **travel},
    }


def _m(v: float) -> list[list[float]]:
    return [[0, v, v], [v, 0, v], [v, v, 0]]


def _error(data: dict[str, Any]) -> str:
    with pytest.raises(ValidationError) as info:
        Problem.model_validate(data)
    return str(info.value)


def test_valid_slices_build_a_time_dependent_tensor() -> None:
    """Slices in locations order come out in node order; the first covers time 0."""
    data = _small([{"start": 100, "duration": _m(10)}, {"start": 500, "duration": _m(20)}])
    data["travel"]["locations"] = ["B", "D", "A"]
    data["travel"]["slices"][1]["duration"][0][1] = 7.0  # B -> D from 500 s on
    travel = compile_problem(Problem.model_validate(data)).travel
    assert isinstance(travel, TravelTensor) and travel.time_dependent
    assert list(travel.slice_starts) == [0.0, 500.0]
    assert travel.duration[1, 2, 0] == 7.0  # node order D, A, B: B is 2, D is 0
    assert travel.duration[0, 2, 0] == 10.0
    assert not travel.distance.any()


@pytest.mark.parametrize(("slices", "needle"), [
    ([{"start": 0, "duration": [[0, 1], [1, 0]]}], "slices[0].duration must be a 3 x 3"),
    ([{"start": 0, "duration": _m(5)}, {"start": 0, "duration": _m(5)}],
     "slices[1].start (0 s) must be after slices[0].start"),
    ([{"start": 0, "duration": _m(5)}, {"start": 60, "duration": _m(5),
                                        "distance": [[0, 1], [1, 0]]}],
     "slices[1].distance must be a 3 x 3"),
    ([{"start": 0, "duration": _m(5)}, {"start": "Infinity", "duration": _m(5)}],
     "slices[1].start must be finite"),
    ([{"start": 0, "duration": _m(5), "distance": _m(1)},
      {"start": 60, "duration": _m(5), "distance": _m(2)}],
     "slices[1].distance differs from slices[0].distance"),
])
def test_bad_slices_are_named(slices, needle) -> None:
    assert needle in _error(_small(slices))


@pytest.mark.parametrize("bad", [-1.0, math.inf, math.nan])
def test_negative_or_non_finite_values_are_refused_where_they_are(bad) -> None:
    m = _m(5)
    m[2][1] = bad
    with pytest.raises(ValidationError) as info:
        Problem.model_validate(_small([{"start": 0, "duration": _m(5)},
                                       {"start": 60, "duration": m}]))
    locs = [e["loc"] for e in info.value.errors()]
    assert any(loc[-4:] == (1, "duration", 2, 1) for loc in locs), locs


def test_non_fifo_slices_are_refused_naming_slice_and_arc() -> None:
    """Leaving A for B at 60 s takes 10 s (arrives 70), at 0 s it took 100 (arrives 100)."""
    slow, fast = _m(5), _m(5)
    slow[1][2], fast[1][2] = 100.0, 10.0
    text = _error(_small([{"start": 0, "duration": slow}, {"start": 60, "duration": fast}]))
    assert "slices[1].duration is not FIFO" in text
    assert "'A' for 'B'" in text and "70 s" in text and "100 s" in text


def test_enforced_fifo_lowers_the_earlier_slice_to_the_later_arrival() -> None:
    slow, fast = _m(5), _m(5)
    slow[1][2], fast[1][2] = 100.0, 10.0
    problem = Problem.model_validate(_small(
        [{"start": 0, "duration": slow}, {"start": 60, "duration": fast}], fifo="enforce"))
    travel = compile_problem(problem).travel
    assert travel.duration[0, 1, 2] == 70.0  # wait until 60, then 10 s
    assert travel.duration[1, 1, 2] == 10.0 and travel.duration[0, 2, 1] == 5.0


def test_fifo_helpers_agree_on_random_matrices() -> None:
    """enforce_fifo's output has no violation, never raises a time, and keeps FIFO data."""
    rng = np.random.default_rng(5)
    starts = np.cumsum(rng.uniform(10, 200, size=8))
    dur = rng.uniform(1, 600, size=(8, 6, 6))
    assert fifo_violation(starts, dur) is not None
    fixed, changed = enforce_fifo(starts, dur)
    assert fifo_violation(starts, fixed) is None and changed > 0
    assert (fixed <= dur).all()
    again, none = enforce_fifo(starts, fixed)
    assert none == 0 and np.array_equal(again, fixed)


def test_missing_distance_refused_when_distance_is_priced() -> None:
    data = _small([{"start": 0, "duration": _m(5)}])
    data["vehicle_types"][0]["cost_per_distance"] = 1.0
    assert "no slice of travel gives a distance matrix" in _error(data)


def _city_problem(n: int = 14, seed: int = 2, count: int = 4) -> tuple[Problem, TravelTensor]:
    """The synthetic city's weekday morning as user-supplied slices (distance in slice 0)."""
    problem, truth = city_day(n=n, seed=seed, count=count)
    ids = [d.id for d in problem.depots] + [s.id for s in problem.stops]
    slices = [{"start": float(s), "duration": truth.duration[k].tolist()}
              for k, s in enumerate(truth.slice_starts)]
    slices[0]["distance"] = truth.distance.tolist()
    data = problem.model_dump()
    data["travel"] = {"kind": "time_dependent_matrix", "locations": ids, "slices": slices,
                      "fifo": "enforce"}
    return Problem.model_validate(data), truth


@pytest.mark.parametrize("engine", ["ils", "ortools"])
def test_engines_plan_on_user_slices_as_the_evaluator_judges(engine) -> None:
    """Each engine's plan, re-timed by the independent evaluator on the same slices, is
    complete and feasible, and the engine's claimed cost is the evaluator's."""
    problem, _ = _city_problem()
    outcome = solve(problem, SolveOptions(engine=engine, time_limit=3.0, seed=0))
    assert outcome.compiled.travel.time_dependent
    report = evaluate(problem, outcome.solution, outcome.compiled.travel)
    assert report.feasible, report.violations
    assert not outcome.solution.unassigned
    assert math.isclose(outcome.solution.stats.claimed_cost, report.cost,
                        rel_tol=1e-9, abs_tol=1e-6)


def test_the_slices_change_the_evaluated_times() -> None:
    """The same plan costs more in time once the 08:00 peak slices are in the tensor than
    with free flow all day (slice 0 only): the slices are read, not just the first."""
    problem, truth = _city_problem()
    outcome = solve(problem, SolveOptions(engine="ils", time_limit=2.0, seed=0))
    free = TravelTensor(truth.distance, truth.duration[:1], np.zeros(1))
    peak = evaluate(problem, outcome.solution, outcome.compiled.travel)
    flat = evaluate(problem, outcome.solution, free)
    assert peak.cost > flat.cost


def test_replan_residual_copies_a_started_vehicle_position_into_every_slice() -> None:
    """A vehicle that served A becomes a depot at A's place: each slice gains its row and
    column (A's times), so the residual problem keeps time-dependent travel."""
    from solver.replan.residual import residual_problem

    m0, m1 = _m(10), _m(4)
    m0[1][2], m1[1][2] = 30.0, 25.0  # A -> B
    data = _small([{"start": 0, "duration": m0}, {"start": 100, "duration": m1}])
    data["in_progress"] = {"now": 50, "vehicles": [
        {"vehicle": "van#1", "served": [{"stop": "A", "arrival": 10, "departure": 20}]}]}
    problem = Problem.model_validate(data)
    residual = residual_problem(problem, compile_problem(problem).travel)
    travel = residual.problem.travel
    assert travel.locations[-1] == "@van#1"
    assert [s.duration[-1][2] for s in travel.slices] == [30.0, 25.0]  # @van#1 -> B
    assert residual.problem.stops[0].id == "B"


def test_adding_stops_to_user_matrices_is_refused() -> None:
    from solver.scenarios.errors import ScenarioError
    from solver.scenarios.ops_stops import AddStops

    problem = Problem.model_validate(_small([{"start": 0, "duration": _m(5)}]))
    with pytest.raises(ScenarioError, match="explicit travel matrices have no entries"):
        AddStops(count=1).apply(problem)
