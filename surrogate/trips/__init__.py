"""Trip logs: the generic schema, adapters for public formats, and cleaning."""

from surrogate.trips.cleaning import CleaningParams, CleaningReport, clean_trips
from surrogate.trips.load import detect_format, load_trips, read_trips
from surrogate.trips.schema import SCHEMA_COLUMNS

__all__ = [
    "SCHEMA_COLUMNS",
    "CleaningParams",
    "CleaningReport",
    "clean_trips",
    "detect_format",
    "load_trips",
    "read_trips",
]
