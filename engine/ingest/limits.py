"""Safety limits on untrusted input, and the checks every parser shares.

``Limits`` bounds the file size, nesting depth, values per document (after YAML alias expansion),
string length and records per report; each limit has a CLI option that raises it.
``limit_exceeded`` is the one place that turns a limit hit into a problem: its fix names the
remedy and that option. Text that cannot be encoded (an unpaired surrogate) and JSON pointers to
the offending value are shared by the YAML and JSON parsers too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

from engine.errors import LimitExceeded, Problem, ProblemCode

LimitName = Literal["max_file_bytes", "max_depth", "max_nodes", "max_string", "max_records"]


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

    OPTION: ClassVar[dict[LimitName, str]] = {
        "max_file_bytes": "--max-file-mb",
        "max_depth": "--max-depth",
        "max_nodes": "--max-nodes",
        "max_string": "--max-string",
        "max_records": "--max-records",
    }
    """The CLI option that sets each limit."""


DEFAULT_LIMITS = Limits()

_CODES: dict[LimitName, ProblemCode] = {
    "max_file_bytes": "limit-file-size",
    "max_depth": "limit-depth",
    "max_nodes": "limit-nodes",
    "max_string": "limit-string",
    "max_records": "limit-records",
}


def limit_exceeded(
    file: str,
    limit: LimitName,
    message: str,
    remedy: str,
    *,
    line: int | None = None,
    pointer: str = "",
) -> LimitExceeded:
    """The error for a limit of ``Limits`` exceeded: its fix names the remedy and the option.

    Args:
        file: the document, as displayed.
        limit: which limit was exceeded.
        message: what is too large, with the limit's value.
        remedy: how to make the input smaller ("or raise the limit with --max-..." is added).
        line: the line of the offending value, when known.
        pointer: the JSON pointer to the offending value.
    """
    return LimitExceeded(
        [
            Problem(
                file,
                message,
                f"{remedy} or raise the limit with {Limits.OPTION[limit]}",
                line=line,
                pointer=pointer,
                code=_CODES[limit],
            )
        ]
    )


def too_deep(
    file: str, limits: Limits, *, line: int | None = None, pointer: str = ""
) -> LimitExceeded:
    """The error for a document nested deeper than ``limits.max_depth``."""
    return limit_exceeded(
        file,
        "max_depth",
        f"nested deeper than {limits.max_depth} levels",
        "flatten the document",
        line=line,
        pointer=pointer,
    )


def too_long(
    file: str,
    what: Literal["string", "key"],
    length: int,
    limits: Limits,
    *,
    line: int | None,
    pointer: str,
) -> LimitExceeded:
    """The error for a string or a mapping key longer than ``limits.max_string``."""
    return limit_exceeded(
        file,
        "max_string",
        f"a {what} of {length} characters is longer than {limits.max_string}",
        "shorten it",
        line=line,
        pointer=pointer,
    )


def escape_pointer(part: str | int) -> str:
    """One reference token of a JSON pointer (RFC 6901: ``~`` and ``/`` escaped)."""
    return str(part).replace("~", "~0").replace("/", "~1")


def encodable(text: str) -> bool:
    """Whether ``text`` is real text: an unpaired surrogate (from an escape) is not."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def unpaired_surrogate(file: str, pointer: str, line: int | None) -> Problem:
    """The problem for a string that is not ``encodable``."""
    return Problem(
        file,
        "text contains an unpaired surrogate escape (e.g. \\ud800), which is not a character",
        "remove the escape or write the character itself",
        line=line,
        pointer=pointer,
        code="bad-text",
    )
