"""``ils``' first plan under the clock (issues 13 and 15): the construction, the first
local search and its repair run in chunks between which the stop criterion may cut them.

Deterministic: budgets are counts of work (clients inserted, candidate routes priced),
and the clock is a stop criterion that answers by its number of calls."""

from __future__ import annotations

import math

import numpy as np
import pytest

from solver.compile import compile_problem
from solver.diagnosis import idle_vehicle_could_serve
from solver.engines.deadline import solve_in_time
from solver.engines.heuristic import _search as ks
from solver.engines.heuristic._rng import seed_state, shuffle
from solver.engines.heuristic.engine import IlsEngine, IlsSearch, SharedInstance
from solver.engines.heuristic.instance import (
    build_instance,
    initial_penalties,
    new_state,
    new_work,
    with_neighbours,
)
from solver.engines.heuristic.params import HeuristicParams
from solver.engines.progress import no_progress
from solver.evaluate import evaluate
from solver.options import SolveOptions
from solver.pipeline import decode
from solver.problem import Break, DrivingRule, TimeWindow
from tests.solver.engines.cases import vrptw


def _break_day(n: int = 60, seed: int = 0):
    """``vrptw(n)`` on a longer shift with two breaks per van and a driving rule, so the
    segment data cannot price the routes and every move takes the exact labelling."""
    problem = vrptw(n, seed)
    shift = TimeWindow(start=0, end=1500)
    van = problem.vehicle_types[0].model_copy(update={
        "count": max(n // 6, 2), "shift": shift, "cost_per_time": 0.5,
        "breaks": [Break(id="b1", earliest_start=100, latest_start=250, duration=20),
                   Break(id="b2", earliest_start=400, latest_start=600, duration=20)],
        "driving": DrivingRule(max_driving=300, break_duration=20)})
    depot = problem.depots[0].model_copy(update={"time_window": shift})
    return problem.model_copy(update={"vehicle_types": [van], "depots": [depot]})


def _kernels(problem, seed: int = 0):
    params = HeuristicParams()
    inst = build_instance(compile_problem(problem), params)
    inst = with_neighbours(inst, inst.active, params)
    return inst, new_work(inst, initial_penalties(inst)), new_state(inst), seed_state(seed)


def _routes(st):
    return [st.nodes[r, : st.length[r]].tolist() for r in range(st.length.shape[0])]


def _all(inst):
    return np.ones(inst.active.shape[0], dtype=np.bool_)


@pytest.mark.parametrize("problem", [vrptw(40, 1), _break_day()], ids=["vrptw", "breaks"])
def test_chunked_first_plan_is_the_one_call_plan(problem):
    """The construction and the local search in chunks of 3 and 5 priced routes make the
    plan one call of each makes: same routes, same work counted."""
    inst, work, st, rng = _kernels(problem)
    ks.construct(inst, st, work, rng)
    ks.local_search(inst, st, work, rng, _all(inst))

    inst, work2, st2, rng2 = _kernels(problem)
    shuffle(rng2, work2.order)
    at, chunks = 0, 0
    while at >= 0:
        at = ks.construct_from(inst, st2, work2, at, 3)
    shuffle(rng2, work2.order)
    promising = _all(inst)
    at, improved = np.int64(0), np.bool_(False)
    while at >= 0:
        at, improved = ks.search_from(inst, st2, work2, promising, at, improved, 5)
        chunks += 1
    assert chunks > 10  # the budget did cut it
    assert _routes(st2) == _routes(st)
    assert work2.evals[0] == work.evals[0]
    assert np.array_equal(rng2, rng)


def test_a_budgeted_search_stops_after_its_budget():
    """``search_from`` stops at the first client after its budget of priced routes (one
    client tries each of its neighbours: at most a few hundred more), and says where to
    resume; unbudgeted, it goes on to a local optimum."""
    inst, work, st, rng = _kernels(_break_day())
    ks.construct(inst, st, work, rng)
    before = int(work.evals[0])
    at, _ = ks.search_from(inst, st, work, _all(inst), np.int64(0), np.bool_(False), 50)
    used = int(work.evals[0]) - before
    assert at >= 0
    assert 50 <= used < 50 + 12 * inst.neigh.shape[1] + inst.capacity.shape[0] + 2
    at, _ = ks.search_from(inst, st, work, _all(inst), at, np.bool_(False), np.int64(-1))
    assert at == -1


def _calls_until(n: int):
    """A stop criterion that answers ``time_limit`` from its ``n``-th call on."""
    calls = [0]

    def stop(_iteration: int) -> str | None:
        calls[0] += 1
        return "time_limit" if calls[0] >= n else None

    return stop


def _evaluated(problem, compiled, result):
    solution = decode(compiled, result, "ils", 0.0)
    return evaluate(problem, solution, compiled.travel)


@pytest.mark.parametrize("calls", [1, 2, 4, 9, 30])
def test_a_first_plan_cut_anywhere_is_whole_and_feasible(calls):
    """Cut by the clock before the construction, after it or inside the first local
    search (or later: how far 30 calls reach depends on the machine's pace), ``ils``
    returns a plan the evaluator finds feasible, at its claimed cost, with every stop
    routed once or unassigned; ``stopped_by`` and ``first_plan_cut`` say that the clock
    stopped it. The construction of 60 stops is one chunk and the local search takes
    more than two, so up to 4 calls always cut the first plan."""
    problem = _break_day()
    compiled = compile_problem(problem)
    result = IlsEngine().solve(compiled, SolveOptions(time_limit=10), lambda e: None,
                               _calls_until(calls))
    assert result.stopped_by == "time_limit"
    if calls <= 4:
        assert result.stats["first_plan_cut"] == 1.0 and result.iterations == 0
    routed = [int(i) for _, nodes in result.routes for i in nodes]
    assert len(routed) == len(set(routed))
    assert sorted(routed + list(result.unassigned)) == list(
        range(compiled.n_depots, compiled.n_depots + len(problem.stops)))
    report = _evaluated(problem, compiled, result)
    assert report.feasible
    assert result.cost == pytest.approx(report.cost, rel=1e-9, abs=1e-6)
    if calls == 1:  # no clock left at all: nothing was built
        assert not result.routes


def test_no_clock_left_falls_back_to_the_greedy_plan():
    """An exhausted clock leaves ``ils`` without a plan; the pipeline's insurance
    (``deadline.solve_in_time``) then returns the greedy one, feasible, and without a
    required stop out that an idle vehicle could serve (what the pipeline demands)."""
    problem = _break_day()
    compiled = compile_problem(problem)
    options = SolveOptions(time_limit=10)
    result = solve_in_time(IlsEngine(), compiled, options, lambda e: None,
                           _calls_until(1), 0.0, clock=lambda: options.time_limit)
    assert result.produced_by == "greedy" and result.stopped_by == "time_limit"
    assert _evaluated(problem, compiled, result).feasible
    assert not idle_vehicle_could_serve(compiled, result.routes, list(result.unassigned))


def test_an_iteration_limit_does_not_cut_the_first_plan():
    """Only the clock and a cancellation cut the first plan: under a criterion that says
    ``iteration_limit`` from the start the plan is the whole first local optimum, and
    ``stopped_by`` says why it ended."""
    problem = _break_day()
    compiled = compile_problem(problem)
    result = IlsEngine().solve(compiled, SolveOptions(time_limit=10, iteration_limit=1),
                               lambda e: None, lambda it: "iteration_limit")
    assert result.stopped_by == "iteration_limit"
    assert result.stats["first_plan_cut"] == 0.0
    assert _evaluated(problem, compiled, result).feasible
    assert not idle_vehicle_could_serve(compiled, result.routes, list(result.unassigned))
    assert math.isfinite(result.cost)


def test_an_ils_chunk_stops_at_its_budget():
    """``ks.ils_chunk`` starts no iteration once its budget of priced routes is spent (the
    engine sizes it to the time left); without a budget it runs the ones asked for."""
    shared = SharedInstance.build(compile_problem(_break_day()), HeuristicParams())
    search = IlsSearch(shared, 0, lambda e: None, 0.0)
    search.construct(None)
    evals = int(search.work.evals[0])
    assert not search._iterate(5, 0)
    assert search.iterations == 0 and int(search.work.evals[0]) == evals
    search._iterate(5, -1)
    assert search.iterations == 5


def test_a_chunk_after_one_that_priced_nothing_still_iterates():
    """A pace of 0 (a chunk that priced no route, as on tiny problems) once sized the next
    chunk's budget to 0 routes: no iteration ran, the pace stayed 0, and the search spun
    until its time limit (ils ended a 5-stop day without a plan after 66 s in the suite)."""
    shared = SharedInstance.build(compile_problem(vrptw(10, 0)), IlsEngine().params)
    search = IlsSearch(shared, 1, no_progress, 0.0)
    assert search.construct(None) is None
    search.pace = 0.0
    asked = []

    def check() -> str | None:
        asked.append(1)
        return "time_limit" if len(asked) > 50 else None

    assert search.advance(20, check, lambda: 5.0) is None
    assert search.done == 20
