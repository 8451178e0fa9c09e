"""Schema migrations (Alembic, shipped in the package under ``migrations/``).

:func:`upgrade` brings any store to the newest schema: an empty one is created, one made
before migrations existed (tables but no ``alembic_version``; main at 7e138fd) is stamped
at the first revision and upgraded, and a current one is left alone. The service runs it
at start-up; ``routecast db upgrade`` runs it by hand.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, inspect

MIGRATIONS = Path(__file__).parent / "migrations"
FIRST_REVISION = "0001"


def alembic_config(connection: Connection | None = None) -> Config:
    """A config on the packaged migrations (no alembic.ini needed), bound to
    ``connection`` when given."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head() -> str:
    """The newest revision."""
    revision = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert revision is not None
    return revision


def current(engine: Engine) -> str | None:
    """The store's revision; None for an empty store or one made before migrations."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> str:
    """Migrate the store to ``revision`` (see the module docstring); returns the revision
    it is at afterwards.

    On SQLite foreign keys are off meanwhile: altering a table there rebuilds it, and
    dropping the old copy with foreign keys on would cascade to its children's rows.
    """
    with engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
        try:
            config = alembic_config(conn)
            legacy = (MigrationContext.configure(conn).get_current_revision() is None
                      and inspect(conn).has_table("jobs"))
            if legacy:
                command.stamp(config, FIRST_REVISION)
            command.upgrade(config, revision)
            conn.commit()
            reached = MigrationContext.configure(conn).get_current_revision()
        finally:
            if sqlite:
                conn.exec_driver_sql("PRAGMA foreign_keys=ON")
    return reached or ""
