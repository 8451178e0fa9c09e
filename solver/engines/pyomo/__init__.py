"""Pyomo + HiGHS: set partitioning over a route pool, an exact model for tiny instances,
and a lower bound. Builders (``build``) never solve; ``solve`` is the one solver entry."""
