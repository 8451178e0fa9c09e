"""``ExecutorSpec``: the one parser of executor strings, for the service and the what-if runner.

- ``local``: worker processes on this machine (spawned);
- ``threads`` (also spelt ``inline``): threads of this process (tests, notebooks, engines
  registered in-process only);
- ``dask://host:port``, ``tcp://host:port`` or ``tls://host:port``: a running Dask
  distributed scheduler (``dask://`` means ``tcp://``);
- ``dask-local``: a throw-away Dask ``LocalCluster`` on this machine.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ExecutorKind = Literal["local", "threads", "dask", "dask-local"]
FORMS = "local, threads (or inline), dask-local, or dask://host:port (tcp:// or tls://)"


@dataclass(frozen=True)
class ExecutorSpec:
    """A parsed executor string; ``address`` is the scheduler's for ``kind == "dask"``."""

    kind: ExecutorKind
    address: str | None = None

    @classmethod
    def parse(cls, text: str) -> ExecutorSpec:
        """Parse ``text`` (see the module docstring); ValueError names the accepted forms."""
        value = text.strip()
        if value in ("local", "dask-local"):
            return cls(value)  # type: ignore[arg-type]
        if value in ("threads", "inline"):
            return cls("threads")
        for scheme, target in (("dask://", "tcp://"), ("tcp://", "tcp://"), ("tls://", "tls://")):
            if value.startswith(scheme):
                rest = value.removeprefix(scheme)
                if not rest or "/" in rest:
                    raise ValueError(f"executor {text!r}: expected {scheme}host:port")
                return cls("dask", target + rest)
        raise ValueError(f"unknown executor {text!r}; use {FORMS}")
