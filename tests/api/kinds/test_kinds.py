"""The table of job kinds: every ``JobKind`` has its module, and nothing else does."""

from __future__ import annotations

import pytest

from api.kinds import kind_spec
from api.store.enums import JobKind


@pytest.mark.parametrize("kind", list(JobKind))
def test_every_kind_has_create_run_and_view(kind: JobKind) -> None:
    """``api.kinds.<kind>.SPEC`` exists, names its own kind and has the three callables."""
    spec = kind_spec(kind)
    assert spec.kind == kind
    assert callable(spec.create) and callable(spec.run) and callable(spec.view)


def test_an_unknown_kind_is_refused() -> None:
    """A kind string that is no ``JobKind`` raises ValueError, not an import of any module."""
    with pytest.raises(ValueError, match="JobKind"):
        kind_spec("scenarios_run")
