"""Shipments end to end: validation, compiled arrays, route checks, the OR-Tools engine
(against the evaluator and the brute-force optimum), ``auto``'s routing, VROOM, the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings

from solver.compile import compile_problem
from solver.diagnosis import diagnose
from solver.engines.ortools import OrToolsEngine
from solver.engines.portfolio import PortfolioEngine
from solver.engines.progress import no_progress
from solver.engines.schedule import check_route
from solver.engines.stop import MaxRuntime
from solver.errors import InvalidProblemError
from solver.io import read_instance
from solver.io.json import parse_model
from solver.io.vroom import read_vroom
from solver.options import SolveOptions
from solver.pipeline import solve
from solver.problem import Problem, problem_json_schema
from solver.solution import ReasonCode
from tests.solver.oracle import at_least, checked, enumerated_optimum, key, same
from tests.strategies import problems_with_shipments

TINY = Path(__file__).resolve().parents[2] / "instances" / "tiny" / "tiny_shipments.json"
ENGINE = OrToolsEngine()


@pytest.fixture(scope="module")
def tiny() -> Problem:
    return read_instance(TINY)


def run(problem: Problem, seconds: float = 0.3):
    compiled = compile_problem(problem)
    result = ENGINE.solve(compiled, SolveOptions(engine="ortools", time_limit=seconds),
                          no_progress, MaxRuntime(seconds))
    return compiled, result, checked(problem, compiled, result, "ortools")


# -- the problem model -------------------------------------------------------------------

def _doc(**shipment) -> dict:
    base = {"id": "s", "pickup": "A", "delivery": "B", "amount": [1]}
    base.update(shipment)
    return {
        "depots": [{"id": "D", "location": {"x": 0, "y": 0}}],
        "stops": [{"id": "A", "location": {"x": 1, "y": 1}},
                  {"id": "B", "location": {"x": 2, "y": 2}},
                  {"id": "C", "location": {"x": 3, "y": 3}, "skills": ["crane"]},
                  {"id": "E", "location": {"x": 4, "y": 4}, "required": False}],
        "vehicle_types": [{"id": "V", "capacity": [5], "start_depot": "D"},
                          {"id": "W", "capacity": [2], "start_depot": "D",
                           "skills": ["crane"]}],
        "shipments": [base],
    }


@pytest.mark.parametrize("change,match", [
    ({"pickup": "Z"}, r"shipments\[0\]\.pickup: unknown stop id 'Z'"),
    ({"delivery": "D"}, r"shipments\[0\]\.delivery: unknown stop id 'D'"),
    ({"delivery": "A"}, r"shipments\[0\] \('s'\): pickup and delivery are the same stop"),
    ({"amount": [1, 2]}, r"same length, got \[1, 2\]"),
    ({"delivery": "E"}, r"must both be required or both optional"),
    ({"amount": [6]}, r"shipments\[0\]\.amount: \[6\.0\] fits no vehicle type"),
    ({"delivery": "C", "amount": [3]}, r"fits no vehicle type with the skills \['crane'\]"),
])
def test_invalid_shipments_name_the_field(change, match):
    """Unknown or repeated stops, mismatched dimensions or `required`, and an amount no
    vehicle with both stops' skills can carry: InvalidProblemError naming the field."""
    with pytest.raises(InvalidProblemError, match=match):
        parse_model(Problem, json.dumps(_doc(**change)), "p.json")


def test_a_stop_is_in_at_most_one_shipment():
    """Stop B in two shipments is rejected at the second one."""
    doc = _doc()
    doc["shipments"].append({"id": "t", "pickup": "C", "delivery": "B"})
    with pytest.raises(InvalidProblemError, match=r"shipments\[1\]\.delivery: stop 'B' is "
                                                  r"already in shipment 's'"):
        parse_model(Problem, json.dumps(doc), "p.json")


def test_valid_shipment_with_skills_fits_the_skilled_type():
    """A pair with a crane stop whose amount fits the crane van (2) is valid."""
    problem = parse_model(Problem, json.dumps(_doc(delivery="C", amount=[2])), "p.json")
    assert problem.shipments[0].delivery == "C"


@given(problems_with_shipments())
@settings(max_examples=25)
def test_json_round_trip_with_shipments(problem):
    """Problems with shipments survive the JSON round trip unchanged."""
    assert parse_model(Problem, problem.to_json(), "mem") == problem


