"""The one place that decides how the engine's kernels compile.

Kernels allocate nothing (every array is preallocated by ``instance.py``), so Numba's
reference counting is switched off: with it on, each read of an array out of the state
tuples paid an atomic incref/decref pair, and ``piece_seg`` took 440 ns instead of
0.6 ns per call (measured on X-n101-k25). A kernel that tried to allocate would fail to
compile rather than leak.
"""

from numba import njit

kernel = njit(cache=True, _nrt=False)

# Small helpers called in the innermost loops: inlined at Numba IR level, because a call
# passes every array of the state tuples as separate arguments (~7 words each).
inline_kernel = njit(cache=True, _nrt=False, inline="always")
