"""The Numba metaheuristic engine ``hgs``: kernels in ``_``-modules, orchestration in engine.py."""
