"""A saved model read for prediction only: its sidecar and its compiled trees, no LightGBM.

Why: the solver's learned travel runs inside a solve's time limit (issue 15), and in a
fresh process importing LightGBM and pandas cost seconds under load (a third of a cold
learned matrix, benchmarks/timing/README.md). ``predict_matrix``'s exact path reads
only the feature space, the quantile offsets and the flat trees, which
``trees.CompiledEnsemble`` parses from LightGBM's text files itself. So
``ModelRegistry.load_compiled`` gives a ``CompiledModel`` and never imports LightGBM;
``TravelTimeModel.load`` (fitting, evaluation, LightGBM's own predict) checks the same
sidecar through ``read_sidecar``.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from surrogate.errors import IncompatibleModelError, ModelNotFoundError
from surrogate.features import FEATURE_NAMES, FEATURE_SETS, FeatureSpace
from surrogate.trees import CompiledEnsemble

FORMAT_VERSION = 2
#: sidecar formats this code reads (1: feature set v1, no calibration window)
READABLE_FORMATS = (1, 2)
SIDECAR = "model.json"


def booster_file(key: str) -> str:
    """The file of booster ``key`` ("median" or a quantile key) in a saved model."""
    return "median.txt" if key == "median" else f"quantile_{key}.txt"


def quantile_keys(quantiles: tuple[float, ...]) -> list[str]:
    """Booster keys of the quantile levels, ascending."""
    return [f"{q:g}" for q in sorted(quantiles)]


def lightgbm_version() -> str:
    """The installed LightGBM's version, read without importing it."""
    try:
        return version("lightgbm")
    except PackageNotFoundError:
        return "?"


def read_sidecar(src: Path) -> tuple[dict[str, Any], dict[str, Any], list[str]]:
    """The sidecar of the model saved in ``src``, its constructor params (format 1's
    defaults filled in) and its feature names; IncompatibleModelError on any mismatch
    with this code (format, features, LightGBM's major version)."""
    try:
        meta = json.loads((src / SIDECAR).read_text())
    except FileNotFoundError as exc:
        raise ModelNotFoundError(f"{src}: no {SIDECAR}; not a saved model") from exc
    except json.JSONDecodeError as exc:
        raise IncompatibleModelError(f"{src / SIDECAR}: not valid JSON ({exc})") from exc
    if meta.get("format_version") not in READABLE_FORMATS:
        raise IncompatibleModelError(
            f"{src}: model format {meta.get('format_version')!r}, this code reads "
            f"{list(READABLE_FORMATS)}")
    params = dict(meta["params"])
    if meta["format_version"] == 1:  # written before feature sets and calibration windows
        params.setdefault("feature_set", "v1")
        params.setdefault("calibration_fraction", 0.0)
    names = list(FEATURE_NAMES[:FEATURE_SETS.get(str(params.get("feature_set")), 0)])
    if not names or meta.get("feature_names") != names:
        raise IncompatibleModelError(f"{src}: the model's features differ from this code's")
    saved_major = str(meta.get("versions", {}).get("lightgbm", "?")).split(".")[0]
    running = lightgbm_version()
    if saved_major != running.split(".")[0]:
        raise IncompatibleModelError(
            f"{src}: saved with LightGBM {meta['versions'].get('lightgbm')}, "
            f"running {running}")
    params.setdefault("refit", False)  # written before refits
    return meta, params, names


def booster_path(src: Path, fname: str) -> Path:
    """The booster file ``fname`` of the model in ``src``, which must exist."""
    path = src / fname
    if not path.is_file():
        raise IncompatibleModelError(f"{src}: booster file {fname} is missing")
    return path


@dataclass
class CompiledModel:
    """What ``predict_matrix`` (method ``exact``) reads of a ``TravelTimeModel``, with
    the same attribute names; loaded by :meth:`load`."""

    model_id_: str
    feature_space_: FeatureSpace
    quantiles: tuple[float, ...]
    quantile_offsets_: dict[str, float]
    n_threads: int | None = None
    ensembles: dict[str, CompiledEnsemble] = field(default_factory=dict)

    @classmethod
    def load(cls, directory: str | os.PathLike[str]) -> CompiledModel:
        """Read a model written by ``TravelTimeModel.save``, parsing its boosters' text
        files into compiled ensembles (the trees LightGBM saved: the early-stopped ones)."""
        src = Path(directory)
        meta, params, names = read_sidecar(src)
        ensembles = {}
        for key, fname in meta["boosters"].items():
            text = booster_path(src, fname).read_text()
            if _feature_names(text) != names:
                raise IncompatibleModelError(
                    f"{src / fname}: booster features differ from the sidecar")
            ensembles[key] = CompiledEnsemble.from_model_string(text)
        return cls(model_id_=meta["model_id"],
                   feature_space_=FeatureSpace.from_dict(meta["feature_space"]),
                   quantiles=tuple(params.get("quantiles", ())),
                   quantile_offsets_={k: float(v)
                                      for k, v in meta.get("quantile_offsets", {}).items()},
                   n_threads=params.get("n_threads"), ensembles=ensembles)

    def _check_fitted(self) -> None:
        """Loaded means fitted (``predict_matrix`` asks every model)."""

    def _threads(self) -> int:
        return int(self.n_threads or os.cpu_count() or 1)

    def quantile_keys(self) -> list[str]:
        return quantile_keys(self.quantiles)

    def compiled(self, key: str = "median") -> CompiledEnsemble:
        """The booster ``key``'s compiled ensemble."""
        return self.ensembles[key]


def _feature_names(text: str) -> list[str]:
    """The ``feature_names=`` header line of a LightGBM text model."""
    for line in text.splitlines():
        if line.startswith("feature_names="):
            return line.partition("=")[2].split()
        if line.startswith("Tree="):
            break
    return []
