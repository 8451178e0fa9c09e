"""Per-stop reason codes: each stop is checked against every vehicle type, never guessed."""

from __future__ import annotations

from solver.compile import compile_problem
from solver.diagnosis import diagnose, impossible_stops, stop_alone_reason
from solver.problem import Depot, Location, Problem, Stop, TimeWindow, VehicleType
from solver.solution import ReasonCode

DEPOT = Depot(id="D", location=Location(x=0, y=0))


def compiled(stops, types):
    return compile_problem(Problem(depots=[DEPOT], stops=stops, vehicle_types=types))


def test_each_reason_on_its_own_stop():
    """Skill nobody has, demand above every capacity, window closed on arrival, no way back."""
    stops = [
        Stop(id="skill", location=Location(x=1, y=0), skills=["crane"]),
        Stop(id="cap", location=Location(x=1, y=0), demand=[20], required=False),
        Stop(id="tw", location=Location(x=30, y=0), time_windows=[TimeWindow(start=0, end=20)]),
        Stop(id="shift", location=Location(x=40, y=0), service_time=30),
        Stop(id="fine", location=Location(x=10, y=0)),
    ]
    c = compiled(stops, [VehicleType(id="V", capacity=[10], start_depot="D",
                                     shift=TimeWindow(start=0, end=100))])
    assert impossible_stops(c) == {1: ReasonCode.SKILL, 2: ReasonCode.CAPACITY,
                                   3: ReasonCode.TIME_WINDOW, 4: ReasonCode.SHIFT}
    assert stop_alone_reason(c, 5) is None


def test_reason_is_where_the_best_type_fails():
    """One type lacks the skill, the other has it but is too small: the reason is CAPACITY."""
    stops = [Stop(id="s", location=Location(x=1, y=0), demand=[5], skills=["fridge"],
                  required=False)]
    types = [VehicleType(id="big", capacity=[10], start_depot="D"),
             VehicleType(id="cold", capacity=[2], start_depot="D", skills=["fridge"])]
    assert stop_alone_reason(compiled(stops, types), 1) == ReasonCode.CAPACITY


def test_max_duration_counts_as_shift():
    """A round trip longer than the max duration is a SHIFT reason."""
    stops = [Stop(id="s", location=Location(x=30, y=0))]
    types = [VehicleType(id="V", start_depot="D", max_duration=50)]
    assert stop_alone_reason(compiled(stops, types), 1) == ReasonCode.SHIFT


def test_servable_stops_left_out_are_no_vehicle_or_unprofitable():
    """A servable required stop left out means no room (NO_VEHICLE); an optional one, that
    serving it was not worth its penalty (UNPROFITABLE)."""
    stops = [Stop(id="r", location=Location(x=1, y=0)),
             Stop(id="o", location=Location(x=2, y=0), required=False, penalty=1)]
    c = compiled(stops, [VehicleType(id="V", start_depot="D")])
    assert diagnose(c, [1, 2]) == {1: ReasonCode.NO_VEHICLE, 2: ReasonCode.UNPROFITABLE}


def test_second_window_rescues_a_stop():
    """A closed first window is no reason when a later window is reachable."""
    stops = [Stop(id="s", location=Location(x=30, y=0),
                  time_windows=[TimeWindow(start=0, end=5), TimeWindow(start=40, end=60)])]
    assert stop_alone_reason(compiled(stops, [VehicleType(id="V", start_depot="D")]), 1) is None
