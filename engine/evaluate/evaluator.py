"""The evaluator: reports in, judgements out, one party at a time. Semantics: ``docs/rules.md``.

The flow for one as-of date:

1. keep the reports submitted on or before the as-of date (``merge.known_occurrences``);
2. per party, merge every record's sources into versions (``merge``);
3. turn each version into a flat fact and let durable_rules match all atoms and joins
   (``facts``, ``party``, ``engine.rules.backend``);
4. once all facts are in, judge every rule (``judge``: ``classify``, ``deadline``,
   ``periodic``) and fold the verdicts into one :class:`Judgement` per (party, commitment,
   subject), here.

Judgements are data; ``engine.explain`` puts them into words. Nothing here reads the clock.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import date

from engine.evaluate.facts import build_facts
from engine.evaluate.judge import run_rule
from engine.evaluate.merge import MergedRecord, known_occurrences, merge_records
from engine.evaluate.party import EvalContext, PartyRun
from engine.evaluate.periodic import due_dates, periodic_status
from engine.evaluate.timeline import timeline
from engine.evaluate.verdict import Judgement, Reason, Verdict, reason, worst
from engine.ingest.gcpause import paused_gc
from engine.model.commitment import Commitment, Party, TreatyState
from engine.model.findings import Evidence
from engine.model.records import Report
from engine.model.rules import PeriodicRule
from engine.rules.backend import DurableMatcher
from engine.rules.compile import CompiledRule, compile_program

ReportItem = tuple[Report, Mapping[str, str], str]
"""A report, the sha256 of each of its records as submitted, and its path."""


class Evaluator:
    """Evaluates a set of commitments over reports at one as-of date."""

    def __init__(
        self,
        treaty: TreatyState,
        commitments: Mapping[str, Commitment],
        as_of: date,
        *,
        only_commitments: Sequence[str] | None = None,
    ) -> None:
        """Compile the commitments in force (or ``only_commitments``) for ``as_of``."""
        self.treaty = treaty
        self.as_of = as_of
        ids = [cid for cid in treaty.commitments if cid in commitments]
        if only_commitments:
            wanted = set(only_commitments)
            ids = [cid for cid in ids if cid in wanted]
        self.commitments = [commitments[cid] for cid in ids]
        self.all_commitments = commitments
        # Commitments named in evidence_from are compiled into the same program (their periodic
        # rules show the absence of conduct) even when a filter leaves them out of the findings.
        extra: list[Commitment] = []
        selected = {c.id for c in self.commitments}
        for c in self.commitments:
            for ref in c.verification.evidence_from:
                if ref not in selected and ref in commitments and all(e.id != ref for e in extra):
                    extra.append(commitments[ref])
        program = compile_program(self.commitments + extra, treaty, as_of)
        rules_of: dict[str, list[CompiledRule]] = defaultdict(list)
        for cr in program.rules:
            rules_of[cr.commitment.id].append(cr)
        self.ctx = EvalContext(
            program, DurableMatcher(program.definition), treaty, as_of, dict(rules_of)
        )

    def evaluate_party(
        self,
        party: Party,
        reports: Sequence[ReportItem],
        *,
        merged: Sequence[MergedRecord] | None = None,
    ) -> list[Judgement]:
        """The judgements of every commitment for one party, sorted by commitment and subject.

        ``merged`` gives the party's records already merged into versions (what-if merges them
        once for every variant); ``reports`` are then not read.
        """
        tl = timeline(party, self.treaty)
        if not tl.bound(self.as_of):
            why = reason("not_bound", party=party.code, as_of=self.as_of, eif=tl.eif)
            return [
                self._judgement(party.code, c, None, Verdict("not_applicable", set(), why))
                for c in self.commitments
                if c.rules
            ]
        if merged is None:
            merged = merge_records(
                known_occurrences(reports, self.as_of), self.treaty.settling_evidence
            )
        run = PartyRun(self.ctx, tl, list(merged))
        build_facts(run)
        run.match()
        out: list[Judgement] = []
        for c in self.commitments:
            if c.rules:
                out.extend(self._commitment(run, c))
        return out

    def _commitment(self, run: PartyRun, c: Commitment) -> Iterator[Judgement]:
        """The judgements of one commitment for the party of ``run``."""
        party = run.tl.party.code
        if c.applicability.parties != "all" and party not in c.applicability.parties:
            why = reason("not_binding_on_party", commitment=c.id, parties=c.applicability.parties)
            yield self._judgement(party, c, None, Verdict("not_applicable", set(), why))
            return
        crs = self.ctx.rules_of.get(c.id, [])
        by_subject: dict[str | None, list[tuple[CompiledRule, Verdict]]] = defaultdict(list)
        for cr in crs:
            for subject, verdicts in run_rule(run, cr).items():
                by_subject[subject].extend((cr, v) for v in verdicts)
        if by_subject:
            for subject in sorted(by_subject, key=lambda s: s or ""):
                yield self._combine(party, c, subject, by_subject[subject])
            return
        periodic = [cr.rule for cr in crs if isinstance(cr.rule, PeriodicRule)]
        if periodic and all(not due_dates(run, r, c) for r in periodic):
            w = run.tl.withdrawal
            why = reason("nothing_owed", commitment=c.id, party=party, withdrawal=w)
            flags = {"after_withdrawal"} if w else set()
            yield self._judgement(party, c, None, Verdict("not_applicable", flags, why))
            return
        yield self._absence(run, c)

    def _absence(self, run: PartyRun, c: Commitment) -> Judgement:
        """Absence of evidence is never compliance (docs/rules.md section 10)."""
        party = run.tl.party.code
        if not c.verification.evidence_from:
            why = reason("absence_unverifiable", party=party)
            return self._judgement(party, c, None, Verdict("gap", {"unverifiable"}, why))
        statuses: list[str] = []
        missing_in: list[str] = []
        for ref in c.verification.evidence_from:
            ref_c = self.all_commitments.get(ref)
            if ref_c is None or ref not in self.treaty.commitments:
                continue
            if ref_c.applicability.parties != "all" and party not in ref_c.applicability.parties:
                continue
            st = periodic_status(run, ref_c)
            statuses.extend(st)
            if "missing" in st:
                missing_in.append(ref)
        refs = list(c.verification.evidence_from)
        if missing_in:
            why = reason("absence_missing_report", party=party, missing=missing_in)
            return self._judgement(party, c, None, Verdict("gap", {"missing_report"}, why))
        if not statuses or "unknown" in statuses:
            why = reason("absence_not_yet_due", party=party, refs=refs)
            return self._judgement(party, c, None, Verdict("gap", {"unverifiable"}, why))
        why = reason("absence_compliant", party=party, refs=refs)
        return self._judgement(party, c, None, Verdict("compliant", set(), why))

    def _combine(
        self,
        party: str,
        c: Commitment,
        subject: str | None,
        items: list[tuple[CompiledRule, Verdict]],
    ) -> Judgement:
        """One judgement from the verdicts of a commitment's rules on one subject: the worst
        status wins, with the flags, reasons and values of the verdicts of that status.
        """
        status = worst(v.status for _, v in items)
        main = [(cr, v) for cr, v in items if v.status == status]
        flags = set().union(*(v.flags for _, v in main))
        records: dict[str, MergedRecord] = {}
        for _, v in items:
            for r in v.records:
                records[r.id] = r
        notes = [
            _settled(r, self.treaty.settling_evidence)
            for r in sorted(records.values(), key=lambda r: r.id)
            if r.settled
        ]
        if status == "breach" and _no_sanction(c, [v.event for _, v in main]):
            flags = flags | {"no_sanction_available"}
        values = {}
        for _, v in main:
            values.update({k: val for k, val in v.values.items() if not k.startswith("_")})
        verdict = Verdict(status, flags, main[0][1].reason, values, main[0][1].counterfactual)
        verdict.records = list(records.values())
        return self._judgement(
            party,
            c,
            subject,
            verdict,
            reasons=[v.reason for _, v in main],
            notes=notes,
            rule_id=",".join(dict.fromkeys(cr.rule.id for cr, _ in main)),
            clause=main[0][0].rule.clause,
        )

    def _judgement(
        self,
        party: str,
        c: Commitment,
        subject: str | None,
        v: Verdict,
        *,
        reasons: list[Reason] | None = None,
        notes: list[Reason] | None = None,
        rule_id: str | None = None,
        clause: str | None = None,
    ) -> Judgement:
        evidence: list[Evidence] = []
        for r in sorted(v.records, key=lambda r: r.id):
            evidence.extend(r.evidence())
        return Judgement(
            party=party,
            commitment=c,
            subject=subject,
            status=v.status,
            flags=v.flags,
            reasons=reasons or [v.reason],
            as_of=self.as_of,
            notes=notes or [],
            values=v.values,
            counterfactual=v.counterfactual,
            evidence=sorted(evidence, key=lambda e: (e.record, e.report)),
            rule=rule_id,
            clause=clause,
        )


def _settled(r: MergedRecord, settling: Sequence[str]) -> Reason:
    settlers = sorted({o.source_key for o in r.occurrences if o.report.level in settling})
    return reason("settled", fields=list(r.settled), record=r.id, settlers=settlers)


def _no_sanction(c: Commitment, events: list[date | None]) -> bool:
    """A breach carries ``no_sanction_available`` when the commitment has no sanction, or its
    event precedes ``sanction_from`` (the earliest event among the readings).
    """
    e = c.enforcement
    dated = [d for d in events if d is not None]
    event = min(dated) if dated else None
    return not e.sanction_available or (
        e.sanction_from is not None and event is not None and event < e.sanction_from
    )


def evaluate_parties(
    treaty: TreatyState,
    commitments: Mapping[str, Commitment],
    reports_of: Callable[[str], Sequence[ReportItem]],
    as_of: date,
    *,
    parties: Sequence[str] | None = None,
    only_commitments: Sequence[str] | None = None,
) -> Iterator[tuple[str, list[Judgement]]]:
    """Evaluate party by party, in code order, asking ``reports_of(code)`` for each party's
    reports just before its turn and yielding ``(code, judgements)``: nothing of one party is
    kept once the next begins (the rules engine's facts are retracted after each party), so
    memory follows the largest party.
    """
    ev = Evaluator(treaty, commitments, as_of, only_commitments=only_commitments)
    wanted = set(parties) if parties else None
    for p in sorted(treaty.parties, key=lambda p: p.code):
        if wanted is not None and p.code not in wanted:
            continue
        with paused_gc():
            judged = ev.evaluate_party(p, reports_of(p.code))
        yield p.code, judged
