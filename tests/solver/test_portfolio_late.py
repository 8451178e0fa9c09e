"""``auto`` re-checks the wall clock before each later phase: a main engine that used more
than its share (loading its code, a first plan it cannot interrupt) leaves the polish less
than it needs, and the polish must then not start (issue 15: let none start that cannot
finish)."""

from __future__ import annotations

import time
from dataclasses import replace

import pytest

from solver.engines.portfolio import PortfolioEngine, PortfolioParams
from solver.errors import NoSolutionError
from solver.io import read_instance
from tests.solver.oracle import checked
from tests.solver.test_portfolio import TINY, OneStopPerRoute, run


class SlowStart(OneStopPerRoute):
    """The poor main engine after ``delay`` seconds it does not let its stop interrupt."""

    def __init__(self, delay: float) -> None:
        self.delay = delay

    def solve(self, compiled, options, progress, stop, *, initial=None, pool=None):
        time.sleep(self.delay)
        return super().solve(compiled, options, progress, stop)


def test_polish_skipped_when_the_main_engine_overran_its_share():
    """Planned (half of 2 s >= its 0.5 s minimum), the polish finds 0.3 s left and is
    skipped; the main plan is returned, checked by the evaluator."""
    problem = read_instance(TINY)
    params = PortfolioParams(polish_share=0.5, polish_min_s=0.5, setpart_share=0.0,
                             bound_share=0.0, exact_max_stops=0)
    compiled, result = run(problem, PortfolioEngine(params, main=SlowStart(1.7)), 2.0)
    assert result.stats.get("polish_skipped_late") == 1.0
    assert "polish_s" not in result.stats
    checked(problem, compiled, result, "auto")


def test_polish_runs_when_the_clock_leaves_it_its_minimum():
    """The same plan with a main engine that kept to its share: the polish runs."""
    problem = read_instance(TINY)
    params = PortfolioParams(polish_share=0.5, polish_min_s=0.5, setpart_share=0.0,
                             bound_share=0.0, exact_max_stops=0)
    compiled, result = run(problem, PortfolioEngine(params, main=SlowStart(0.0)), 2.0)
    assert "polish_skipped_late" not in result.stats
    assert "polish_s" in result.stats
    checked(problem, compiled, result, "auto")


class Cold(OneStopPerRoute):
    """A main engine whose code would take ``cold`` seconds to load; it records calls."""

    name = "cold-main"

    def __init__(self, cold: float) -> None:
        self.cold, self.calls = cold, 0

    def cold_start_s(self, compiled, budget=None) -> float:
        return self.cold

    def solve(self, compiled, options, progress, stop, *, initial=None, pool=None):
        self.calls += 1
        return super().solve(compiled, options, progress, stop)


NO_PHASES = PortfolioParams(polish_share=0.0, setpart_share=0.0, bound_share=0.0,
                            exact_max_stops=0)


def test_a_main_engine_that_cannot_load_in_the_budget_gives_way_to_ortools():
    """Loading for 1,000 s against a 2 s budget: OR-Tools is the main engine (the greedy
    plan beside it), said so in the stats; the plan is evaluator-checked."""
    problem = read_instance(TINY)
    main = Cold(1000.0)
    compiled, result = run(problem, PortfolioEngine(NO_PHASES, main=main), 2.0)
    assert main.calls == 0 and result.stats["ils_skipped_cold"] == 1.0
    assert "ortools_s" in result.stats and result.produced_by in {"ortools", "greedy"}
    checked(problem, compiled, result, "auto")


def test_a_main_engine_that_loads_in_time_runs():
    main = Cold(0.5)
    _, result = run(read_instance(TINY), PortfolioEngine(NO_PHASES, main=main), 2.0)
    assert main.calls == 1 and "ils_skipped_cold" not in result.stats


def test_ortools_without_a_first_plan_leaves_the_greedy_plan(monkeypatch):
    """OR-Tools as the main engine under ``insure_below_s`` runs after the greedy
    construction; when it finds nothing, auto returns the greedy plan, not an error."""
    problem = read_instance(TINY)
    auto = PortfolioEngine(NO_PHASES, main="ortools")

    def no_plan(*args, **kwargs):
        raise NoSolutionError("ortools: no solution (routing status 4)")

    monkeypatch.setattr(auto._ortools, "solve", no_plan)
    compiled, result = run(problem, auto, 1.0)
    assert result.produced_by == "greedy" and result.stats["main_failed"] == 1.0
    checked(problem, compiled, result, "auto")
    assert not [i for i in range(compiled.n_depots, compiled.n_nodes)
                if compiled.required[i] and i in result.unassigned]


def test_without_insurance_ortools_failing_is_auto_failing(monkeypatch):
    """Above ``insure_below_s`` no greedy plan is made: the failure stands (the pipeline
    decides what a late failure means, ``engines/deadline.py``)."""
    auto = PortfolioEngine(replace(NO_PHASES, insure_below_s=0.5), main="ortools")

    def no_plan(*args, **kwargs):
        raise NoSolutionError("ortools: no solution (routing status 4)")

    monkeypatch.setattr(auto._ortools, "solve", no_plan)
    with pytest.raises(NoSolutionError, match="routing status 4"):
        run(read_instance(TINY), auto, 1.0)
