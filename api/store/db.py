"""Database engines: SQLite in WAL mode by default, PostgreSQL (or anything SQLAlchemy
speaks) by URL."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, sessionmaker

from api.store.migrate import upgrade


def resolve_url(url: str) -> URL:
    """``url`` as SQLAlchemy will use it. A bare ``postgresql://`` URL means psycopg2 to
    SQLAlchemy; when only psycopg 3 (the ``postgres`` extra) is installed, use that."""
    parsed = make_url(url)
    if (parsed.drivername == "postgresql" and importlib.util.find_spec("psycopg2") is None
            and importlib.util.find_spec("psycopg") is not None):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


# how long a worker's statement waits for a lock (a locked SQLite database, a PostgreSQL row
# or advisory lock): workers retry their writes and must not fail a solve on a stall; the
# service answers sooner (503, see ``Settings.store_busy_timeout``)
WORKER_BUSY_TIMEOUT_S = 30.0


def make_engine(url: str, *, busy_timeout: float = WORKER_BUSY_TIMEOUT_S) -> Engine:
    """An engine for ``url`` whose statements wait ``busy_timeout`` seconds for a lock
    before failing (SQLite: "database is locked"; PostgreSQL: its ``lock_timeout``).
    SQLite files also get WAL and their folder."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": busy_timeout,
                                                  "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute(f"PRAGMA busy_timeout={round(busy_timeout * 1000)}")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        return engine
    engine = create_engine(resolve_url(url), pool_pre_ping=True)

    @event.listens_for(engine, "connect")
    def _lock_timeout(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
        if engine.dialect.name != "postgresql":
            return
        cur = dbapi_conn.cursor()
        cur.execute(f"SET lock_timeout = {round(busy_timeout * 1000)}")
        cur.close()
        dbapi_conn.commit()  # a rollback of the connection's first transaction would undo it

    return engine


def init_db(engine: Engine) -> None:
    """Bring the store to the newest schema (:func:`api.store.migrate.upgrade`)."""
    upgrade(engine)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


_SQL_ENGINES: dict[str, Engine] = {}


def sessions_for(url: str) -> sessionmaker[Session]:
    """Sessions on the one SQLAlchemy engine this process keeps per database URL."""
    if url not in _SQL_ENGINES:
        _SQL_ENGINES[url] = make_engine(url)
    return session_factory(_SQL_ENGINES[url])


def dispose_sessions(url: str) -> None:
    """Close the pooled connections of the engine kept for ``url``, and forget it (a
    dropped database or schema; otherwise each URL would hold its pool until exit)."""
    engine = _SQL_ENGINES.pop(url, None)
    if engine is not None:
        engine.dispose()
