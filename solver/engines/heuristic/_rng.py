"""Seeded xorshift64* random numbers held in a one-element uint64 array (no global RNG).

Marsaglia (2003) "Xorshift RNGs"; the multiplier is Vigna's xorshift64* constant.
"""

import numpy as np

from solver.engines.heuristic._jit import kernel


def seed_state(seed: int) -> np.ndarray:
    """A non-zero RNG state from ``seed`` (splitmix64 scrambled)."""
    z = (seed + 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
    z ^= z >> 31
    return np.array([z or 1], dtype=np.uint64)


@kernel
def next_u64(state: np.ndarray) -> np.uint64:
    x = state[0]
    x ^= x >> np.uint64(12)
    x ^= x << np.uint64(25)
    x ^= x >> np.uint64(27)
    state[0] = x
    return x * np.uint64(2685821657736338717)


@kernel
def randint(state: np.ndarray, n: int) -> int:
    """Uniform integer in ``[0, n)``; ``n`` must be positive."""
    return np.int64(next_u64(state) % np.uint64(n))


@kernel
def uniform(state: np.ndarray) -> float:
    """Uniform float in ``[0, 1)``."""
    return np.float64(next_u64(state) >> np.uint64(11)) * (1.0 / 9007199254740992.0)


@kernel
def shuffle(state: np.ndarray, values: np.ndarray) -> None:
    """Fisher-Yates shuffle in place."""
    for i in range(values.shape[0] - 1, 0, -1):
        j = randint(state, i + 1)
        values[i], values[j] = values[j], values[i]
