"""Travel matrices: distances and (possibly time-dependent) durations between locations."""

from solver.travel.base import TravelTensor
from solver.travel.build import build_travel

__all__ = ["TravelTensor", "build_travel"]
