"""solve(): decoding to ids, encoding warm starts, and the evaluator's final word."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from solver.compile import compile_problem
from solver.engines import EngineResult
from solver.engines.catalog import FACTORIES
from solver.io import read_instance
from solver.options import SolveOptions
from solver.pipeline import decode, encode, solve
from solver.solution import Route, Solution

TINY = Path(__file__).resolve().parents[2] / "instances" / "tiny" / "tiny4.json"


def test_encode_decode_round_trip():
    """encode() inverts decode(): the same routes, by type and stop ids."""
    problem = read_instance(TINY)
    compiled = compile_problem(problem)
    plan = Solution(routes=[Route(vehicle_type="van", stops=["B", "A"]),
                            Route(vehicle_type="van", stops=["C"])])
    encoded = encode(compiled, plan)
    assert [k for k, _ in encoded.routes] == [0, 0]
    back = decode(compiled, encoded, "x", 0.0)
    assert [r.stops for r in back.routes] == [["B", "A"], ["C"]]


def test_encode_skips_what_the_problem_lacks():
    """Unknown stops and vehicle types in a warm start are skipped, not fatal."""
    compiled = compile_problem(read_instance(TINY))
    plan = Solution(routes=[Route(vehicle_type="bike", stops=["A"]),
                            Route(vehicle_type="van", stops=["Z", "B"])])
    encoded = encode(compiled, plan)
    assert len(encoded.routes) == 1
    assert np.array_equal(encoded.routes[0][1], [compiled.stop_index()["B"]])


def test_warm_start_reaches_an_engine_that_takes_it(monkeypatch):
    """A warm start is passed to engines that say they use one (``warm_starts``)."""

    seen: list[EngineResult | None] = []

    class Recorder:
        name = "test-recorder"
        warm_starts = True

        def supports(self, compiled):
            return None

        def solve(self, compiled, options, progress, stop, *, initial=None, pool=None):
            seen.append(initial)
            routes = initial.routes if initial is not None else []
            return EngineResult(routes=routes, unassigned={}, cost=0.0)

    monkeypatch.setitem(FACTORIES, Recorder.name, Recorder)
    problem = read_instance(TINY)
    plan = Solution(routes=[Route(vehicle_type="van", stops=["A", "B", "C"])])
    outcome = solve(problem, SolveOptions(engine="test-recorder", time_limit=1), initial=plan)
    assert seen[0] is not None and len(seen[0].routes) == 1
    # the cost users see is the evaluator's, whatever the engine claimed
    assert outcome.solution.cost == outcome.report.cost == 145.0
    assert outcome.solution.stats.claimed_cost == 0.0
