"""Scenario batches: a request to a stored batch (validate edits, check limits), and back
to its public view. The batch's run in a worker is :mod:`api.kinds.scenarios_run`."""

from __future__ import annotations

import hashlib
import json
import math
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from api.http_errors import ApiProblem, path_loc
from api.kinds import JobKindSpec
from api.kinds.scenarios_run import run
from api.kinds.solve import check_engine
from api.limits import check_problem_limits
from api.schemas import (
    ScenarioBatchCreate,
    ScenarioBatchPublic,
    ScenarioLinks,
    ScenarioProgress,
    ScenarioRunPublic,
)
from api.settings import Settings
from api.store import runs as store_runs
from api.store.enums import JobKind, RunStatus
from api.store.tables import JobRow
from solver.options import SolveOptions
from solver.scenarios import BASE, ScenarioError, ScenarioSet, expand
from solver.scenarios.run import prepare
from solver.scenarios.sets import VariantSpec

FIELD = "scenarios"


def scenario_problem(exc: ScenarioError, body: ScenarioBatchCreate) -> ApiProblem:
    """A 422 naming the variant, the edit and the field of a ScenarioError."""
    raw = (exc.path or "").replace(f"{FIELD}: ", "")
    path = raw if raw.startswith(FIELD) else (f"{FIELD}.{raw}" if raw else FIELD)
    loc = path_loc(path)
    error: dict[str, Any] = {"loc": ["body", *loc], "path": path, "msg": exc.message,
                             "type": "scenario_error"}
    variant = None
    if len(loc) >= 3 and loc[1] == "variants" and isinstance(loc[2], int) \
            and loc[2] < len(body.scenarios.variants):
        variant = body.scenarios.variants[loc[2]].name
    elif len(loc) >= 2 and loc[1] == "grid":
        variant = "grid" if len(loc) < 3 or not isinstance(loc[2], str) else loc[2]
    if variant is not None:
        error["variant"] = variant
    if "edits" in loc:
        k = loc.index("edits")
        if k + 1 < len(loc) and isinstance(loc[k + 1], int):
            error["edit"] = loc[k + 1]
    return ApiProblem(422, "invalid-scenario", "Invalid scenario", f"{path}: {exc.message}",
                      errors=[error], variant=variant)


def _limit(value: int, maximum: int, name: str, path: str, noun: str) -> None:
    if value > maximum:
        raise ApiProblem(
            422, "limit-exceeded", "Limit exceeded",
            f"{path}: {value} {noun} exceeds the limit {name}={maximum}",
            limit=name, maximum=maximum, value=value,
            errors=[{"loc": ["body", *path_loc(path)], "path": path,
                     "msg": f"exceeds the limit {name}={maximum}", "type": "limit_exceeded"}])


def validate_batch(body: ScenarioBatchCreate, settings: Settings
                   ) -> tuple[ScenarioSet, list[dict[str, Any]]]:
    """The parsed set and its runs; raises 422 problems (limits, nonsense edits)."""
    check_engine(body.options)
    check_problem_limits(body.problem, body.options, settings)
    data = body.scenarios.model_dump(exclude_none=True)
    grid = data.get("grid")
    cap = settings.max_scenario_variants
    n_cells = math.prod(len(a.get("values") or []) or _range_len(a.get("range"), cap)
                        for a in grid["axes"]) if grid else 0
    n_variants = len(body.scenarios.variants) + n_cells
    _limit(n_variants, settings.max_scenario_variants, "max_scenario_variants",
           f"{FIELD}.grid" if n_cells > len(body.scenarios.variants) else f"{FIELD}.variants",
           "variants and grid cells")
    try:
        scenario_set = ScenarioSet.from_dict(data, FIELD)
        seeds = scenario_set.run_seeds(body.options.seed)
        _limit(len(seeds) * (n_variants + 1), settings.max_scenario_runs, "max_scenario_runs",
               f"{FIELD}.seeds" if scenario_set.seeds else f"{FIELD}.replications",
               "runs (base and variants, times seeds)")
        specs = expand(scenario_set, body.options.seed)
        _check_added_stops(body, specs, settings)
        problems = prepare(body.problem, specs)
    except ScenarioError as exc:
        raise scenario_problem(exc, body) from None
    except (ArithmeticError, TypeError, ValueError) as exc:  # a value no edit can take
        raise scenario_problem(ScenarioError(f"{type(exc).__name__}: {exc}", FIELD),
                               body) from None
    paths = {s.name: s.path for s in specs}
    for name, problem in problems.items():
        if name == BASE:
            continue
        where = f"{FIELD}.{paths[name]}"
        vehicles = sum(v.count for v in problem.vehicle_types)
        _limit(len(problem.stops), settings.max_stops, "max_stops", where,
               f"stops in variant {name!r}")
        _limit(vehicles, settings.max_vehicles, "max_vehicles", where,
               f"vehicles in variant {name!r}")
    runs = [{"key": s.key, "variant": s.name, "seed": s.seed, "cell": s.cell} for s in specs]
    return scenario_set, runs


