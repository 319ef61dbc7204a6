"""What lint reads: the documents given, placed in the treaty they belong to.

Inputs are commitment documents (files or folders). A treaty document among them supplies
``vague_terms`` and ``mission_pillars`` and makes the inputs the whole treaty; without one, the
bundled library is the *context*: its treaty state, and its commitments wherever a check looks
across commitments (who reports a record kind, which terms are defined, evidence_from targets).
Findings are only reported on the documents given.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from engine.errors import InputError, Problem
from engine.ingest import (
    DEFAULT_LIMITS,
    Limits,
    RawDocument,
    bundled_commitments_dir,
    iter_input_files,
    read_documents,
    validate_document,
)
from engine.model.commitment import Commitment, TreatyState
from engine.negotiate.lint.catalogue import LintFinding


@dataclass
class LintDoc:
    """A validated document with its line map."""

    model: Commitment | TreatyState
    raw: RawDocument
    file: str

    def line_of(self, pointer: str) -> int | None:
        """The line of the value at a JSON pointer (None when the map has no line for it)."""
        return self.raw.line_of(pointer)

    def finding(
        self, code: str, pointer: str, message: str, fix: str = "", *, line: int | None = None
    ) -> LintFinding:
        """A finding about this document, at ``line`` or else the line of ``pointer``."""
        cid = self.model.id if isinstance(self.model, Commitment) else None
        where = self.line_of(pointer) if line is None else line
        return LintFinding(code, message, self.file, where, pointer, cid, fix)


@dataclass
class LintInput:
    """What lint looks at: the documents given, and the context they are read in."""

    commitments: dict[str, LintDoc] = field(default_factory=dict)
    treaty: LintDoc | None = None
    treaty_given: bool = False
    context: dict[str, Commitment] = field(default_factory=dict)
    """Every commitment of the treaty as lint reads it: the given ones, plus the library's
    commitments with other ids when no treaty document was given."""
    file_texts: dict[str, str] = field(default_factory=dict)
    doc_starts: dict[str, list[tuple[int, str | None]]] = field(default_factory=dict)
    """Per file: (first line, commitment id) of each document, to place TODO markers."""

    @property
    def treaty_model(self) -> TreatyState | None:
        """The treaty state lint reads the commitments against (given, or the library's)."""
        t = self.treaty.model if self.treaty else None
        return t if isinstance(t, TreatyState) else None

    def text_line(self, doc: LintDoc, pointer: str, needle: str) -> int | None:
        """The line of ``needle`` inside the block of text at ``pointer`` of ``doc``."""
        return line_in_block(self.file_texts.get(doc.file), doc.line_of(pointer), needle)


def line_in_block(file_text: str | None, start: int | None, needle: str) -> int | None:
    """The line of ``needle`` in a block scalar that starts at line ``start`` (1-based)."""
    if file_text is None or start is None:
        return start
    lines = file_text.splitlines()
    words = [w for w in re.split(r"\s+", needle.strip()) if w]
    if not words:
        return start
    first = words[0].lower()
    for i in range(start - 1, min(len(lines), start + 60)):
        if first in lines[i].lower():
            return i + 1
    return start


def load_lint_inputs(
    paths: Sequence[str | Path],
    limits: Limits = DEFAULT_LIMITS,
    *,
    library: str | Path | None = None,
    _with_context: bool = True,
) -> LintInput:
    """Load and validate the documents under ``paths``.

    Reports and findings documents among them are ignored. Without a treaty document among the
    inputs, the library (default: the bundled one) supplies the treaty state and the context.

    Raises:
        InputError: a document cannot be read or is invalid, or two define one commitment.
    """
    out = LintInput()
    problems: list[Problem] = []
    for path, display in iter_input_files(paths):
        try:
            docs, raw = read_documents(path, display, limits)
        except InputError as exc:
            problems.extend(exc.problems)
            continue
        out.file_texts[display] = raw.decode("utf-8-sig", errors="replace")
        starts: list[tuple[int, str | None]] = []
        for doc in docs:
            problems.extend(_add_document(out, doc, display, starts))
        out.doc_starts[display] = sorted(starts, key=lambda s: s[0])
    if problems:
        raise InputError(problems)
    out.context = {cid: d.model for cid, d in out.commitments.items()}  # type: ignore[misc]
    # Without a treaty document, or with a treaty state but no commitment (a folder of reports
    # with its treaty state, as 'treaty check' takes it), the library is the context.
    if (out.treaty is None or not out.commitments) and _with_context:
        _add_library_context(out, library, limits)
    return out


def _add_document(
    out: LintInput, doc: RawDocument, display: str, starts: list[tuple[int, str | None]]
) -> list[Problem]:
    """Validate one document and file it under ``out`` (or say why it cannot be)."""
    try:
        model = validate_document(doc)
    except InputError as exc:
        return list(exc.problems)
    first = min(doc.lines.values()) if doc.lines else (doc.line or 1)
    if isinstance(model, Commitment):
        if model.id in out.commitments:
            return [
                Problem(
                    display,
                    f"commitment {model.id} is also defined in {out.commitments[model.id].file}",
                    "give each commitment a unique id, or lint the two files separately",
                    line=doc.line_of("/id"),
                    pointer="/id",
                    code="duplicate-id",
                )
            ]
        out.commitments[model.id] = LintDoc(model, doc, display)
        starts.append((first, model.id))
    elif isinstance(model, TreatyState):
        if out.treaty is not None:
            return [
                Problem(
                    display,
                    "a second treaty-state document among the inputs",
                    f"lint one treaty at a time (the first is {out.treaty.file})",
                    line=doc.line_of("/document"),
                    pointer="/document",
                    code="duplicate-treaty",
                )
            ]
        out.treaty = LintDoc(model, doc, display)
        out.treaty_given = True
        starts.append((first, None))
    return []


def _add_library_context(out: LintInput, library: str | Path | None, limits: Limits) -> None:
    """Read the library: its treaty state (if none was given) and its other commitments."""
    try:
        lib = Path(library) if library is not None else bundled_commitments_dir()
    except FileNotFoundError:  # an installation without the library: no context
        return
    if not lib.exists():
        return
    lib_input = load_lint_inputs([lib], limits, _with_context=False)
    if out.treaty is None:
        out.treaty = lib_input.treaty
    for cid, d in lib_input.commitments.items():
        if cid not in out.context and isinstance(d.model, Commitment):
            out.context[cid] = d.model
