"""`routecast travel` sub-app: train, evaluate, predict, matrix; typed errors -> exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
from typer.testing import CliRunner

from api.cli_travel import travel_app

runner = CliRunner()


def test_train_evaluate_predict_matrix(tmp_path: Path, trips: pd.DataFrame,
                                       test_trips: pd.DataFrame) -> None:
    """The four commands run end to end on small synthetic files."""
    tr, te = tmp_path / "train.parquet", tmp_path / "test.parquet"
    trips.head(3000).to_parquet(tr)
    te_df = test_trips.head(200).copy()
    te_df.loc[5, "origin_lat"] = np.nan
    te_df.to_parquet(te)
    model_dir = tmp_path / "m"
    r = runner.invoke(travel_app, ["train", str(tr), "--out", str(model_dir),
                                   "--n-estimators", "20"])
    assert r.exit_code == 0, r.output
    assert (model_dir / "model.json").is_file()

    r = runner.invoke(travel_app, ["evaluate", str(model_dir), str(te), "--json"])
    assert r.exit_code == 0, r.output
    res = json.loads(r.stdout)
    assert {"model", "haversine_global_speed", "haversine_hourly_speed"} <= set(res)

    out_csv = tmp_path / "pred.csv"
    r = runner.invoke(travel_app, ["predict", str(model_dir), str(te), "--out", str(out_csv)])
    assert r.exit_code == 0, r.output
    pred = pd.read_csv(out_csv)
    assert list(pred.columns) == ["predicted_s"] and len(pred) == 200
    assert pred["predicted_s"].isna().sum() == 1 and np.isnan(pred["predicted_s"][5])

    pts = tmp_path / "pts.csv"
    te_df.iloc[10:16][["dest_lat", "dest_lon"]].set_axis(["lat", "lon"], axis=1).to_csv(
        pts, index=False)
    out_npy = tmp_path / "m.npy"
    r = runner.invoke(travel_app, ["matrix", str(model_dir), "--points", str(pts), "--depart",
                                   "2024-01-22T08:00", "--out", str(out_npy), "--slices", "3",
                                   "--quantiles"])
    assert r.exit_code == 0, r.output
    mat = np.load(out_npy)
    assert mat.shape == (3, 6, 6) and mat.dtype == np.float32
    assert (tmp_path / "m.q0.9.npy").is_file()


def test_train_preset_is_applied_and_recorded(tmp_path: Path) -> None:
    """--preset picks the model's settings (--n-estimators still overrides), is saved in
    the sidecar and listed by the registry; an unknown one exits 2 naming the presets."""
    from surrogate import ModelRegistry
    from surrogate.model import PRESETS

    reg = tmp_path / "reg"
    r = runner.invoke(travel_app, ["train", "--synthetic", "1500", "--preset", "fastest",
                                   "--out", str(tmp_path / "m"), "--register", str(reg)])
    assert r.exit_code == 0, r.output
    meta = json.loads((tmp_path / "m" / "model.json").read_text())
    assert meta["preset"] == "fastest"
    assert {k: meta["params"][k] for k in PRESETS["fastest"]} == PRESETS["fastest"]
    assert [m.preset for m in ModelRegistry(reg).list()] == ["fastest"]
    r = runner.invoke(travel_app, ["train", "--synthetic", "1500", "--preset", "fast",
                                   "--n-estimators", "7", "--out", str(tmp_path / "f")])
    assert r.exit_code == 0, r.output
    meta = json.loads((tmp_path / "f" / "model.json").read_text())
    assert meta["preset"] == "fast" and meta["params"]["n_estimators"] == 7
    assert meta["params"]["learning_rate"] == PRESETS["fast"]["learning_rate"]
    r = runner.invoke(travel_app, ["train", "--synthetic", "1500", "--preset", "turbo",
                                   "--out", str(tmp_path / "t")])
    assert r.exit_code == 2
    assert "turbo" in r.output and all(name in r.output for name in PRESETS)
    assert not (tmp_path / "t").exists()


def test_train_without_trips_uses_synthetic_city(tmp_path: Path) -> None:
    """With no trip files, train simulates the synthetic city (the fresh-machine demo)."""
    r = runner.invoke(travel_app, ["train", "--synthetic", "2000", "--n-estimators", "5",
                                   "--out", str(tmp_path / "m"), "--register", str(tmp_path / "reg")])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "reg" / "active.json").is_file()


def test_typed_errors_exit_2_without_traceback(tmp_path: Path) -> None:
    """A missing model directory is one line on stderr and exit code 2."""
    bad = tmp_path / "x.csv"
    bad.write_text("a,b\n1,2\n")
    r = runner.invoke(travel_app, ["evaluate", str(tmp_path / "nope"), str(bad)])
    assert r.exit_code == 2
    assert "Traceback" not in r.output and "error:" in r.output
