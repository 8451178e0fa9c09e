"""`routecast travel retrain`: the CLI form of champion/challenger retraining."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pandas as pd
from typer.testing import CliRunner

from api.cli import app
from benchmarks.surrogate.fleet_actuals import fleet_trips
from surrogate import ModelRegistry, SyntheticCity

runner = CliRunner()
CITY = SyntheticCity()


def test_train_register_then_retrain_on_actuals(tmp_path: Path) -> None:
    """`travel train --register` keeps the trips; `travel retrain REGISTRY ACTUALS.csv`
    on shuffled durations keeps the champion, naming the distance baseline; after a
    traffic change it promotes the challenger; bad input exits 2 naming it."""
    registry = tmp_path / "reg"
    r = runner.invoke(app, ["travel", "train", "--synthetic", "4000", "--n-estimators", "150",
                            "--out", str(tmp_path / "m"), "--register", str(registry)])
    assert r.exit_code == 0, r.output
    champion = ModelRegistry(registry).active_id()
    actuals = tmp_path / "actuals.csv"
    fleet_trips(dataclasses.replace(CITY, free_speed_mps=8.0), start="2024-02-05",
                days=10, seed=1).to_csv(actuals, index=False)

    r = runner.invoke(app, ["travel", "retrain", str(registry), str(actuals), "--margin", "0.9"])
    assert r.exit_code == 2 and "margin must lie in [0, 0.5]" in r.output

    r = runner.invoke(app, ["travel", "retrain", str(registry), str(actuals),
                            "--baseline-margin", "0.6"])
    assert r.exit_code == 2 and "baseline_margin must lie in [0, 0.5]" in r.output

    shuffled = tmp_path / "shuffled.csv"
    garbage = pd.read_csv(actuals)
    garbage["duration_s"] = np.random.default_rng(0).permutation(garbage["duration_s"])
    garbage.to_csv(shuffled, index=False)
    r = runner.invoke(app, ["travel", "retrain", str(registry), str(shuffled)])
    assert r.exit_code == 0, r.output
    text = " ".join(r.stdout.split())
    assert "distance baseline" in text and "kept_champion:" in text, r.stdout
    assert "no per-leg signal" in text and ModelRegistry(registry).active_id() == champion

    r = runner.invoke(app, ["travel", "retrain", str(registry), str(actuals), "--json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["decision"] == "promoted" and doc["champion"]["model_id"] == champion
    assert ModelRegistry(registry).active_id() == doc["challenger"]["model_id"] != champion
    assert ModelRegistry(registry).comparisons()[0]["decision"] == "promoted"


def test_retrain_without_stored_trips_exits_2(tmp_path: Path) -> None:
    """A champion saved without its trips cannot be retrained unless --trips gives them."""
    r = runner.invoke(app, ["travel", "train", "--synthetic", "2000", "--n-estimators", "20",
                            "--out", str(tmp_path / "m")])
    assert r.exit_code == 0, r.output
    bare = ModelRegistry(tmp_path / "reg")
    from surrogate import load_model

    bare.register(load_model(tmp_path / "m"))
    actuals = tmp_path / "actuals.csv"
    fleet_trips(CITY, start="2024-02-05", days=3, seed=1).to_csv(actuals, index=False)
    r = runner.invoke(app, ["travel", "retrain", str(tmp_path / "reg"), str(actuals)])
    assert r.exit_code == 2
    assert "registered without its training trips" in r.output
