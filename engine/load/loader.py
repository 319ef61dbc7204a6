"""Loading documents safely: files and folders of YAML, JSON and JSONL.

Inputs come from governments that may be adversaries, so every document is treated as hostile:

* the file size, nesting depth, node count (YAML alias expansion), string length and records per
  report are bounded (``Limits``);
* YAML is composed with a safe loader; only plain scalars, lists and mappings are built, Python
  tags are refused, and duplicate keys are errors (YAML silently keeps the last one);
* dates stay strings until the models parse them, and only ``true``/``false`` are booleans (so
  ``NO``, Norway's code, stays a string);
* each document is validated first against its published JSON Schema (``schemas/``), then by the
  models, then by cross-document checks.

Every problem becomes a ``Problem`` with file, line, JSON pointer, message and fix.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import os
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import jsonschema_rs
import yaml
from pydantic import BaseModel, ValidationError

from engine.errors import InputError, LimitExceeded, Problem, ProblemCode
from engine.model.commitment import Commitment, TreatyState
from engine.model.findings import FindingsDocument, InputDigest
from engine.model.records import RECORD_MODELS, Report

DOCUMENT_MODELS: dict[str, type[BaseModel]] = {
    "commitment": Commitment,
    "treaty": TreatyState,
    "report": Report,
    "findings": FindingsDocument,
}
EXTENSIONS = (".yaml", ".yml", ".json", ".jsonl")


@dataclass(frozen=True)
class Limits:
    """Safety limits on untrusted input. Each has a CLI option that raises it."""

    max_file_bytes: int = 64 * 1024 * 1024
    """``--max-file-mb``: largest input file."""
    max_depth: int = 32
    """``--max-depth``: deepest nesting of lists and mappings."""
    max_nodes: int = 2_000_000
    """``--max-nodes``: values in one document after YAML alias expansion."""
    max_string: int = 20_000
    """``--max-string``: longest string value, in characters."""
    max_records: int = 200_000
    """``--max-records``: records in one report."""

    OPTION = {
        "max_file_bytes": "--max-file-mb",
        "max_depth": "--max-depth",
        "max_nodes": "--max-nodes",
        "max_string": "--max-string",
        "max_records": "--max-records",
    }


DEFAULT_LIMITS = Limits()


@dataclass(frozen=True)
class LoadedReport:
    """A validated report with the digest of each record as submitted."""

    report: Report
    path: str
    record_hashes: dict[str, str]


@dataclass(frozen=True)
class StreamedReport:
    """A validated report left on disk in its JSONL file; read back when its party is evaluated.

    Only these few fields stay in memory between the two passes, so a large archive costs memory
    in proportion to its largest party, not to its size.
    """

    id: str
    subject_party: str
    source_party: str | None
    file: Path
    path: str
    line: int
    offset: int
    length: int
    digest: str
    """sha256 of the line as validated: a file changed between the passes is an error."""

    def load(self) -> LoadedReport:
        """Read the line back and build the report (validated in the first pass).

        Raises:
            InputError: the line is no longer the one validated.
        """
        try:
            with self.file.open("rb") as fh:
                fh.seek(self.offset)
                raw = fh.read(self.length)
        except OSError as exc:
            raw, why = b"", exc.strerror
        else:
            why = "its content changed"
        if hashlib.sha256(raw).hexdigest() != self.digest:
            raise InputError(
                [
                    Problem(
                        self.path,
                        f"report {self.id} cannot be read back: {why} while the check ran",
                        "do not modify input files during a check; run it again",
                        line=self.line,
                        code="changed",
                    )
                ]
            )
        data = json.loads(raw)
        return LoadedReport(Report.model_validate(data), self.path, _record_hashes(data))


@dataclass
class Bundle:
    """Everything an evaluation needs, validated."""

    treaty: TreatyState | None = None
    treaty_path: str | None = None
    commitments: dict[str, Commitment] = field(default_factory=dict)
    commitment_paths: dict[str, str] = field(default_factory=dict)
    reports: list[LoadedReport] = field(default_factory=list)
    streamed: list[StreamedReport] = field(default_factory=list)
    """JSONL reports loaded with ``stream=True``: validated, then left on disk."""
    inputs: list[InputDigest] = field(default_factory=list)
    findings: list[tuple[FindingsDocument, str]] = field(default_factory=list)
    treaties: list[tuple[TreatyState, str]] = field(default_factory=list)


# --------------------------------------------------------------------------------------------
# Locating bundled data


def _package_dir() -> Path:
    """The ``engine`` package folder."""
    return Path(__file__).resolve().parents[1]


def bundled_commitments_dir() -> Path:
    """The commitment library shipped with the package (or the checkout's ``commitments/``)."""
    for cand in (_package_dir() / "commitments", _package_dir().parent / "commitments"):
        if cand.is_dir():
            return cand
    raise FileNotFoundError("the bundled commitment library is missing from this installation")


def schemas_dir() -> Path:
    for cand in (_package_dir() / "schemas", _package_dir().parent / "schemas"):
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
    from engine.model.schema import schema_for

    return schema_for(document)


# --------------------------------------------------------------------------------------------
# Safe YAML


class _Loader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2-like scalars: no timestamps, only true/false booleans."""


_Loader.yaml_implicit_resolvers = {
    k: [
        (tag, rx)
        for tag, rx in v
        if tag not in ("tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:bool")
    ]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
# YAML 1.2 numbers: PyYAML (YAML 1.1) reads 1e26 and 1.0e26 as text.
_Loader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:float"]
    for k, v in _Loader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(
        r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
        |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
        |\.[0-9][0-9_]*(?:[eE][-+]?[0-9]+)?
        |[-+]?\.(?:inf|Inf|INF)
        |\.(?:nan|NaN|NAN))$""",
        re.X,
    ),
    list("-+0123456789."),
)
_ALLOWED_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:map",
    "tag:yaml.org,2002:seq",
}


