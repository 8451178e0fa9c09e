"""``auto`` re-checks the wall clock before each later phase: a main engine that used more
than its share (loading its code, a first plan it cannot interrupt) leaves the polish less
than it needs, and the polish must then not start (issue 15: let none start that cannot
finish)."""

from __future__ import annotations

import time

from solver.engines.portfolio import PortfolioEngine, PortfolioParams
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
