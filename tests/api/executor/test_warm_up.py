"""A local worker loads the ILS kernels and the travel predictor's before its first job
(issue 15): otherwise every short job found them cold, ``hgs``/``auto`` at 1 s never
searched with ILS, and a short learned job was refused for want of time."""

from __future__ import annotations

import subprocess
import sys


def test_a_worker_warm_up_loads_the_ils_and_predictor_kernels():
    code = ("from solver.engines.standalone import ils_kernels_loaded\n"
            "from surrogate.matrix import predictor_loaded\n"
            "before = ils_kernels_loaded(), predictor_loaded()\n"
            "from api.executor.local import _warm_up\n"
            "_warm_up()\n"
            "print(*before, ils_kernels_loaded(), predictor_loaded())\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=600).stdout.split()
    assert out[-4:] == ["False", "False", "True", "True"]
