"""The published schemas: generated from the models, committed, valid, and describing every field."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from engine.ingest import DEFAULT_LIMITS, is_envelope, iter_input_files
from engine.ingest.yaml import yaml_documents
from engine.model.schema import DOCUMENT_TYPES, render

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = ROOT / "schemas"


@pytest.mark.parametrize("document", DOCUMENT_TYPES)
def test_committed_schema_matches_the_models(document: str) -> None:
    """Drift check: regenerate with `treaty schema export` when this fails."""
    committed = (SCHEMAS / f"{document}.schema.json").read_text(encoding="utf-8")

    assert committed == render(document), (
        "schemas/ drifted from the models: run `treaty schema export`"
    )


@pytest.mark.parametrize("document", DOCUMENT_TYPES)
def test_schema_is_valid_draft_2020_12(document: str) -> None:
    schema = json.loads((SCHEMAS / f"{document}.schema.json").read_text(encoding="utf-8"))

    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def _properties_without_description(schema: dict[str, Any]) -> list[str]:
    missing = []

    def walk(node: Any, where: str) -> None:
        if isinstance(node, dict):
            for name, prop in node.get("properties", {}).items():
                if "description" not in prop:
                    missing.append(f"{where}.{name}")
            for k, v in node.items():
                walk(v, f"{where}/{k}")
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, f"{where}[{i}]")

    walk(schema, "")
    return missing


@pytest.mark.parametrize("document", DOCUMENT_TYPES)
def test_every_field_has_a_description(document: str) -> None:
    schema = json.loads((SCHEMAS / f"{document}.schema.json").read_text(encoding="utf-8"))

    assert _properties_without_description(schema) == []


def _bundled_documents() -> list[Path]:
    files = iter_input_files([ROOT / "commitments", ROOT / "examples"])
    return [p for p, _ in files if not is_envelope(p)]  # envelopes carry documents, are none


def test_there_are_bundled_documents() -> None:
    assert len(_bundled_documents()) >= 5


@pytest.mark.parametrize("path", _bundled_documents(), ids=lambda p: str(p.relative_to(ROOT)))
def test_bundled_document_validates_against_its_schema(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".jsonl":
        docs = [json.loads(line) for line in text.splitlines() if line.strip()]
    elif path.suffix == ".json":
        docs = [json.loads(text)]
    else:
        docs = [d for d, _ in yaml_documents(text, str(path), DEFAULT_LIMITS, want_lines=False)]
    for doc in docs:
        schema = json.loads(
            (SCHEMAS / f"{doc['document']}.schema.json").read_text(encoding="utf-8")
        )
        jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker()).validate(
            doc
        )
