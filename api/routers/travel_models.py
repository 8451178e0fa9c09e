"""Travel-time models (surrogate registry): placeholder until surrogate/ offers a registry."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/v1/travel-models", tags=["travel-models"])
