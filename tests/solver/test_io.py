"""Instance readers and solution writers, including deliberately broken files."""

from __future__ import annotations

from pathlib import Path

import pytest

from solver.errors import InstanceFormatError, InvalidProblemError, UnsupportedFeatureError
from solver.evaluate import evaluate
from solver.io import read_instance, read_solution, solution_to_csv
from solver.io.solution import read_vrplib_solution, solution_to_vrplib

BAD = Path(__file__).resolve().parents[1] / "data" / "bad"


@pytest.mark.parametrize(
    ("name", "error", "match"),
    [
        ("negative_demand.vrp", InvalidProblemError, "negative demand"),
        ("truncated_coords.vrp", InstanceFormatError, "not a valid vrplib"),
        ("negative_demand.json", InvalidProblemError, r"stops\[0\]\.demand\[0\]"),
        ("not_json.json", InstanceFormatError, "not valid JSON"),
        ("window_closes_before_it_opens.json", InvalidProblemError, "closes .480. before"),
        ("unknown_depot_id.json", InvalidProblemError, "unknown depot id 'nowhere'"),
        ("stop_no_vehicle_can_carry.json", InvalidProblemError, "exceeds every vehicle"),
        ("unknown_field.json", InvalidProblemError, "colour"),
    ],
)
def test_bad_files_name_the_file_and_the_problem(name, error, match):
    """Each malformed file raises its typed error with the file name in the message."""
    with pytest.raises(error, match=match) as info:
        read_instance(BAD / name)
    assert name in str(info.value)


def test_missing_file():
    """A path that does not exist is an InstanceFormatError naming it."""
    with pytest.raises(InstanceFormatError, match="no such file"):
        read_instance(BAD / "nope.vrp")


def test_cvrp_ids_follow_sol_numbering(shared_instances):
    """X-n101-k25: depot '0', clients '1'..'100', rounding to the nearest integer."""
    p = read_instance(shared_instances / "CVRP" / "X-n101-k25.vrp")
    assert p.depots[0].id == "0" and p.stops[0].id == "1" and p.stops[-1].id == "100"
    assert p.travel.rounding == "round"
    assert p.vehicle_types[0].capacity == [206.0]


def test_vrptw_reads_fleet_and_windows(shared_instances):
    """GH 1000: 250 vehicles, service 90, DIMACS rounding, depot window is the shift."""
    p = read_instance(shared_instances / "VRPTW" / "C1_10_1.vrp")
    assert p.vehicle_types[0].count == 250 and p.travel.rounding == "dimacs"
    assert p.stops[0].service_time == 90 and p.depots[0].time_window.end > 0


def test_vrplib_solution_round_trip(shared_instances, tmp_path):
    """Writing the BKS as .sol and reading it back gives the same routes and cost."""
    vrp = shared_instances / "CVRP" / "X-n101-k25.vrp"
    p = read_instance(vrp)
    sol = read_solution(vrp.with_suffix(".sol"), p)
    report = evaluate(p, sol)
    text = solution_to_vrplib(sol, p, report.cost)
    assert text.splitlines()[-1] == "Cost 27591"
    (tmp_path / "x.sol").write_text(text)
    again = read_vrplib_solution(tmp_path / "x.sol", p)
    assert [r.stops for r in again.routes] == [r.stops for r in sol.routes]
    assert solution_to_csv(report).splitlines()[0].startswith("route,vehicle_type,sequence")


def test_solomon_reader(shared_instances):
    """Solomon C101: 100 clients, 25 vehicles of capacity 200, exact distances."""
    p = read_instance(shared_instances / "SOLOMON" / "C101.txt")
    assert len(p.stops) == 100 and p.vehicle_types[0].count == 25
    assert p.travel.rounding == "exact"


@pytest.mark.parametrize("folder", ["HFVRP", "MDVRPTW", "PCVRPTW", "SDVRPTW"])
def test_other_sets_read_and_their_bks_are_feasible(shared_instances, folder):
    """Heterogeneous, multi-depot, prize-collecting and site-dependent sets: BKS feasible."""
    for vrp in sorted((shared_instances / folder).glob("*.vrp"))[:3]:
        p = read_instance(vrp)
        report = evaluate(p, read_solution(vrp.with_suffix(".sol"), p))
        assert report.complete, (vrp.name, report.violations[:3])


def test_prize_collecting_cost_matches_bks_in_deci_units(shared_instances):
    """PCVRPTW BKS costs are distance + uncollected prizes, written in tenths."""
    vrp = shared_instances / "PCVRPTW" / "C1_10_1.vrp"
    p = read_instance(vrp)
    report = evaluate(p, read_solution(vrp.with_suffix(".sol"), p))
    bks = float(vrp.with_suffix(".sol").read_text().split("Cost")[-1].strip(" :\n"))
    assert report.cost * 10 == pytest.approx(bks, abs=1e-6)


@pytest.mark.parametrize("folder", ["VRPB", "GVRP", "MTVRPTWR"])
def test_unsupported_sets_say_so(shared_instances, folder):
    """Backhauls, client groups and multiple trips are refused with a clear error."""
    vrp = sorted((shared_instances / folder).glob("*.vrp"))[0]
    with pytest.raises(UnsupportedFeatureError):
        read_instance(vrp)
