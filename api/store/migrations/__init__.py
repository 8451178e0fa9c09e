"""Alembic migrations of the job store (see api/store/migrate.py)."""
