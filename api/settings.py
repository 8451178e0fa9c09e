"""Service settings: the only place that reads environment variables (prefix ``ROUTECAST_``).

``get_settings()`` is cached; tests build a ``Settings(...)`` themselves and pass it to
``create_app`` (or override the dependency).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from api.client_address import parse_networks
from solver.actuals.legs import LegBounds
from solver.executor_spec import ExecutorSpec
from solver.travel.learned import MAX_LEARNED_CELLS


class Settings(BaseSettings):
    """Everything the service can be told from the environment."""

    model_config = SettingsConfigDict(env_prefix="ROUTECAST_", extra="ignore")

    data_dir: Path = Field(default=Path("data"), description="SQLite file, models and logs")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default: SQLite (WAL) under data_dir"
    )
    api_keys: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="comma-separated API keys (or sha256:<hex> hashes)"
    )
    api_keys_file: Path | None = Field(
        default=None, description="one key (or sha256:<hex>) per line, '#' comments"
    )
    workers: int = Field(default=2, ge=0, description="solver worker processes")
    executor: str = Field(
        default="local",
        description="'local' (process pool), 'inline' or 'threads' (threads of the "
                    "service), 'dask-local' (a Dask cluster on this machine) or "
                    "'dask://host:port' (also tcp:// or tls://: a Dask distributed scheduler; "
                    "the database must be reachable from every Dask worker)",
    )
    dask_timeout: float = Field(default=10.0, gt=0, description="seconds to reach the "
                                "Dask scheduler at start")
    plugins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="modules imported by the service and every worker (e.g. extra engines)",
    )

    # limits
    max_body_bytes: int = Field(default=20 * 1024 * 1024, gt=0)
    max_stops: int = Field(default=5000, gt=0)
    max_vehicles: int = Field(default=1000, gt=0)
    max_time_limit: float = Field(default=3600.0, gt=0)
    max_learned_cells: int = Field(
        default=MAX_LEARNED_CELLS, gt=0,
        description="slices x locations^2 of a learned-travel job (its memory, before solving)")
    evaluate_max_learned_cells: int = Field(
        default=1_000_000, gt=0, description="the same for /v1/evaluate (a worker builds "
        "them: about 50 MB and under a second)")
    evaluate_inline_max_cells: int = Field(
        default=1_000_000, ge=0, description="/v1/evaluate builds dense static travel "
        "(haversine, small Euclidean) of at most this many locations^2 in the request; "
        "larger, and all learned travel, is built by a worker")
    evaluate_wait_seconds: float = Field(
        default=10.0, ge=0, le=60, description="how long /v1/evaluate waits for a worker's "
        "evaluation before answering 202 with the job")
    sync_max_stops: int = Field(default=200, gt=0)
    sync_max_time_limit: float = Field(default=10.0, gt=0)
    rate_limit_per_minute: int = Field(default=1200, ge=0, description="0 disables")
    rate_limit_burst: int = Field(default=120, gt=0)
    page_size_max: int = Field(default=100, gt=0)
    max_scenario_variants: int = Field(
        default=100, gt=0, description="variants plus grid cells in one scenario batch")
    max_scenario_runs: int = Field(
        default=300, gt=0, description="runs in one scenario batch (base and variants, "
        "times seeds)")
    scenario_workers: int = Field(
        default=2, ge=1, description="processes a scenario batch solves its runs on (threads "
        "under the inline executor; on Dask its runs spread over the cluster)")
    training_max_trips: int = Field(default=500_000, gt=0, description="synthetic trips")
    training_max_estimators: int = Field(default=2000, gt=0)
    training_max_upload_bytes: int = Field(
        default=200 * 1024 * 1024, gt=0, description="bytes of an uploaded trip file once "
        "decompressed (gzip, Parquet)")
    training_max_upload_rows: int = Field(default=2_000_000, gt=0,
                                          description="rows of an uploaded trip file")

    # plausibility of actual legs (POST /v1/jobs/{id}/actuals; solver.actuals.LegBounds)
    actuals_min_speed_kmh: float = Field(
        default=LegBounds.min_speed_kmh, ge=0, description="a leg slower than this over the "
        "straight line (of at least actuals_slow_min_m) is skipped as too_slow")
    actuals_slow_min_m: float = Field(
        default=LegBounds.slow_min_m, ge=0, description="straight-line meters from which "
        "the minimum speed applies (shorter legs may be slow for good reasons)")
    actuals_max_speed_kmh: float = Field(
        default=LegBounds.max_speed_kmh, gt=0, description="a leg faster than this over "
        "the straight line is skipped as too_fast (the road is longer still)")
    actuals_max_leg_s: float = Field(default=LegBounds.max_duration_s, gt=0,
                                     description="a longer leg is skipped as too_long")

    # drift of travel models against actuals (GET /v1/travel-models/{id}/drift)
    drift_margin: float = Field(
        default=0.3, ge=0, description="the drift flag rises when the recent RMSLE exceeds "
        "the model's validation RMSLE x (1 + margin)")
    drift_min_legs: int = Field(default=30, ge=1, description="fewer actual legs never "
                                "raise the drift flag")
    drift_recent_legs: int = Field(default=1000, ge=1, description="the most recent legs "
                                   "a drift report compares, by default")
    drift_max_legs: int = Field(default=50_000, ge=1, description="the most legs one drift "
                                "report may read")

    map_tiles: str | None = Field(
        default=None, description="tile URL template ({z}/{x}/{y}) under the web app's maps "
        "of geographic problems; none (the default): no tiles, no internet needed")

    demo_model: bool = Field(default=False, description="train the synthetic-city travel "
                             "model on first start when the local registry is empty")

    store_busy_timeout: float = Field(
        default=3.0, gt=0, le=60, description="seconds a request waits for a locked SQLite "
        "database or a PostgreSQL lock (lock_timeout) before it answers 503 with "
        "Retry-After (workers wait longer and retry)")

    # execution
    warm_up: bool = Field(default=True, description="load the engines before taking jobs")
    lease_seconds: float = Field(default=60.0, gt=0)
    heartbeat_seconds: float = Field(default=5.0, gt=0)
    max_attempts: int = Field(default=2, ge=1, description="a job whose worker died is retried")
    progress_interval: float = Field(default=0.2, ge=0, description="min seconds between events")
    cancel_poll_seconds: float = Field(default=0.25, gt=0)
    sse_poll_seconds: float = Field(default=0.25, gt=0)
    sse_keepalive_seconds: float = Field(default=15.0, gt=0)

    # webhooks (api/webhooks)
    webhook_allow_private: bool = Field(
        default=False, description="let webhooks call private and loopback addresses "
        "(tests, closed networks); refused by default, at registration and at delivery")
    webhook_poll_seconds: float = Field(default=0.5, gt=0, description="outbox poll period")
    webhook_timeout_seconds: float = Field(default=10.0, gt=0)
    webhook_lease_seconds: float = Field(default=60.0, gt=0, description="a claimed "
                                         "delivery is another replica's after this")
    webhook_retry_base_seconds: float = Field(default=5.0, gt=0, description="first retry "
                                              "wait; doubles per attempt")
    webhook_retry_window_seconds: float = Field(default=86400.0, gt=0, description="retries "
                                                "stop this long after the event")
    webhook_concurrency: int = Field(default=4, ge=1, description="sends at once per replica")
    webhook_max_per_key: int = Field(default=20, ge=1)
    webhook_retention_days: float = Field(default=30.0, gt=0, description="delivered and "
                                          "failed deliveries are forgotten after this")

    # shared limits (api/ratelimit.py)
    redis_url: str | None = Field(default=None, description="rate-limit buckets in Redis; "
                                  "default: in the database (shared by every replica)")
    auth_failures_per_minute: int = Field(default=30, ge=0, description="failed "
                                          "authentications per client address; 0 disables")
    auth_failure_burst: int = Field(default=10, gt=0)
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="comma-separated IPs or CIDR blocks of reverse "
        "proxies whose X-Forwarded-For names the client (for per-address limits); "
        "default: none, the header is ignored")

    @field_validator("api_keys", "plugins", "trusted_proxies", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("executor")
    @classmethod
    def _executor(cls, value: str) -> str:
        ExecutorSpec.parse(value)  # ValueError names the accepted forms
        return value.strip()

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies(cls, value: list[str]) -> list[str]:
        parse_networks(value)  # ValueError names the entry
        return value

    @model_validator(mode="after")
    def _leg_bounds(self) -> Settings:
        self.leg_bounds()  # ValueError names the bounds
        return self

    def leg_bounds(self) -> LegBounds:
        """The plausibility bounds of actual legs (``actuals_*``)."""
        return LegBounds(min_speed_kmh=self.actuals_min_speed_kmh,
                         slow_min_m=self.actuals_slow_min_m,
                         max_speed_kmh=self.actuals_max_speed_kmh,
                         max_duration_s=self.actuals_max_leg_s)

    @property
    def executor_spec(self) -> ExecutorSpec:
        return ExecutorSpec.parse(self.executor)

    @property
    def db_url(self) -> str:
        """The database URL actually used (SQLite under ``data_dir`` by default)."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'routecast.db').resolve()}"

    @property
    def models_dir(self) -> Path:
        return self.data_dir / "models"

    def all_keys(self) -> list[str]:
        """Keys from ``api_keys`` and ``api_keys_file`` (plain or ``sha256:`` hashes)."""
        keys = list(self.api_keys)
        if self.api_keys_file is not None:
            for line in self.api_keys_file.read_text().splitlines():
                line = line.split("#", 1)[0].strip()
                if line:
                    keys.append(line)
        return keys


@lru_cache
def get_settings() -> Settings:
    """The process's settings, read once from the environment."""
    return Settings()
