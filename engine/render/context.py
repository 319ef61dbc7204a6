"""The report context: everything a report renderer needs, built once per ``treaty report``.

``build_context`` gathers it from the loaded bundle and the findings documents (one per as-of
date; the latest is shown in full, the others give the trend) and the baseline delta, if any.
Every report renderer is a pure function of a ``ReportContext``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property

from engine.ingest import Bundle
from engine.model.findings import Finding, FindingsDocument, Summary
from engine.render.baseline import FindingsDelta
from engine.render.common import id_key


@dataclass(frozen=True)
class CommitmentInfo:
    """What a report shows about a commitment."""

    id: str
    title: str
    severity: str
    category: str
    text: str


@dataclass(frozen=True)
class TrendPoint:
    """Counts per status on one as-of date."""

    as_of: date
    summary: Summary
    run_id: str


@dataclass(frozen=True)
class ReportContext:
    """Everything a renderer needs. ``doc`` is the run of the latest as-of date."""

    doc: FindingsDocument
    treaty_title: str = ""
    party_names: Mapping[str, str] = field(default_factory=dict)
    parties: Sequence[str] = ()
    commitments: Mapping[str, CommitmentInfo] = field(default_factory=dict)
    commitment_order: Sequence[str] = ()
    report_paths: Mapping[str, str] = field(default_factory=dict)
    treaty_path: str | None = None
    trend: Sequence[TrendPoint] = ()
    delta: FindingsDelta | None = None

    @property
    def shown(self) -> list[Finding]:
        """The findings listed: all of them, or with a baseline the new and changed ones."""
        if self.delta is None:
            return list(self.doc.findings)
        items = list(self.delta.new) + [c.after for c in self.delta.changed]
        return sorted(items, key=lambda f: (f.party, id_key(f.commitment), f.subject or ""))

    def change_of(self, f: Finding) -> str:
        """``new`` or ``changed`` for a finding shown with a baseline, else ""."""
        if self.delta is None:
            return ""
        return "new" if f.fingerprint() in self._new_fingerprints else "changed"

    @cached_property
    def _new_fingerprints(self) -> frozenset[str]:
        return frozenset(n.fingerprint() for n in self.delta.new) if self.delta else frozenset()

    def listed(self) -> list[tuple[Finding, str]]:
        """(finding, change) for the formats that list findings one by one: CSV, SARIF, JUnit.

        Every finding with change "", or with a baseline the new and changed ones, then the
        resolved ones with change ``resolved``.
        """
        if self.delta is None:
            return [(f, "") for f in self.doc.findings]
        return [(f, self.change_of(f)) for f in self.shown] + [
            (f, "resolved") for f in self.delta.resolved
        ]

    def party_label(self, code: str) -> str:
        """``CODE Name`` of a party (the code alone if the treaty does not name it)."""
        name = self.party_names.get(code, "")
        return f"{code} {name}".strip()

    def title_of(self, cid: str) -> str:
        """The commitment's title, or "" if it is not in the library."""
        info = self.commitments.get(cid)
        return info.title if info else ""

    def report_path(self, f: Finding) -> str | None:
        """File of the report that carried the finding's first evidence record."""
        for e in f.evidence:
            p = self.report_paths.get(e.report)
            if p:
                return p
        return None

    def columns(self, findings: Sequence[Finding] | None = None) -> list[str]:
        """Commitment columns of the matrix: those in force (treaty order) plus any in findings."""
        items = self.shown if findings is None else findings
        seen = list(self.commitment_order)
        wanted = self.doc.filters.get("commitment") or []
        if wanted:
            seen = [c for c in seen if c in wanted]
        extra = sorted({f.commitment for f in items} - set(seen), key=id_key)
        return seen + extra

    def rows(self, findings: Sequence[Finding] | None = None) -> list[str]:
        """Party rows of the matrix: the parties evaluated plus any in findings, by code."""
        items = self.shown if findings is None else findings
        codes = set(self.parties) | {f.party for f in items}
        wanted = self.doc.filters.get("party") or []
        if wanted:
            codes &= set(wanted) | {f.party for f in items}
        return sorted(codes)

    def grouped(
        self, findings: Sequence[Finding] | None = None
    ) -> dict[str, dict[str, list[Finding]]]:
        """Findings by party, then commitment, in row and column order."""
        items = self.shown if findings is None else findings
        out: dict[str, dict[str, list[Finding]]] = {}
        for f in items:
            out.setdefault(f.party, {}).setdefault(f.commitment, []).append(f)
        order = {c: i for i, c in enumerate(self.columns(items))}
        return {
            p: {
                c: out[p][c]
                for c in sorted(out[p], key=lambda c: (order.get(c, len(order)), id_key(c)))
            }
            for p in sorted(out)
        }


def build_context(
    bundle: Bundle,
    docs: Sequence[FindingsDocument],
    delta: FindingsDelta | None = None,
) -> ReportContext:
    """A context for the latest of ``docs`` (one per as-of date), with trend and delta."""
    if not docs:
        raise ValueError("build_context needs at least one findings document")
    ordered = sorted(docs, key=lambda d: d.as_of)
    latest = ordered[-1]
    treaty = bundle.treaty
    in_force = list(treaty.commitments) if treaty else []
    infos = {
        cid: CommitmentInfo(
            id=cid, title=c.title, severity=c.severity, category=c.category, text=c.authentic_text()
        )
        for cid, c in bundle.commitments.items()
    }
    wanted = latest.filters.get("party") or []
    parties = (
        sorted(p.code for p in treaty.parties if not wanted or p.code in wanted) if treaty else []
    )
    return ReportContext(
        doc=latest,
        treaty_title=f"{treaty.title} {treaty.version}" if treaty else (latest.treaty or ""),
        party_names={p.code: p.name for p in treaty.parties} if treaty else {},
        parties=parties,
        commitments=infos,
        commitment_order=[c for c in in_force if c in infos],
        report_paths={
            **{sr.id: sr.path for sr in bundle.streamed},
            **{lr.report.id: lr.path for lr in bundle.reports},
        },
        treaty_path=bundle.treaty_path,
        trend=[TrendPoint(d.as_of, d.summary, d.run_id) for d in ordered]
        if len(ordered) > 1
        else [],
        delta=delta,
    )


def context_from_document(doc: FindingsDocument) -> ReportContext:
    """A minimal context when only a findings document is at hand (no names, no clause texts)."""
    return ReportContext(
        doc=doc,
        treaty_title=doc.treaty or "",
        parties=sorted({f.party for f in doc.findings}),
        commitment_order=sorted({f.commitment for f in doc.findings}, key=id_key),
    )


def failing_count(ctx: ReportContext, fail_on: str) -> int:
    """Findings that make the exit code 1: breaches (and gaps with ``fail_on='gap'``).

    With a baseline only the new and changed findings count.
    """
    bad = {"breach"} | ({"gap"} if fail_on == "gap" else set())
    items = ctx.shown if ctx.delta is not None else ctx.doc.findings
    return sum(1 for f in items if f.status in bad)