class _Fail(Exception):
    def __init__(self, problem: Problem, limit: bool = False) -> None:
        super().__init__(problem.message)
        self.problem = problem
        self.limit = limit


_LIMIT_CODES: dict[str, ProblemCode] = {
    "max_file_bytes": "limit-file-size",
    "max_depth": "limit-depth",
    "max_nodes": "limit-nodes",
    "max_string": "limit-string",
    "max_records": "limit-records",
}


def _over_limit(
    file: str,
    limit: str,
    message: str,
    remedy: str,
    *,
    line: int | None = None,
    pointer: str = "",
) -> _Fail:
    """A limit of ``Limits`` exceeded: the fix names the remedy and the option that raises it."""
    return _Fail(
        Problem(
            file,
            message,
            f"{remedy} or raise the limit with {Limits.OPTION[limit]}",
            line=line,
            pointer=pointer,
            code=_LIMIT_CODES[limit],
        ),
        limit=True,
    )


def _ptr_escape(part: str | int) -> str:
    return str(part).replace("~", "~0").replace("/", "~1")


def _expanded_size(node: yaml.Node, file: str, limits: Limits) -> int:
    """Values the node stands for once aliases are expanded (memoised: cheap for alias bombs)."""
    memo: dict[int, int] = {}

    def size(n: yaml.Node, depth: int, ptr: str) -> int:
        if depth > limits.max_depth:
            raise _over_limit(
                file,
                "max_depth",
                f"nested deeper than {limits.max_depth} levels",
                "flatten the document",
                line=n.start_mark.line + 1,
                pointer=ptr,
            )
        key = id(n)
        if key in memo:
            return memo[key]
        memo[key] = 0  # a recursive alias counts as nothing more: it is refused when built
        total = 1
        if isinstance(n, yaml.MappingNode):
            for k, v in n.value:
                total += size(v, depth + 1, f"{ptr}/{_ptr_escape(str(k.value))}")
        elif isinstance(n, yaml.SequenceNode):
            for i, v in enumerate(n.value):
                total += size(v, depth + 1, f"{ptr}/{i}")
        memo[key] = total
        if total > limits.max_nodes:
            raise _over_limit(
                file,
                "max_nodes",
                f"more than {limits.max_nodes} values after expanding YAML aliases (an alias bomb?)",
                "remove the aliases",
                line=n.start_mark.line + 1,
                pointer=ptr,
            )
        return total

    return size(node, 0, "")


