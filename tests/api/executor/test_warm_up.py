"""A local worker loads the ILS kernels before its first job (issue 15): otherwise every
short job found them cold, and ``hgs``/``auto`` at 1 s never searched with ILS."""

from __future__ import annotations

import subprocess
import sys


def test_a_worker_warm_up_loads_the_ils_kernels():
    code = ("from solver.engines.standalone import ils_kernels_loaded\n"
            "before = ils_kernels_loaded()\n"
            "from api.executor.local import _warm_up\n"
            "_warm_up()\n"
            "print(before, ils_kernels_loaded())\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=600).stdout.split()
    assert out[-2:] == ["False", "True"]
