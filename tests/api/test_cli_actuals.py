"""`routecast travel actuals PLAN ACTUALS.csv`: actuals -> training trips the trainer
reads; a row that contradicts the plan exits 2 naming the row."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from api.cli import app
from solver.actuals.simulate import simulate_actuals
from surrogate import SyntheticCity, load_trips
from tests.actuals_days import actuals_csv, synthetic_day

runner = CliRunner()
CITY = SyntheticCity()


def _files(tmp_path: Path, n_stops: int = 60, edit: dict | None = None
           ) -> tuple[Path, Path, int]:
    problem, solution = synthetic_day(CITY, n_stops=n_stops, n_vehicles=4, seed=2)
    records = simulate_actuals(problem, solution, CITY, seed=2)
    if edit is not None:
        records[2].update(edit)
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({"job_id": "j", "problem": json.loads(problem.model_dump_json()),
                                "solution": json.loads(solution.model_dump_json())}))
    (tmp_path / "problem.json").write_text(problem.model_dump_json())
    (tmp_path / "solution.json").write_text(solution.model_dump_json())
    path = tmp_path / "actuals.csv"
    path.write_text(actuals_csv(records))
    return plan, path, len(problem.stops) + len(solution.routes)


def test_actuals_become_trips_the_trainer_learns_from(tmp_path: Path) -> None:
    """Every leg of the driven day is one row of the trips CSV, which `travel train`
    reads and fits; the solution-file form gives the same trips."""
    plan, path, n_legs = _files(tmp_path)
    trips_csv = tmp_path / "trips.csv"
    r = runner.invoke(app, ["travel", "actuals", str(plan), str(path), "--out", str(trips_csv)])
    assert r.exit_code == 0, r.output
    assert f"{n_legs} legs kept as training trips" in r.output
    trips, report = load_trips(trips_csv, clean=False)
    assert len(trips) == n_legs and report.rows_in == n_legs
    assert (trips["duration_s"] > 0).all() and set(trips["source"]) == {"actuals:actuals.csv"}
    r = runner.invoke(app, ["travel", "actuals", str(tmp_path / "solution.json"), str(path),
                            "--problem", str(tmp_path / "problem.json")])
    assert r.exit_code == 0, r.output
    assert r.stdout.startswith(trips_csv.read_text().splitlines()[0])
    assert len(r.stdout.strip().splitlines()) == n_legs + 1
    model = tmp_path / "model"
    r = runner.invoke(app, ["travel", "train", str(trips_csv), "--out", str(model),
                            "--n-estimators", "10"])
    assert r.exit_code == 0, r.output
    assert json.loads((model / "model.json").read_text())["n_trips"] > 0
    r = runner.invoke(app, ["travel", "drift", str(model), str(trips_csv), "--json"])
    assert r.exit_code == 0, r.output
    report = json.loads(r.stdout)
    assert report["overall"]["n"] == n_legs and isinstance(report["flag"], bool)
    r = runner.invoke(app, ["travel", "drift", str(model), str(trips_csv), "--min-legs",
                            str(n_legs + 1)])
    assert r.exit_code == 0 and f"no drift: {n_legs} legs, fewer than" in r.stdout, r.output


def test_a_row_against_the_plan_exits_2_naming_it(tmp_path: Path) -> None:
    """An unknown stop in the fourth row of the file: one line naming file and row."""
    plan, path, _ = _files(tmp_path, n_stops=8, edit={"stop": "NOPE"})
    r = runner.invoke(app, ["travel", "actuals", str(plan), str(path)])
    assert r.exit_code == 2
    assert f"{path}: row 4: unknown stop 'NOPE'" in " ".join(r.output.split())
    bad_plan = tmp_path / "bad.json"
    bad_plan.write_text('{"routes": []}')
    r = runner.invoke(app, ["travel", "actuals", str(bad_plan), str(path)])
    assert r.exit_code == 2 and "--problem" in r.output


def test_implausible_legs_are_counted_and_the_bounds_are_options(tmp_path: Path) -> None:
    """A leg clocked at one second is skipped as too_fast and said so; --max-speed-kmh
    moves the bound, and bounds that contradict each other exit 2 naming them."""
    from tests.api.routers.test_actuals import _one_second_leg

    problem, solution = synthetic_day(CITY, n_stops=12, n_vehicles=2, seed=2)
    records, _ = _one_second_leg(simulate_actuals(problem, solution, CITY, seed=2))
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({"problem": json.loads(problem.model_dump_json()),
                                "solution": json.loads(solution.model_dump_json())}))
    path = tmp_path / "actuals.csv"
    path.write_text(actuals_csv(records))
    n_legs = len(problem.stops) + len(solution.routes)
    r = runner.invoke(app, ["travel", "actuals", str(plan), str(path)])
    assert r.exit_code == 0, r.output
    assert f"{n_legs - 1} legs kept as training trips; skipped: 1 too_fast" in \
        " ".join(r.stderr.split())
    assert len(r.stdout.strip().splitlines()) == n_legs  # header + the kept legs
    r = runner.invoke(app, ["travel", "actuals", str(plan), str(path),
                            "--max-speed-kmh", "1e9"])
    assert r.exit_code == 0 and f"{n_legs} legs kept as training trips; skipped: none" \
        in " ".join(r.stderr.split()), r.output
    r = runner.invoke(app, ["travel", "actuals", str(plan), str(path),
                            "--min-speed-kmh", "200"])
    assert r.exit_code == 2 and "min_speed_kmh < max_speed_kmh" in " ".join(
        r.output.split()), r.output
