"""Where the ``hgs`` kernels spend their time, by kernel, with Linux ``perf``.

Usage::

    python -m benchmarks.vrp.kernel_profile VRPTW/R1_10_1 --iterations 1000
    python -m benchmarks.vrp.kernel_profile VRPTW/R1_10_1 --iterations 10 --cost-per-time 1

(``--cost-per-time``: every vehicle type paid per second, as in ``iteration_speed``.)

``perf`` cannot name JIT-compiled code, and py-spy stops at the first Numba frame, so
this writes a perf map (``/tmp/perf-<pid>.map``) with the address of every compiled
kernel before it records the solve. The kernels are compiled in a fresh cache
directory (about a minute), since code loaded from Numba's cache keeps no symbol table
to map. Found this way (2026-11-24): most of the search was spent copying the
flattened state tuples into the calls of non-inlined kernels (see
``notes/2026-11-24_move-pruning.md``).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.vrp.run import SHARED


def _kernel_addresses() -> dict[int, str]:
    """Entry address -> short name of every compiled overload of the engine's kernels."""
    from numba.core.dispatcher import Dispatcher

    from solver.engines.heuristic import _moves, _routes, _schedule, _search, _swapstar

    found: dict[int, str] = {}
    for module in (_moves, _routes, _schedule, _search, _swapstar):
        for obj in vars(module).values():
            if not isinstance(obj, Dispatcher):
                continue
            for cres in obj.overloads.values():
                for fn in cres.library._final_module.functions:  # noqa: SLF001 (no public API)
                    if fn.is_declaration or fn.name.startswith("cpython."):
                        continue
                    address = cres.library.get_pointer_to_function(fn.name)
                    if address:
                        found[address] = _demangle(fn.name)
    return found


def _demangle(symbol: str) -> str:
    """``_ZN6solver7engines9heuristic6_moves9try_applyB3v56...`` -> ``_moves.try_apply``."""
    parts, rest = [], symbol.removeprefix("_ZN")
    while (match := re.match(r"(\d+)", rest)) is not None:
        size = int(match.group(1))
        start = match.end()
        parts.append(rest[start:start + size])
        rest = rest[start + size:]
    return ".".join(parts[-2:]) if parts else symbol


def _write_perf_map(addresses: dict[int, str]) -> Path:
    path = Path(f"/tmp/perf-{os.getpid()}.map")
    starts = sorted(addresses)
    with path.open("w") as out:
        for start, end in zip(starts, [*starts[1:], starts[-1] + 65536], strict=True):
            out.write(f"{start:x} {min(end - start, 1 << 20):x} {addresses[start]}\n")
    return path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("instance", help="path under shared/instances without .vrp, e.g. CVRP/X-n101-k25")
    parser.add_argument("--iterations", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cost-per-time", type=float, default=0.0,
                        help="every vehicle type pays this per second")
    args = parser.parse_args(argv)
    if shutil.which("perf") is None:
        sys.exit("kernel_profile needs Linux perf on PATH")
    with tempfile.TemporaryDirectory(prefix="routecast_profile_") as scratch:
        os.environ["NUMBA_CACHE_DIR"] = str(Path(scratch) / "numba")
        print(_profile(args.instance, args.iterations, args.seed, Path(scratch) / "perf.data",
                       args.cost_per_time))


def _profile(instance: str, iterations: int, seed: int, record: Path,
             cost_per_time: float = 0.0) -> str:
    """Compile, map the kernels, record ``iterations`` of search: the report's top rows."""
    from benchmarks.vrp.iteration_speed import paid_per_second
    from solver.compile import compile_problem
    from solver.engines.heuristic.engine import IlsEngine
    from solver.io import read_instance
    from solver.options import SolveOptions

    compiled = compile_problem(paid_per_second(read_instance(SHARED / f"{instance}.vrp"),
                                               cost_per_time))
    engine = IlsEngine()

    def run(limit: int):
        return engine.solve(compiled, SolveOptions(engine="hgs", seed=seed),
                            lambda event: None, lambda done: "limit" if done >= limit else None)

    run(2)  # compile every kernel the search uses
    perf_map = _write_perf_map(_kernel_addresses())
    try:
        perf = subprocess.Popen(["perf", "record", "-F", "999", "-p", str(os.getpid()), "-o", str(record)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(1.0)  # perf attaches asynchronously
        started = time.process_time()
        result = run(iterations)
        cpu = time.process_time() - started
        perf.send_signal(signal.SIGINT)
        perf.wait()
        report = subprocess.run(["perf", "report", "-i", str(record), "--no-children", "--sort",
                                 "symbol", "--stdio"], capture_output=True, text=True, check=True).stdout
    finally:
        perf_map.unlink(missing_ok=True)
    rows = [line for line in report.splitlines() if line.strip() and not line.startswith("#")]
    head = (f"{instance}: {result.iterations} iterations in {cpu:.2f} CPU-s, "
            f"{result.stats['moves_evaluated']:.0f} candidate routes priced, cost {result.cost:.1f}")
    return "\n".join([head, *rows[:15]])

if __name__ == "__main__":
    main()
