"""Findings: judgements put into words, and the evaluations that produce them.

:func:`explain` turns one :class:`~engine.evaluate.verdict.Judgement` into a
:class:`~engine.model.findings.Finding` (clause, summary, values, counterfactual). The functions
below evaluate and explain in one step; they are what the rest of the engine calls.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date

from engine.evaluate.evaluator import ReportItem, evaluate_parties
from engine.evaluate.verdict import Judgement
from engine.explain.wording import fmt, words
from engine.ingest import canonical_hash
from engine.model.base import ENGINE_VERSION as __version__
from engine.model.commitment import Commitment, TreatyState
from engine.model.findings import Explanation, Finding, FindingsDocument, InputDigest, Summary
from engine.model.records import Report
from engine.model.vocabulary import STATUSES


def explain(j: Judgement) -> Finding:
    """The finding of a judgement, in words."""
    summary = " ".join(dict.fromkeys(words(r) for r in j.reasons))
    for note in j.notes:
        summary += " " + words(note)
    return Finding(
        party=j.party,
        commitment=j.commitment.id,
        subject=j.subject,
        status=j.status,
        flags=sorted(j.flags),
        severity=j.commitment.severity,
        explanation=Explanation(
            rule=j.rule,
            clause=j.clause or j.commitment.authentic_text(),
            summary=f"{j.commitment.id}: {summary}",
            values={k: fmt(v) for k, v in sorted(j.values.items())},
            counterfactual=words(j.counterfactual) if j.counterfactual else None,
            reason=j.reason_code,
        ),
        evidence=j.evidence,
        as_of=j.as_of,
    )


def findings_by_party(
    treaty: TreatyState,
    commitments: Mapping[str, Commitment],
    reports_of: Callable[[str], Sequence[ReportItem]],
    as_of: date,
    *,
    parties: Sequence[str] | None = None,
    only_commitments: Sequence[str] | None = None,
) -> Iterator[tuple[str, list[Finding]]]:
    """Evaluate and explain party by party (in code order): ``(code, sorted findings)``.

    ``reports_of(code)`` is asked for each party's reports just before its turn, so memory
    follows the largest party.
    """
    for code, judged in evaluate_parties(
        treaty, commitments, reports_of, as_of, parties=parties, only_commitments=only_commitments
    ):
        yield code, sort_findings(explain(j) for j in judged)


def findings_of_parties(
    treaty: TreatyState,
    commitments: Mapping[str, Commitment],
    reports_of: Callable[[str], Sequence[ReportItem]],
    as_of: date,
    *,
    parties: Sequence[str] | None = None,
    only_commitments: Sequence[str] | None = None,
    progress: Callable[[int, int], None] | None = None,
    on_party: Callable[[str, list[Finding]], None] | None = None,
) -> list[Finding]:
    """Evaluate and explain party by party; every finding, sorted.

    With ``on_party``, each party's sorted findings go to it as soon as they are made and are not
    kept (the result is then empty); parties come in code order. ``progress(done, total)`` is
    called after each party.
    """
    wanted = set(parties) if parties else None
    total = sum(1 for p in treaty.parties if wanted is None or p.code in wanted)
    out: list[Finding] = []
    for i, (code, found) in enumerate(
        findings_by_party(
            treaty,
            commitments,
            reports_of,
            as_of,
            parties=parties,
            only_commitments=only_commitments,
        )
    ):
        if on_party is not None:
            on_party(code, found)
        else:
            out.extend(found)
        if progress:
            progress(i + 1, total)
    return sort_findings(out)


def evaluate_reports(
    treaty: TreatyState,
    commitments: Mapping[str, Commitment],
    reports: Sequence[ReportItem],
    as_of: date,
    *,
    parties: Sequence[str] | None = None,
    only_commitments: Sequence[str] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[Finding]:
    """Every finding for ``reports`` (each with its record hashes and path), sorted."""
    by_party: dict[str, list[ReportItem]] = {}
    for item in reports:
        by_party.setdefault(item[0].subject_party, []).append(item)
    return findings_of_parties(
        treaty,
        commitments,
        lambda code: by_party.get(code, []),
        as_of,
        parties=parties,
        only_commitments=only_commitments,
        progress=progress,
    )


def evaluate_models(
    treaty: TreatyState,
    commitments: Mapping[str, Commitment],
    reports: Sequence[Report],
    as_of: date,
) -> list[Finding]:
    """Convenience form for tests and the library: reports without file paths or hashes."""
    items = [
        (
            r,
            {
                rec.id: canonical_hash(rec.model_dump(mode="json", exclude_unset=True))
                for rec in r.records
            },
            f"<{r.id}>",
        )
        for r in reports
    ]
    return evaluate_reports(treaty, commitments, items, as_of)


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    """Findings by party, commitment and subject (docs/rules.md section 10)."""
    return sorted(findings, key=lambda f: (f.party, f.commitment, f.subject or ""))


def run_id(
    engine_version: str,
    as_of: date,
    inputs: Sequence[InputDigest],
    filters: Mapping[str, Sequence[str]],
) -> str:
    """Digest of the engine version, as-of date, filters and input digests."""
    payload = json.dumps(
        {
            "engine": engine_version,
            "as_of": as_of.isoformat(),
            "inputs": sorted((i.sha256, i.document) for i in inputs),
            "filters": {k: sorted(v) for k, v in sorted(filters.items())},
        },
        sort_keys=True,
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def findings_document(
    treaty: TreatyState,
    findings: Sequence[Finding],
    as_of: date,
    inputs: Sequence[InputDigest],
    filters: Mapping[str, Sequence[str]],
) -> FindingsDocument:
    """The ``findings`` document: provenance (inputs, run id, filters), counts and findings."""
    counts: dict[str, int] = dict.fromkeys(STATUSES, 0)
    for f in findings:
        counts[f.status] += 1
    clean_filters = {k: sorted(v) for k, v in sorted(filters.items()) if v}
    ins = sorted(inputs, key=lambda i: i.path)
    return FindingsDocument(
        engine_version=__version__,
        as_of=as_of,
        run_id=run_id(__version__, as_of, ins, clean_filters),
        treaty=f"{treaty.id} {treaty.version}",
        filters=clean_filters,
        inputs=ins,
        summary=Summary(**counts),
        findings=list(findings),
    )
