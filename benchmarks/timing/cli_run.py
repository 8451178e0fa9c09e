"""A cold CLI process: ``python -m benchmarks.timing.cli_run T0 -- ARGS``.

Runs ``routecast``'s own ``solve`` command (typer, reading the file, the
solve, writing the plan) in this fresh process, and prints one JSON line of times in
seconds after ``T0``, the parent's ``time.time()`` just before it started this process:
``imported`` (``api.cli`` imported), ``solve_called`` (the pipeline's solve called, where
the time limit starts), ``first_plan`` (the engine's first progress event: its first
plan, after which the search runs) and ``solve_returned``. The
solve's ``runtime_s`` and ``stopped_by`` come from the plan written to ``--out``.
"""

from __future__ import annotations

import json
import sys
import time

T0 = float(sys.argv[1])
STAMPS: dict[str, float] = {"started": time.time() - T0}


def _stamp(key: str) -> None:
    STAMPS.setdefault(key, time.time() - T0)


def main() -> None:
    import api.cli as cli

    _stamp("imported")
    solve = cli.run_solve

    def timed_solve(*args, progress, **kwargs):  # noqa: ANN202  (wraps the CLI's call)
        _stamp("solve_called")

        def relay(event) -> None:  # noqa: ANN001
            _stamp("first_plan")
            progress(event)

        try:
            return solve(*args, progress=relay, **kwargs)
        finally:
            _stamp("solve_returned")

    cli.run_solve = timed_solve
    args = sys.argv[sys.argv.index("--") + 1:]
    try:
        cli.app(["solve", *args], standalone_mode=False)
    finally:
        print(json.dumps(STAMPS), flush=True)


if __name__ == "__main__":
    main()
