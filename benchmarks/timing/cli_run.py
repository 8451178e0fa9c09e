"""A cold CLI process: ``python -m benchmarks.timing.cli_run T0 [--no-preload] -- ARGS``.

Runs ``routecast``'s own ``solve`` command (typer, the preload, reading the file, the
solve, writing the plan) in this fresh process, and prints one JSON line of times in
seconds after ``T0``, the parent's ``time.time()`` just before it started this process:
``imported`` (``api.cli`` imported), ``solve_called`` (the pipeline's solve called, where
the time limit starts), ``first_plan`` (the engine's first progress event: its first
plan, after which the search runs), ``solve_returned``, and the preload's steps. The
solve's ``runtime_s`` and ``stopped_by`` come from the plan written to ``--out``.
``--no-preload`` runs the command without its preload thread, for a side-by-side.
"""

from __future__ import annotations

import json
import sys
import time

T0 = float(sys.argv[1])
STAMPS: dict[str, float | str | None] = {"started": time.time() - T0}


def _stamp(key: str) -> None:
    STAMPS.setdefault(key, time.time() - T0)


def main() -> None:
    import api.cli as cli

    _stamp("imported")
    solve, preloader = cli.run_solve, cli.Preloader
    made: list = []

    def timed_solve(*args, progress, **kwargs):  # noqa: ANN202  (wraps the CLI's call)
        _stamp("solve_called")

        def relay(event) -> None:  # noqa: ANN001
            _stamp("first_plan")
            progress(event)

        try:
            return solve(*args, progress=relay, **kwargs)
        finally:
            _stamp("solve_returned")

    def recorded_preloader(*args, **kwargs):  # noqa: ANN202
        made.append(preloader(*args, **kwargs))
        return made[-1]

    class NoPreload:  # ``--no-preload``: the CLI as it was, for a side-by-side
        def __init__(self, *args: object) -> None:
            pass

        def problem_read(self, problem: object) -> None:
            pass

    cli.run_solve = timed_solve
    cli.Preloader = NoPreload if "--no-preload" in sys.argv[:sys.argv.index("--")] \
        else recorded_preloader
    args = sys.argv[sys.argv.index("--") + 1:]
    try:
        cli.app(["solve", *args], standalone_mode=False)
    finally:
        if made:
            STAMPS.update({f"preload_{k}": made[0].started - _perf0 + v + STAMPS["started"]
                           for k, v in made[0].timings.items()})
            STAMPS["preload_variant"] = made[0].variant
        print(json.dumps(STAMPS), flush=True)


_perf0 = time.perf_counter()

if __name__ == "__main__":
    main()
