"""Hypothesis strategies for what-if edits: raw edit dicts drawn against a problem.

Parameters come from the problem (its type, stop and depot ids) most of the time and
are deliberately wrong some of the time (unknown ids, factors <= 0, negative counts), so
that properties see both valid edits and clear errors.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from solver.problem import Problem

factors = st.one_of(st.sampled_from([0.5, 0.9, 1.0, 1.1, 1.5, 2.0]),
                    st.sampled_from([0.0, -1.0]))
seconds = st.sampled_from([-300.0, -60.0, 0.0, 30.0, 120.0, 600.0])


def _type(problem: Problem) -> st.SearchStrategy[str | None]:
    ids = [v.id for v in problem.vehicle_types]
    return st.one_of(st.sampled_from(ids), st.none(), st.just("no-such-type"))


def _stops(problem: Problem) -> st.SearchStrategy[Any]:
    ids = [s.id for s in problem.stops]
    return st.one_of(
        st.none(),
        st.lists(st.sampled_from(ids), min_size=1, max_size=3, unique=True),
        st.just(["no-such-stop"]),
        st.sampled_from(["S*", "S1*", "X*"]),
        st.builds(lambda r: {"required": r}, st.booleans()),
    )


@st.composite
def edit_dicts(draw: st.DrawFn, problem: Problem) -> dict[str, Any]:
    """One edit, as a mapping like the ones in VARIANTS.yaml."""
    op = draw(st.sampled_from([
        "scale_demand", "scale_service_time", "shift_time_windows", "widen_time_windows",
        "narrow_time_windows", "add_stops", "drop_stops", "add_vehicles", "remove_vehicles",
        "set_vehicles", "change_capacity", "shift_shifts", "extend_shifts", "change_costs",
        "open_depot", "close_depot", "traffic", "travel_model",
    ]))
    depots = [d.id for d in problem.depots]
    d: dict[str, Any] = {"op": op}
    if op in ("scale_demand", "scale_service_time"):
        d |= {"factor": draw(factors), "stops": draw(_stops(problem))}
    elif op in ("shift_time_windows", "widen_time_windows", "narrow_time_windows"):
        d |= {"by": draw(seconds), "stops": draw(_stops(problem))}
    elif op == "add_stops":
        d |= {"count": draw(st.integers(-1, 4)), "seed": draw(st.integers(0, 9))}
    elif op == "drop_stops":
        d |= {"count": draw(st.integers(1, len(problem.stops) + 1)),
              "seed": draw(st.integers(0, 9))}
    elif op in ("add_vehicles", "remove_vehicles", "set_vehicles"):
        d |= {"count": draw(st.integers(-1, 4)), "type": draw(_type(problem))}
    elif op == "change_capacity":
        d |= {"factor": draw(factors), "type": draw(_type(problem))}
    elif op in ("shift_shifts", "extend_shifts"):
        d |= {"by": draw(seconds), "type": draw(_type(problem))}
    elif op == "change_costs":
        d |= {"factor": draw(factors), "type": draw(_type(problem))}
    elif op == "open_depot":
        d |= {"id": draw(st.sampled_from(["new-depot", depots[0]])),
              "location": {"x": draw(st.integers(0, 100)), "y": draw(st.integers(0, 100))},
              "move_types": draw(st.lists(st.sampled_from(
                  [v.id for v in problem.vehicle_types]), max_size=1))}
    elif op == "close_depot":
        d |= {"id": draw(st.sampled_from([*depots, "nowhere"])),
              "reassign_to": draw(st.sampled_from([*depots, None]))}
    elif op == "traffic":
        start = draw(st.sampled_from([0.0, 0.01, 0.1]))
        d |= {"multiplier": draw(factors), "start_hour": start,
              "end_hour": draw(st.sampled_from([None, start + 0.05, start - 0.01]))}
    else:
        d |= {"model": "other"}
    return {k: v for k, v in d.items() if v is not None}


@st.composite
def edit_lists(draw: st.DrawFn, problem: Problem, max_size: int = 4) -> list[dict[str, Any]]:
    """A short list of edits for ``problem`` (later edits see the base, not the result)."""
    return draw(st.lists(edit_dicts(problem), min_size=1, max_size=max_size))
