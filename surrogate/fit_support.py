"""What ``TravelTimeModel.fit`` needs besides LightGBM: checked weights, progress callbacks,
the refit's tree count, and the provenance recorded in the sidecar (data fingerprint,
library versions). Kept apart so the model module stays about the model."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd

from surrogate.errors import TripDataError

#: (stage, iteration, total) -> None; stage is "median", "median refit" or "q0.1", ...
Progress = Callable[[str, int, int], None]


def refit_rounds(best: int, n_train: int, n_all: int) -> int:
    """Trees for the refit: more data supports more rounds at the same learning rate
    (on NYC's inner split, scaled 0.3072 vs 0.3075 unscaled: the scaling matters little)."""
    return max(1, int(round(best * n_all / max(n_train, 1))))


def checked_weights(weight: np.ndarray, n: int) -> np.ndarray:
    """One finite, positive weight per trip, or TripDataError."""
    w = np.asarray(weight, dtype=np.float64)
    if w.shape != (n,) or not (np.isfinite(w) & (w > 0)).all():
        raise TripDataError(f"fit: sample_weight must hold {n} finite positive weights, "
                            f"one per trip (got shape {w.shape})")
    return w


def progress_callback(progress: Progress, key: str, total: int) -> Callable[[Any], None]:
    """A LightGBM callback reporting each boosting round of stage ``key``."""
    def _cb(env: Any) -> None:
        progress(key, env.iteration + 1, total)
    return _cb


def fingerprint(trips: pd.DataFrame) -> str:
    """sha256 of the training arrays: same data, same fingerprint, whatever the file."""
    h = hashlib.sha256()
    for c in ("origin_lat", "origin_lon", "dest_lat", "dest_lon", "duration_s"):
        h.update(np.ascontiguousarray(trips[c].to_numpy(np.float64)).tobytes())
    epoch = pd.Timestamp(0, tz="UTC")
    h.update((trips["departure"] - epoch).dt.total_seconds().to_numpy(np.float64).tobytes())
    return "sha256:" + h.hexdigest()


def versions() -> dict[str, str]:
    import platform

    import numba

    return {"lightgbm": lgb.__version__, "numpy": np.__version__, "numba": numba.__version__,
            "pandas": pd.__version__, "python": platform.python_version()}
