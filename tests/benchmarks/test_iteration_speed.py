"""The speed benchmarks' fleet paid per second (``iteration_speed`` and ``kernel_profile``)."""

from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks.vrp.iteration_speed import paid_per_second
from tests.strategies import problems


@settings(max_examples=20, deadline=None)
@given(problems(max_stops=3), st.sampled_from([0.0, 0.5, 2.0]))
def test_every_vehicle_type_pays_the_price_per_second(problem, price):
    paid = paid_per_second(problem, price)
    if not price:
        assert paid is problem
        return
    assert [v.cost_per_time for v in paid.vehicle_types] == [price] * len(problem.vehicle_types)
    assert [v.model_copy(update={"cost_per_time": 0.0}) for v in paid.vehicle_types] == [
        v.model_copy(update={"cost_per_time": 0.0}) for v in problem.vehicle_types]
    assert paid.stops == problem.stops
