"""Routes of operating-day problems on compiled arrays, with the evaluator's semantics.

The engine-side twin of ``solver.evaluate``'s schedule for problems that use breaks, the
driving-time rule, soft windows, overtime or route limits (``CompiledProblem.
day_features``); plain problems keep ``schedule.check_route``'s walk. It re-implements
the rules of the evaluator's docstring on node indices and shares no code with it, so
the evaluator stays an independent judge: breaks in order on legs (as much driving
before each as its latest start and the driving rule allow), the placement with the
fewest violations, then the lowest cost, then the earliest return, found by keeping per
number of breaks taken only the states no other beats on (violations, time, driving since
the last qualifying break, lateness cost).
"""

from __future__ import annotations

from dataclasses import dataclass

from solver.compile import CompiledProblem

EPS = 1e-6  # the evaluator's tolerance


@dataclass(frozen=True)
class DaySchedule:
    """The chosen schedule's numbers: ``violation`` names its first broken rule."""

    violation: str | None
    end_time: float
    duration: float
    late_cost: float
    overtime: float
    starts: tuple[float, ...]  # service start per stop


@dataclass(frozen=True)
class _State:
    taken: int
    bad: int
    time: float
    driven: float
    late_cost: float
    first: str | None
    waits: tuple[float, ...]
    slacks: tuple[float, ...]
    starts: tuple[float, ...] = ()

    def beats(self, other: _State) -> bool:
        return (self.taken == other.taken and self.bad <= other.bad
                and self.time <= other.time and self.driven <= other.driven
                and self.late_cost <= other.late_cost)


def day_schedule(c: CompiledProblem, k: int, nodes: list[int], leg_time) -> DaySchedule:
    """Schedule stop ``nodes`` on type ``k``; ``leg_time(i, j, depart)`` is travel time."""
    states = day_start(c, k)
    path = [int(c.start_depot[k])] + nodes + [int(c.end_depot[k])]
    for leg in range(len(path) - 1):
        states = day_advance(c, k, states, path[leg], path[leg + 1], leg_time,
                             leg == len(path) - 2)
    return day_finish(c, k, states)


def day_start(c: CompiledProblem, k: int) -> list[_State]:
    """The one state of type ``k`` at its shift start (``day_advance`` grows it)."""
    return [_State(0, 0, float(c.shift[k, 0]), float(c.driving[k, 2]), 0.0, None, (), ())]


def day_advance(c: CompiledProblem, k: int, states: list[_State], i: int, j: int, leg_time,
                last: bool) -> list[_State]:
    """The states no other beats after the leg ``i -> j`` (with every number of the next
    breaks on it; all that are left when ``last``, the return to the end depot) and the
    service at ``j``. Route enumeration extends a prefix's states by one leg with it."""
    n_breaks = int(c.break_count[k])
    grown: list[_State] = []
    for st in states:
        counts = [n_breaks - st.taken] if last else range(n_breaks - st.taken + 1)
        for m in counts:
            new = _move(c, k, st, m, leg_time(i, j, st.time), None if last else j)
            if not any(o.beats(new) for o in grown):
                grown = [o for o in grown if not new.beats(o)] + [new]
    return grown


def day_alive(c: CompiledProblem, k: int, states: list[_State]) -> bool:
    """Whether some route starting with these states' prefix may still be feasible: a
    state without violation that is not past the shift end plus overtime (violations and
    time only grow along a route)."""
    limit = float(c.shift[k, 1]) + float(c.max_overtime[k]) + EPS
    return any(st.bad == 0 and st.time <= limit for st in states)


def day_dominates(a: list[_State], b: list[_State]) -> bool:
    """Whether every state of ``b`` is beaten by one of ``a`` (prefixes ending at the same
    stop: each completion of ``b``'s is then matched by ``a``'s at no more cost, when the
    departure is not delayed, i.e. with breaks, on static travel)."""
    return all(any(x.beats(y) for x in a) for y in b)


def day_finish(c: CompiledProblem, k: int, states: list[_State]) -> DaySchedule:
    """The chosen schedule among the states back at the end depot (``day_advance`` with
    ``last``): the fewest violations, then the lowest cost, then the earliest return."""
    shift_start, shift_end = float(c.shift[k, 0]), float(c.shift[k, 1])
    rate, over_rate = float(c.cost_per_time[k]), float(c.overtime_cost[k])
    best = min(states, key=lambda s: (s.bad, s.late_cost + rate * s.time
                                      + over_rate * max(s.time - shift_end, 0.0), s.time))
    end_time, violation = best.time, best.first
    overtime = max(end_time - shift_end, 0.0)
    if overtime > float(c.max_overtime[k]) + EPS:
        violation = violation or "shift"
    depart = shift_start
    if int(c.break_count[k]) == 0 and not c.travel.time_dependent:
        waits = list(best.waits) + [0.0]
        slacks = list(best.slacks) + [max(shift_end - end_time, 0.0)]
        depart += _delay(waits, slacks)
    return DaySchedule(violation, end_time, end_time - depart, best.late_cost, overtime,
                       best.starts)


def _move(c: CompiledProblem, k: int, st: _State, m: int, drive: float,
          stop: int | None) -> _State:
    """``st`` after one leg of ``drive`` seconds with its next ``m`` breaks, then the
    service at ``stop`` (None: the return to the depot)."""
    limit, qualifying = float(c.driving[k, 0]), float(c.driving[k, 1])
    t, driven, bad, first = st.time, st.driven, st.bad, st.first
    remaining = drive
    taken = c.breaks[k, st.taken: st.taken + m]
    # a break must start early enough for the leg's later breaks to start in time
    cap = taken[:, 1].copy()
    for q in range(m - 2, -1, -1):
        cap[q] = min(cap[q], cap[q + 1] - taken[q, 2])
    for (earliest, latest, length), last_start in zip(taken, cap, strict=True):
        resets = length + EPS >= qualifying
        budget = limit - driven  # driving before any break counts until a qualifying one
        part = max(min(remaining, last_start - t, budget), 0.0)
        t, remaining, driven = t + part, remaining - part, driven + part
        begin = max(t, float(earliest))
        if begin > latest + EPS:
            bad, first = bad + 1, first or "break"
        t = begin + float(length)
        if resets:
            driven = 0.0
    t, driven = t + remaining, driven + remaining
    if driven > limit + EPS:
        bad, first = bad + 1, first or "driving"
    if stop is None:
        return _State(st.taken + m, bad, t, driven, st.late_cost, first, st.waits, st.slacks,
                      st.starts)
    late_cost, slack, begin = st.late_cost, 0.0, t
    for w_start, w_end in c.tw[stop, : c.tw_count[stop]]:
        if w_end + EPS >= t:
            begin = max(t, float(w_start))
            slack = max(float(w_end) - begin, 0.0)
            break
    else:
        late = t - float(c.tw[stop, c.tw_count[stop] - 1, 1])
        late_cost += float(c.late_cost[stop]) * late
        if late > float(c.max_late[stop]) + EPS:
            bad, first = bad + 1, first or "time_window"
    return _State(st.taken + m, bad, begin + float(c.service[stop]), driven, late_cost,
                  first, st.waits + (begin - t,), st.slacks + (slack,), st.starts + (begin,))


def _delay(waits: list[float], slacks: list[float]) -> float:
    """Savelsbergh's forward slack of the departure (no visit may start later)."""
    best, cumulative = sum(waits), 0.0
    for wait, slack in zip(waits, slacks, strict=True):
        cumulative += wait
        best = min(best, cumulative + slack)
    return max(best, 0.0)
