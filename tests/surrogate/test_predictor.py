"""A model read for prediction only (``surrogate.predictor``, issue 15): the same matrices
as the LightGBM-backed model, loaded without importing LightGBM or pandas."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from surrogate import IncompatibleModelError, ModelRegistry, TravelTimeModel, predict_matrix
from surrogate.clock import FEW_INSTANTS, utc_offsets
from surrogate.predictor import SIDECAR, CompiledModel

ROOT = Path(__file__).resolve().parents[2]
DEPARTURES = [datetime(2024, 1, 29, 7, tzinfo=UTC), datetime(2024, 1, 29, 17, tzinfo=UTC)]


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory, model: TravelTimeModel) -> ModelRegistry:
    reg = ModelRegistry(tmp_path_factory.mktemp("registry"))
    reg.register(model, activate=True)
    return reg


def test_compiled_load_predicts_what_the_lightgbm_model_predicts(
        registry: ModelRegistry, points: np.ndarray) -> None:
    """Median and both quantiles, bit for bit, from the saved files' own trees."""
    full = predict_matrix(registry.load(), points, DEPARTURES)
    lean = predict_matrix(registry.load_compiled(), points, DEPARTURES)
    assert lean.model_id == full.model_id
    assert np.array_equal(lean.median, full.median)
    assert full.quantiles.keys() == lean.quantiles.keys() == {0.1, 0.9}
    for q in full.quantiles:
        assert np.array_equal(lean.quantiles[q], full.quantiles[q])


def test_compiled_model_refuses_the_lightgbm_methods(registry: ModelRegistry,
                                                     points: np.ndarray) -> None:
    with pytest.raises(ValueError, match="TravelTimeModel"):
        predict_matrix(registry.load_compiled(), points, DEPARTURES, method="lightgbm")


def test_compiled_load_checks_the_sidecar_and_names_the_model(registry: ModelRegistry) -> None:
    """The sidecar checks are TravelTimeModel.load's; errors name the id, not the folder."""
    mid = registry.active_id()
    sidecar = registry.path(mid) / SIDECAR
    text = sidecar.read_text()
    meta = json.loads(text)
    try:
        sidecar.write_text(json.dumps(meta | {"feature_names": ["x"]}))
        with pytest.raises(IncompatibleModelError, match=f"travel model '{mid}'") as err:
            registry.load_compiled(mid)
        assert str(registry.root) not in str(err.value)
    finally:
        sidecar.write_text(text)
    assert isinstance(registry.load_compiled(mid), CompiledModel)


def loaded_after(code: str, names: tuple[str, ...] = ("pandas", "lightgbm")) -> list[str]:
    """Which of ``names`` a fresh Python process running ``code`` (in the repository,
    which must succeed) has imported at its end."""
    code += f"\nimport sys; print(sorted(m for m in {names!r} if m in sys.modules))\n"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr
    return ast.literal_eval(done.stdout.strip().splitlines()[-1])


def test_predicting_from_a_registry_imports_neither_lightgbm_nor_pandas(
        registry: ModelRegistry, points: np.ndarray) -> None:
    """A fresh process loads the active model compiled and predicts a matrix (naive and
    aware departures, a city zone with DST); pandas and LightGBM stay unloaded."""
    assert loaded_after(
        "import numpy as np\n"
        "from datetime import datetime, timezone\n"
        "from surrogate.registry import ModelRegistry\n"
        "from surrogate.matrix import predict_matrix\n"
        "from surrogate.clock import hour_of_week\n"
        f"m = ModelRegistry({str(registry.root)!r}).load_compiled()\n"
        f"r = predict_matrix(m, np.array({points.tolist()!r}),"
        " [datetime(2024, 1, 29, 7, tzinfo=timezone.utc), 1706540400.0])\n"
        "hour_of_week(np.array([1.7e9]), 'America/New_York')\n"
        "assert r.median.shape[0] == 2") == []


@pytest.mark.parametrize("tz", ["America/New_York", "Europe/London", "Australia/Lord_Howe"])
def test_few_utc_offsets_by_zoneinfo_equal_pandas(tz: str) -> None:
    """Few instants take the zoneinfo path, many pandas': the same offsets, also in the
    seconds around DST changes."""
    changes = np.array([1710053999.0, 1730613599.0, 1711846799.0, 1712415599.0])
    instants = (changes[:, None] + np.arange(-3.0, 3.0, 0.25)[None, :]).ravel()
    instants = np.concatenate([instants, np.random.default_rng(0).uniform(1.6e9, 1.8e9, 300)])
    assert instants.size <= FEW_INSTANTS < np.tile(instants, 4).size
    few = utc_offsets(instants, tz)
    many = utc_offsets(np.tile(instants, 4), tz)[:instants.size]
    assert np.array_equal(few, many)
    assert len(np.unique(few)) >= 2  # the sweep crosses a change
