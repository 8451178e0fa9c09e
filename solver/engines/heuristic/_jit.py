"""The one place that decides how the engine's kernels compile.

Kernels allocate nothing (every array is preallocated by ``instance.py``), so Numba's
reference counting is switched off: with it on, each read of an array out of the state
tuples paid an atomic incref/decref pair, and ``piece_seg`` took 440 ns instead of
0.6 ns per call (measured on X-n101-k25). A kernel that tried to allocate would fail to
compile rather than leak.

Helpers are not inlined at Numba IR level (``inline="always"``) by default: that
re-typed every helper at every call site, nested (merge -> piece_seg -> pieces_cost ->
try_apply), and made the cold compile take minutes. Callees are linked into their
caller's LLVM module, so LLVM still inlines the small ones at -O3. A call LLVM does not
inline copies every flattened field of the state tuples (about 340 words for
``pieces_cost``), so ``inlined`` is kept for the hot callees where that copying
measured: ``pieces_cost`` inside ``try_apply`` (-14 % CPU for the same 8000 iterations
on GH R2_10_1 and 2000 on R1_10_1, -6 % on X-n502-k39; same plans, same cold compile),
and ``prune_limit`` with its ``beyond_arcs`` inside ``try_pair``, which asks them for
every neighbour pair (perf: 12 % of a GH RC2_10_1 search in ``prune_limit`` alone; -30 %
CPU for the same 4000 iterations on RC2_10_1 and 3000 on GH200 R1_2_1, same plans).
Inlining the move builders and ``try_pair`` as well made the same R1 run 2x slower, and
the builders alone (``move_block``, ``swap_blocks``, ``two_opt``) 5 % slower.

Integer constants passed from one kernel to another are wrapped in ``np.int64(...)``: a
bare literal is typed ``Literal[int](2)`` and Numba compiles a separate specialisation of
the callee (and of everything it calls) per literal value; ``try_apply`` alone had 8.
Together the two rules took the cold compile of a warm-up solve from 135 s to 46 s on
this 2-core machine.
"""

from numba import njit

kernel = njit(cache=True, _nrt=False, nogil=True)
inlined = njit(cache=True, _nrt=False, nogil=True, inline="always")
