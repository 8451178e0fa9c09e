"""The one executor-string parser, shared by the service and ``routecast whatif``."""

from __future__ import annotations

import pytest

from solver.executor_spec import ExecutorSpec


@pytest.mark.parametrize(("text", "kind", "address"), [
    ("local", "local", None),
    ("threads", "threads", None),
    ("inline", "threads", None),
    (" dask-local ", "dask-local", None),
    ("dask://sched:8786", "dask", "tcp://sched:8786"),
    ("tcp://10.0.0.1:8786", "dask", "tcp://10.0.0.1:8786"),
    ("tls://sched:8786", "dask", "tls://sched:8786"),
])
def test_parses_every_form(text: str, kind: str, address: str | None) -> None:
    """Both vocabularies parse to one spec: inline is threads, dask:// is tcp://."""
    assert ExecutorSpec.parse(text) == ExecutorSpec(kind, address)  # type: ignore[arg-type]


@pytest.mark.parametrize("text", ["processes", "dask://", "http://x:1", "tls://a/b", ""])
def test_refuses_the_rest_naming_the_forms(text: str) -> None:
    """An unknown or incomplete executor is refused with the accepted forms or the shape."""
    with pytest.raises(ValueError, match="executor"):
        ExecutorSpec.parse(text)
