"""ModelRegistry: register, list, show, activate, load; typed errors for unknown ids."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from surrogate import ModelNotFoundError, ModelRegistry, TravelTimeModel, load_model


def test_register_list_show_activate_load(model: TravelTimeModel, trips: pd.DataFrame,
                                          test_trips: pd.DataFrame, tmp_path: Path) -> None:
    """The first model becomes active; a second can be activated; loads predict the same."""
    reg = ModelRegistry(tmp_path)
    assert reg.list() == [] and reg.active_id() is None
    first = reg.register(model)
    other = TravelTimeModel(n_estimators=5, quantiles=(), n_zones=5, n_threads=2).fit(
        trips.head(800))
    second = reg.register(other)
    assert reg.active_id() == first
    assert {i.model_id for i in reg.list()} == {first, second}
    assert reg.show(second)["model_id"] == second
    reg.activate(second)
    assert reg.active_id() == second and [i.active for i in reg.list() if i.model_id == second] == [True]
    np.testing.assert_array_equal(reg.load().predict(test_trips), other.predict(test_trips))
    np.testing.assert_array_equal(reg.get(first).predict(test_trips), model.predict(test_trips))
    np.testing.assert_array_equal(load_model(tmp_path).predict(test_trips),
                                  other.predict(test_trips))


def test_register_twice_is_idempotent(model: TravelTimeModel, tmp_path: Path) -> None:
    """Ids are content hashes: the same model registered twice is one entry."""
    reg = ModelRegistry(tmp_path)
    assert reg.register(model) == reg.register(model)
    assert len(reg.list()) == 1


def test_unknown_ids_raise_model_not_found(tmp_path: Path) -> None:
    """Unknown ids, an empty registry and a non-model directory raise ModelNotFoundError."""
    reg = ModelRegistry(tmp_path)
    with pytest.raises(ModelNotFoundError):
        reg.load()
    with pytest.raises(ModelNotFoundError):
        reg.activate("tt-nope")
    with pytest.raises(ModelNotFoundError):
        load_model(tmp_path)


def test_concurrent_promotions_against_one_champion_activate_one(
        model: TravelTimeModel, trips: pd.DataFrame, tmp_path: Path) -> None:
    """Threads promoting different challengers against the same champion at the same
    moment: in every round exactly one wins and its model is the active one."""
    import threading

    reg = ModelRegistry(tmp_path)
    champion = reg.register(model)
    challengers = [reg.register(TravelTimeModel(n_estimators=5, quantiles=(), n_zones=5,
                                                n_threads=1, seed=s).fit(trips.head(800)))
                   for s in range(4)]
    assert len({champion, *challengers}) == 5
    for _ in range(25):
        reg.activate(champion)
        start, won = threading.Barrier(len(challengers)), []
        threads = [threading.Thread(target=_race, args=(reg, m, champion, start, won))
                   for m in challengers]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(won) == 1 and reg.active_id() == won[0]


def _race(reg: ModelRegistry, mid: str, champion: str, start: Any, won: list[str]) -> None:
    """One contender: wait for the others, then try to promote ``mid``."""
    start.wait()
    if reg.promote(mid, expected=champion):
        won.append(mid)
