"""The instance generator writes files routecast reads back, reproducibly."""

import numpy as np
import pytest
import vrplib

from benchmarks.vrp.generate import DEMANDS, DEPOTS, LAYOUTS, generate
from solver.io import read_instance


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("demand", DEMANDS)
def test_generated_instance_round_trips(tmp_path, layout, demand):
    data = generate(150, seed=3, depot=DEPOTS[0], layout=layout, demand=demand, route_size=8)
    path = tmp_path / "g.vrp"
    vrplib.write_instance(path, data)
    problem = read_instance(path)
    assert len(problem.stops) == 150
    demand_total = data["DEMAND_SECTION"].sum()
    assert data["CAPACITY"] * 150 >= 8 * demand_total  # Q = ceil(r * mean demand)
    assert data["NODE_COORD_SECTION"].min() >= 0 and data["NODE_COORD_SECTION"].max() <= 1000


def test_same_seed_same_instance_other_seed_differs():
    a, b, c = generate(300, seed=1), generate(300, seed=1), generate(300, seed=2)
    assert np.array_equal(a["NODE_COORD_SECTION"], b["NODE_COORD_SECTION"])
    assert not np.array_equal(a["NODE_COORD_SECTION"], c["NODE_COORD_SECTION"])


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="at least one client"):
        generate(0, seed=1)
