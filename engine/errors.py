"""Errors raised by treaty-engine.

Hierarchy::

    TreatyEngineError
    ├── InputError            a document the user gave cannot be used (exit code 3)
    │   └── LimitExceeded     a configurable safety limit was hit
    ├── CompileError          a commitment's rule cannot be compiled (reported as invalid input)
    ├── UsageError            the command was called wrongly (exit code 2)
    └── EngineFault           the rules engine misbehaved; never a user's fault (exit code 4)

Every error renders as one line: ``file:line: pointer: message (how to fix)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field


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
        code: stable kebab-case code of the failure mode.
    """

    file: str
    message: str
    fix: str
    line: int | None = None
    pointer: str = ""
    code: str = "invalid"

    def render(self) -> str:
        """Render as ``file:line: pointer: message (fix)`` on a single line."""
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        ptr = self.pointer or "/"
        text = f"{where}: {ptr}: {self.message} ({self.fix})"
        return " ".join(text.split())

    def as_dict(self) -> dict[str, object]:
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
        return "\n".join(p.render() for p in self.problems)


class LimitExceeded(InputError):
    """An input exceeds a configurable safety limit."""


class CompileError(TreatyEngineError, ValueError):
    """A rule cannot be compiled: names the commitment, the rule, where and the fix."""

    def __init__(self, commitment: str, rule: str | None, pointer: str, message: str, fix: str):
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
