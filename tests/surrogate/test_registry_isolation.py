"""A registry resolves ids only inside itself, and its errors show ids, never folders
(issue 14, defects 1 and 8): an absolute path or ``../<other>/models/<id>`` names no model
of this registry even when that folder holds one."""

from __future__ import annotations

from pathlib import Path

import pytest

from surrogate import ModelNotFoundError, ModelRegistry, TravelTimeModel


@pytest.fixture
def two_registries(model: TravelTimeModel, tmp_path: Path) -> tuple[ModelRegistry, str]:
    """Registry ``alice`` is empty; ``bob``, beside it, holds one model."""
    (tmp_path / "alice").mkdir()
    bob = ModelRegistry(tmp_path / "bob")
    return ModelRegistry(tmp_path / "alice"), bob.register(model)


def test_paths_to_another_registry_resolve_to_no_model(
        two_registries: tuple[ModelRegistry, str], tmp_path: Path) -> None:
    """Relative and absolute paths to bob's model fail for alice with ModelNotFoundError."""
    alice, mid = two_registries
    for escape in (f"../../bob/models/{mid}", str(tmp_path / "bob" / "models" / mid),
                   f"..\\bob\\models\\{mid}", ".", ".."):
        with pytest.raises(ModelNotFoundError):
            alice.load(escape)
        with pytest.raises(ModelNotFoundError):
            alice.activate(escape)
    assert alice.active_id() is None


def test_errors_name_the_id_not_the_folder(two_registries: tuple[ModelRegistry, str],
                                           tmp_path: Path) -> None:
    """Unknown ids and an empty registry raise messages without the registry's path."""
    alice, _ = two_registries
    for call in (lambda: alice.load("tt-nope"), alice.load,
                 lambda: alice.show("../bob/models/x")):
        with pytest.raises(ModelNotFoundError) as info:
            call()
        assert str(tmp_path) not in str(info.value) and "alice" not in str(info.value)
    with pytest.raises(ModelNotFoundError, match="'tt-nope'"):
        alice.load("tt-nope")


def test_an_unloadable_model_is_named_by_its_id(model: TravelTimeModel,
                                                tmp_path: Path) -> None:
    """A stored model whose sidecar is damaged fails naming the id, not the folder."""
    from surrogate import IncompatibleModelError

    registry = ModelRegistry(tmp_path / "reg")
    mid = registry.register(model)
    (registry.path(mid) / "model.json").write_text("{not json")
    with pytest.raises(IncompatibleModelError) as info:
        registry.load(mid)
    assert mid in str(info.value) and str(tmp_path) not in str(info.value)