def test_json_schema_has_shipments():
    """The JSON Schema lists `shipments` and the Shipment fields."""
    schema = json.loads(problem_json_schema())
    assert "shipments" in schema["properties"]
    assert {"id", "pickup", "delivery", "amount"} <= set(
        schema["$defs"]["Shipment"]["properties"])


# -- compiled arrays and route checks ----------------------------------------------------

def test_compiled_pair_and_pd_load(tiny):
    """Nodes: depot 0, A 1, P 2, Q 3, F1 4, F2 5: partners, +/- amounts, pickup flags."""
    c = compile_problem(tiny)
    assert c.has_shipments
    assert c.pair.tolist() == [-1, -1, 3, 2, 5, 4]
    assert c.pd_load[:, 0].tolist() == [0, 0, 4, -4, 1, -1]
    assert c.pickup.tolist() == [False, False, True, False, True, False]
    assert c.pair.dtype == np.int64
    assert not compile_problem(tiny.model_copy(update={"shipments": []})).has_shipments


def test_check_route_pairing_precedence_and_peak_load(tiny):
    """check_route agrees with the evaluator: a lone half, a delivery first and a pickup
    while the depot load is still on board are rejected; A-P-Q costs 40."""
    c = compile_problem(tiny)
    assert check_route(c, 0, [1, 2]).violation == "pairing"
    assert check_route(c, 0, [1, 3, 2]).violation == "precedence"
    assert check_route(c, 0, [2, 1, 3]).violation == "capacity"
    ok = check_route(c, 0, [1, 2, 3])
    assert ok.feasible and ok.cost == pytest.approx(40.0)


def test_diagnosis_gives_a_pair_one_reason(tiny):
    """A pair whose pickup needs a skill nobody has: both halves get SKILL; the optional
    pair that fits gets UNPROFITABLE on both halves."""
    stops = [s.model_copy(update={"skills": ["crane"]}) if s.id == "P" else s
             for s in tiny.stops]
    c = compile_problem(tiny.model_copy(update={"stops": stops}))
    assert diagnose(c, [2, 3, 4, 5]) == {2: ReasonCode.SKILL, 3: ReasonCode.SKILL,
                                         4: ReasonCode.UNPROFITABLE,
                                         5: ReasonCode.UNPROFITABLE}


# -- the OR-Tools engine ----------------------------------------------------------------

def test_ortools_tiny_shipments_optimum(tiny):
    """tiny_shipments: A, then P, then Q (40) and the far optional pair left out (20)."""
    compiled, result, report = run(tiny)
    assert [v.stop for v in report.routes[0].visits] == ["A", "P", "Q"]
    assert report.cost == pytest.approx(60.0)
    assert same(key(report), enumerated_optimum(compiled))
    assert result.unassigned == {4: ReasonCode.UNPROFITABLE, 5: ReasonCode.UNPROFITABLE}


def test_ortools_serves_an_optional_pair_together_when_it_pays(tiny):
    """With penalties of 50 each, serving the pair beats paying 100: best is A, P, F1, F2,
    Q (loads 0, 4, 5, 4, 0 within 5): 10 + 10 + sqrt(1000) + 10 + 40 + 10, below the 120
    of appending F1, F2 after Q."""
    stops = [s.model_copy(update={"penalty": 50.0}) if s.id in ("F1", "F2") else s
             for s in tiny.stops]
    compiled, result, report = run(tiny.model_copy(update={"stops": stops}))
    assert [v.stop for v in report.routes[0].visits] == ["A", "P", "F1", "F2", "Q"]
    assert report.cost == pytest.approx(80 + 1000 ** 0.5) and not result.unassigned
    assert same(key(report), enumerated_optimum(compiled))


def test_ortools_shipments_without_a_time_dimension():
    """No windows, shifts or time costs: precedence still holds (an order dimension);
    the delivery at the depot side forces a detour the pair must respect."""
    doc = {
        "depots": [{"id": "D", "location": {"x": 0, "y": 0}}],
        "stops": [{"id": "near", "location": {"x": 1, "y": 0}},
                  {"id": "far", "location": {"x": 20, "y": 0}}],
        "vehicle_types": [{"id": "V", "capacity": [1], "start_depot": "D"}],
        "shipments": [{"id": "s", "pickup": "far", "delivery": "near", "amount": [1]}],
    }
    problem = parse_model(Problem, json.dumps(doc), "p.json")
    _, _, report = run(problem)
    assert [v.stop for v in report.routes[0].visits] == ["far", "near"]
    assert report.cost == pytest.approx(40.0)


