"""VRPLIB (and PyVRP's dialect) and Solomon instances, read through the `vrplib` package.

Node ``k`` of the file (0-based, depots first) becomes the id ``str(k)``, so stop ids are
the client numbers the ``.sol`` files use. Rounding follows the set's convention:
CVRP -> nearest integer; heterogeneous fleet, multi-depot and site-dependent sets ->
exact; the other time-window sets -> DIMACS (truncated to one decimal).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import vrplib

from solver.errors import InstanceFormatError, InvalidProblemError, UnsupportedFeatureError
from solver.problem import (
    Depot,
    EuclideanTravel,
    Location,
    MatrixTravel,
    Problem,
    Stop,
    TimeWindow,
    VehicleType,
)

# Sections we do not model yet: reading them silently would change the problem.
UNSUPPORTED = {
    "backhaul": "backhauls (VRPB)",
    "linehaul": "backhauls (VRPB)",
    "release_time": "release dates",
    "group": "client groups (GVRP)",
    "mutually_exclusive_group": "client groups (GVRP)",
    "vehicles_max_reloads": "multiple trips",
    "vehicles_reload_depot": "multiple trips",
}
# Per-set conventions of the best known solutions (see each folder's README).
DEFAULT_ROUNDING = {
    "CVRP": "round",
    "TSP": "round",
    "HFVRP": "exact",
    "MDVRPTW": "exact",
    "SDVRPTW": "exact",
}


def read_vrplib(path: Path, rounding: str | None = None) -> Problem:
    """Read a VRPLIB instance; ``rounding`` overrides the set's convention."""
    data = _read(path, "vrplib")
    for key, feature in UNSUPPORTED.items():
        if key in data:
            raise UnsupportedFeatureError(f"{path}: {feature} are not supported yet")
    kind = str(data.get("type", "CVRP")).upper()
    return build_problem(path, data, rounding or DEFAULT_ROUNDING.get(kind, "dimacs"))


def read_solomon(path: Path, rounding: str | None = None) -> Problem:
    """Read a Solomon text instance; exact Euclidean unless ``rounding`` says otherwise."""
    return build_problem(path, _read(path, "solomon"), rounding or "exact")


def _read(path: Path, fmt: str) -> dict[str, Any]:
    try:
        # Explicit weight sections are read either way; computing them from the
        # coordinates would build the [L, L] matrix that coordinate-only travel avoids.
        data = vrplib.read_instance(path, instance_format=fmt, compute_edge_weights=False)
        coords = np.asarray(data["node_coord"], dtype=np.float64)
    except FileNotFoundError:
        raise InstanceFormatError(f"{path}: no such file") from None
    except (ValueError, IndexError, KeyError, TypeError, RuntimeError) as err:
        # RuntimeError: what the vrplib package raises for text that is not VRPLIB at all
        raise InstanceFormatError(f"{path}: not a valid {fmt} instance ({err})") from None
    n = int(data.get("dimension", len(coords)))
    if coords.shape != (n, 2):
        raise InstanceFormatError(f"{path}: not a valid {fmt} instance (node coordinates "
                                  f"have shape {coords.shape}, expected ({n}, 2))")
    return data


