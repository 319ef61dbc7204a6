"""Errors raised by treaty-engine, and the problems they carry.

Hierarchy::

    TreatyEngineError
    ├── InputError            a document the user gave cannot be used (exit code 3)
    │   └── LimitExceeded     a configurable safety limit was hit
    ├── CompileError          a commitment's rule cannot be compiled (reported as invalid input)
    ├── UsageError            the command was called wrongly (exit code 2)
    └── EngineFault           the rules engine misbehaved; never a user's fault (exit code 4)

An ``InputError`` carries ``Problem``s; each renders as one line,
``file:line: pointer: message (how to fix)``, and has a stable code (``ProblemCode``) explained
in ``docs/errors.md``.

This module imports nothing from the engine: every layer may import it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

ProblemCode = Literal[
    # reading files
    "invalid",
    "not-found",
    "empty",
    "binary",
    "bad-text",
    # YAML
    "yaml-syntax",
    "yaml-tag",
    "yaml-recursive",
    "yaml-merge",
    "yaml-key",
    "yaml-value",
    "yaml-number",
    "duplicate-key",
    # JSON
    "json-syntax",
    "json-number",
    # safety limits
    "limit-file-size",
    "limit-depth",
    "limit-nodes",
    "limit-string",
    "limit-records",
    # one document
    "not-a-mapping",
    "document-type",
    "schema",
    "model",
    "rule",
    # across documents
    "duplicate-id",
    "duplicate-treaty",
    "no-treaty",
    "no-parties",
    "unknown-commitment",
    "unknown-party",
    "kind-conflict",
    # reading back and re-deriving
    "changed",
    "not-findings",
    "ambiguous-treaty",
    # signed documents and keys (engine/ingest/signing.py, keyfile.py, origin.py)
    "envelope-json",
    "envelope-field",
    "envelope-base64",
    "envelope-signature",
    "envelope-signers",
    "envelope-unsigned",
    "payload-type",
    "payload-not-document",
    "signature-invalid",
    "signature-unknown-key",
    "signature-key-not-yet-valid",
    "signature-key-expired",
    "signature-key-revoked",
    "key-file-exists",
    "key-file-format",
    "key-file-mode",
    "key-file-read",
    "key-file-write",
    "origin-claim",
    "origin-evidence-level",
    "origin-signer",
    "sign-format",
    "envelope-other-bytes",
    "unsigned-document",
]
"""Every code a ``Problem`` may have; ``docs/errors.md`` explains each in one line."""


class TreatyEngineError(Exception):
    """Base class of every error the engine raises on purpose."""


@dataclass(frozen=True)
class Problem:
    """One problem found in an input document.

    Attributes:
        file: path of the document as the user gave it.
        line: 1-based line of the offending value, when known.
        pointer: JSON pointer to the offending value ("" for the whole document).
        message: what is wrong.
        fix: how to fix it, in words a non-programmer can act on.
        code: stable kebab-case code of the failure mode (``ProblemCode``).
    """

    file: str
    message: str
    fix: str
    line: int | None = None
    pointer: str = ""
    code: ProblemCode = "invalid"

    def render(self) -> str:
        """Render as ``file:line: pointer: message (fix)`` on a single line."""
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        ptr = self.pointer or "/"
        text = f"{where}: {ptr}: {self.message} ({self.fix})"
        return " ".join(text.split())

    def as_dict(self) -> dict[str, object]:
        """The problem as JSON data (``treaty validate --format json``)."""
        return {
            "file": self.file,
            "line": self.line,
            "pointer": self.pointer or "/",
            "code": self.code,
            "message": self.message,
            "fix": self.fix,
        }


@dataclass
class InputError(TreatyEngineError):
    """One or more input documents are invalid."""

    problems: list[Problem] = field(default_factory=list)

    def __str__(self) -> str:
        """Every problem, one a line."""
        return "\n".join(p.render() for p in self.problems)


class LimitExceeded(InputError):
    """An input exceeds a configurable safety limit."""


class CompileError(TreatyEngineError, ValueError):
    """A rule cannot be compiled: names the commitment, the rule, where and the fix."""

    def __init__(self, commitment: str, rule: str | None, pointer: str, message: str, fix: str):
        """Name the commitment, its rule (None for the commitment as a whole) and where."""
        super().__init__(message)
        self.commitment = commitment
        self.rule = rule
        self.pointer = pointer
        self.message = message
        self.fix = fix


class UsageError(TreatyEngineError):
    """The command line or API was used wrongly."""


class EngineFault(TreatyEngineError):
    """durable_rules misbehaved in a way the adapter could not recover from."""
