"""Engine ``ortools``: the OR-Tools routing model (``model``), its integer scaling
(``scaling``), search plumbing (``search``) and the engine itself (``engine``)."""

from solver.engines.ortools.engine import OrToolsEngine, OrToolsParams
from solver.engines.ortools.scaling import exact_scale

__all__ = ["OrToolsEngine", "OrToolsParams", "exact_scale"]
