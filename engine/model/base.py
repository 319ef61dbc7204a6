"""Shared pydantic base for every document model, and the engine's version."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

ENGINE_VERSION = "0.1.0"
"""The version of treaty-engine (``engine.__version__``; ``pyproject.toml`` reads it from here).
Findings record it, and ``treaty verify`` compares it."""


class Doc(BaseModel):
    """Closed, immutable document model: unknown fields are errors, values never change."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        use_attribute_docstrings=True,
        populate_by_name=True,
    )
