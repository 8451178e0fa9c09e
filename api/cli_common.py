"""What every CLI module shares: the stderr console and the error-to-exit-code mapping."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from solver.errors import RoutecastError

err = Console(stderr=True, width=None if sys.stderr.isatty() else 120)


def handle_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Map typed errors to one line on stderr and exit code 2 (no traceback)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (RoutecastError, ValueError, OSError) as exc:
            err.print(f"[red]error:[/red] {exc}", highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None

    return wrapper


ModelsOption = Annotated[Path | None, typer.Option(
    "--models", help="travel-model registry for learned travel (default: "
    "$ROUTECAST_DATA_DIR/models, or ./data/models)")]


def models_registry(models: Path | None) -> Path:
    """The registry learned travel reads: ``--models``, else ROUTECAST_DATA_DIR's."""
    if models is not None:
        return models
    from api.settings import get_settings

    return get_settings().models_dir
