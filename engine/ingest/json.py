"""JSON and JSONL text, parsed within the limits, and where each value is in the text.

Duplicate keys are errors (JSON parsers silently keep the last one), and so are NaN, Infinity
and numbers that overflow. After parsing, the value is checked against the limits (depth,
values, string length) and for unpaired surrogate escapes; ``plainly_within_limits`` skips that
walk when the text alone shows it would find nothing.

Every error is an ``InputError`` (``LimitExceeded`` for a limit) with one problem.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import yaml

from engine.errors import InputError, Problem
from engine.ingest.limits import (
    Limits,
    encodable,
    escape_pointer,
    limit_exceeded,
    too_deep,
    too_long,
    unpaired_surrogate,
)
from engine.ingest.yaml import SafeYamlLoader


def parse_json(text: str, file: str, limits: Limits, line: int | None) -> Any:
    """Parse one JSON document (a whole file, or the JSONL line numbered ``line``).

    Raises:
        InputError: malformed JSON, a duplicate key, a number that is not finite, text that is
            not encodable, or (``LimitExceeded``) a limit exceeded.
    """
    try:
        data = json.loads(text, object_pairs_hook=_no_duplicate_keys(file), parse_constant=_nan)
    except json.JSONDecodeError as exc:
        raise InputError(
            [
                Problem(
                    file,
                    f"malformed JSON: {exc.msg} (column {exc.colno})",
                    "fix the JSON syntax at this line",
                    line=exc.lineno if line is None else line,
                    code="json-syntax",
                )
            ]
        ) from None
    except RecursionError:
        raise too_deep(file, limits, line=line) from None
    except ValueError as exc:
        raise InputError(
            [
                Problem(
                    file,
                    f"malformed JSON: {exc}",
                    "write plain JSON numbers",
                    line=line,
                    code="json-number",
                )
            ]
        ) from None
    except InputError as exc:  # a duplicate key, found by the hook, which knows no line
        raise InputError([replace(p, line=line) for p in exc.problems]) from None
    if not plainly_within_limits(text, limits):
        check_json_value(data, file, limits, line)
    return data


def _no_duplicate_keys(file: str) -> Callable[[list[tuple[str, Any]]], dict[str, Any]]:
    def hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for k, v in pairs:
            if k in out:
                raise InputError(
                    [
                        Problem(
                            file,
                            f"duplicate key {k!r}",
                            "keep one of the two entries",
                            code="duplicate-key",
                        )
                    ]
                )
            out[k] = v
        return out

    return hook


def _nan(name: str) -> Any:
    raise ValueError(f"{name} is not a number")


def jsonl_lines(raw: bytes) -> Iterator[tuple[int, int, int, str]]:
    """The non-blank lines of a JSONL file: (line number, byte offset, byte length, text).

    Split on bytes, not with ``str.splitlines``, which would also split a JSON string holding
    U+2028. ``raw`` must be valid UTF-8 (the caller decoded it once already).
    """
    offset = 3 if raw.startswith(b"\xef\xbb\xbf") else 0
    for number, chunk in enumerate(raw[offset:].split(b"\n"), start=1):
        start, offset = offset, offset + len(chunk) + 1
        text = chunk.decode("utf-8")
        if text.strip():
            yield number, start, len(chunk), text


_NESTED = re.compile(r"\{[^{}\[\]]*\}|\[[^{}\[\]]*\]")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_HUGE_NUMBER = re.compile(r"[eE]\+?\d{3}|\d{300}")


def plainly_within_limits(text: str, limits: Limits) -> bool:
    """A cheap test, on the JSON text, that ``check_json_value`` would find nothing wrong.

    True only when every condition holds for the text itself (so it is never laxer than the
    walk); False means "walk the parsed value", which then finds the problem or not. The walk
    visits every value in Python and was 44% of loading a large archive.

    * nodes: every value takes at least one character;
    * strings: without an escaped quote, the pieces between quotes alternate structure and
      string contents, and a string's text is never shorter than its value;
    * surrogates: an unpaired surrogate in decoded UTF-8 text can only come from an escape;
    * non-finite numbers: NaN and Infinity are refused by the parser, and a float overflows
      only with an exponent of three digits or more, or hundreds of digits;
    * depth: with the strings taken out, each pass of ``_NESTED`` removes the innermost level
      of lists and mappings, so the passes count the levels.
    """
    if len(text) > limits.max_nodes or '\\"' in text:
        return False
    if _SURROGATE_ESCAPE.search(text):
        return False
    pieces = text.split('"')
    if max(map(len, pieces[1::2]), default=0) > limits.max_string:
        return False
    structure = "".join(pieces[0::2])  # numbers are never inside strings
    if _HUGE_NUMBER.search(structure):
        return False
    for _ in range(limits.max_depth + 1):
        structure, removed = _NESTED.subn("", structure)
        if not removed:
            return "{" not in structure and "[" not in structure
    return False


def check_json_value(value: Any, file: str, limits: Limits, line: int | None) -> None:
    """Depth, size and string limits, and encodable text, for data parsed from JSON.

    Raises:
        InputError: text that is not encodable, a number that is not finite, or
            (``LimitExceeded``) a limit exceeded.
    """
    count = 0
    stack: list[tuple[Any, int, str]] = [(value, 0, "")]
    while stack:
        v, depth, ptr = stack.pop()
        count += 1
        if count > limits.max_nodes:
            raise limit_exceeded(
                file,
                "max_nodes",
                f"more than {limits.max_nodes} values in one document",
                "split the document",
                line=line,
            )
        if depth > limits.max_depth:
            raise too_deep(file, limits, line=line, pointer=ptr)
        if isinstance(v, dict):
            _check_keys(v, file, limits, line, ptr)
            stack.extend((x, depth + 1, f"{ptr}/{escape_pointer(k)}") for k, x in v.items())
        elif isinstance(v, list):
            stack.extend((x, depth + 1, f"{ptr}/{i}") for i, x in enumerate(v))
        else:
            _check_scalar(v, file, limits, line, ptr)


def _check_keys(
    mapping: dict[str, Any], file: str, limits: Limits, line: int | None, ptr: str
) -> None:
    for k in mapping:
        if not encodable(k):
            raise InputError([unpaired_surrogate(file, ptr, line)])
        if len(k) > limits.max_string:
            raise too_long(file, "key", len(k), limits, line=line, pointer=ptr)


def _check_scalar(v: Any, file: str, limits: Limits, line: int | None, ptr: str) -> None:
    if isinstance(v, str) and not encodable(v):
        raise InputError([unpaired_surrogate(file, ptr, line)])
    if isinstance(v, str) and len(v) > limits.max_string:
        raise too_long(file, "string", len(v), limits, line=line, pointer=ptr)
    if isinstance(v, float) and (v != v or v in (float("inf"), float("-inf"))):
        raise InputError(
            [
                Problem(
                    file,
                    "a number is NaN or infinite",
                    "write a finite number",
                    line=line,
                    pointer=ptr,
                    code="json-number",
                )
            ]
        )


def json_line_map(text: str) -> dict[str, int]:
    """Best-effort pointer -> line map for JSON text, used only to place error messages.

    JSON is YAML, so the safe YAML composer gives each value's line. Text over 100,000
    characters gets no map (the pointer still says where).
    """
    if len(text) > 100_000:
        return {}  # too big to re-parse just to place a message: the pointer says where
    try:
        node = SafeYamlLoader(text).get_single_node()
    except Exception:
        return {}
    lines: dict[str, int] = {}
    if node is None:
        return lines
    budget = 200_000
    stack: list[tuple[yaml.Node, str]] = [(node, "")]
    while stack and budget > 0:
        n, ptr = stack.pop()
        budget -= 1
        lines.setdefault(ptr, n.start_mark.line + 1)
        if isinstance(n, yaml.MappingNode):
            stack.extend((v, f"{ptr}/{escape_pointer(str(k.value))}") for k, v in reversed(n.value))
        elif isinstance(n, yaml.SequenceNode):
            stack.extend((v, f"{ptr}/{i}") for i, v in reversed(list(enumerate(n.value))))
    return lines
