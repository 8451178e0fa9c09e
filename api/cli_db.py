"""``routecast db``: the store's schema (Alembic migrations shipped in the package)."""

from __future__ import annotations

from typing import Annotated

import typer

from api.cli_common import err, handle_errors

db_app = typer.Typer(help="The job store's schema.", no_args_is_help=True)


@db_app.command("upgrade")
@handle_errors
def upgrade(
    revision: Annotated[str, typer.Argument(help="target revision")] = "head",
) -> None:
    """Migrate the store (ROUTECAST_DATABASE_URL, else the SQLite file under
    ROUTECAST_DATA_DIR) to the newest schema. The service does this at start-up too."""
    from sqlalchemy.exc import SQLAlchemyError  # here: it costs every other command ~2 s

    from api.settings import get_settings
    from api.store.db import make_engine
    from api.store.migrate import current, upgrade

    settings = get_settings()
    engine = make_engine(settings.db_url)
    try:
        before = current(engine)
        after = upgrade(engine, revision)
    except SQLAlchemyError as exc:  # unreachable server, a failed migration (rolled back)
        err.print(f"[red]error:[/red] migrating the store failed: {exc}", highlight=False,
                  soft_wrap=True)
        raise typer.Exit(1) from None
    finally:
        engine.dispose()
    err.print(f"store {engine.url.render_as_string(hide_password=True)}: "
              f"{before or 'unversioned'} -> {after}", highlight=False, soft_wrap=True)


@db_app.command("current")
@handle_errors
def show_current() -> None:
    """Print the store's revision (nothing before the first upgrade)."""
    from api.settings import get_settings
    from api.store.db import make_engine
    from api.store.migrate import current

    engine = make_engine(get_settings().db_url)
    try:
        typer.echo(current(engine) or "")
    finally:
        engine.dispose()