@given(problems_with_shipments(max_stops=6))
@settings(max_examples=15, deadline=None)
def test_random_shipments_feasible_and_never_beat_the_optimum(problem):
    """Random problems with shipments: the evaluator finds no violation (pairs together,
    pickup first, loads within capacity), the claimed cost is its cost, and it is never
    better than the brute-force optimum."""
    compiled, _, report = run(problem, seconds=0.2)
    assert at_least(key(report), enumerated_optimum(compiled))


# -- auto, the pipeline, VROOM and the CLI ----------------------------------------------

def test_auto_sends_shipments_to_ortools(tiny):
    """`auto` picks OR-Tools as main engine for shipments; the plan is the optimum."""
    compiled = compile_problem(tiny)
    engine, reason = PortfolioEngine()._main(compiled)
    assert reason is None and engine.name == "ortools"
    outcome = solve(tiny, SolveOptions(engine="auto", time_limit=1.0))
    assert outcome.report.feasible and outcome.report.cost == pytest.approx(60.0)
    assert outcome.solution.stats.claimed_cost == pytest.approx(outcome.report.cost)


def test_vroom_shipments_map_to_pairs():
    """A VROOM shipment becomes two stops (pickup-<id>, delivery-<id>) and a Shipment with
    its amount; service, setup, windows and skills carry over; a plan serving it in order
    is feasible."""
    doc = {
        "vehicles": [{"id": 1, "start": [2.35, 48.85], "end": [2.35, 48.85],
                      "capacity": [4], "skills": [7]}],
        "jobs": [{"id": 1, "location": [2.36, 48.86], "delivery": [1]}],
        "shipments": [{
            "amount": [3], "skills": [7],
            "pickup": {"id": 1, "location": [2.34, 48.84], "service": 60, "setup": 5},
            "delivery": {"id": 2, "location": [2.37, 48.87], "time_windows": [[0, 9000]]},
        }],
    }
    p = read_vroom(doc)
    assert [s.id for s in p.stops] == ["1", "pickup-1", "delivery-2"]
    (sh,) = p.shipments
    assert (sh.pickup, sh.delivery, sh.amount) == ("pickup-1", "delivery-2", [3.0])
    pickup, delivery = p.stops[1], p.stops[2]
    assert pickup.service_time == 65 and pickup.demand == [0.0]
    assert delivery.time_windows[0].end == 9000 and delivery.skills == ["7"]
    outcome = solve(p, SolveOptions(engine="ortools", time_limit=0.5))
    assert outcome.report.feasible and not outcome.report.unassigned_required


def test_vroom_shipments_with_a_matrix():
    """With a matrix, the shipment's location indices select its rows."""
    doc = {
        "vehicles": [{"id": 0, "start_index": 0, "end_index": 0}],
        "shipments": [{"amount": [1], "pickup": {"id": 5, "location_index": 2},
                       "delivery": {"id": 5, "location_index": 1}}],
        "matrix": [[0, 5, 7], [5, 0, 3], [7, 3, 0]],
    }
    p = read_vroom(doc)
    assert p.travel.locations == ["depot-0", "pickup-5", "delivery-5"]
    outcome = solve(p, SolveOptions(engine="ortools", time_limit=0.5))
    assert [r.stops for r in outcome.solution.routes] == [["pickup-5", "delivery-5"]]
    assert outcome.report.cost == pytest.approx(7 + 3 + 5)


@pytest.mark.parametrize("engine", ["ortools", "auto"])
def test_cli_solves_a_json_problem_with_shipments(engine):
    """`routecast solve instances/tiny/tiny_shipments.json --engine E` prints a plan that
    serves A, P, Q in order."""
    from typer.testing import CliRunner

    from api.cli import app

    result = CliRunner().invoke(app, ["solve", str(TINY), "--engine", engine,
                                      "--time-limit", "1"])
    assert result.exit_code == 0, result.output
    text = result.stdout
    plan = json.loads(text[text.index("{"):])
    assert [r["stops"] for r in plan["routes"]] == [["A", "P", "Q"]]