def _check_added_stops(body: ScenarioBatchCreate, specs: list[VariantSpec],
                       settings: Settings) -> None:
    """Refuse a variant whose edits would add stops past ``max_stops`` before any is built."""
    for spec in specs:
        added = sum(edit.stops_added() for edit in spec.edits)
        _limit(len(body.problem.stops) + added, settings.max_stops, "max_stops",
               f"{FIELD}.{spec.path}", f"stops in variant {spec.name!r}")


def _range_len(spec: list[int | float] | None, cap: int) -> int:
    """Values of a grid ``range`` axis, at most ``cap + 1`` (enough to fail the limit
    without computing a count that overflows)."""
    if not spec or len(spec) < 2:
        return 1
    start, stop, step = (*spec, 1.0) if len(spec) == 2 else spec
    if step <= 0 or stop < start:
        return 1  # the set's own validation reports it
    steps = (stop - start) / step
    if not math.isfinite(steps) or steps >= cap:
        return cap + 1
    return int(steps + 1e-9) + 1


def create_batch(sessions: sessionmaker[Session], settings: Settings, *, owner: str,
                 body: ScenarioBatchCreate, idempotency_key: str | None
                 ) -> tuple[JobRow, bool]:
    """Validate and insert a queued batch: ``(job, created)``."""
    scenario_set, runs = validate_batch(body, settings)
    problem_json = body.problem.model_dump_json()
    options_json = body.options.model_dump_json()
    set_json = body.scenarios.model_dump_json(exclude_none=True)
    digest = hashlib.sha256()
    for part in (FIELD, problem_json, options_json, set_json, str(body.warm_start)):
        digest.update(part.encode())
        digest.update(b"\0")
    axes = [a.label for a in scenario_set.grid.axes] if scenario_set.grid else []
    with sessions() as session:
        return store_runs.create_scenario_batch(
            session, owner=owner, problem_json=problem_json, options_json=options_json,
            set_json=set_json, name=scenario_set.name, warm_start=body.warm_start, axes=axes,
            runs=runs, content_hash=digest.hexdigest(), problem_name=body.problem.name,
            idempotency_key=idempotency_key, max_attempts=settings.max_attempts)


def _dt(ts: float | None) -> datetime | None:
    return datetime.fromtimestamp(ts, UTC) if ts is not None else None


def links(batch_id: str) -> ScenarioLinks:
    base = f"/v1/scenarios/{batch_id}"
    return ScenarioLinks(self=base, report=f"{base}/report", cancel=f"{base}/cancel")


def public_batch(session: Session, job: JobRow) -> ScenarioBatchPublic:
    """The public view of a batch: its runs with progress, and the comparison when ended."""
    batch = store_runs.get_batch(session, batch_id=job.id)
    runs = store_runs.scenario_runs(session, batch_id=job.id)
    counts = {str(s): 0 for s in RunStatus}
    for r in runs:
        counts[r.status] += 1
    return ScenarioBatchPublic(
        id=job.id, status=job.status, name=batch.name,  # type: ignore[arg-type]
        problem_name=job.problem_name, created_at=_dt(job.created_at),  # type: ignore[arg-type]
        started_at=_dt(job.started_at), finished_at=_dt(job.finished_at),
        options=SolveOptions.model_validate_json(job.options_json or "{}"),
        warm_start=batch.warm_start, axes=json.loads(batch.axes_json), attempts=job.attempts,
        cancel_requested=job.cancel_requested,
        progress=ScenarioProgress(runs=len(runs), **counts),
        runs=[ScenarioRunPublic(
            key=r.key, variant=r.variant, seed=r.seed, cell=json.loads(r.cell_json),
            status=r.status, elapsed_s=r.elapsed_s, iterations=r.iterations,  # type: ignore[arg-type]
            best_cost=r.best_cost, total_cost=r.total_cost, feasible=r.feasible, error=r.error)
            for r in runs],
        error=json.loads(job.error_json) if job.error_json else None,
        comparison=json.loads(batch.comparison_json) if batch.comparison_json else None,
        links=links(job.id),
    )


SPEC = JobKindSpec(JobKind.SCENARIOS, create=create_batch, run=run, view=public_batch)
