"""Where /v1/evaluate builds learned travel: the service process's peak memory growth and
the latency of one learned evaluation near ``evaluate_max_learned_cells``, with the
evaluation built by a worker process (``executor=local``) against a thread of the
service itself (``executor=inline``), side by side in one run.

Each executor runs in a fresh Python process: a synthetic-city model (20 trees), then a
warm-up evaluation (imports, model load), then the measured one: 100 stops, 24 h at
15-minute slices (101^2 x 96 = 979,296 predicted travel times). Before issue 14's change
the service built this tensor in its own process on every executor.

    NUMBA_CACHE_DIR=.numba_cache .venv/bin/python benchmarks/api/evaluate_memory.py
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

N_STOPS = 100


def _problem(model_id: str) -> dict[str, Any]:
    return {"name": "geo", "depots": [{"id": "D", "location": {"lat": 40.75, "lon": -73.99}}],
            "stops": [{"id": f"s{k}", "location": {"lat": 40.70 + (k % 10) * 0.01,
                                                   "lon": -74.0 + (k // 10) * 0.01}}
                      for k in range(N_STOPS)],
            "vehicle_types": [{"id": "van", "count": 2, "start_depot": "D"}],
            "travel": {"kind": "learned", "model": model_id,
                       "departure": "2024-01-29T08:00:00Z", "horizon_hours": 24,
                       "slice_minutes": 15}}


def measure(executor: str) -> dict[str, Any]:
    """One service (TestClient) on ``executor``: the measured evaluation's figures."""
    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.kinds.train import registry_root
    from api.settings import Settings
    from surrogate import ModelRegistry, SyntheticCity, TravelTimeModel

    settings = Settings(data_dir=Path(tempfile.mkdtemp()), executor=executor, workers=1,
                        warm_up=False, evaluate_wait_seconds=60)
    model = TravelTimeModel(n_estimators=20, n_zones=5, n_threads=1).fit(
        SyntheticCity().simulate_trips(2000, seed=0))
    problem = _problem(ModelRegistry(registry_root(settings, "local")).register(model))
    plan = {"routes": [{"vehicle_type": "van", "stops": [s["id"] for s in problem["stops"]]}]}
    with TestClient(create_app(settings)) as c:
        warm = {**problem, "stops": problem["stops"][:2]}
        assert c.post("/v1/evaluate", json={"problem": warm, "solution": {"routes": []}}
                      ).status_code == 200
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started = time.perf_counter()
        r = c.post("/v1/evaluate", json={"problem": problem, "solution": plan})
        seconds = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"executor": executor, "status": r.status_code, "seconds": round(seconds, 2),
            "service_peak_rss_growth_mb": round((after - before) / 1024, 1)}


def main() -> None:
    if len(sys.argv) > 1:  # one executor, in this process
        print(json.dumps(measure(sys.argv[1])))
        return
    load = os.getloadavg()
    rows = []
    for executor in ("local", "inline"):
        out = subprocess.run([sys.executable, __file__, executor], capture_output=True,
                             text=True, check=True).stdout
        rows.append(json.loads(out.strip().splitlines()[-1]))
    print(f"load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")
    for row in rows:
        print(json.dumps(row))
    local, inline = rows
    print(f"service memory growth, worker / in-process: "
          f"{local['service_peak_rss_growth_mb']} / {inline['service_peak_rss_growth_mb']} MB;"
          f" latency ratio {local['seconds'] / inline['seconds']:.2f}")


if __name__ == "__main__":
    main()
