"""Running every check: ``lint`` over loaded inputs, ``lint_paths`` over files and folders.

Each commitment given is checked on its own (rules, text, verification, enforcement), then the
checks across commitments run (conflicts, the treaty's pillars and list, TODO markers). The
findings come sorted by file, line, code and message.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

from engine.ingest import DEFAULT_LIMITS, Limits
from engine.model.commitment import Commitment
from engine.negotiate.lint import checks_document, checks_rules, checks_text
from engine.negotiate.lint.catalogue import LintFinding
from engine.negotiate.lint.inputs import LintDoc, LintInput, load_lint_inputs


def lint(inp: LintInput, *, vague_terms: Sequence[str] = ()) -> list[LintFinding]:
    """Every lint finding for the inputs, sorted by file, line and code.

    ``vague_terms`` are reported (TE301) besides the treaty's own ``vague_terms``.
    """
    out: list[LintFinding] = []
    for cid in sorted(inp.commitments):
        doc = inp.commitments[cid]
        assert isinstance(doc.model, Commitment)
        out.extend(_commitment_findings(inp, doc, doc.model, vague_terms))
    out.extend(checks_rules.conflicts(inp))
    out.extend(checks_document.treaty(inp))
    out.extend(checks_document.todos(inp))
    return sorted(out, key=lambda f: (f.file, f.line or 0, f.code, f.message))


def _commitment_findings(
    inp: LintInput, doc: LintDoc, c: Commitment, vague_terms: Sequence[str]
) -> Iterator[LintFinding]:
    """The findings about one commitment given, check by check."""
    yield from checks_document.rules_exist(doc, c)
    vacuous, covered = checks_rules.vacuous(inp, doc, c)
    yield from vacuous
    thresholds, covered_too = checks_rules.thresholds(inp, doc, c)
    yield from thresholds
    yield from checks_rules.compile_errors(inp, doc, c, covered | covered_too)
    yield from checks_document.observable(inp, doc, c)
    yield from checks_document.reporting(doc, c)
    yield from checks_document.enforcement(doc, c)
    yield from checks_text.vague(inp, doc, c, vague_terms)
    yield from checks_text.terms(inp, doc, c)
    yield from checks_text.parameters(inp, doc, c)
    yield from checks_document.evidence_from(inp, doc, c)


def lint_paths(
    paths: Sequence[str | Path],
    *,
    vague_terms: Sequence[str] = (),
    library: str | Path | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> list[LintFinding]:
    """Load the documents under ``paths`` and lint them.

    Raises:
        InputError: a document cannot be read or is invalid.
    """
    return lint(load_lint_inputs(paths, limits, library=library), vague_terms=vague_terms)
