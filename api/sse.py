"""Server-sent events of one job's event log (status changes, progress, run updates).

Shared by every resource backed by a job row (solve jobs, scenario batches): the stream
polls the store, sends each event with its ``id``, keeps the connection alive, and ends
with an ``end`` event once the job is terminal and no event is left.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import Depends, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from api.schemas import problem_responses
from api.settings import Settings
from api.store import jobs as store_jobs
from api.store.enums import JOB_TERMINAL
from api.store.jobs import Kinds


async def job_event_stream(
    request: Request, sessions: sessionmaker[Session], settings: Settings, *, job_id: str,
    owner: str, kind: Kinds | None, start: int,
) -> StreamingResponse:
    """The event stream of ``job_id`` after event ``start``; 404 (``JobNotFoundError``)
    unless the job belongs to ``owner`` (and is of ``kind`` when given)."""

    def check() -> None:
        with sessions() as session:
            store_jobs.get_job(session, job_id=job_id, owner=owner, kind=kind)

    await run_in_threadpool(check)

    def poll(last: int) -> tuple[list[tuple[int, str, str]], str]:
        with sessions() as session:
            rows = store_jobs.events_after(session, job_id=job_id, after_seq=last)
            status = store_jobs.get_job(session, job_id=job_id).status
        return [(r.seq, r.kind, r.data_json) for r in rows], status

    async def stream() -> AsyncIterator[str]:
        last = start
        quiet_since = time.monotonic()
        yield "retry: 2000\n\n"
        while True:
            try:
                rows, status = await run_in_threadpool(poll, last)
            except OperationalError:  # a stalled store: keep the stream, poll again
                rows, status = [], ""
            for seq, kind_, data in rows:
                last = seq
                yield f"id: {seq}\nevent: {kind_}\ndata: {data}\n\n"
            if rows:
                quiet_since = time.monotonic()
            elif status in JOB_TERMINAL:
                yield f"event: end\ndata: {json.dumps({'status': status})}\n\n"
                return
            if await request.is_disconnected():
                return
            if time.monotonic() - quiet_since > settings.sse_keepalive_seconds:
                quiet_since = time.monotonic()
                yield ": keep-alive\n\n"
            await asyncio.sleep(settings.sse_poll_seconds)

    return StreamingResponse(stream(), media_type="text/event-stream", headers={
        "Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


# Event ids are database sequence numbers (64-bit): a larger one is no event of ours.
def resume_point(
    last_event_id: Annotated[str | None, Header(
        pattern=r"^[0-9]{1,18}$", description="the last event id received")] = None,
    after: Annotated[int | None, Query(ge=0, le=2**63 - 1,
                                       description="resume after this event id")] = None,
) -> int:
    """The event id to resume after: ``Last-Event-ID`` (a reconnect) wins over ``after``."""
    if last_event_id:
        return int(last_event_id)
    return after or 0


ResumeDep = Annotated[int, Depends(resume_point)]


def sse_responses(description: str) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` of an event-stream endpoint: the stream, and its errors."""
    return {**problem_responses(401, 404, 422, 429),
            200: {"content": {"text/event-stream": {}}, "description": description}}
