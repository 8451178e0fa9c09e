"""Versioned models on disk: register, list, show, activate, load.

Layout under ``root``::

    models/<model_id>/model.json, median.txt, quantile_*.txt   (as TravelTimeModel.save)
    models/<model_id>/trips.parquet    the trips it learned from, when registered with them
    active.json                                                 {"model_id": ...}
    .lock          flock'ed around every change of active.json (``promote``'s compare-and-set)
    comparisons/<created>-<challenger>.json   champion/challenger retrains (surrogate.retrain)

Writes go through a temporary name and ``os.replace`` so a reader never sees half a model.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from surrogate.errors import ModelNotFoundError, SurrogateError, TripDataError
from surrogate.predictor import SIDECAR, CompiledModel

if TYPE_CHECKING:  # pandas and LightGBM load with fitting, not with the solver's prediction
    import pandas as pd

    from surrogate.model import TravelTimeModel

Loaded = TypeVar("Loaded")

logger = logging.getLogger(__name__)

ACTIVE = "active.json"
LOCK = ".lock"
TRIPS = "trips.parquet"
COMPARISONS = "comparisons"


@dataclass(frozen=True)
class ModelInfo:
    """One registry entry, as listed (the full metadata is in ``show``)."""

    model_id: str
    created_at: str
    n_trips: int
    training_period: tuple[str, str]
    metrics: dict[str, Any]
    active: bool
    preset: str | None = None  # TravelTimeModel.from_preset's name; None: not recorded


class ModelRegistry:
    """A directory of versioned travel-time models, one of which may be active."""

    def __init__(self, root_dir: str | os.PathLike[str]) -> None:
        self.root = Path(root_dir)

    @property
    def _models(self) -> Path:
        return self.root / "models"

    def path(self, model_id: str | None = None) -> Path:
        """Directory of ``model_id`` (or of the active model), always inside this registry.

        An id is a plain name: one with a path separator, a leading dot or a drive (an
        absolute path, ``../other/models/x``) names no model here. Messages show the id
        only, never the server's folders.
        """
        mid = model_id or self.active_id()
        if mid is None:
            raise ModelNotFoundError("no travel model is active; activate one first")
        if not _plain_name(mid):
            raise ModelNotFoundError(f"no travel model {mid!r} (not a model id)")
        p = self._models / mid
        if p.resolve().parent != self._models.resolve() or not (p / SIDECAR).is_file():
            raise ModelNotFoundError(f"no travel model {mid!r}")
        return p

    def register(self, model: TravelTimeModel, *, activate: bool = False,
                 trips: pd.DataFrame | None = None) -> str:
        """Store a fitted model under its ``model_id_``; returns the id.

        ``trips`` (the cleaned trips it learned from) are kept beside it, so that a
        retrain (``surrogate.retrain``) can learn from them again plus the actuals.
        Registering the same model twice is a no-op (ids are content hashes). The first
        model registered becomes active.
        """
        mid = model.model_id_ if hasattr(model, "model_id_") else None
        if mid is None:
            model._check_fitted()
        target = self._models / str(mid)
        if not (target / SIDECAR).is_file():
            self._models.mkdir(parents=True, exist_ok=True)
            tmp = Path(tempfile.mkdtemp(prefix=f".{mid}.", dir=self._models))
            model.save(tmp)
            if trips is not None:
                from surrogate.trips.schema import conform

                conform(trips, where="register").to_parquet(tmp / TRIPS, index=False)
            os.replace(tmp, target)
            logger.info("registered model %s in %s", mid, self.root)
        with self._locked():
            if activate or self.active_id() is None:
                self._write_active(str(mid))
        return str(mid)

    def active_id(self) -> str | None:
        """Id of the active model, or None."""
        f = self.root / ACTIVE
        if not f.is_file():
            return None
        return str(json.loads(f.read_text())["model_id"])

    def activate(self, model_id: str) -> None:
        """Make ``model_id`` the model used when none is named."""
        with self._locked():
            self._write_active(model_id)

    def promote(self, model_id: str, *, expected: str | None) -> bool:
        """Activate ``model_id`` only if the active model is still ``expected`` (the
        champion a retrain compared against); False, and nothing changed, otherwise.

        Compare-and-set under the registry's file lock: of two retrains judged against
        the same champion, only the first to get here activates its challenger."""
        with self._locked():
            if self.active_id() != expected:
                return False
            self._write_active(model_id)
            return True

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """Exclusive ``flock`` on ``<root>/.lock`` (across threads and processes)."""
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / LOCK, "a") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def _write_active(self, model_id: str) -> None:
        """Point active.json at ``model_id`` (atomically); the caller holds the lock."""
        self.path(model_id)  # raises if unknown
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".active.")
        with os.fdopen(fd, "w") as fh:
            json.dump({"model_id": model_id}, fh)
        os.replace(tmp, self.root / ACTIVE)
        logger.info("activated model %s", model_id)

    def show(self, model_id: str | None = None) -> dict[str, Any]:
        """Full sidecar metadata of a model (default: the active one)."""
        return dict(json.loads((self.path(model_id) / SIDECAR).read_text()))

    def list(self) -> list[ModelInfo]:
        """Every registered model, newest first."""
        if not self._models.is_dir():
            return []
        active = self.active_id()
        out = []
        for d in self._models.iterdir():
            if d.name.startswith(".") or not (d / SIDECAR).is_file():
                continue
            m = json.loads((d / SIDECAR).read_text())
            out.append(ModelInfo(d.name, m["created_at"], m["n_trips"],
                                 tuple(m["training_period"]), m["metrics"], d.name == active,
                                 m.get("preset")))
        return sorted(out, key=lambda i: (i.created_at, i.model_id), reverse=True)

    def load(self, model_id: str | None = None) -> TravelTimeModel:
        """The model ``model_id`` (default: the active one), ready to predict; a model that
        cannot be loaded is named by its id, not by its folder."""
        from surrogate.model import TravelTimeModel

        return self._named(TravelTimeModel.load, model_id)

    get = load

    def load_compiled(self, model_id: str | None = None) -> CompiledModel:
        """The model ``model_id`` (default: the active one) as compiled trees for
        ``predict_matrix``, read without LightGBM or pandas (``surrogate.predictor``)."""
        return self._named(CompiledModel.load, model_id)

    def _named(self, loader: Callable[[Path], Loaded], model_id: str | None) -> Loaded:
        """``loader(directory of model_id)``; an error names the model, not its folder."""
        p = self.path(model_id)
        try:
            return loader(p)
        except SurrogateError as exc:
            raise type(exc)(str(exc).replace(str(p), f"travel model {p.name!r}")) from None

    def trips_file(self, model_id: str | None = None) -> Path:
        """Where the trips of ``model_id`` (default: the active model) are; TripDataError
        naming the model when it was registered without them."""
        p = self.path(model_id) / TRIPS
        if not p.is_file():
            raise TripDataError(f"travel model {p.parent.name!r} was registered without its "
                                "training trips; give them to the retrain explicitly")
        return p

    def training_trips(self, model_id: str | None = None) -> pd.DataFrame:
        """The trips ``model_id`` (default: the active model) was registered with."""
        import pandas as pd

        from surrogate.trips.schema import conform

        p = self.trips_file(model_id)
        return conform(pd.read_parquet(p), where=f"travel model {p.parent.name!r}")

    def record_comparison(self, comparison: dict[str, Any]) -> str:
        """Store a champion/challenger comparison; returns its name."""
        folder = self.root / COMPARISONS
        folder.mkdir(parents=True, exist_ok=True)
        stamp = str(comparison["created_at"]).replace(":", "").replace("+", "Z")
        name = f"{stamp}-{comparison['challenger']['model_id']}"
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".cmp.")
        with os.fdopen(fd, "w") as fh:
            json.dump(comparison, fh, indent=2, default=str)
        os.replace(tmp, folder / f"{name}.json")
        return name

    def comparisons(self) -> list[dict[str, Any]]:
        """Every recorded comparison, newest first."""
        folder = self.root / COMPARISONS
        if not folder.is_dir():
            return []
        docs = [json.loads(f.read_text()) for f in folder.glob("*.json")]
        return sorted(docs, key=lambda d: str(d["created_at"]), reverse=True)

    def remove(self, model_id: str) -> None:
        """Delete a model; the active one cannot be removed."""
        with self._locked():
            if model_id == self.active_id():
                raise ValueError(f"model {model_id!r} is active; activate another first")
            shutil.rmtree(self.path(model_id))


def _plain_name(model_id: str) -> bool:
    """True for a single path component that is not hidden: ``Path`` cannot escape with it."""
    return (bool(model_id) and not model_id.startswith(".")
            and "/" not in model_id and "\\" not in model_id and "\0" not in model_id
            and Path(model_id).name == model_id and not Path(model_id).is_absolute())


def load_model(location: str | os.PathLike[str], model_id: str | None = None) -> TravelTimeModel:
    """A model from a saved-model directory or a registry root (its active model)."""
    from surrogate.model import TravelTimeModel

    p = Path(location)
    if (p / SIDECAR).is_file():
        return TravelTimeModel.load(p)
    if (p / "models").is_dir():
        return ModelRegistry(p).load(model_id)
    raise ModelNotFoundError(f"{p}: neither a saved model nor a model registry")