def build_problem(path: Path, data: Mapping[str, Any], rounding: str) -> Problem:
    """A Problem from the arrays ``vrplib`` returns."""
    n = int(data.get("dimension", len(data["node_coord"])))
    depots = _depot_indices(data, n)
    demand = np.asarray(data.get("demand", np.zeros(n)), dtype=np.float64).reshape(n, -1)
    windows = np.asarray(data.get("time_window", [[0.0, math.inf]] * n), dtype=np.float64)
    service = np.broadcast_to(np.asarray(data.get("service_time", 0.0), dtype=np.float64), (n,))
    prize = np.asarray(data["prize"], dtype=np.float64) if "prize" in data else None
    coords = np.asarray(data["node_coord"], dtype=np.float64)
    if (demand < 0).any():
        bad = int(np.argwhere(demand < 0)[0, 0])
        raise InvalidProblemError(f"negative demand {demand[bad].tolist()}", f"{path}: node {bad}")

    stop_nodes = [k for k in range(n) if k not in set(depots)]
    vehicle_types, skills = _vehicle_types(data, [str(p) for p in range(len(depots))], stop_nodes)
    order = list(depots) + stop_nodes
    ids = {node: str(pos) for pos, node in enumerate(order)}
    depot_list = [
        Depot(id=ids[k], location=_loc(coords[k]), time_window=_window(windows[k]))
        for k in depots
    ]
    stops = [
        Stop(
            id=ids[k],
            location=_loc(coords[k]),
            demand=demand[k].tolist(),
            time_windows=[_window(windows[k])],
            service_time=float(service[k]),
            required=prize is None,
            penalty=0.0 if prize is None else float(prize[k]),
            skills=skills.get(k, []),
        )
        for k in stop_nodes
    ]
    travel: EuclideanTravel | MatrixTravel = EuclideanTravel(rounding=rounding)
    if str(data.get("edge_weight_type", "EUC_2D")).upper() == "EXPLICIT":
        ew = np.asarray(data["edge_weight"], dtype=np.float64)
        travel = MatrixTravel(
            locations=[ids[k] for k in range(n)], distance=ew.tolist()
        )
    try:
        return Problem(
            name=str(data.get("name", path.stem)),
            depots=depot_list,
            stops=stops,
            vehicle_types=vehicle_types,
            travel=travel,
        )
    except ValueError as err:
        raise InvalidProblemError(str(err).splitlines()[-1], str(path)) from None


def _depot_indices(data: Mapping[str, Any], n: int) -> list[int]:
    depots = [int(d) for d in np.atleast_1d(data.get("depot", [0]))]
    if any(not 0 <= d < n for d in depots):
        raise InstanceFormatError(f"depot index out of range: {depots}")
    return depots


def _loc(xy: np.ndarray) -> Location:
    return Location(x=float(xy[0]), y=float(xy[1]))


def _window(tw: np.ndarray) -> TimeWindow:
    return TimeWindow(start=float(tw[0]), end=float(tw[1]))


def _vehicle_types(
    data: Mapping[str, Any], depot_ids: list[str], stop_nodes: list[int]
) -> tuple[list[VehicleType], dict[int, list[str]]]:
    """Group the file's vehicles into types of identical vehicles, in file order.

    Vehicle-client compatibility lists (site-dependent VRP) become skills: type ``t``
    has skill ``not-t'`` for every other type ``t'``, and a client requires ``not-t``
    for each type ``t`` that may not serve it. Returns the types and each client
    node's required skills.
    """
    count = int(data.get("vehicles", len(stop_nodes)))

    def column(key: str, default: Any) -> list[Any]:
        if key not in data:
            return [default] * count
        return list(np.broadcast_to(np.asarray(data[key]), (count,) + np.shape(data[key])[1:]))

    allowed = data.get("vehicles_allowed_clients")
    rows = zip(
        column("capacity", math.inf),
        column("vehicles_fixed_cost", 0.0),
        column("vehicles_unit_distance_cost", 1.0),
        column("vehicles_max_duration", math.inf),
        column("vehicles_depot", 1),
        [frozenset(int(c) - 1 for c in a) for a in allowed] if allowed is not None else [None] * count,
        strict=True,
    )
    signatures = [
        (tuple(np.atleast_1d(cap).astype(float).tolist()), float(fixed), float(unit),
         float(dur), int(depot) - 1, clients)
        for cap, fixed, unit, dur, depot, clients in rows
    ]
    counts: dict[tuple, int] = {}
    for sig in signatures:
        counts[sig] = counts.get(sig, 0) + 1
    unique = list(counts)
    names = [f"type{k + 1}" if len(unique) > 1 else "vehicle" for k in range(len(unique))]
    requires: dict[int, list[str]] = {}
    if allowed is not None:
        for t, sig in enumerate(unique):
            for node in sorted(set(stop_nodes) - sig[5]):
                requires.setdefault(node, []).append(f"not-{names[t]}")
    types = [
        VehicleType(
            id=names[t],
            count=counts[sig],
            capacity=list(sig[0]),
            start_depot=depot_ids[sig[4]],
            fixed_cost=sig[1],
            cost_per_distance=sig[2],
            max_duration=sig[3] if sig[3] > 0 else math.inf,
            skills=[f"not-{names[u]}" for u in range(len(unique)) if u != t]
            if allowed is not None else [],
        )
        for t, sig in enumerate(unique)
    ]
    return types, requires
