"""Running an evaluation over a loaded bundle: filters, parallel parties, the findings document.

``run_check`` returns the findings document; ``spool_check`` hands each party's findings to a
``engine.render.spool.PartySpooler`` as they are made, for ``treaty check`` on large archives.

Reports streamed from JSONL (``Bundle.streamed``) are read back one party at a time, just before
that party is evaluated, and dropped after it; with ``jobs`` > 1 each worker process reads back
its own parties' reports, so only the small stream index crosses process boundaries.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from pathlib import Path

from engine.errors import InputError, Problem
from engine.explain.findings import findings_document, findings_of_parties, sort_findings
from engine.ingest import Bundle, LoadedReport, StreamedReport, kind_conflicts
from engine.ingest.workers import run_in_workers
from engine.model.commitment import Commitment, TreatyState
from engine.model.findings import STATUS_ORDER, Finding, FindingsDocument, Summary
from engine.model.records import Report
from engine.render.spool import PartySpooler, PartyStream, Spooled, part_path

ReportItem = tuple[Report, Mapping[str, str], str]


class _PartyReports:
    """``reports_of`` for ``evaluate_parties``: in-memory reports plus streamed ones.

    Streamed reports are read back on demand and checked for record ids reused across kinds.
    """

    def __init__(self, loaded: Sequence[LoadedReport], streamed: Sequence[StreamedReport]) -> None:
        self.loaded: dict[str, list[LoadedReport]] = defaultdict(list)
        self.streamed: dict[str, list[StreamedReport]] = defaultdict(list)
        for lr in loaded:
            self.loaded[lr.report.subject_party].append(lr)
        for sr in streamed:
            self.streamed[sr.subject_party].append(sr)

    def __call__(self, code: str) -> list[ReportItem]:
        reports = list(self.loaded.get(code, []))
        streamed = self.streamed.get(code, [])
        if streamed:
            reports += [sr.load() for sr in streamed]
            problems = kind_conflicts(reports)
            if problems:
                raise InputError(problems)
        return [(lr.report, lr.record_hashes, lr.path) for lr in reports]


_WorkArgs = tuple[
    TreatyState,
    dict[str, Commitment],
    list[LoadedReport],
    list[StreamedReport],
    date,
    list[str],
    list[str],
]


def _split(
    bundle: Bundle, codes: Sequence[str], jobs: int, as_of: date, only: list[str]
) -> list[_WorkArgs]:
    """One worker's arguments per non-empty share of ``codes`` (round robin over ``jobs``).

    Each share carries only its own parties' reports.
    """
    assert bundle.treaty is not None
    work: list[_WorkArgs] = []
    for i in range(jobs):
        chunk = list(codes[i::jobs])
        if not chunk:
            continue
        wanted = set(chunk)
        work.append(
            (
                bundle.treaty,
                bundle.commitments,
                [lr for lr in bundle.reports if lr.report.subject_party in wanted],
                [sr for sr in bundle.streamed if sr.subject_party in wanted],
                as_of,
                chunk,
                only,
            )
        )
    return work


def _worker(args: _WorkArgs) -> list[Finding] | list[Problem]:
    treaty, commitments, loaded, streamed, as_of, parties, only = args
    try:
        return findings_of_parties(
            treaty,
            commitments,
            _PartyReports(loaded, streamed),
            as_of,
            parties=parties,
            only_commitments=only or None,
        )
    except InputError as exc:  # sent back as data: exceptions do not always pickle
        return list(exc.problems)


def evaluate_bundle(
    bundle: Bundle,
    as_of: date,
    *,
    parties: Sequence[str] = (),
    commitments: Sequence[str] = (),
    jobs: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> list[Finding]:
    """Findings for the bundle at ``as_of``; ``jobs`` > 1 evaluates parties in processes.

    Raises:
        InputError: a streamed report cannot be read back, or reuses a record id for another
            kind in the same party's reports.
    """
    treaty = bundle.treaty
    assert treaty is not None
    codes = sorted(p.code for p in treaty.parties if not parties or p.code in parties)
    if jobs <= 1 or len(codes) <= 1:
        return findings_of_parties(
            treaty,
            bundle.commitments,
            _PartyReports(bundle.reports, bundle.streamed),
            as_of,
            parties=codes,
            only_commitments=list(commitments) or None,
            progress=progress,
        )
    work = _split(bundle, codes, jobs, as_of, list(commitments))
    out: list[Finding] = []
    problems: list[Problem] = []
    for i, res in enumerate(run_in_workers(_worker, work, jobs)):
        for x in res:
            if isinstance(x, Problem):
                problems.append(x)
            else:
                out.append(x)
        if progress:
            progress(i + 1, len(work))
    if problems:
        raise InputError(problems)
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
    """Evaluate and assemble the findings document (filters recorded in it).

    Raises:
        InputError: see ``evaluate_bundle``.
    """
    assert bundle.treaty is not None
    findings = evaluate_bundle(
        bundle, as_of, parties=parties, commitments=commitments, jobs=jobs, progress=progress
    )
    if statuses:
        findings = [f for f in findings if f.status in statuses]
    filters = {"party": list(parties), "commitment": list(commitments), "status": list(statuses)}
    return findings_document(bundle.treaty, findings, as_of, bundle.inputs, filters)


# --------------------------------------------------------------------------------------------
# Spooled checks: findings written party by party, never all held


_SpoolArgs = tuple[_WorkArgs, Path, dict[str, int], PartyStream, list[str]]


def _spool_worker(args: _SpoolArgs) -> dict[str, int] | list[Problem]:
    (
        (treaty, commitments, loaded, streamed, as_of, parties, only),
        spool,
        order,
        stream,
        statuses,
    ) = args
    sink = PartySpooler(spool, order, stream, statuses, treaty, commitments)
    try:
        findings_of_parties(
            treaty,
            commitments,
            _PartyReports(loaded, streamed),
            as_of,
            parties=parties,
            only_commitments=only or None,
            on_party=sink,
        )
    except InputError as exc:
        return list(exc.problems)
    return sink.counts


def spool_check(
    bundle: Bundle,
    as_of: date,
    spool: Path,
    stream: PartyStream,
    *,
    parties: Sequence[str] = (),
    commitments: Sequence[str] = (),
    statuses: Sequence[str] = (),
    jobs: int = 1,
) -> Spooled:
    """``run_check`` for large archives: findings rendered into ``spool`` party by party.

    Each party's findings are rendered with ``stream`` (a streaming format of
    ``engine.render.registry``) as soon as they are made, so memory follows the largest party.
    ``Spooled.render`` is byte for byte the format's rendering of ``run_check``'s document.

    Raises:
        InputError: see ``evaluate_bundle``.
    """
    treaty = bundle.treaty
    assert treaty is not None
    codes = sorted(p.code for p in treaty.parties if not parties or p.code in parties)
    order = {c: i for i, c in enumerate(codes)}
    only = list(commitments)
    counts = dict.fromkeys(STATUS_ORDER, 0)
    if not codes:
        pass
    elif jobs <= 1 or len(codes) <= 1:
        sink = PartySpooler(spool, order, stream, statuses, treaty, bundle.commitments)
        findings_of_parties(
            treaty,
            bundle.commitments,
            _PartyReports(bundle.reports, bundle.streamed),
            as_of,
            parties=codes,
            only_commitments=only or None,
            on_party=sink,
        )
        counts = sink.counts
    else:
        work: list[_SpoolArgs] = [
            (args, spool, order, stream, list(statuses))
            for args in _split(bundle, codes, jobs, as_of, only)
        ]
        problems: list[Problem] = []
        for res in run_in_workers(_spool_worker, work, jobs):
            if isinstance(res, list):
                problems.extend(res)
            else:
                for k, v in res.items():
                    counts[k] += v
        if problems:
            raise InputError(problems)
    filters = {"party": list(parties), "commitment": list(commitments), "status": list(statuses)}
    head = findings_document(treaty, [], as_of, bundle.inputs, filters)
    head = head.model_copy(update={"summary": Summary(**counts)})
    return Spooled(head, [part_path(spool, order[c]) for c in codes], stream)
