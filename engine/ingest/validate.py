"""Validating one raw document: its published JSON Schema first, then its model.

The schema (``schemas/``, generated from the models) gives problems with a JSON pointer and a
line; the models then check what a schema cannot say (dates in order, time zones). Valid
documents are checked by jsonschema-rs, which only says yes or no, about 80 times faster; only
invalid ones go through ``jsonschema``, whose errors are turned into plain messages and fixes.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import jsonschema_rs
from pydantic import BaseModel, ValidationError

from engine.errors import InputError, Problem
from engine.ingest.files import RawDocument, package_dir
from engine.ingest.limits import escape_pointer
from engine.model.commitment import Commitment, TreatyState
from engine.model.findings import FindingsDocument
from engine.model.keys import Attestation
from engine.model.records import RECORD_MODELS, Report
from engine.model.schema import schema_for

DOCUMENT_MODELS: dict[str, type[BaseModel]] = {
    "commitment": Commitment,
    "treaty": TreatyState,
    "report": Report,
    "findings": FindingsDocument,
    "attestation": Attestation,
}
"""The model of each document type, by the value of its ``document`` field."""


def schemas_dir() -> Path:
    """The published JSON Schemas shipped with the package (or the checkout's ``schemas/``).

    Raises:
        FileNotFoundError: the installation has no schemas.
    """
    for cand in (package_dir() / "schemas", package_dir().parent / "schemas"):
        if cand.is_dir() and any(cand.glob("*.schema.json")):
            return cand
    raise FileNotFoundError("the published JSON Schemas are missing from this installation")


@cache
def published_schema(document: str) -> dict[str, Any]:
    """The published JSON Schema for a document type (generated from the model if absent)."""
    try:
        path = schemas_dir() / f"{document}.schema.json"
        if path.is_file():
            loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
            return loaded
    except FileNotFoundError:
        pass
    return schema_for(document)


def validate_document(doc: RawDocument) -> BaseModel:
    """Validate one raw document: schema first (pointer and line), then the model.

    Raises:
        InputError: the document is not a mapping, has no known ``document`` type, or fails
            its schema or its model; with every problem found.
    """
    data = doc.data
    if not isinstance(data, dict):
        raise InputError(
            [
                Problem(
                    doc.file,
                    "the document is not a mapping",
                    "start the document with 'document: report' (or treaty, commitment)",
                    line=doc.line,
                    code="not-a-mapping",
                )
            ]
        )
    kind = data.get("document")
    if not isinstance(kind, str) or kind not in DOCUMENT_MODELS:
        raise InputError(
            [
                Problem(
                    doc.file,
                    f"unknown document type {kind!r}"
                    if kind is not None
                    else "no 'document' field",
                    "add 'document:' with one of: " + ", ".join(DOCUMENT_MODELS),
                    line=doc.line_of("/document"),
                    pointer="/document",
                    code="document-type",
                )
            ]
        )
    problems = _schema_problems(doc, kind)
    if problems:
        raise InputError(problems)
    try:
        return DOCUMENT_MODELS[kind].model_validate(data)
    except ValidationError as exc:
        raise InputError(_pydantic_problems(doc, exc)) from None


# --------------------------------------------------------------------------------------------
# The schema


@cache
def _validator(document: str) -> jsonschema.Draft202012Validator:
    """One validator per document type, built once (building one costs more than using it)."""
    return jsonschema.Draft202012Validator(
        published_schema(document), format_checker=jsonschema.FormatChecker()
    )


@cache
def _record_validator(kind: str) -> jsonschema.Draft202012Validator:
    """The published report schema's definition of one record kind."""
    schema = published_schema("report")
    sub = {
        "$schema": schema.get("$schema"),
        "$defs": schema.get("$defs", {}),
        "$ref": f"#/$defs/{RECORD_MODELS[kind].__name__}",
    }
    return jsonschema.Draft202012Validator(sub, format_checker=jsonschema.FormatChecker())


def iter_schema_errors(data: Any, document: str) -> Iterator[jsonschema.ValidationError]:
    """The schema errors of ``data`` as a ``document``, from ``jsonschema``.

    A report's records are dispatched on their kind: the published schema's oneOf over every
    kind gives the same verdict, but slowly and with vaguer messages.
    """
    records = data.get("records") if document == "report" and isinstance(data, dict) else None
    if not isinstance(records, list):
        yield from _validator(document).iter_errors(data)
        return
    yield from _validator(document).iter_errors({**data, "records": []})
    for i, rec in enumerate(records):
        kind = rec.get("kind") if isinstance(rec, dict) else None
        if isinstance(kind, str) and kind in RECORD_MODELS:
            for err in _record_validator(kind).iter_errors(rec):
                err.path.appendleft(i)
                err.path.appendleft("records")
                yield err
        else:
            sub = jsonschema.Draft202012Validator(published_schema("report"))
            for err in sub.iter_errors({**data, "records": [rec]}):
                if list(err.path)[:1] == ["records"]:
                    err.path[1] = i
                    yield err


@cache
def fast_validator(document: str) -> Any:
    """jsonschema-rs on the same published schema: it only says valid or not.

    It is about 80 times faster than ``jsonschema``, which then runs on invalid documents alone
    for its detailed errors. It checks formats (``date``, ``date-time``), which ``jsonschema``
    does only with optional packages, so it is never laxer; the models validate every document
    afterwards anyway.
    """
    return jsonschema_rs.validator_for(published_schema(document), validate_formats=True)


def _schema_problems(doc: RawDocument, document: str) -> list[Problem]:
    try:
        if fast_validator(document).is_valid(doc.data):
            return []
    except (ValueError, TypeError, OverflowError):
        pass  # not plain JSON data (e.g. a YAML mapping with a number as key): the slow path says why
    problems: list[Problem] = []
    first = list(itertools.islice(iter_schema_errors(doc.data, document), 200))
    for err in sorted(first, key=lambda e: list(map(str, e.absolute_path))):
        problems.extend(_problem(doc, e) for e in _leaf_errors(err))
        if len(problems) >= 50:
            break
    # de-duplicate (same pointer and message)
    seen: set[tuple[str, str]] = set()
    out = []
    for p in problems:
        if (p.pointer, p.message) not in seen:
            seen.add((p.pointer, p.message))
            out.append(p)
    return out


def _problem(doc: RawDocument, e: jsonschema.ValidationError) -> Problem:
    """One schema error as a problem, pointing at the unknown field of additionalProperties."""
    ptr = "".join(f"/{escape_pointer(p)}" for p in e.absolute_path)
    if e.validator == "additionalProperties" and isinstance(e.instance, dict):
        extra = sorted(set(e.instance) - set(_props(e)))
        if extra:
            ptr += f"/{escape_pointer(extra[0])}"
    msg, fix = _describe(e)
    return Problem(doc.file, msg, fix, line=doc.line_of(ptr), pointer=ptr, code="schema")


def _leaf_errors(err: jsonschema.ValidationError) -> list[jsonschema.ValidationError]:
    """Descend into oneOf/anyOf errors, keeping the branch the document meant."""
    if err.validator not in ("oneOf", "anyOf") or not err.context:
        return [err]
    branches: dict[int, list[jsonschema.ValidationError]] = {}
    for sub in err.context:
        branches.setdefault(int(sub.schema_path[0]), []).append(sub)
    instance = err.instance
    if isinstance(instance, dict) and isinstance(instance.get("kind"), str):
        if instance["kind"] not in RECORD_MODELS:
            err.message = f"unknown record kind {instance['kind']!r}"
            err.validator = "x-kind"
            return [err]
        keep = [
            subs
            for subs in branches.values()
            if not any(list(s.relative_path) == ["kind"] for s in subs)
        ]
        if len(keep) == 1:
            return [leaf for s in keep[0] for leaf in _leaf_errors(s)]
    # pick the branch with the fewest errors that go deepest
    best = min(branches.values(), key=lambda subs: (len(subs), -max(len(s.path) for s in subs)))
    if all(len(s.relative_path) == 0 and s.validator == "type" for s in best):
        _merge_type_errors(err, branches)
        return [err]
    return [leaf for s in best for leaf in _leaf_errors(s)]


def _merge_type_errors(
    err: jsonschema.ValidationError, branches: dict[int, list[jsonschema.ValidationError]]
) -> None:
    """A value of the wrong type for every branch: one type error naming every type allowed."""
    wanted = [
        s.validator_value
        for subs in branches.values()
        for s in subs
        if s.validator == "type" and s.validator_value != "null"
    ]
    if wanted:
        err.validator = "type"
        err.validator_value = " or ".join(dict.fromkeys(str(w) for w in wanted))


def _props(e: jsonschema.ValidationError) -> list[str]:
    schema = e.schema if isinstance(e.schema, dict) else {}
    return list(schema.get("properties", {}))


_FORMAT_HINTS = {
    "date": "write a real date as YYYY-MM-DD",
    "date-time": "write a timestamp with time zone, e.g. 2028-01-20T09:00:00Z",
}


def _describe(e: jsonschema.ValidationError) -> tuple[str, str]:
    """The message and the fix for one schema error."""
    v = e.validator
    value: Any = e.validator_value
    instance: Any = e.instance
    if v == "x-kind":
        return e.message, "use one of the record kinds: " + ", ".join(sorted(RECORD_MODELS))
    if v == "additionalProperties":
        extra = sorted(set(instance) - set(_props(e)))
        allowed = ", ".join(sorted(_props(e)))
        return (
            f"unknown field {extra[0]!r}" if extra else e.message,
            f"remove it or fix its spelling; allowed here: {allowed}",
        )
    if v == "required":
        missing = re.findall(r"'([^']+)' is a required property", e.message)
        name = missing[0] if missing else "a field"
        return f"missing required field {name!r}", f"add '{name}'"
    if v == "type":
        return f"{_short(e.instance)} is not of type {value}", f"write a {value} here"
    if v == "format":
        hint = _FORMAT_HINTS.get(str(value), f"write a valid {value}")
        return f"{_short(e.instance)} is not a valid {value}", hint
    if v in ("enum", "const"):
        opts: list[Any] = list(value) if v == "enum" else [value]
        return f"{_short(e.instance)} is not allowed here", "use one of: " + ", ".join(
            map(str, opts)
        )
    return _describe_bounds(e)


def _describe_bounds(e: jsonschema.ValidationError) -> tuple[str, str]:
    """``_describe`` for patterns, ranges, lengths and unions."""
    v, value = e.validator, e.validator_value
    if v == "pattern":
        return f"{_short(e.instance)} does not have the expected form", f"match the pattern {value}"
    if v in ("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum"):
        return f"{_short(e.instance)} is out of range", f"{v} is {value}"
    if v in ("minItems", "minLength"):
        return "value is empty or too short", f"give at least {value}"
    if v in ("oneOf", "anyOf"):
        return (
            f"{_short(e.instance)} matches none of the allowed forms",
            "see the schema for this field",
        )
    return e.message, "see the schema for this field"


def _short(x: Any) -> str:
    s = json.dumps(x, ensure_ascii=False, default=str)
    return s if len(s) <= 40 else s[:37] + "..."


# --------------------------------------------------------------------------------------------
# The model

_PYDANTIC_FIXES = {
    "date_from_datetime_parsing": "write a real date as YYYY-MM-DD",
    "date_parsing": "write a real date as YYYY-MM-DD",
    "timezone_aware": "add a time zone, e.g. Z or +02:00",
    "extra_forbidden": "remove the field or fix its spelling",
    "missing": "add the field",
}
_RULE_MODELS = ("ClassifyRule", "DeadlineRule", "PeriodicRule")


def _pydantic_problems(doc: RawDocument, exc: ValidationError) -> list[Problem]:
    out = []
    for err in exc.errors(include_url=False):
        ptr = "".join(f"/{escape_pointer(p)}" for p in _pydantic_path(list(err["loc"])))
        msg = err["msg"].removeprefix("Value error, ")
        fix = _PYDANTIC_FIXES.get(err["type"], "correct the value")
        if err["type"] == "value_error" and "(" not in msg:
            fix = "correct the document as the message says"
        out.append(Problem(doc.file, msg, fix, line=doc.line_of(ptr), pointer=ptr, code="model"))
    return out


def _pydantic_path(loc: list[str | int]) -> list[str | int]:
    """A pydantic error location without the union tags it puts in (record kinds, rules)."""
    cleaned: list[str | int] = []
    for i, p in enumerate(loc):
        if isinstance(p, str) and i > 0 and isinstance(loc[i - 1], int) and p in RECORD_MODELS:
            continue
        if isinstance(p, str) and (p.startswith("function-") or p in _RULE_MODELS):
            continue
        cleaned.append(p)
    return cleaned
