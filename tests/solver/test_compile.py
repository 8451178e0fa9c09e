"""Compilation to arrays: node layout, padding of windows, skills, shifts."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given

from solver.compile import compile_problem
from solver.demo import demo_problem
from tests.strategies import problems


def test_demo_layout():
    """Depots come first, then stops in order; ids map back; windows are padded."""
    problem = demo_problem(n_stops=20)
    c = compile_problem(problem)
    assert c.n_depots == 2 and c.n_clients == 20 and c.n_nodes == 22
    assert c.node_id(0) == "north" and c.node_id(2) == problem.stops[0].id
    assert c.tw.shape == (22, 2, 2)
    for k, stop in enumerate(problem.stops, start=2):
        assert c.tw_count[k] == len(stop.time_windows)
        assert tuple(c.tw[k, -1]) == (stop.time_windows[-1].start, stop.time_windows[-1].end)
    assert c.travel.distance.shape == (22, 22)
    assert np.all(np.diag(c.travel.distance) == 0)


def test_skills_compatibility():
    """Fridge stops are compatible only with the van type that carries a fridge."""
    problem = demo_problem(n_stops=20)
    c = compile_problem(problem)
    compat = c.compatible()
    for k, stop in enumerate(problem.stops, start=c.n_depots):
        for t, vtype in enumerate(problem.vehicle_types):
            assert compat[k, t] == set(stop.skills).issubset(vtype.skills)


@given(problems())
def test_arrays_match_the_model(problem):
    """Every array row equals the model field it came from."""
    c = compile_problem(problem)
    for k, stop in enumerate(problem.stops, start=c.n_depots):
        assert c.demand[k].tolist() == stop.demand
        assert c.service[k] == stop.service_time
        assert c.required[k] == stop.required
    for t, v in enumerate(problem.vehicle_types):
        assert c.type_count[t] == v.count
        assert c.depot_ids[c.start_depot[t]] == v.start_depot
        assert c.shift[t, 1] <= v.shift.end or math.isinf(v.shift.end)
