"""Baselines: what changed since an earlier findings document (``treaty report --baseline``).

``compute_delta`` compares the findings with an earlier findings document, keyed by the stable
fingerprint ``party|commitment|subject``. The delta is its own JSON document (``FindingsDelta``,
``treaty-engine.findings-delta/v1``); the plain findings JSON is unchanged. ``load_findings``
reads a findings document (a baseline, or the document ``treaty verify`` checks).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any, Literal

from engine.errors import InputError, Problem
from engine.ingest import DEFAULT_LIMITS, Limits, load_paths, sha256_bytes
from engine.model.base import Doc
from engine.model.findings import STATUS_ORDER, Finding, FindingsDocument, InputDigest, Summary


class BaselineRef(Doc):
    """The earlier findings document a delta is computed against."""

    path: str
    """Path of the baseline file as given."""
    sha256: str
    """sha256 of the baseline file's bytes."""
    run_id: str
    """Run id recorded in the baseline."""
    as_of: date
    """As-of date of the baseline."""
    engine_version: str
    """Engine version that produced the baseline."""


class ChangedFinding(Doc):
    """A finding present in both runs whose status, flags, severity or evidence differ."""

    fingerprint: str
    """Stable fingerprint ``party|commitment|subject`` (``-`` for no subject)."""
    changes: list[str]
    """Which of status, flags, severity, evidence differ."""
    direction: Literal["worse", "better", "same"]
    """Whether the status got worse, better or stayed the same."""
    before: Finding
    """The finding in the baseline."""
    after: Finding
    """The finding now."""


class DeltaSummary(Doc):
    """Counts of the delta."""

    new: int = 0
    """Fingerprints not in the baseline."""
    resolved: int = 0
    """Fingerprints in the baseline that are gone."""
    changed: int = 0
    """Fingerprints in both whose finding changed."""
    unchanged: int = 0
    """Fingerprints in both whose finding did not change (not listed)."""


class FindingsDelta(Doc):
    """The output of ``treaty report --format json --baseline PREVIOUS.json``."""

    document: Literal["findings-delta"] = "findings-delta"
    """Document type tag; always ``findings-delta``."""
    format: Literal["treaty-engine.findings-delta/v1"] = "treaty-engine.findings-delta/v1"
    """Format version."""
    engine_version: str
    """Version of treaty-engine that produced it."""
    as_of: date
    """Evaluation date of the current run."""
    run_id: str
    """Run id of the current run (as in its findings document)."""
    treaty: str | None = None
    """Treaty id and version evaluated."""
    filters: dict[str, list[str]] = {}
    """Filters applied to the current run, and to the baseline before comparing."""
    inputs: list[InputDigest]
    """Every input document of the current run with its sha256."""
    baseline: BaselineRef
    """The baseline compared against."""
    current_summary: Summary
    """Counts per status of every current finding (not only the delta)."""
    summary: DeltaSummary
    """Counts of the delta."""
    new: list[Finding]
    """Findings whose fingerprint is not in the baseline, sorted by fingerprint."""
    resolved: list[Finding]
    """Baseline findings whose fingerprint is gone, as they were in the baseline."""
    changed: list[ChangedFinding]
    """Findings whose status, flags, severity or evidence changed."""


def _evidence_key(f: Finding) -> list[tuple[str, str, str]]:
    return sorted((e.record, e.report, e.sha256) for e in f.evidence)


_COMPARED: dict[str, Callable[[Finding], Any]] = {
    "status": lambda f: f.status,
    "flags": lambda f: sorted(f.flags),
    "severity": lambda f: f.severity,
    "evidence": _evidence_key,
}
"""What makes a finding *changed* against the baseline, and how each is compared. Explanation
wording is not compared: it quotes the as-of date, so two runs on different dates would
otherwise always differ."""


def _differences(a: Finding, b: Finding) -> list[str]:
    return [name for name, key in _COMPARED.items() if key(a) != key(b)]


def _in_filters(f: Finding, filters: Mapping[str, Sequence[str]]) -> bool:
    for key, attr in (("party", f.party), ("commitment", f.commitment), ("status", f.status)):
        wanted = filters.get(key) or []
        if wanted and attr not in wanted:
            return False
    return True


def compute_delta(
    baseline: FindingsDocument, current: FindingsDocument, *, path: str, sha256: str
) -> FindingsDelta:
    """New, resolved and changed findings of ``current`` against ``baseline``.

    The current run's filters are applied to the baseline's findings first, so that a run
    restricted to one party does not report every other party's findings as resolved.
    """
    before = {f.fingerprint(): f for f in baseline.findings if _in_filters(f, current.filters)}
    after = {f.fingerprint(): f for f in current.findings}
    new = [after[k] for k in sorted(after) if k not in before]
    resolved = [before[k] for k in sorted(before) if k not in after]
    changed: list[ChangedFinding] = []
    unchanged = 0
    for k in sorted(after):
        if k not in before:
            continue
        diff = _differences(before[k], after[k])
        if not diff:
            unchanged += 1
            continue
        rb, ra = STATUS_ORDER[before[k].status], STATUS_ORDER[after[k].status]
        direction: Literal["worse", "better", "same"] = (
            "worse" if ra < rb else "better" if ra > rb else "same"
        )
        changed.append(
            ChangedFinding(
                fingerprint=k, changes=diff, direction=direction, before=before[k], after=after[k]
            )
        )
    return FindingsDelta(
        engine_version=current.engine_version,
        as_of=current.as_of,
        run_id=current.run_id,
        treaty=current.treaty,
        filters=current.filters,
        inputs=current.inputs,
        baseline=BaselineRef(
            path=path,
            sha256=sha256,
            run_id=baseline.run_id,
            as_of=baseline.as_of,
            engine_version=baseline.engine_version,
        ),
        current_summary=current.summary,
        summary=DeltaSummary(
            new=len(new), resolved=len(resolved), changed=len(changed), unchanged=unchanged
        ),
        new=new,
        resolved=resolved,
        changed=changed,
    )


def load_findings(
    path: str | Path, limits: Limits = DEFAULT_LIMITS
) -> tuple[FindingsDocument, str, str]:
    """Load one findings document with the safe loader: (document, display path, sha256).

    Raises ``InputError`` if the file is not exactly one valid findings document.
    """
    b = load_paths([path], limits)
    if len(b.findings) != 1 or b.reports or b.commitments or b.treaties:
        raise InputError(
            [
                Problem(
                    str(path),
                    "not a findings document",
                    "pass the JSON written by 'treaty check --format json' or "
                    "'treaty report --format json'",
                    code="not-findings",
                )
            ]
        )
    doc, display = b.findings[0]
    digest = next(
        (i.sha256 for i in b.inputs if i.path == display), sha256_bytes(Path(path).read_bytes())
    )
    return doc, display, digest
