"""Tuning knobs of the ``hgs`` engine (frozen, validated; PyVRP's *Params convention)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, fields
from pathlib import Path


@dataclass(frozen=True)
class HeuristicParams:
    """Parameters of the granular local search and the iterated local search around it.

    Defaults follow HGS-CVRP (Vidal 2022, table 1) where they carry over: 20 granular
    neighbours, penalties x1.2 / x0.85 per adjustment, repair with penalties x10 (HGS
    repairs half of the infeasible candidates; here see ``repair_prob``).
    Late-acceptance history 20, penalty updates every 10 iterations and up to 4 repair
    rounds (were 100 / 50 / 2) because a 1000-client VRPTW gets only a few hundred
    iterations a minute here; on GH R1_10_1 at 15 s that took the gap from 11.5 % (no
    improvement after construction) to 6.8 %, and X-n251-k28 at 10 s from 2.3 to 2.0 %.
    With ``focus`` (thousands of iterations a minute) history 100 and penalty updates
    every 50 iterations were tried again and still lost on GH R1 (see
    benchmarks/vrp/notes/2026-11-24_vrptw-tuning.md), and so did no repair at all.

    SWAP* (10 route neighbours, length product <= 625) took the 12 X instances at 10 s
    CPU from 1.84 to 1.43 % mean gap, but cut the iterations 2-4x on GH 1000-client
    VRPTW, where at 60 s it was +0.25 pp on average over four runs (R1 twice, RC1, R2),
    so it is off where time windows bind unless ``star_with_windows``.

    ``focus``: after a ruin only the removed clients and the clients next to them are
    tried as ``u``, then the clients next to each applied move (PyVRP's promising set);
    before, every client whose route changed was tried again, and every penalty update
    restarted the whole search. On GH R1/RC1/RC2/R2_10_1 at 30 CPU-s (seeds 1-2) it took
    the iterations 5-25x up and the mean gap from 4.39 to 3.54 %, and X (4 instances,
    10 CPU-s) from 1.05 to 0.74 %.

    ``tw_neighbours`` (PyVRP uses 50): with binding windows and short routes the closest
    20 miss too many good partners. 40 took GH R1 / RC1 at 30 CPU-s from 4.85 / 5.02 to
    4.02 / 4.53 % despite 2-3x fewer iterations, but R2 at 60 CPU-s from 1.24 to 2.10 %
    (RC2 at 30 CPU-s 1.78 vs 2.00 %); on X it was no better (0.92 vs 0.74 %). The first
    local optimum tells them apart: 8-10 clients per route on C1/R1/RC1, 26-30 on
    C2/R2/RC2 (seed 1), so the search starts with 40 where windows bind and goes on with
    ``long_neighbours`` when that optimum has more than ``short_routes`` = 15 clients per
    route; CVRP keeps ``n_neighbours``. ``long_neighbours`` was 20, chosen on R2_10_1
    alone, where 40 lost; on GH R2/RC2_10_1-3 at 60 s (seeds 1-3) 30 took the mean gap
    from 3.25 to 2.41 %, better in 14 of the 18 runs despite 0.65-0.75x the iterations
    (R2_10_1 worse on two seeds), and C2_10_1-3 (seed 1) from 2.74 to 1.55 %; 40 and 50
    were no better than 30 (benchmarks/results/2026-12-06f_long-route-neighbours.md).

    ``route_ruin``: on GH R2/RC2_10_2-4 the plans kept 2-8 routes more than the best known
    ones (R2_10_3: 31-34 vs 24, PyVRP 27), and the neighbour ruin, a few clients from each of
    several long routes, rarely empties one. So where windows bind and routes are long (as
    for the neighbours above) a fifth of the ruins empty a short route instead: the
    shortest of the routes of eight random clients, if it has at most ``route_short`` of
    the mean clients per route (else the neighbour ruin runs). At 60 CPU-s (seeds 1-2):
    R2_10_3 4.81 -> 3.62 %, RC2_10_1 1.59 -> 1.26 %, RC2_10_3 (seed 1) 5.61 -> 5.46 %, but
    R2_10_1 (best known plan 37 routes, ours 32-33) 1.02 -> 1.33 %: 2.92 -> 2.55 % over the
    7 runs. Without the ``route_short`` limit (seed 1) R2_10_3 and RC2_10_3 gained more
    (2.33, 3.88 %) and R2_10_1 lost more (1.60 %). See
    benchmarks/results/2026-12-04d_route-ruin.md.

    ``long_ruin_max``: where windows bind and routes are long (as for the neighbours
    above) a ruin removes 5 to 30 clients instead of 5 to 20: with 26-50 clients a route
    (GH C2/R2/RC2) twenty neighbours touch only a few routes. At 60 s, on RC2_10_1-2 and
    R2_10_1 (seeds 1-4) and C2_10_1 and R2_10_2 (seeds 1-2), the mean gap went from 1.01
    to 0.82 %, better in 12 of the 16 runs and worse in 3; RC2_10_1 from 1.22 to 0.96 %
    (all four seeds better). At 10 s, on C2/R2/RC2_10_1-2 (seeds 1-3), from 2.01 to
    1.80 %, better in 13 of 18. A string removal as SISR's (Christiaens & Vanden Berghe
    2020) did not add to it (first six runs: 0.99 % with it, 0.82 % without; alone 1.08
    against 1.14 %), nor a smallest ruin of 8 (0.97 %). See
    benchmarks/results/2026-12-07j_long-route-ruin.md.

    ``repair_prob`` applies where windows bind (or with ``repair_without_windows``). On
    CVRP the repair's local searches with penalties x10 took nine tenths of the candidate
    routes priced (X-n801-k40: 19,600 per iteration with it, 1,800 without, SWAP* off),
    and without it X at 60 s, seed 1, went from 1.63 to 0.96 % on X-n801, 1.17 to 0.87 %
    on X-n979, 0.38 to 0.26 % on X-n502 and 0.74 to 0.73 % on X-n716, with 4-5x the
    iterations (PyVRP 0.14's search has no repair either). On GH 1000 (seed 1) it still
    pays: without it R1 2.92 -> 3.63 %, RC1 3.04 -> 3.45 %, RC2 1.28 -> 1.63 %, R2 2.12
    -> 2.01 %. On heterogeneous fleets (HFVRP, ten instances of the five kinds, seeds 1-2,
    30 s) the repair cost 0.08 % on average and won 7 of the 20 runs, so it stays off
    there too. See benchmarks/results/2026-12-06h_repair-without-windows.md and
    2026-12-06i_hfvrp-repair.md.

    ``short_repair_prob``: where windows bind and routes are short (at most ``short_routes``
    clients each, as for the neighbours above: GH C1/R1/RC1) every infeasible candidate is
    repaired. At 60 s (seeds 1-3, against the same seeds with 0.5) R1_10_1 went from 3.28
    to 2.27 % and RC1_10_1 from 3.90 to 2.56 % (PyVRP 3.51, 2.56 %) with about half the
    iterations; on the long-route classes 1.0 was no better (RC2_10_1 seed 1: 1.28 ->
    1.98 %), so they keep ``repair_prob``. In the GH benchmark (four solvers, seeds 1-3)
    the mean gap went from 1.81 to 1.33 % at 60 s and from 2.96 to 2.83 % at 10 s. See
    benchmarks/results/2026-12-06h_repair-without-windows.md and
    2026-12-06i_vrptw-gh_60s_seeds.md.

    ``repair_prob`` was 0.5. On long routes a repair is several local searches with
    penalties x10 for one candidate (RC2_10_1 at 20 s: about 3,000 candidate routes priced
    per iteration with it, 700 without), and after the search got 30 % faster
    (``prune_limit`` inlined) it was 0.15: on GH C2/R2/RC2_10_1-2 (seeds 1-2) at 60 s the
    mean gap went from 0.99 to 0.91 % (6 of 10 runs better), at 10 s (seeds 1-3) from
    2.17 to 1.97 % (9 of 18 better, 7 worse); C2 lost 0.03 and 0.27 pp, R2 and RC2 gained.
    Before the speed-up, R2/RC2_10_1 at 60 s (seeds 1-3) had 0.15 better in 5 of 6 runs
    (benchmarks/results/2026-12-07f_long-route-repair.md).

    ``probe_share``: where windows bind and routes are long, the route count of the first
    local optimum sticks (R2_10_1: 29-31 routes from the insertion, 36-38 from PyVRP's
    spread start of many short routes, best known 37; R2_10_3 the other way: 28 against
    31, best known 24). So both starts are searched in turn for ``probe_share`` of the
    time left each and the cheaper goes on (``starts``), when that comes to at least
    ``probe_min_s`` (limits of about 30 s and more; 10 s runs are as they were). At 60 s,
    seeds 1-2, on R2_10_1-3, RC2_10_1-2 and C2_10_1 (10 runs): mean -0.27 % against the
    insertion alone; R2_10_1 2.07 -> 0.69 % and 2.10 -> 0.94 % above the best known plan,
    RC2_10_1 +0.14 / -0.43 %, C2_10_1 +0.07 %, the rest the same
    (benchmarks/results/2026-12-07d_route-count-starts.md).

    ``polish_best`` stays on as in PyVRP: without it GH was 3.11 vs 3.26 % and X 0.82 vs
    0.74 %, both within the noise of one or two seeds. Where a vehicle pays per second,
    the polishes may take only ``timed_polish_share`` of the candidate routes priced: a
    route's waiting then bounds no move, so each polish is a full local search with
    little pruned, and early on nearly every iteration is a new best (GH R1_10_1 paid 1
    per second ran 89 iterations in 60 s). With 0.2, on GH R1/RC1/R2/RC2_10_1 paid 1 per
    second (seeds 1-2) the mean cost fell 1.4 % at 60 s and 1.2 % at 10 s against
    polishing every new best, better in 13 of 16 runs; X-n251 paid per second, the
    embedded demo and the example operating day never reach the share (same plans). See
    benchmarks/results/2026-12-07c_time-priced-polish.md.
    """

    n_neighbours: int = 20
    tw_neighbours: int = 40  # ... where some client's window binds and routes are short:
    short_routes: float = 15.0  # at most this many clients per route in the first optimum
    long_neighbours: int = 30  # ... where windows bind and routes are longer
    wait_weight: float = 0.2  # proximity: weight of waiting between two clients (PyVRP)
    warp_weight: float = 1.0  # proximity: weight of time warp between two clients
    ruin_min: int = 5
    ruin_max: int = 20
    long_ruin_max: int = 30  # ... where windows bind and routes are long
    route_ruin: float = 0.2  # share of ruins that empty a whole route, where routes are long
    route_short: float = 0.5  # ... a route with at most this share of the mean clients/route
    history: int = 20  # late-acceptance list length
    focus: bool = True  # local search from the ruined clients only (PyVRP's search space)
    polish_best: bool = True  # full local search on a new best (PyVRP's exhaustive_on_best)
    timed_polish_share: float = 0.2  # ... where vehicles pay per second, while polishes
    #   priced at most this share of all candidate routes
    probe_share: float = 0.13  # where windows bind and routes are long, two first plans
    #   are searched in turn for this share of the time left each (``starts``) ...
    probe_min_s: float = 4.0  # ... when that is at least this many seconds
    repair_prob: float = 0.15  # share of infeasible candidates repaired, where windows bind
    short_repair_prob: float = 1.0  # ... and routes are short (``short_routes``)
    repair_without_windows: bool = False  # ... and also where none binds
    repair_factor: float = 10.0
    repair_rounds: int = 4  # penalties x factor, x factor^2, ... until feasible
    adjust_every: int = 10
    target_feasible: float = 0.5
    pen_up: float = 1.2
    pen_down: float = 0.85
    star_neighbours: int = 10  # SWAP* pairs routes through this many neighbours (0: off)
    star_max_pairs: int = 625  # ... whose lengths' product is at most this
    star_with_windows: bool = False  # SWAP* also when some client has a binding window
    chunk_seconds: float = 0.1  # work between two stop checks (cancellation latency)

    def __post_init__(self) -> None:
        if min(self.n_neighbours, self.tw_neighbours, self.long_neighbours) < 1:
            raise ValueError("need n_neighbours, tw_neighbours and long_neighbours >= 1")
        if self.star_neighbours < 0:
            raise ValueError("star_neighbours must not be negative")
        if not 1 <= self.ruin_min <= min(self.ruin_max, self.long_ruin_max):
            raise ValueError("need 1 <= ruin_min <= ruin_max and long_ruin_max")
        if self.short_routes < 0.0 or self.route_short < 0.0:
            raise ValueError("short_routes and route_short must not be negative")
        if not 0.0 <= self.route_ruin <= 1.0:
            raise ValueError("route_ruin must lie in [0, 1]")
        if self.history < 1 or self.adjust_every < 1 or self.repair_rounds < 1:
            raise ValueError("history, adjust_every and repair_rounds must be positive")
        if not (0.0 <= self.repair_prob <= 1.0 and 0.0 <= self.short_repair_prob <= 1.0):
            raise ValueError("repair_prob and short_repair_prob must lie in [0, 1]")
        if not 0.0 < self.target_feasible < 1.0:
            raise ValueError("target_feasible must lie in (0, 1)")
        if self.pen_up <= 1.0 or not 0.0 < self.pen_down < 1.0 or self.repair_factor <= 1.0:
            raise ValueError("need pen_up > 1, 0 < pen_down < 1 and repair_factor > 1")
        if not 0.0 <= self.probe_share < 0.5 or self.probe_min_s <= 0.0:
            raise ValueError("need 0 <= probe_share < 0.5 and probe_min_s > 0")
        if not 0.0 < self.timed_polish_share <= 1.0:
            raise ValueError("timed_polish_share must lie in (0, 1]")
        if self.chunk_seconds <= 0.0:
            raise ValueError("chunk_seconds must be positive")

    @classmethod
    def from_file(cls, path: str | Path) -> HeuristicParams:
        """Read the ``[hgs]`` table of a TOML file (unknown keys are an error)."""
        data = tomllib.loads(Path(path).read_text()).get("hgs", {})
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"{path}: unknown [hgs] keys {sorted(unknown)}")
        return cls(**data)