def _yaml_to_python(
    node: yaml.Node, file: str, limits: Limits, lines: dict[str, int] | None
) -> Any:
    """Build plain Python data from a composed YAML node, enforcing the limits."""
    _expanded_size(node, file, limits)
    constructor = _Loader("")
    on_path: set[int] = set()

    def build(n: yaml.Node, ptr: str, depth: int) -> Any:
        if lines is not None:
            lines.setdefault(ptr, n.start_mark.line + 1)
        if n.tag not in _ALLOWED_TAGS:
            raise _Fail(
                Problem(
                    file,
                    f"the YAML tag {n.tag!r} is not allowed",
                    "remove the tag: documents hold plain values, lists and mappings only",
                    line=n.start_mark.line + 1,
                    pointer=ptr,
                    code="yaml-tag",
                )
            )
        if isinstance(n, yaml.MappingNode | yaml.SequenceNode):
            if id(n) in on_path:
                raise _Fail(
                    Problem(
                        file,
                        "a YAML alias refers to itself (a recursive structure)",
                        "remove the recursive alias",
                        line=n.start_mark.line + 1,
                        pointer=ptr,
                        code="yaml-recursive",
                    )
                )
            on_path.add(id(n))
            try:
                if isinstance(n, yaml.SequenceNode):
                    return [build(v, f"{ptr}/{i}", depth + 1) for i, v in enumerate(n.value)]
                return build_map(n, ptr, depth)
            finally:
                on_path.discard(id(n))
        assert isinstance(n, yaml.ScalarNode)
        if len(n.value) > limits.max_string:
            raise _over_limit(
                file,
                "max_string",
                f"a string of {len(n.value)} characters is longer than {limits.max_string}",
                "shorten it",
                line=n.start_mark.line + 1,
                pointer=ptr,
            )
        try:
            value = constructor.construct_object(n, deep=True)
        except (ValueError, OverflowError, KeyError, TypeError, IndexError, yaml.YAMLError) as exc:
            raise _Fail(
                Problem(
                    file,
                    f"cannot read {n.value[:40]!r} as a {n.tag.rsplit(':', 1)[-1]}"
                    f" ({' '.join(str(exc).split())[:80]})",
                    "write a plain number, true/false or quoted text",
                    line=n.start_mark.line + 1,
                    pointer=ptr,
                    code="yaml-value",
                )
            ) from None
        if isinstance(value, str) and not _encodable(value):
            raise _Fail(_surrogate_problem(file, ptr, n.start_mark.line + 1))
        if isinstance(value, float) and not math.isfinite(value):
            raise _Fail(
                Problem(
                    file,
                    f"{n.value} is not a finite number",
                    "write a finite number",
                    line=n.start_mark.line + 1,
                    pointer=ptr,
                    code="yaml-number",
                )
            )
        return value

    def build_map(n: yaml.MappingNode, ptr: str, depth: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for k, v in n.value:
            if isinstance(k, yaml.ScalarNode) and k.value == "<<":
                raise _Fail(
                    Problem(
                        file,
                        "YAML merge keys ('<<') are not allowed",
                        "write the keys out in full",
                        line=k.start_mark.line + 1,
                        pointer=ptr,
                        code="yaml-merge",
                    )
                )
            if not isinstance(k, yaml.ScalarNode) or k.tag not in _ALLOWED_TAGS:
                raise _Fail(
                    Problem(
                        file,
                        "a mapping key is not a plain string",
                        "use plain text keys",
                        line=k.start_mark.line + 1,
                        pointer=ptr,
                        code="yaml-key",
                    )
                )
            key = str(k.value)
            if len(key) > limits.max_string:
                raise _over_limit(
                    file,
                    "max_string",
                    f"a key of {len(key)} characters is longer than {limits.max_string}",
                    "shorten it",
                    line=k.start_mark.line + 1,
                    pointer=ptr,
                )
            if key == "<<":
                raise _Fail(
                    Problem(
                        file,
                        "YAML merge keys ('<<') are not allowed",
                        "write the keys out in full",
                        line=k.start_mark.line + 1,
                        pointer=ptr,
                        code="yaml-merge",
                    )
                )
            if key in out:
                raise _Fail(
                    Problem(
                        file,
                        f"duplicate key {key!r}",
                        "keep one of the two entries: YAML would silently drop the first",
                        line=k.start_mark.line + 1,
                        pointer=f"{ptr}/{_ptr_escape(key)}",
                        code="duplicate-key",
                    )
                )
            out[key] = build(v, f"{ptr}/{_ptr_escape(key)}", depth + 1)
        return out

    try:
        return build(node, "", 0)
    finally:
        constructor.dispose()


def _yaml_documents(
    text: str, file: str, limits: Limits, want_lines: bool
) -> list[tuple[Any, dict[str, int]]]:
    docs: list[tuple[Any, dict[str, int]]] = []
    try:
        loader = _Loader(text)
    except yaml.YAMLError as exc:
        raise _Fail(
            Problem(
                file,
                f"not readable as YAML: {' '.join(str(exc).split())}",
                "save the file as plain UTF-8 text",
                code="yaml-syntax",
            )
        ) from None
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                break
            lines: dict[str, int] = {}
            docs.append((_yaml_to_python(node, file, limits, lines if want_lines else None), lines))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        what = (exc.problem or exc.context or "malformed YAML").strip()
        raise _Fail(
            Problem(
                file,
                f"malformed YAML: {what}",
                "fix the syntax at this line (indentation, quotes, colons)",
                line=line,
                code="yaml-syntax",
            )
        ) from None
    except yaml.YAMLError as exc:
        raise _Fail(
            Problem(
                file,
                f"malformed YAML: {' '.join(str(exc).split())}",
                "fix the syntax",
                code="yaml-syntax",
            )
        ) from None
    except RecursionError:
        raise _over_limit(
            file,
            "max_depth",
            f"nested deeper than {limits.max_depth} levels",
            "flatten the document",
        ) from None
    finally:
        loader.dispose()
    return docs


def load_yaml_text(text: str, name: str = "<text>", limits: Limits = DEFAULT_LIMITS) -> Any:
    """Parse one YAML document with the engine's safe loader (for tests and tools)."""
    try:
        docs = _yaml_documents(text, name, limits, want_lines=False)
    except _Fail as f:
        raise InputError([f.problem]) from None
    if len(docs) != 1:
        raise InputError(
            [Problem(name, "expected exactly one YAML document", "remove the extra '---'")]
        )
    return docs[0][0]


def _json_line_map(text: str) -> dict[str, int]:
    """Best-effort pointer → line map for JSON text, used only to place error messages."""
    if len(text) > 100_000:
        return {}  # too big to re-parse just to place a message: the pointer says where
    try:
        node = _Loader(text).get_single_node()
    except Exception:
        return {}
    lines: dict[str, int] = {}
    if node is None:
        return lines

    def walk(n: yaml.Node, ptr: str, budget: list[int]) -> None:
        budget[0] -= 1
        if budget[0] < 0:
            return
        lines.setdefault(ptr, n.start_mark.line + 1)
        if isinstance(n, yaml.MappingNode):
            for k, v in n.value:
                walk(v, f"{ptr}/{_ptr_escape(str(k.value))}", budget)
        elif isinstance(n, yaml.SequenceNode):
            for i, v in enumerate(n.value):
                walk(v, f"{ptr}/{i}", budget)

    walk(node, "", [200_000])
    return lines


_NESTED = re.compile(r"\{[^{}\[\]]*\}|\[[^{}\[\]]*\]")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_HUGE_NUMBER = re.compile(r"[eE]\+?\d{3}|\d{300}")


def plainly_within_limits(text: str, limits: Limits) -> bool:
    """A cheap test, on the JSON text, that ``_check_json_value`` would find nothing wrong.

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


def _check_json_value(value: Any, file: str, limits: Limits, line: int | None) -> None:
    """Depth, size and string limits for data parsed from JSON."""
    count = 0
    stack: list[tuple[Any, int, str]] = [(value, 0, "")]
    while stack:
        v, depth, ptr = stack.pop()
        count += 1
        if count > limits.max_nodes:
            raise _over_limit(
                file,
                "max_nodes",
                f"more than {limits.max_nodes} values in one document",
                "split the document",
                line=line,
            )
        if depth > limits.max_depth:
            raise _over_limit(
                file,
                "max_depth",
                f"nested deeper than {limits.max_depth} levels",
                "flatten the document",
                line=line,
                pointer=ptr,
            )
        if isinstance(v, dict):
            for k in v:
                if not _encodable(k):
                    raise _Fail(_surrogate_problem(file, ptr, line))
                if len(k) > limits.max_string:
                    raise _over_limit(
                        file,
                        "max_string",
                        f"a key of {len(k)} characters is longer than {limits.max_string}",
                        "shorten it",
                        line=line,
                        pointer=ptr,
                    )
            stack.extend((x, depth + 1, f"{ptr}/{_ptr_escape(k)}") for k, x in v.items())
        elif isinstance(v, list):
            stack.extend((x, depth + 1, f"{ptr}/{i}") for i, x in enumerate(v))
        elif isinstance(v, str) and not _encodable(v):
            raise _Fail(_surrogate_problem(file, ptr, line))
        elif isinstance(v, str) and len(v) > limits.max_string:
            raise _over_limit(
                file,
                "max_string",
                f"a string of {len(v)} characters is longer than {limits.max_string}",
                "shorten it",
                line=line,
                pointer=ptr,
            )
        elif isinstance(v, float) and (v != v or v in (float("inf"), float("-inf"))):
            raise _Fail(
                Problem(
                    file,
                    "a number is NaN or infinite",
                    "write a finite number",
                    line=line,
                    pointer=ptr,
                    code="json-number",
                )
            )


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _surrogate_problem(file: str, ptr: str, line: int | None) -> Problem:
    return Problem(
        file,
        "text contains an unpaired surrogate escape (e.g. \\ud800), which is not a character",
        "remove the escape or write the character itself",
        line=line,
        pointer=ptr,
        code="bad-text",
    )


def _no_dup_pairs(file: str) -> Any:
    def hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for k, v in pairs:
            if k in out:
                raise _Fail(
                    Problem(
                        file,
                        f"duplicate key {k!r}",
                        "keep one of the two entries",
                        code="duplicate-key",
                    )
                )
            out[k] = v
        return out

    return hook


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number")


@dataclass
class RawDocument:
    """One parsed (not yet validated) document and where it came from."""

    data: Any
    file: str
    line: int | None  # line of the document start (JSONL), else None
    text: str | None  # source text, for line lookups
    lines: dict[str, int] | None = None
    span: tuple[int, int] | None = None  # (byte offset, length) of a JSONL line in its file

    def line_of(self, pointer: str) -> int | None:
        if self.lines is None and self.text is not None:
            self.lines = _json_line_map(self.text)
        if self.lines:
            p = pointer
            while True:
                if p in self.lines:
                    off = self.lines[p]
                    return off if self.line is None else self.line + off - 1
                if not p:
                    break
                p = p.rsplit("/", 1)[0]
        return self.line


def read_documents(path: Path, display: str, limits: Limits) -> tuple[list[RawDocument], bytes]:
    """Parse one file into raw documents, enforcing limits. Raises ``_Fail``."""
    docs, raw = iter_documents(path, display, limits)
    return list(docs), raw


def iter_documents(path: Path, display: str, limits: Limits) -> tuple[Iterable[RawDocument], bytes]:
    """``read_documents``, but JSONL lines are parsed lazily as the caller iterates (which may
    also raise ``_Fail``), so a large stream is never held parsed in memory at once."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise _Fail(Problem(display, f"cannot read: {exc.strerror}", "check the path")) from None
    if size > limits.max_file_bytes:
        raise _over_limit(
            display,
            "max_file_bytes",
            f"file is {size / 1048576:.1f} MB, over the {limits.max_file_bytes / 1048576:.0f} MB limit",
            "split it (JSONL for large report streams)",
        )
    raw = path.read_bytes()
    if not raw.strip():
        raise _Fail(
            Problem(
                display,
                "file is empty",
                "write a document starting with 'document: report' (or treaty, commitment)",
                code="empty",
            )
        )
    if b"\x00" in raw:
        raise _Fail(
            Problem(
                display,
                "binary file, not text",
                "give a YAML, JSON or JSONL text file",
                code="binary",
            )
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _Fail(
            Problem(
                display,
                f"not UTF-8 text (byte {exc.start})",
                "save the file as UTF-8",
                code="binary",
            )
        ) from None
    suffix = path.suffix.lower()
    docs: list[RawDocument] = []
    if suffix == ".jsonl":
        return _jsonl_documents(raw, display, limits), raw
    if suffix == ".json":
        docs.append(_parse_json(text, display, limits, line=None))
    else:
        for data, lines in _yaml_documents(text, display, limits, want_lines=True):
            docs.append(RawDocument(data, display, None, None, lines))
        if not docs:
            raise _Fail(
                Problem(display, "file holds no document", "write a document", code="empty")
            )
    return docs, raw


def _jsonl_documents(raw: bytes, display: str, limits: Limits) -> Iterator[RawDocument]:
    """One document per non-blank line, split on bytes (a JSON string may hold U+2028, which
    ``str.splitlines`` would split on), each with its byte span for reading it back later."""
    offset = 3 if raw.startswith(b"\xef\xbb\xbf") else 0
    for i, chunk in enumerate(raw[offset:].split(b"\n"), start=1):
        start, offset = offset, offset + len(chunk) + 1
        line = chunk.decode("utf-8")  # the whole file was decoded already: this cannot fail
        if not line.strip():
            continue
        doc = _parse_json(line, display, limits, line=i)
        doc.span = (start, len(chunk))
        yield doc


def _parse_json(text: str, display: str, limits: Limits, line: int | None) -> RawDocument:
    try:
        data = json.loads(
            text, object_pairs_hook=_no_dup_pairs(display), parse_constant=_reject_constant
        )
    except json.JSONDecodeError as exc:
        ln = exc.lineno if line is None else line
        raise _Fail(
            Problem(
                display,
                f"malformed JSON: {exc.msg} (column {exc.colno})",
                "fix the JSON syntax at this line",
                line=ln,
                code="json-syntax",
            )
        ) from None
    except RecursionError:
        raise _over_limit(
            display,
            "max_depth",
            f"nested deeper than {limits.max_depth} levels",
            "flatten the document",
            line=line,
        ) from None
    except ValueError as exc:
        raise _Fail(
            Problem(
                display,
                f"malformed JSON: {exc}",
                "write plain JSON numbers",
                line=line,
                code="json-number",
            )
        ) from None
    except _Fail as f:
        raise _Fail(
            Problem(
                f.problem.file, f.problem.message, f.problem.fix, line=line, code=f.problem.code
            )
        ) from None
    if not plainly_within_limits(text, limits):
        _check_json_value(data, display, limits, line)
    return RawDocument(data, display, line, text if line is None else None)


# --------------------------------------------------------------------------------------------
# Validation


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


def _iter_schema_errors(data: Any, document: str) -> Iterator[jsonschema.ValidationError]:
    """Schema errors; a report's records are dispatched on their kind (the published schema's
    oneOf over every kind gives the same verdict, but slowly and with vaguer messages)."""
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
def _fast_validator(document: str) -> Any:
    """jsonschema-rs on the same published schema: it only says valid or not, ~80 times faster
    than ``jsonschema``, which then runs on invalid documents alone for its detailed errors.

    It checks formats (``date``, ``date-time``), which ``jsonschema`` does only with optional
    packages, so it is never laxer; the models validate every document afterwards anyway.
    """
    return jsonschema_rs.validator_for(published_schema(document), validate_formats=True)


def _schema_problems(doc: RawDocument, document: str) -> list[Problem]:
    try:
        if _fast_validator(document).is_valid(doc.data):
            return []
    except (ValueError, TypeError, OverflowError):
        pass  # not plain JSON data (e.g. a YAML mapping with a number as key): the slow path says why
    problems: list[Problem] = []
    first = list(itertools.islice(_iter_schema_errors(doc.data, document), 200))
    for err in sorted(first, key=lambda e: list(map(str, e.absolute_path))):
        for e in _leaf_errors(err, doc.data):
            ptr = "".join(f"/{_ptr_escape(p)}" for p in e.absolute_path)
            if e.validator == "additionalProperties" and isinstance(e.instance, dict):
                extra = sorted(set(e.instance) - set(_props(e)))
                if extra:
                    ptr += f"/{_ptr_escape(extra[0])}"
            msg, fix = _describe(e)
            problems.append(
                Problem(doc.file, msg, fix, line=doc.line_of(ptr), pointer=ptr, code="schema")
            )
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


def _leaf_errors(err: jsonschema.ValidationError, data: Any) -> list[jsonschema.ValidationError]:
    """Descend into oneOf/anyOf errors, keeping the branch the document meant."""
    if err.validator not in ("oneOf", "anyOf") or not err.context:
        return [err]
    instance = err.instance
    branches: dict[int, list[jsonschema.ValidationError]] = {}
    for sub in err.context:
        branches.setdefault(int(sub.schema_path[0]), []).append(sub)
    if isinstance(instance, dict) and "kind" in instance and isinstance(instance.get("kind"), str):
        kind = instance["kind"]
        if kind not in RECORD_MODELS:
            err.message = f"unknown record kind {kind!r}"
            err.validator = "x-kind"
            return [err]
        keep = [
            subs
            for subs in branches.values()
            if not any(list(s.relative_path) == ["kind"] for s in subs)
        ]
        if len(keep) == 1:
            out: list[jsonschema.ValidationError] = []
            for s in keep[0]:
                out.extend(_leaf_errors(s, data))
            return out
    # pick the branch with the fewest errors that go deepest
    best = min(branches.values(), key=lambda subs: (len(subs), -max(len(s.path) for s in subs)))
    if all(len(s.relative_path) == 0 and s.validator == "type" for s in best):
        wanted = [
            s.validator_value
            for subs in branches.values()
            for s in subs
            if s.validator == "type" and s.validator_value != "null"
        ]
        if wanted:
            err.validator = "type"
            err.validator_value = " or ".join(dict.fromkeys(str(w) for w in wanted))
        return [err]
    out2: list[jsonschema.ValidationError] = []
    for s in best:
        out2.extend(_leaf_errors(s, data))
    return out2


def _props(e: jsonschema.ValidationError) -> list[str]:
    schema = e.schema if isinstance(e.schema, dict) else {}
    return list(schema.get("properties", {}))


def _describe(e: jsonschema.ValidationError) -> tuple[str, str]:
    v = e.validator
    if v == "x-kind":
        return e.message, "use one of the record kinds: " + ", ".join(sorted(RECORD_MODELS))
    if v == "additionalProperties":
        inst: Any = e.instance
        extra = sorted(set(inst) - set(_props(e)))
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
        want = e.validator_value
        return f"{_short(e.instance)} is not of type {want}", f"write a {want} here"
    if v == "format":
        fmt = e.validator_value
        hint = {
            "date": "write a real date as YYYY-MM-DD",
            "date-time": "write a timestamp with time zone, e.g. 2028-01-20T09:00:00Z",
        }.get(str(fmt), f"write a valid {fmt}")
        return f"{_short(e.instance)} is not a valid {fmt}", hint
    if v in ("enum", "const"):
        value: Any = e.validator_value
        opts: list[Any] = list(value) if v == "enum" else [value]
        return f"{_short(e.instance)} is not allowed here", "use one of: " + ", ".join(
            map(str, opts)
        )
    if v == "pattern":
        return (
            f"{_short(e.instance)} does not have the expected form",
            f"match the pattern {e.validator_value}",
        )
    if v in ("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum"):
        return f"{_short(e.instance)} is out of range", f"{v} is {e.validator_value}"
    if v in ("minItems", "minLength"):
        return "value is empty or too short", f"give at least {e.validator_value}"
    if v in ("oneOf", "anyOf"):
        return (
            f"{_short(e.instance)} matches none of the allowed forms",
            "see the schema for this field",
        )
    return e.message, "see the schema for this field"


def _short(x: Any) -> str:
    s = json.dumps(x, ensure_ascii=False, default=str)
    return s if len(s) <= 40 else s[:37] + "..."


def _pydantic_problems(doc: RawDocument, exc: ValidationError) -> list[Problem]:
    out = []
    for err in exc.errors(include_url=False):
        loc = list(err["loc"])
        # pydantic puts the union tag into loc for discriminated unions: drop it
        cleaned: list[str | int] = []
        for i, p in enumerate(loc):
            if isinstance(p, str) and i > 0 and isinstance(loc[i - 1], int) and p in RECORD_MODELS:
                continue
            if isinstance(p, str) and (
                p.startswith("function-") or p in ("ClassifyRule", "DeadlineRule", "PeriodicRule")
            ):
                continue
            cleaned.append(p)
        ptr = "".join(f"/{_ptr_escape(p)}" for p in cleaned)
        msg = err["msg"].removeprefix("Value error, ")
        fix = {
            "date_from_datetime_parsing": "write a real date as YYYY-MM-DD",
            "date_parsing": "write a real date as YYYY-MM-DD",
            "timezone_aware": "add a time zone, e.g. Z or +02:00",
            "extra_forbidden": "remove the field or fix its spelling",
            "missing": "add the field",
        }.get(err["type"], "correct the value")
        if err["type"] == "value_error" and "(" not in msg:
            fix = "correct the document as the message says"
        out.append(Problem(doc.file, msg, fix, line=doc.line_of(ptr), pointer=ptr, code="model"))
    return out


def validate_document(doc: RawDocument) -> BaseModel:
    """Validate one raw document: schema first (pointer and line), then the model."""
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
    model = DOCUMENT_MODELS[kind]
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InputError(_pydantic_problems(doc, exc)) from None


def sha256_bytes(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode
"""``json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)``, without
building an encoder for each of a million records."""


def canonical_hash(value: Any) -> str:
    return hashlib.sha256(_CANONICAL(value).encode("utf-8")).hexdigest()


def iter_input_files(paths: Iterable[str | Path]) -> Iterator[tuple[Path, str]]:
    """Expand files and folders (recursively, sorted) into (path, display name)."""
    for p in paths:
        path = Path(p)
        if path.is_dir():
            for sub in sorted(path.rglob("*")):
                if (
                    sub.is_file()
                    and sub.suffix.lower() in EXTENSIONS
                    and not any(part.startswith(".") for part in sub.relative_to(path).parts)
                ):
                    yield sub, _display(sub)
        elif path.is_file():
            yield path, _display(path)
        else:
            raise InputError(
                [Problem(str(p), "no such file or folder", "check the path", code="not-found")]
            )


def _display(path: Path) -> str:
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return str(path)
    return rel if not rel.startswith("..") else str(path)


def load_paths(
    paths: Sequence[str | Path],
    limits: Limits = DEFAULT_LIMITS,
    *,
    bundle: Bundle | None = None,
    stream: bool = False,
    jobs: int = 1,
) -> Bundle:
    """Load and validate every document under ``paths`` into a bundle.

    All problems in all files are collected before raising ``InputError`` (or ``LimitExceeded``
    if any of them is a limit). With ``stream``, reports in JSONL files are validated and then
    left on disk (``Bundle.streamed``): the caller reads them back one party at a time. With
    ``stream`` and ``jobs`` > 1, JSONL files are validated in that many processes; the bundle,
    and every problem and its order, are the same as with one.
    """
    b = bundle if bundle is not None else Bundle()
    problems: list[Problem] = []
    limit_hit = False
    files = list(iter_input_files(paths))
    scanned: dict[Path, _FileLoad] = {}
    if stream and jobs > 1:
        scanned = _scan_in_processes([f for f in files if f[0].suffix == ".jsonl"], limits, jobs)
    for path, display in files:
        done = scanned.get(path)
        if done is None or done.other_documents:
            done = _load_file(b, path, display, limits, stream)
        else:
            b.streamed.extend(done.streamed)
        if done.digest is not None:
            b.inputs.append(done.digest)
        problems.extend(done.problems)
        limit_hit = limit_hit or done.limit_hit
    if problems:
        raise (LimitExceeded if limit_hit else InputError)(problems)
    return b


@dataclass
class _FileLoad:
    """What loading one file added: its digest, streamed reports and problems."""

    digest: InputDigest | None
    streamed: list[StreamedReport]
    problems: list[Problem]
    limit_hit: bool
    other_documents: bool = False
    """The file held documents other than streamed reports (a worker then leaves it to the
    main process, which keeps the bundle's commitments and treaties in file order)."""


def _load_file(b: Bundle, path: Path, display: str, limits: Limits, stream: bool) -> _FileLoad:
    """Load one file into ``b``."""
    problems: list[Problem] = []
    try:
        docs, raw = iter_documents(path, display, limits)
    except _Fail as f:
        return _FileLoad(None, [], [f.problem], f.limit)
    limit_hit = False
    other = False
    first_streamed = len(b.streamed)
    kinds: set[str] = set()
    it = iter(docs)
    while True:
        try:
            doc = next(it, None)
        except _Fail as f:  # a malformed JSONL line ends that file
            problems.append(f.problem)
            limit_hit = limit_hit or f.limit
            break
        if doc is None:
            break
        try:
            model = validate_document(doc)
        except InputError as exc:
            problems.extend(exc.problems)
            continue
        if isinstance(model, Report) and len(model.records) > limits.max_records:
            problems.append(
                _over_limit(
                    display,
                    "max_records",
                    f"report has {len(model.records)} records, over the limit of {limits.max_records}",
                    "split the report",
                    line=doc.line,
                    pointer="/records",
                ).problem
            )
            limit_hit = True
            continue
        if stream and isinstance(model, Report) and doc.span is not None:
            kinds.add(_add_streamed(b, model, doc, path, raw, problems))
            continue
        other = True
        kinds.add(_add_model(b, model, doc, problems))
    digest = InputDigest(
        path=display, document="+".join(sorted(kinds)) or "none", sha256=sha256_bytes(raw)
    )
    return _FileLoad(digest, b.streamed[first_streamed:], problems, limit_hit, other)


def _scan_in_processes(
    files: list[tuple[Path, str]], limits: Limits, jobs: int
) -> dict[Path, _FileLoad]:
    """``_load_file`` of each JSONL file with ``stream``, in ``jobs`` processes (largest files
    first, each to the least loaded process)."""
    if len(files) < 2:
        return {}
    from engine.load.workers import run_in_workers

    shares: list[list[tuple[Path, str]]] = [[] for _ in range(jobs)]
    load = [0] * jobs
    for f in sorted(files, key=lambda f: (-_size(f[0]), f[1])):
        k = load.index(min(load))
        shares[k].append(f)
        load[k] += _size(f[0])
    work = [(share, limits) for share in shares if share]
    out: dict[Path, _FileLoad] = {}
    for res in run_in_workers(_scan_worker, work, jobs):
        out.update(res)
    return out


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _scan_worker(args: tuple[list[tuple[Path, str]], Limits]) -> dict[Path, _FileLoad]:
    files, limits = args
    out = {}
    for path, display in files:
        done = _load_file(Bundle(), path, display, limits, True)
        if done.other_documents:  # left to the main process: models stay where they are
            done = _FileLoad(None, [], [], False, True)
        out[path] = done
    return out


def _record_hashes(data: Any) -> dict[str, str]:
    """The digest of each record as submitted, by record id."""
    raw_records = data.get("records", []) if isinstance(data, dict) else []
    return {rec.get("id"): canonical_hash(rec) for rec in raw_records}


def _duplicate_record_ids(model: Report, doc: RawDocument) -> list[Problem]:
    seen: set[str] = set()
    out = []
    for i, rec in enumerate(model.records):
        if rec.id in seen:
            out.append(
                Problem(
                    doc.file,
                    f"record id {rec.id!r} appears twice in report {model.id}",
                    "give each record in a report a unique id",
                    line=doc.line_of(f"/records/{i}/id"),
                    pointer=f"/records/{i}/id",
                    code="duplicate-id",
                )
            )
        seen.add(rec.id)
    return out


def _add_streamed(
    b: Bundle, model: Report, doc: RawDocument, path: Path, raw: bytes, problems: list[Problem]
) -> str:
    assert doc.span is not None and doc.line is not None
    problems.extend(_duplicate_record_ids(model, doc))
    off, length = doc.span
    b.streamed.append(
        StreamedReport(
            model.id,
            model.subject_party,
            model.source_party,
            path,
            doc.file,
            doc.line,
            off,
            length,
            hashlib.sha256(raw[off : off + length]).hexdigest(),
        )
    )
    return "report"


def _add_model(b: Bundle, model: BaseModel, doc: RawDocument, problems: list[Problem]) -> str:
    if isinstance(model, Commitment):
        if model.id in b.commitments:
            problems.append(
                Problem(
                    doc.file,
                    f"commitment {model.id} is also defined in {b.commitment_paths[model.id]}",
                    "give each commitment a unique id, or pass only one of the two files",
                    line=doc.line_of("/id"),
                    pointer="/id",
                    code="duplicate-id",
                )
            )
        else:
            b.commitments[model.id] = model
            b.commitment_paths[model.id] = doc.file
        return "commitment"
    if isinstance(model, TreatyState):
        b.treaties.append((model, doc.file))
        if b.treaty is None:
            b.treaty, b.treaty_path = model, doc.file
        return "treaty"
    if isinstance(model, Report):
        problems.extend(_duplicate_record_ids(model, doc))
        b.reports.append(LoadedReport(model, doc.file, _record_hashes(doc.data)))
        return "report"
    if isinstance(model, FindingsDocument):
        b.findings.append((model, doc.file))
        return "findings"
    raise AssertionError(type(model))


def kind_conflicts(reports: Iterable[LoadedReport]) -> list[Problem]:
    """A record id used for two kinds in reports about the same party (always an input error:
    the versions of a record are merged by id)."""
    problems: list[Problem] = []
    kinds: dict[tuple[str, str], tuple[str, str]] = {}
    for lr in reports:
        for i, rec in enumerate(lr.report.records):
            key = (lr.report.subject_party, rec.id)
            prev = kinds.get(key)
            if prev and prev[0] != rec.kind:
                problems.append(
                    Problem(
                        lr.path,
                        f"record {rec.id} is a {rec.kind} here but a {prev[0]} in {prev[1]}",
                        "use distinct ids for distinct records",
                        pointer=f"/records/{i}/kind",
                        code="kind-conflict",
                    )
                )
            kinds.setdefault(key, (rec.kind, lr.path))
    return problems


def cross_check(
    b: Bundle,
    *,
    require_treaty: bool = False,
    known_commitments: Mapping[str, Commitment] | None = None,
) -> None:
    """Checks across documents: unique ids, references that must exist, consistent kinds.

    ``known_commitments`` (default: the bundle's) is where commitment references may point.
    """
    known = known_commitments if known_commitments is not None else b.commitments
    problems: list[Problem] = []
    report_ids: dict[str, str] = {}
    heads = [
        (lr.report.id, lr.report.subject_party, lr.report.source_party, lr.path) for lr in b.reports
    ]
    heads += [(s.id, s.subject_party, s.source_party, s.path) for s in b.streamed]
    for rid, _subject, _source, path in heads:
        if rid in report_ids:
            problems.append(
                Problem(
                    path,
                    f"report id {rid!r} is also used in {report_ids[rid]}",
                    "give each report a unique id",
                    pointer="/id",
                    code="duplicate-id",
                )
            )
        report_ids.setdefault(rid, path)
    if require_treaty and b.treaty is None:
        problems.append(
            Problem(
                "<inputs>",
                "no treaty document among the inputs",
                "add the treaty-state file (document: treaty) to the paths",
                code="no-treaty",
            )
        )
    for treaty, tp in b.treaties or ([(b.treaty, b.treaty_path or "<treaty>")] if b.treaty else []):
        for i, cid in enumerate(treaty.commitments):
            if cid not in known:
                problems.append(
                    Problem(
                        tp,
                        f"commitment {cid} is in force but not defined",
                        "add its commitment file, pass --commitments, or remove it from the list",
                        pointer=f"/commitments/{i}",
                        code="unknown-commitment",
                    )
                )
        codes = {p.code for p in treaty.parties}
        for _rid, subject, source, path in heads:
            for field_name, code in (("subject_party", subject), ("source_party", source)):
                if code is not None and code not in codes and treaty.parties:
                    problems.append(
                        Problem(
                            path,
                            f"{field_name} {code} is not a party of the treaty",
                            "add the party to the treaty state, or fix the code",
                            pointer=f"/{field_name}",
                            code="unknown-party",
                        )
                    )
    problems.extend(kind_conflicts(b.reports))  # streamed reports: checked party by party
    # commitments: evidence_from references
    for cid, c in b.commitments.items():
        path = b.commitment_paths.get(cid, cid)
        for j, ref in enumerate(c.verification.evidence_from):
            if ref not in known:
                problems.append(
                    Problem(
                        path,
                        f"evidence_from names {ref}, which is not defined",
                        "name an existing commitment",
                        pointer=f"/verification/evidence_from/{j}",
                        code="unknown-commitment",
                    )
                )
    if problems:
        raise InputError(problems)
