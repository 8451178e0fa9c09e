"""The job store: SQLAlchemy 2 tables and keyword-only repository functions."""
