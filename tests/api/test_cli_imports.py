"""What ``routecast`` loads before any command runs: nothing that only some commands
need (issue 15: a cold ``routecast solve`` pays for every module ``api.cli`` imports,
inside the wall clock its caller waits for)."""

from __future__ import annotations

import json
import subprocess
import sys

# each is seconds to import on a loaded machine, and needed by some commands only
HEAVY = ("sqlalchemy", "solver.scenarios", "matplotlib", "pandas", "lightgbm", "surrogate",
         "numba", "ortools", "pyomo", "scipy")


def test_importing_the_cli_loads_no_heavy_module():
    """``routecast db`` imports SQLAlchemy, ``whatif`` the scenario runner, ``travel`` the
    surrogate, each engine its own solver, in the command or the solve that needs it."""
    code = ("import json, sys, api.cli; "
            f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert json.loads(out.strip().splitlines()[-1]) == []
