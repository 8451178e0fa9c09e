"""Hand-written plans for the tiny instances (all routes on the ``van`` type)."""

from __future__ import annotations

from solver.solution import Route, Solution, Unassigned


def plan(*routes: list[str], unassigned: tuple[str, ...] = ()) -> Solution:
    """A Solution with one ``van`` route per argument and the given stops unassigned."""
    return Solution(
        routes=[Route(vehicle_type="van", stops=r) for r in routes],
        unassigned=[Unassigned(stop=s, reason="NO_VEHICLE") for s in unassigned],
    )
