"""Travel: distances and (possibly time-dependent) durations between locations."""

from solver.travel.base import TravelTensor
from solver.travel.build import DENSE_LIMIT, Travel, build_travel
from solver.travel.lazy import CoordinateTravel, DenseTravelRequired, require_dense

__all__ = [
    "DENSE_LIMIT",
    "CoordinateTravel",
    "DenseTravelRequired",
    "Travel",
    "TravelTensor",
    "build_travel",
    "require_dense",
]
