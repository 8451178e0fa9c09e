"""The planner's web app: static pages served by the service itself at ``/``.

Pages and assets need no key (they hold no data); everything they show comes from the
``/v1`` API with the key the planner typed, kept in the browser's ``sessionStorage``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

STATIC = Path(__file__).with_name("static")


def mount(app: FastAPI) -> None:
    """Serve ``index.html`` at ``/``, the assets under ``/static`` and the app's settings."""

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})

    @app.get("/app/config.json", include_in_schema=False)
    def config(request: Request) -> dict[str, Any]:
        """Whether the API wants a key, and the map tile template if one is configured."""
        ring = getattr(request.app.state, "keyring", None)
        return {"auth": bool(ring is not None and ring.enabled),
                "tiles": request.app.state.settings.map_tiles}

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
