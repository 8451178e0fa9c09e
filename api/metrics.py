"""Prometheus metrics: jobs by status, queue depth, workers, solve durations, HTTP latency,
actual legs received and the travel models' drift.

Each app owns a ``CollectorRegistry`` (so tests can build many apps). Job counts are read
from the store at scrape time, so they are right across restarts and processes.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
SOLVE_BUCKETS = (0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600)


class _StoreCollector(Collector):
    def __init__(self, counts: Callable[[], dict[str, int]],
                 workers: Callable[[], tuple[int, int]]) -> None:
        self.counts, self.workers = counts, workers

    def collect(self) -> Iterator[GaugeMetricFamily]:
        counts = self.counts()
        jobs = GaugeMetricFamily("routecast_jobs", "Jobs in the store by status",
                                 labels=["status"])
        for status, n in counts.items():
            jobs.add_metric([status], n)
        yield jobs
        yield GaugeMetricFamily("routecast_queue_depth", "Jobs waiting for a worker",
                                value=counts.get("queued", 0))
        busy, total = self.workers()
        yield GaugeMetricFamily("routecast_workers", "Worker processes", value=total)
        yield GaugeMetricFamily("routecast_workers_busy", "Workers running a job", value=busy)


#: drift figures exported per model, overall and per group (hour of week, zone)
DRIFT_FIGURES = {"n": ("legs", "Actual legs compared"),
                 "rmsle": ("rmsle", "RMSLE of predicted vs actual legs"),
                 "bias_log": ("bias_log", "Mean log(predicted / actual): < 0 predicts too fast"),
                 "bias_s": ("bias_seconds", "Mean predicted minus actual, seconds"),
                 "coverage": ("coverage", "Share of actual legs inside the p10-p90 band")}
#: models whose last drift report is kept for /metrics (label sets stay bounded)
MAX_DRIFT_MODELS = 20


class _DriftCollector(Collector):
    """The last drift report of each model (``GET /v1/travel-models/{id}/drift``), as
    gauges labelled by model id (and hour of week, origin or destination zone for the
    groups)."""

    def __init__(self) -> None:
        self.reports: dict[str, dict[str, Any]] = {}
        self.lock = threading.Lock()

    def record(self, report: dict[str, Any]) -> None:
        with self.lock:
            self.reports.pop(report["model_id"], None)
            self.reports[report["model_id"]] = report
            while len(self.reports) > MAX_DRIFT_MODELS:
                self.reports.pop(next(iter(self.reports)))

    def collect(self) -> Iterator[GaugeMetricFamily]:
        with self.lock:
            reports = list(self.reports.values())
        flag = GaugeMetricFamily("routecast_travel_drift_flag", "1 when the recent error "
                                 "exceeds the validation error by the margin", labels=["model_id"])
        val = GaugeMetricFamily("routecast_travel_drift_validation_rmsle", "The model's "
                                "validation RMSLE", labels=["model_id"])
        threshold = GaugeMetricFamily("routecast_travel_drift_threshold_rmsle", "RMSLE above "
                                      "which the flag rises", labels=["model_id"])
        for r in reports:
            flag.add_metric([r["model_id"]], float(r["flag"]))
            if r["validation"].get("rmsle") is not None:
                val.add_metric([r["model_id"]], float(r["validation"]["rmsle"]))
            if r["threshold_rmsle"] is not None:
                threshold.add_metric([r["model_id"]], float(r["threshold_rmsle"]))
        yield from (flag, val, threshold)
        for key, (name, doc) in DRIFT_FIGURES.items():
            overall = GaugeMetricFamily(f"routecast_travel_drift_{name}", doc,
                                        labels=["model_id"])
            hours = GaugeMetricFamily(f"routecast_travel_drift_hour_{name}", doc + ", by "
                                      "local hour of week (0 = Monday 00:00)",
                                      labels=["model_id", "hour_of_week"])
            zones = GaugeMetricFamily(f"routecast_travel_drift_zone_{name}", doc + ", by "
                                      "origin zone", labels=["model_id", "zone"])
            dests = GaugeMetricFamily(f"routecast_travel_drift_dest_zone_{name}", doc +
                                      ", by destination zone", labels=["model_id", "zone"])
            for r in reports:
                if key in r["overall"]:
                    overall.add_metric([r["model_id"]], float(r["overall"][key]))
                for family, groups, label in ((hours, r["by_hour_of_week"], "hour_of_week"),
                                              (zones, r["by_zone"], "zone"),
                                              (dests, r["by_destination_zone"], "zone")):
                    for g in groups:
                        if key in g:
                            family.add_metric([r["model_id"], str(g[label])], float(g[key]))
            yield from (overall, hours, zones, dests)


class Metrics:
    """The metrics of one app."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("routecast_http_requests", "HTTP requests",
                                ["method", "route", "status"], registry=self.registry)
        self.latency = Histogram("routecast_http_request_duration_seconds",
                                 "HTTP request latency", ["method", "route"],
                                 buckets=LATENCY_BUCKETS, registry=self.registry)
        self.solve_seconds = Histogram("routecast_solve_duration_seconds",
                                       "Wall time of finished jobs (start to end)", ["status"],
                                       buckets=SOLVE_BUCKETS, registry=self.registry)
        self.jobs_finished = Counter("routecast_jobs_finished", "Jobs that ended, by status",
                                     ["status"], registry=self.registry)
        self.jobs_submitted = Counter("routecast_jobs_submitted", "Jobs accepted",
                                      registry=self.registry)
        self.actual_legs = Counter("routecast_actual_legs", "Legs of executed routes kept "
                                   "as training trips", registry=self.registry)
        self.drift = _DriftCollector()
        self.registry.register(self.drift)

    def watch_store(self, counts: Callable[[], dict[str, int]],
                    workers: Callable[[], tuple[int, int]]) -> None:
        self.registry.register(_StoreCollector(counts, workers))

    def job_finished(self, status: str, seconds: float | None) -> None:
        self.jobs_finished.labels(status).inc()
        if seconds is not None:
            self.solve_seconds.labels(status).observe(seconds)

    def render(self) -> bytes:
        return generate_latest(self.registry)


class RequestMetrics:
    """ASGI middleware: count requests and time them by route template."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app, self.metrics = app, metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            method = scope.get("method", "GET")
            if method not in METHODS or template == "unmatched":
                method = "other"  # labels stay bounded whatever a client sends
            self.metrics.requests.labels(method, template, str(status)).inc()
            self.metrics.latency.labels(method, template).observe(
                time.perf_counter() - started)
