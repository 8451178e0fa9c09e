"""Ten generated "real day" instances (issue 13's benchmark), written on the fly.

Each is one city's working day on clock times (``time_origin`` a date, an IANA
``time_zone``, every time ``"HH:MM"``; one day crosses the spring DST change): 100 to
1,000 stops, 1 to 4 depots, named vehicles on early, day and late shifts, a lunch break
(and a short break on long shifts) for every driver, the EU driving rule for most types,
paid overtime, route limits (stops and meters), and a mix of hard delivery slots, soft
windows with lateness costs (some capped), open stops and a few optional ones with a
penalty. Deterministic for its index; nothing is committed but this code.

``python -m benchmarks.day.generate DIR`` writes them as JSON for a look or another tool.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from solver.problem import Problem


@dataclass(frozen=True)
class City:
    name: str
    lat: float
    lon: float
    zone: str
    date: str


CITIES = (  # (the Berlin day is 2026-03-29: clocks go from 02:00 to 03:00)
    City("berlin", 52.52, 13.405, "Europe/Berlin", "2026-03-29"),
    City("newyork", 40.73, -73.99, "America/New_York", "2026-06-10"),
    City("tokyo", 35.68, 139.76, "Asia/Tokyo", "2026-04-14"),
    City("saopaulo", -23.55, -46.63, "America/Sao_Paulo", "2026-08-03"),
    City("sydney", -33.87, 151.21, "Australia/Sydney", "2026-02-17"),
    City("lyon", 45.76, 4.84, "Europe/Paris", "2026-10-06"),
    City("mumbai", 19.08, 72.88, "Asia/Kolkata", "2026-01-21"),
    City("chicago", 41.88, -87.63, "America/Chicago", "2026-09-15"),
    City("madrid", 40.42, -3.70, "Europe/Madrid", "2026-05-26"),
    City("toronto", 43.65, -79.38, "America/Toronto", "2026-11-24"),
)
SIZES = (100, 150, 200, 300, 400, 500, 600, 700, 850, 1000)
SLOTS = (("08:00", "10:00"), ("09:00", "12:00"), ("10:00", "13:00"), ("12:00", "15:00"),
         ("13:00", "16:00"), ("15:00", "18:00"), ("16:00", "19:00"))
SHIFTS = (("early", 6.5, 15.0), ("day", 8.0, 16.5), ("late", 10.5, 19.0))  # hours


def hhmm(hours: float) -> str:
    """Local clock time of ``hours`` after midnight (minutes rounded)."""
    minutes = int(round(hours * 60))
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def instance_name(index: int) -> str:
    return f"day{index:02d}-{CITIES[index].name}-n{SIZES[index]}"


def real_day(index: int) -> Problem:
    """Instance ``index`` (0-9) of the set."""
    city, n = CITIES[index], SIZES[index]
    rng = np.random.default_rng(1000 + index)
    spread = 0.03 + 0.03 * n / 1000  # degrees: a bigger area for more stops
    depots = []
    for d in range(1 + n // 300):
        angle = 2 * np.pi * d / (1 + n // 300) + rng.uniform(0, 1)
        depots.append({
            "id": f"{city.name}-depot-{d + 1}",
            "location": {"lat": city.lat + 0.6 * spread * np.sin(angle),
                         "lon": city.lon + 0.8 * spread * np.cos(angle)},
            "time_window": {"start": "05:30", "end": "21:00"}})
    return Problem.model_validate({
        "name": instance_name(index), "time_origin": city.date, "time_zone": city.zone,
        "depots": depots, "stops": _stops(rng, city, n, spread),
        "vehicle_types": _fleet(rng, city, n, [d["id"] for d in depots]),
        "travel": {"kind": "haversine", "speed": float(rng.uniform(7.0, 10.0)),
                   "detour_factor": 1.35},
    })


def _stops(rng: np.random.Generator, city: City, n: int, spread: float) -> list[dict]:
    centers = rng.normal(size=(4, 2)) * spread
    out = []
    for k in range(n):
        near = centers[rng.integers(4)] if rng.random() < 0.6 else np.zeros(2)
        lat, lon = np.array([city.lat, city.lon]) + near + rng.normal(size=2) * spread * 0.5
        kind = rng.choice(["hard", "soft", "capped", "open"], p=[0.3, 0.3, 0.15, 0.25])
        stop: dict[str, Any] = {
            "id": f"{city.name[:3].upper()}-{k + 1:04d}",
            "location": {"lat": float(lat), "lon": float(lon)},
            "demand": [float(rng.integers(1, 10))],
            "service_time": float(rng.integers(2, 13) * 60),
            "time_windows": [{"start": "07:00", "end": "19:00"}],
        }
        if kind != "open":
            a, b = SLOTS[int(rng.integers(len(SLOTS)))]
            stop["time_windows"] = [{"start": a, "end": b}]
        if kind in ("soft", "capped"):
            stop["late_cost"] = float(rng.choice([0.005, 0.01, 0.02, 0.05]))  # per second
        if kind == "capped":
            stop["max_lateness"] = float(rng.choice([10, 20, 30])) * 60
        if rng.random() < 0.05:
            stop["required"], stop["penalty"] = False, float(rng.integers(20, 120))
        out.append(stop)
    return out


def _fleet(rng: np.random.Generator, city: City, n: int, depots: list[str]) -> list[dict]:
    vans = int(np.ceil(n / 13))  # about 13 stops a van, with room to spare
    types, first = [], 1
    for t in range(min(len(depots) * 2, max(2, vans // 6))):
        depot = depots[t % len(depots)]
        label, start, end = SHIFTS[t % len(SHIFTS)]
        count = max(1, vans // min(len(depots) * 2, max(2, vans // 6)))
        hourly = float(rng.uniform(22, 30))
        breaks = [{"id": "lunch", "earliest_start": hhmm(start + 3.5),
                   "latest_start": hhmm(start + 5.5), "duration": 1800}]
        if end - start > 8:
            breaks.insert(0, {"id": "coffee", "earliest_start": hhmm(start + 1.5),
                              "latest_start": hhmm(start + 3.0), "duration": 900})
        vehicle: dict[str, Any] = {
            "id": f"{label}-{t + 1}", "count": count, "start_depot": depot,
            "vehicle_ids": [f"{city.name[:3].upper()}-van-{first + v:03d}"
                            for v in range(count)],
            "capacity": [float(rng.choice([100, 120, 160]))],
            "shift": {"start": hhmm(start), "end": hhmm(end)},
            "fixed_cost": float(rng.integers(60, 121)),
            "cost_per_distance": float(rng.uniform(0.0004, 0.0006)),  # per meter
            "cost_per_time": hourly / 3600.0,
            "max_overtime": float(rng.choice([1800, 3600, 5400])),
            "overtime_cost": 1.5 * hourly / 3600.0,
            "max_stops": int(rng.integers(20, 36)),
            "max_distance": float(rng.integers(150, 251)) * 1000.0,
            "breaks": breaks,
        }
        if rng.random() < 0.8:
            vehicle["driving"] = {"max_driving": 4.5 * 3600, "break_duration": 1800}
        types.append(vehicle)
        first += count
    return types


def main(argv: list[str]) -> None:
    out = Path(argv[0]) if argv else Path("day-instances")
    out.mkdir(parents=True, exist_ok=True)
    for index in range(len(SIZES)):
        path = out / f"{instance_name(index)}.json"
        path.write_text(real_day(index).to_json(indent=None) + "\n")
        sys.stderr.write(f"wrote {path}\n")


if __name__ == "__main__":
    main(sys.argv[1:])
