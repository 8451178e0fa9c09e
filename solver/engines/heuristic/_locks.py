"""A replan's locks and disruption costs in the kernels (``Problem.in_progress``).

``inst.replan`` is a ``Replan`` tuple on problems with locks or disruption costs and None
on all others; each helper here is resolved at compile time from its type (as ``_day``
does with ``inst.day``), so plain problems compile to what they compiled to before.

A vehicle is a vehicle type here: the engine takes locks and move costs only where each
vehicle they name is alone in its type, as in every replan's residual problem
(``solver.replan.residual`` gives each vehicle a type of its own).

- Disruption (``disruption_terms``, priced in the exact schedule ``_schedule``): serving
  stop ``i`` on type ``k`` costs ``move[i, k]`` (the move cost when ``k`` is not its
  reference vehicle), and ``eta_cost`` per second its service starts after ``due[i]``
  (its promised start plus the tolerance), as ``solver.evaluate_replan`` charges them.
- Locks (``locks_hold``, checked on every candidate route before it is priced): a stop
  locked to type ``lock_type[i]`` may not join a route of another type; the stops of an
  ordering lock ``group[i]`` (``sequence``, or ``fixed`` naming stops) that a route holds
  come in increasing ``rank``, and for a ``fixed`` one (``adjacent``) one right after the
  other. Stops out of their route (a ruin) are checked when they come back, so every
  state the search reaches keeps every lock. ``fixed`` whole routes never enter the
  search (``replan.py``).
"""

from collections import namedtuple

from numba import types
from numba.extending import overload

from solver.engines.heuristic._jit import kernel

_OPTIONS = {"_nrt": False}  # as every kernel (see _jit)

Replan = namedtuple(
    "Replan",
    [
        "move",  # float64 [N, K] move cost of serving node i on type k
        "due",  # float64 [N] promised start + tolerance (inf: no promise or no eta_cost)
        "eta_cost",  # float: per second a service starts after ``due``
        "lock_type",  # int64 [N] the type a stop is locked to, -1 when none
        "group",  # int64 [N] the ordering lock of a stop, -1 when none
        "rank",  # int64 [N] its place in that lock's order
        "adjacent",  # bool [G] the lock's stops come one right after the other (fixed)
        "ordered",  # bool [K] some ordering lock is on this type
        "seen",  # int64 [G] scratch: generation at which the group was last met
        "last",  # int64 [G, 2] scratch: rank and position of the group's last stop met
        "gen",  # int64 [1] scratch: the current generation
    ],
)


def _plain(inst) -> bool:
    return isinstance(inst.types[inst.fields.index("replan")], types.NoneType)


def disruption_terms(inst, k, i, start):
    """Disruption cost of serving ``i`` on type ``k`` from ``start``."""
    raise NotImplementedError("disruption_terms is a kernel helper")


def locks_hold(inst, st, k, pieces, n):
    """Whether the route of type ``k`` made of ``pieces[:n]`` keeps every lock."""
    raise NotImplementedError("locks_hold is a kernel helper")


@overload(disruption_terms, jit_options=_OPTIONS)
def _disruption_terms(inst, k, i, start):
    if _plain(inst):
        return lambda inst, k, i, start: 0.0

    def priced(inst, k, i, start):
        rp = inst.replan
        late = start - rp.due[i]
        return rp.move[i, k] + (rp.eta_cost * late if late > 0.0 else 0.0)

    return priced


@overload(locks_hold, jit_options=_OPTIONS)
def _locks_hold(inst, st, k, pieces, n):
    if _plain(inst):
        return lambda inst, st, k, pieces, n: True

    def check(inst, st, k, pieces, n):
        rp = inst.replan
        for q in range(n):  # assignment: nothing locked elsewhere comes in
            r, i, j = pieces[q, 0], pieces[q, 1], pieces[q, 2]
            if r < 0:
                if rp.lock_type[-1 - r] >= 0 and rp.lock_type[-1 - r] != k:
                    return False
            elif inst.route_type[r] != k:
                for p in range(i, j + 1):
                    x = st.nodes[r, p]
                    if rp.lock_type[x] >= 0 and rp.lock_type[x] != k:
                        return False
        if not rp.ordered[k]:
            return True
        gen = next_generation(rp)
        pos = 0
        for q in range(n):
            r, i, j, rev = pieces[q, 0], pieces[q, 1], pieces[q, 2], pieces[q, 3]
            if r < 0:
                if not in_order(rp, -1 - r, pos, gen):
                    return False
                pos += 1
                continue
            if j < i:
                continue
            for t in range(j - i + 1):
                p = j - t if rev else i + t
                if not in_order(rp, st.nodes[r, p], pos, gen):
                    return False
                pos += 1
        return True

    return check


@kernel
def next_generation(rp):
    rp.gen[0] += 1
    return rp.gen[0]


@kernel
def in_order(rp, x, pos, gen):
    """Stop ``x`` at position ``pos`` keeps its ordering lock after the stops of the same
    lock met before it in this generation."""
    g = rp.group[x]
    if g < 0:
        return True
    if rp.seen[g] == gen:
        if rp.rank[x] <= rp.last[g, 0]:
            return False
        if rp.adjacent[g] and pos != rp.last[g, 1] + 1:
            return False
    rp.seen[g] = gen
    rp.last[g, 0] = rp.rank[x]
    rp.last[g, 1] = pos
    return True


@kernel
def row_in_order(rp, row, m):
    """``row[:m]`` keeps every ordering lock (for the final insertions)."""
    gen = next_generation(rp)
    for p in range(m):
        if not in_order(rp, row[p], p, gen):
            return False
    return True
