"""The flat state the kernels share: an instance tuple and a solution tuple of arrays.

Structured state is flattened into named tuples of contiguous arrays (pynndescent style):
Numba compiles them as plain tuples, so kernels see no Python objects.

Node layout follows ``CompiledProblem``: depots ``0 .. n_depots-1``, then clients. Routes
are rows of ``nodes[R, cap]`` (clients only, depots implied by the route's vehicle type).
Segment data (Vidal et al. 2013, "A hybrid genetic algorithm with adaptive diversity
management for a large class of vehicle routing problems with time-windows", sec. 3.3)
are stored per client for the prefix ending and the suffix starting at that client:
``[distance, duration, time_warp, earliest, latest]``, depots excluded.
"""

from collections import namedtuple

Instance = namedtuple(
    "Instance",
    [
        "dist",  # float64 [N, N], or a [1, 1] placeholder (read through _arcs)
        "dur",  # float64 [N, N] static durations the search prices with (see instance.py)
        "xy",  # float64 [N, 2] with coordinate-only travel (dist, dur, dur_td are then
        #   placeholders and _arcs computes each arc), None with dense travel
        "rounding",  # int: _arcs.ROUNDING_CODE of the Euclidean rounding (coordinate-only)
        "speed",  # float: duration = distance / speed (coordinate-only)
        "longest_dist",  # float: longest arc
        "longest_dur",  # float: longest search duration
        "service",  # float64 [N]
        "tw_early",  # float64 [N] opening of the first window
        "tw_late",  # float64 [N] closing of the last window (plus a soft window's
        #   max lateness: the segment data then never price what the schedule allows)
        "demand",  # float64 [N, D]
        "capacity",  # float64 [K, D]
        "start_depot",  # int64 [K]
        "end_depot",  # int64 [K]
        "shift_early",  # float64 [K]
        "shift_late",  # float64 [K] shift end (plus max overtime, for the segment data;
        #   the schedule reads the shift end from ``day``)
        "fixed",  # float64 [K]
        "cost_dist",  # float64 [K]
        "cost_time",  # float64 [K]
        "max_dur",  # float64 [K]
        "compat",  # bool [N, K] skills allow type k at node i
        "penalty",  # float64 [N] cost of leaving the client out (huge when required)
        "optional",  # bool [N] client may be left out at its penalty
        "active",  # bool [N] client may be routed (depots and unservable stops False)
        "neigh",  # int64 [N, nk] granular neighbours (Toth & Vigo 2003), -1 padded
        "route_type",  # int64 [R] vehicle type of each route slot
        "tw",  # float64 [N, W, 2] all windows, for the exact schedule
        "tw_count",  # int64 [N]
        "dur_td",  # float64 [T, N, N] time-dependent durations, for the exact schedule
        #   ([1, 1, 1] placeholder with coordinate-only travel)
        "slice_starts",  # float64 [T]
        "exact",  # bool: verify moves with the exact schedule (multi-window or T > 1)
        "skills",  # bool: some (node, type) pairs are incompatible
        "bound",  # bool: arc deltas bound move costs (symmetric travel; with a cost per
        #   time, static too: see ``time_bound``)
        "time_bound",  # bool: routes pay per second, and the bounds add the travel and
        #   service time a move changes (``_moves``)
        "swap_star",  # int: SWAP* pairs routes through this many nearest neighbours (0: off)
        "star_max_pairs",  # int: ... when the product of their lengths is at most this
        "distance_only",  # True where a route costs its fixed cost plus its distance (no
        #   cost per time, no window, shift or duration limit, no exact schedule), else
        #   None: SWAP* then prices by arcs alone, chosen at compile time (``_swapstar``)
        "day",  # Day, or None on problems without operating-day features: the schedule's
        #   variant is chosen at compile time from its type (see ``_schedule``)
        "replan",  # _locks.Replan, or None on problems without locks and disruption costs
    ],
)

# The operating-day features the exact schedule prices (CompiledProblem's arrays).
Day = namedtuple(
    "Day",
    [
        "late_cost",  # float64 [N] per second past a stop's last window end
        "max_late",  # float64 [N] lateness allowed (0: hard window, inf: unbounded)
        "shift_end",  # float64 [K] shift end, overtime starts past it
        "max_overtime",  # float64 [K]
        "overtime_cost",  # float64 [K] per second of overtime
        "max_stops",  # int64 [K] clients per route
        "max_distance",  # float64 [K] distance per route
        "legs",  # Legs, or None without breaks and driving rule: the schedule then walks
        #   each route once (``_legs`` chooses at compile time from its type)
    ],
)

# Breaks and the driving-time rule, placed on a route's legs by ``_legs``.
Legs = namedtuple(
    "Legs",
    [
        "breaks",  # float64 [K, B, 3] earliest start, latest start, duration, in order
        "break_count",  # int64 [K]
        "driving",  # float64 [K, 2] max driving, qualifying break duration (inf: no rule)
        "labels",  # float64 [S, P + 2, L + 2, LABEL_FIELDS] the labelling's scratch
        #   (kernels allocate nothing): per slot, the labels before each stop of its row
        #   (P: the most clients a route may have), a label being grown, (count, distance)
        "trail",  # int64 [S + 1, P + 3]: per slot its row's type, length, last use and
        #   stops; the last row's first entry the clock (``_legs.resume``)
    ],
)

State = namedtuple(
    "State",
    [
        "nodes",  # int64 [R, cap] clients of each route in visiting order
        "length",  # int64 [R]
        "route_of",  # int64 [N] route of each client, -1 when unrouted
        "pos",  # int64 [N] position in its route
        "pre",  # float64 [N, 5] segment of the route start .. this client
        "suf",  # float64 [N, 5] segment of this client .. the route end
        "pre_load",  # float64 [N, D] load of the route start .. this client
        "load",  # float64 [R, D]
        "cost",  # float64 [R] penalised route cost (0 when empty)
        "viol",  # float64 [R] load excess + time warp of the route (unpenalised)
        "stamp_route",  # int64 [R] clock of the last change (Vidal 2022, sec. 4)
        "stamp_node",  # int64 [N] clock when the node's moves were last tested
        "star_stamp",  # int64 [R] clock when the route was last tested by SWAP*
        "clock",  # int64 [1]
    ],
)

# Layout matters to LLVM's inlining: with ``exact_a``/``exact_b`` folded into
# ``buf_a``/``buf_b`` the local search ran 2.8x slower on X-n251-k28 (0.29 vs 0.80 M
# moves/s, same moves), so the exact path keeps its own candidate buffers.
Work = namedtuple(
    "Work",
    [
        "pieces_a",  # int64 [8, 4] (route, first pos, last pos, reversed) of a new route
        "pieces_b",  # int64 [8, 4]
        "buf_a",  # int64 [cap]
        "buf_b",  # int64 [cap]
        "exact_a",  # int64 [cap] candidate routes priced by the exact schedule (see below)
        "exact_b",  # int64 [cap]
        "load",  # float64 [D]
        "order",  # int64 [C] client visiting order of the local search
        "pen",  # float64 [2] penalty weights: load excess, time warp
        "evals",  # int64 [1] candidate routes priced so far
        "star_ins",  # float64 [2, N, 3] SWAP*: three cheapest insertion costs per client
        "star_pos",  # int64 [2, N, 3] ... and their positions
        "star_rem",  # float64 [2, N] SWAP*: removal cost per position
        "route_mark",  # int64 [R] SWAP*: routes already paired in this round
        "mark_gen",  # int64 [1] current round of route_mark
    ],
)
