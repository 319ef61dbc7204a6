"""JSON Schemas (draft 2020-12) generated from the document models.

``treaty schema export`` writes them to ``schemas/`` (one ``<document>.schema.json`` each); a
test fails when the committed files drift from the models.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel

SCHEMA_BASE = "https://treaty-engine.dev/schemas/"


def _models() -> dict[str, type[BaseModel]]:
    from engine.model.commitment import Commitment, TreatyState
    from engine.model.findings import FindingsDocument
    from engine.model.keys import Attestation
    from engine.model.records import Report

    return {
        "commitment": Commitment,
        "treaty": TreatyState,
        "report": Report,
        "findings": FindingsDocument,
        "attestation": Attestation,
    }


DOCUMENT_TYPES = ("commitment", "treaty", "report", "findings", "attestation")


def schema_for(document: str) -> dict[str, Any]:
    """The JSON Schema of one document type."""
    model = _models()[document]
    schema = model.model_json_schema(by_alias=True, mode="validation")
    out: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{SCHEMA_BASE}{document}.schema.json",
    }
    out.update(schema)
    return out


def render(document: str) -> str:
    """The JSON Schema of one document type as the text of ``schemas/<document>.schema.json``."""
    return json.dumps(schema_for(document), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
