"""The rate-limit bucket table: one token bucket per key, shared by every replica."""

from __future__ import annotations

from sqlalchemy import Boolean, Float
from sqlalchemy.orm import Mapped, mapped_column

from api.store.tables import Base, Str


class RateBucketRow(Base):
    """``tokens`` left at ``updated_at`` (UNIX seconds); ``granted`` is the outcome of the
    last take (written by the same atomic upsert that refills and spends)."""

    __tablename__ = "rate_buckets"

    key: Mapped[str] = mapped_column(Str(200), primary_key=True)
    tokens: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[float] = mapped_column(Float)
    granted: Mapped[bool] = mapped_column(Boolean, default=True)
