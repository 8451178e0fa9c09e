"""Limits: request body size (413), problem size and time limit (422). Rates per key
(429) are shared by every replica: see :mod:`api.ratelimit`."""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.http_errors import MEDIA_TYPE, TYPE_BASE, ApiProblem, problem_body
from api.settings import Settings
from solver.options import SolveOptions
from solver.problem import Problem
from solver.travel.learned import learned_cells


class BodySizeLimit:
    """ASGI middleware: refuse bodies over ``max_bytes`` with 413, declared or streamed."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._reject(scope, send)
            return
        if scope.get("method") not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        seen = 0
        while True:  # buffer the body (bounded by max_bytes), then replay it
            message = await receive()
            if message["type"] != "http.request":
                await self.app(scope, receive, send)  # a disconnect: let the app see it
                return
            chunk = message.get("body", b"")
            seen += len(chunk)
            if seen > self.max_bytes:
                await self._reject(scope, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _reject(self, scope: Scope, send: Send) -> None:
        body = json.dumps(problem_body(
            413, TYPE_BASE + "payload-too-large", "Payload too large",
            f"request body exceeds the limit max_body_bytes={self.max_bytes}",
            instance=scope.get("path"), limit="max_body_bytes", maximum=self.max_bytes,
        )).encode()
        await send({"type": "http.response.start", "status": 413, "headers": [
            (b"content-type", MEDIA_TYPE.encode()), (b"content-length", str(len(body)).encode()),
            (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})


def check_problem_limits(problem: Problem, options: SolveOptions, settings: Settings,
                         *, sync: bool = False, evaluate: bool = False) -> None:
    """Raise a 422 problem naming the first limit that ``problem``/``options`` exceed.

    Learned travel is bounded by its slices x locations^2 before any matrix is built;
    ``evaluate`` (matrices built in the service itself) uses the tighter bound.
    """
    vehicles = sum(v.count for v in problem.vehicle_types)
    max_stops = settings.sync_max_stops if sync else settings.max_stops
    max_time = settings.sync_max_time_limit if sync else settings.max_time_limit
    prefix = "sync_" if sync else ""
    cells_limit = "evaluate_max_learned_cells" if evaluate else "max_learned_cells"
    checks = [
        (len(problem.stops), max_stops, f"{prefix}max_stops", "problem.stops",
         "stops"),
        (vehicles, settings.max_vehicles, "max_vehicles", "problem.vehicle_types",
         "vehicles"),
        (options.time_limit, max_time, f"{prefix}max_time_limit", "options.time_limit",
         "seconds of time limit"),
        (learned_cells(problem), getattr(settings, cells_limit), cells_limit,
         "problem.travel.horizon_hours", "learned travel times (slices x locations^2)"),
    ]
    for value, maximum, name, path, noun in checks:
        if value > maximum:
            raise ApiProblem(
                422, "limit-exceeded", "Limit exceeded",
                f"{path}: {value:g} {noun} exceeds the limit {name}={maximum:g}",
                limit=name, maximum=maximum, value=value,
                errors=[{"loc": ["body", *path.split(".")], "path": path,
                         "msg": f"exceeds the limit {name}={maximum:g}",
                         "type": "limit_exceeded"}],
            )
