"""Input files: finding them, reading them into raw documents, and hashing them.

``iter_input_files`` expands files and folders into the files to read (YAML, JSON and JSONL,
hidden ones skipped). ``read_documents`` checks a file's size and text and parses it into
``RawDocument``s: YAML and JSON files at once, JSONL lazily line by line (``iter_documents``).
The sha256 of each input file is recorded in findings, and ``canonical_hash`` digests each
record as submitted.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.errors import InputError, Problem, ProblemCode
from engine.ingest.json import json_line_map, jsonl_lines, parse_json
from engine.ingest.limits import Limits, limit_exceeded
from engine.ingest.yaml import yaml_documents

EXTENSIONS = (".yaml", ".yml", ".json", ".jsonl")
"""The files read in a folder given as input."""


def package_dir() -> Path:
    """The ``engine`` package folder (its data folders may be next to it in a checkout)."""
    return Path(__file__).resolve().parents[1]


def bundled_commitments_dir() -> Path:
    """The commitment library shipped with the package (or the checkout's ``commitments/``).

    Raises:
        FileNotFoundError: the installation has no library.
    """
    for cand in (package_dir() / "commitments", package_dir().parent / "commitments"):
        if cand.is_dir():
            return cand
    raise FileNotFoundError("the bundled commitment library is missing from this installation")


def iter_input_files(paths: Iterable[str | Path]) -> Iterator[tuple[Path, str]]:
    """Expand files and folders (recursively, sorted) into (path, display name).

    Raises:
        InputError: a path is neither a file nor a folder.
    """
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
    """The path relative to the working directory if it is below it, else as given."""
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return str(path)
    return rel if not rel.startswith("..") else str(path)


@dataclass
class RawDocument:
    """One parsed (not yet validated) document and where it came from."""

    data: Any
    file: str
    line: int | None
    """The line the document starts on (JSONL), else None."""
    text: str | None
    """The source text of a JSON file, to place problems on lines when one is found."""
    lines: dict[str, int] | None = None
    """pointer -> line, relative to ``line`` (YAML: filled when parsed; JSON: when needed)."""
    span: tuple[int, int] | None = None
    """(byte offset, length) of a JSONL line in its file."""

    def line_of(self, pointer: str) -> int | None:
        """The line of the value at ``pointer``, or of its nearest ancestor with a known line."""
        if self.lines is None and self.text is not None:
            self.lines = json_line_map(self.text)
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
    """Parse one file into raw documents, enforcing limits; also return its bytes.

    Raises:
        InputError: the file cannot be read or parsed (``LimitExceeded`` for a limit); one
            problem.
    """
    docs, raw = iter_documents(path, display, limits)
    return list(docs), raw


def iter_documents(path: Path, display: str, limits: Limits) -> tuple[Iterable[RawDocument], bytes]:
    """``read_documents``, but JSONL lines are parsed lazily as the caller iterates.

    A large stream is then never held parsed in memory at once; iterating may raise
    ``InputError`` too, for a malformed line.
    """
    raw = read_file_bytes(path, display, limits)
    return parse_bytes(raw, display, limits, path.suffix.lower()), raw


def parse_bytes(raw: bytes, display: str, limits: Limits, suffix: str) -> Iterable[RawDocument]:
    """The documents of ``raw``, parsed as a file ending in ``suffix`` (JSONL lines lazily).

    Used for the bytes of a file and for the payload of a signed envelope.

    Raises:
        InputError: the bytes are empty, binary or not UTF-8, or cannot be parsed.
    """
    _check_text(raw, display)
    text = _decode(raw, display)
    if suffix == ".jsonl":
        return _jsonl_documents(raw, display, limits)
    if suffix == ".json":
        return [RawDocument(parse_json(text, display, limits, None), display, None, text)]
    docs = [
        RawDocument(data, display, None, None, lines)
        for data, lines in yaml_documents(text, display, limits, want_lines=True)
    ]
    if not docs:
        raise _unusable(display, "file holds no document", "write a document", "empty")
    return docs


def _unusable(file: str, message: str, fix: str, code: ProblemCode) -> InputError:
    return InputError([Problem(file, message, fix, code=code)])


def read_file_bytes(path: Path, display: str, limits: Limits) -> bytes:
    """The file's bytes, if it is not over the size limit.

    Raises:
        InputError: the file cannot be read (``LimitExceeded``: it is over the limit).
    """
    try:
        size = path.stat().st_size
        if size > limits.max_file_bytes:
            raise limit_exceeded(
                display,
                "max_file_bytes",
                f"file is {size / 1048576:.1f} MB, over the {limits.max_file_bytes / 1048576:.0f} MB limit",
                "split it (JSONL for large report streams)",
            )
        raw = path.read_bytes()  # listed is not readable: permissions, a file gone meanwhile
    except OSError as exc:
        raise _unusable(
            display, f"cannot read: {exc.strerror}", "check the path", "invalid"
        ) from None
    return raw


def _check_text(raw: bytes, display: str) -> None:
    """Refuse bytes that are empty or binary."""
    if not raw.strip():
        raise _unusable(
            display,
            "file is empty",
            "write a document starting with 'document: report' (or treaty, commitment)",
            "empty",
        )
    if b"\x00" in raw:
        raise _unusable(
            display, "binary file, not text", "give a YAML, JSON or JSONL text file", "binary"
        )


def _decode(raw: bytes, display: str) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _unusable(
            display, f"not UTF-8 text (byte {exc.start})", "save the file as UTF-8", "binary"
        ) from None


def _jsonl_documents(raw: bytes, display: str, limits: Limits) -> Iterator[RawDocument]:
    """One document per non-blank line, each with its byte span for reading it back later."""
    for number, offset, length, text in jsonl_lines(raw):
        doc = RawDocument(parse_json(text, display, limits, number), display, number, None)
        doc.span = (offset, length)
        yield doc


def sha256_bytes(raw: bytes) -> str:
    """The sha256 of ``raw``, in hex (the digest findings record for each input file)."""
    return hashlib.sha256(raw).hexdigest()


_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode
"""``json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)``, without
building an encoder for each of a million records."""


def canonical_hash(value: Any) -> str:
    """The sha256 of ``value`` as canonical JSON (sorted keys, no spaces): a record's digest."""
    return hashlib.sha256(_CANONICAL(value).encode("utf-8")).hexdigest()
