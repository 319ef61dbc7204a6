"""Running an evaluation over a loaded bundle: filters, parallel parties, the findings document."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

from engine.commitment import Commitment, TreatyState
from engine.conduct import Report
from engine.evaluate import evaluate_reports, findings_document, sort_findings
from engine.findings import Finding, FindingsDocument
from engine.loader import Bundle

ReportItem = tuple[Report, dict[str, str], str]


def _items(bundle: Bundle) -> list[ReportItem]:
    return [(lr.report, lr.record_hashes, lr.path) for lr in bundle.reports]


def _worker(
    args: tuple[TreatyState, dict[str, Commitment], list[ReportItem], date, list[str], list[str]],
) -> list[Finding]:
    treaty, commitments, items, as_of, parties, only = args
    return evaluate_reports(
        treaty, commitments, items, as_of, parties=parties, only_commitments=only or None
    )


def evaluate_bundle(
    bundle: Bundle,
    as_of: date,
    *,
    parties: Sequence[str] = (),
    commitments: Sequence[str] = (),
    jobs: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> list[Finding]:
    """Findings for the bundle at ``as_of``; ``jobs`` > 1 evaluates parties in processes."""
    treaty = bundle.treaty
    assert treaty is not None
    items = _items(bundle)
    codes = sorted(p.code for p in treaty.parties if not parties or p.code in parties)
    if jobs <= 1 or len(codes) <= 1:
        return evaluate_reports(
            treaty,
            bundle.commitments,
            items,
            as_of,
            parties=codes,
            only_commitments=list(commitments) or None,
            progress=progress,
        )
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    chunks = [codes[i::jobs] for i in range(jobs)]
    work = []
    for chunk in chunks:
        if not chunk:
            continue
        wanted = set(chunk)
        sub = [it for it in items if it[0].subject_party in wanted]
        work.append((treaty, bundle.commitments, sub, as_of, chunk, list(commitments)))
    out: list[Finding] = []
    with ProcessPoolExecutor(max_workers=len(work), mp_context=mp.get_context("spawn")) as pool:
        for i, res in enumerate(pool.map(_worker, work)):
            out.extend(res)
            if progress:
                progress(i + 1, len(work))
    return sort_findings(out)


def run_check(
    bundle: Bundle,
    as_of: date,
    *,
    parties: Sequence[str] = (),
    commitments: Sequence[str] = (),
    statuses: Sequence[str] = (),
    jobs: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> FindingsDocument:
    """Evaluate and assemble the findings document (filters recorded in it)."""
    assert bundle.treaty is not None
    findings = evaluate_bundle(
        bundle, as_of, parties=parties, commitments=commitments, jobs=jobs, progress=progress
    )
    if statuses:
        findings = [f for f in findings if f.status in statuses]
    filters = {"party": list(parties), "commitment": list(commitments), "status": list(statuses)}
    return findings_document(bundle.treaty, findings, as_of, bundle.inputs, filters)
