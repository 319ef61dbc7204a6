"""treaty-engine: check what states do against what they promised.

The library, in the order of the pipeline (``docs/architecture.md``)::

    import engine
    from datetime import date

    bundle = engine.load(["examples/"])                  # library + treaty state + reports
    doc = engine.check(bundle, as_of=date(2029, 6, 30))  # a FindingsDocument
    print(doc.summary)                                   # breach=18 gap=63 compliant=82 ...
    html = engine.report(bundle, as_of=date(2029, 6, 30), format="html")  # any format
    lint = engine.lint(["commitments/"])                 # a LintReport
    diff = engine.whatif(bundle, draft="drafts/", as_of=date(2029, 6, 30))

Errors are ``engine.errors.TreatyEngineError``: ``InputError`` (a document is invalid; its
``problems`` say where and how to fix it) and ``UsageError`` (a call was wrong). The ``treaty``
command line (``engine.cli``) only parses arguments, calls these and maps errors to exit codes.

The functions import the pipeline when called, so that importing one layer (``engine.model``,
say) does not load the others.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from engine.model.base import ENGINE_VERSION as __version__

__all__ = ["__version__", "check", "lint", "load", "report", "whatif"]

if TYPE_CHECKING:
    from engine.ingest import Bundle, Limits
    from engine.model.findings import FindingsDocument
    from engine.model.lint import LintReport
    from engine.negotiate.whatif import WhatIfResult

PathLike = str | Path


def load(
    paths: Sequence[PathLike], *, library: PathLike | None = None, limits: Limits | None = None
) -> Bundle:
    """Load and validate the documents to evaluate: the commitment library (default: the
    bundled one) and the given reports, treaty state and drafts; every commitment is compiled.

    Raises:
        InputError: a document is invalid, or a commitment's rules do not compile.
        UsageError: a path does not exist.
    """
    from engine.errors import InputError
    from engine.ingest import DEFAULT_LIMITS, assemble
    from engine.rules.compile import compile_problems

    bundle = assemble(
        [Path(p) for p in paths],
        library_dir=Path(library) if library is not None else None,
        limits=limits or DEFAULT_LIMITS,
    )
    problems = compile_problems(bundle.commitments, bundle.commitment_paths, bundle.treaty)
    if problems:
        raise InputError(problems)
    return bundle


def check(
    inputs: Bundle | Sequence[PathLike],
    *,
    as_of: date,
    parties: Sequence[str] = (),
    commitments: Sequence[str] = (),
    statuses: Sequence[str] = (),
    jobs: int = 1,
) -> FindingsDocument:
    """Evaluate the reports against the commitments as of ``as_of``: every finding, explained,
    with the digests of the inputs it rests on.

    ``inputs`` is a loaded bundle or the paths to load. Only reports submitted by the end of
    ``as_of`` (UTC) are read. The filters are recorded in the document.

    Raises:
        InputError: see :func:`load`.
    """
    from engine.render.pipeline import run_check

    bundle = inputs if not isinstance(inputs, Sequence) else load(inputs)
    return run_check(
        bundle, as_of, parties=parties, commitments=commitments, statuses=statuses, jobs=jobs
    )


def report(
    inputs: Bundle | Sequence[PathLike],
    *,
    as_of: date | Sequence[date],
    format: str = "json",  # noqa: A002 (the command line's word)
    parties: Sequence[str] = (),
    commitments: Sequence[str] = (),
    statuses: Sequence[str] = (),
) -> str:
    """Evaluate and render a report in one of the registry's formats (``text``, ``json``,
    ``md``, ``html``, ``csv``, ``sarif``, ``junit``). Several as-of dates give a trend of the
    counts; the latest date is reported in full.

    Raises:
        InputError: see :func:`load`.
        ValueError: no format has that name.
    """
    from engine.render.context import build_context
    from engine.render.registry import render_report

    bundle = inputs if not isinstance(inputs, Sequence) else load(inputs)
    days = [as_of] if isinstance(as_of, date) else list(as_of)
    docs = [
        check(bundle, as_of=d, parties=parties, commitments=commitments, statuses=statuses)
        for d in sorted(days)
    ]
    return render_report(format, build_context(bundle, docs))


def lint(
    paths: Sequence[PathLike], *, library: PathLike | None = None, vague_terms: Sequence[str] = ()
) -> LintReport:
    """Lint commitment documents for enforcement gaps (``docs/lint.md``).

    Raises:
        InputError: a document is invalid.
    """
    from engine.model.lint import LintReport
    from engine.negotiate.lint import lint as run_lint
    from engine.negotiate.lint import load_lint_inputs

    inputs = load_lint_inputs([Path(p) for p in paths], library=library)
    return LintReport(run_lint(inputs, vague_terms=vague_terms), len(inputs.commitments))


def whatif(
    inputs: Bundle | Sequence[PathLike],
    *,
    draft: PathLike,
    as_of: date,
    parties: Sequence[str] = (),
) -> WhatIfResult:
    """Which findings would change if the draft's commitments replaced the library's.

    ``inputs`` is a loaded bundle (its commitments are the base) or the paths to load; ``draft``
    is a folder or file of commitments.

    Raises:
        InputError: a document is invalid, or a draft's rules do not compile.
    """
    from engine.errors import InputError
    from engine.ingest import load_paths
    from engine.negotiate.whatif import WhatIf, run_whatif
    from engine.rules.compile import compile_problems

    bundle = inputs if not isinstance(inputs, Sequence) else load(inputs)
    assert bundle.treaty is not None
    drafted = load_paths([Path(draft)])
    problems = compile_problems(drafted.commitments, drafted.commitment_paths, bundle.treaty)
    if problems:
        raise InputError(problems)
    items = [(r.report, r.record_hashes, r.path) for r in bundle.reports]
    engine = WhatIf(bundle.treaty, items, as_of, parties=parties)
    return run_whatif(engine, bundle.commitments, drafted.commitments, draft_label=str(draft))
