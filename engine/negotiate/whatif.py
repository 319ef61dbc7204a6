"""What-if: evaluate two sets of commitments over the same reports and show what changes.

The report side is built once: reports are loaded, filtered by the as-of date, grouped by party
and their records merged into versions (docs/rules.md section 2) once, whatever the number of
commitment variants. Each variant is then evaluated commitment by commitment with a cache:

* the findings of a commitment depend only on that commitment, on the periodic rules of the
  commitments its ``verification.evidence_from`` names (for party-level findings), and on the
  fixed treaty state, reports and as-of date;
* so the cache key of a commitment in a variant is the digest of its own content and of the
  content of every commitment it names in ``evidence_from`` (as defined in that variant);
* a variant evaluates only the commitments whose key is not cached yet (in one evaluator, so the
  facts of each party are built once per variant), and reuses every other commitment's findings.

A draft that changes one parameter of CB-2 therefore re-evaluates CB-2 (and any commitment whose
``evidence_from`` names CB-2); the commitments CB-2 names in ``evidence_from`` (CB-1, CB-3) run
alongside so that their periodic rules see their records (the engine's evaluator restricted to a
subset of commitments does not build the facts of the kinds only those rules read).
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from engine.evaluate.evaluator import Evaluator
from engine.evaluate.merge import MergedRecord, Occurrence, known_occurrences, merge_records
from engine.evaluate.timeline import timeline
from engine.explain.findings import explain, sort_findings
from engine.model.commitment import Commitment, Parameter, ParamValue, TreatyState
from engine.model.findings import Finding
from engine.model.records import Report
from engine.model.vocabulary import STATUSES

ReportItem = tuple[Report, Mapping[str, str], str]
ChangeKind = Literal["new_breach", "resolved_breach", "status_change", "flags_change"]


# ------------------------------------------------------------------------------------------
# Evaluation with the report side built once and findings cached per commitment


def _digest(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _content(c: Commitment) -> Any:
    return c.model_dump(mode="json", by_alias=True)


def commitment_key(cid: str, commitments: Mapping[str, Commitment]) -> str:
    """Digest of everything the findings of ``cid`` depend on within one commitment set."""
    c = commitments[cid]
    refs = {
        ref: (_content(commitments[ref]) if ref in commitments else None)
        for ref in c.verification.evidence_from
    }
    return _digest({"commitment": _content(c), "evidence_from": refs})


@dataclass
class Stats:
    """How much work the cache saved."""

    evaluated: list[str] = field(default_factory=list)
    """Commitment ids evaluated (one entry per evaluation)."""
    reused: int = 0
    """Commitment evaluations answered from the cache."""
    merges: int = 0
    """Parties whose records were merged (once each)."""


class WhatIf:
    """Evaluates commitment variants over one fixed set of reports at one as-of date."""

    def __init__(
        self,
        treaty: TreatyState,
        reports: Sequence[ReportItem],
        as_of: date,
        *,
        parties: Sequence[str] = (),
    ) -> None:
        """Index the reports known on ``as_of`` by party (their merge waits until first needed)."""
        self.treaty = treaty
        self.as_of = as_of
        wanted = set(parties)
        self.parties = [
            p
            for p in sorted(treaty.parties, key=lambda p: p.code)
            if not wanted or p.code in wanted
        ]
        self._occurrences: dict[str, list[Occurrence]] = defaultdict(list)
        for occ in known_occurrences(reports, as_of):
            self._occurrences[occ.report.subject_party].append(occ)
        self._merged: dict[str, list[MergedRecord]] = {}
        self._cache: dict[str, list[Finding]] = {}
        self.stats = Stats()
        self.last_evaluated: list[str] = []
        """Commitments the latest ``evaluate`` call had to evaluate (the others were cached)."""

    # -- the report side ----------------------------------------------------------------

    def merged(self, party: str) -> list[MergedRecord]:
        """The party's records merged into versions, computed once."""
        if party not in self._merged:
            self._merged[party] = merge_records(
                self._occurrences.get(party, []), self.treaty.settling_evidence
            )
            self.stats.merges += 1
        return self._merged[party]

    # -- the commitment side ------------------------------------------------------------

    def order(self, commitments: Mapping[str, Commitment]) -> list[str]:
        """Every commitment of the set: the treaty's order first, then the others by id."""
        listed = [cid for cid in self.treaty.commitments if cid in commitments]
        return listed + sorted(cid for cid in commitments if cid not in set(listed))

    def evaluate(self, commitments: Mapping[str, Commitment]) -> list[Finding]:
        """Sorted findings of every commitment in the set, evaluating only what is not cached.

        Every commitment in the set is evaluated, whether or not the treaty lists it as in force:
        a draft may add commitments.
        """
        ids = self.order(commitments)
        keys = {cid: commitment_key(cid, commitments) for cid in ids}
        need = [cid for cid in ids if keys[cid] not in self._cache]
        self.stats.reused += len(ids) - len(need)
        self.last_evaluated = list(need)
        if need:
            # The commitments named in evidence_from are evaluated alongside: an Evaluator
            # restricted to `need` compiles their periodic rules apart and never builds facts
            # of their record kinds, so their submissions would look missing. Their findings
            # are not kept: every such commitment is already cached (else it would be in need).
            refs = [
                r
                for cid in need
                for r in commitments[cid].verification.evidence_from
                if r in commitments and r not in need
            ]
            run_ids = need + list(dict.fromkeys(refs))
            treaty = self.treaty.model_copy(update={"commitments": ids})
            ev = Evaluator(treaty, commitments, self.as_of, only_commitments=run_ids)
            fresh: dict[str, list[Finding]] = {cid: [] for cid in run_ids}
            for party in self.parties:
                for f in self._evaluate_party(ev, party.code):
                    fresh[f.commitment].append(f)
            for cid in need:
                self._cache[keys[cid]] = fresh[cid]
            self.stats.evaluated.extend(need)
        out: list[Finding] = []
        for cid in ids:
            out.extend(self._cache[keys[cid]])
        return sort_findings(out)

    def _evaluate_party(self, ev: Evaluator, code: str) -> list[Finding]:
        """The evaluator's findings for one party, from records merged once for all variants."""
        party = next(p for p in self.parties if p.code == code)
        if not timeline(party, ev.treaty).bound(self.as_of):
            judged = ev.evaluate_party(party, [])  # not bound: its records are never looked at
        else:
            judged = ev.evaluate_party(party, [], merged=self.merged(code))
        return [explain(j) for j in judged]


# ------------------------------------------------------------------------------------------
# Comparing two runs


@dataclass(frozen=True)
class Change:
    """A finding whose status (or flags) differs between the base and the draft."""

    kind: ChangeKind
    party: str
    commitment: str
    subject: str | None
    before: Finding | None
    after: Finding | None

    def as_dict(self) -> dict[str, Any]:
        """The change as a JSON object."""

        def side(f: Finding | None) -> dict[str, Any] | None:
            if f is None:
                return None
            return {
                "status": f.status,
                "flags": list(f.flags),
                "rule": f.explanation.rule,
                "summary": f.explanation.summary,
                "counterfactual": f.explanation.counterfactual,
            }

        return {
            "change": self.kind,
            "party": self.party,
            "commitment": self.commitment,
            "subject": self.subject,
            "before": side(self.before),
            "after": side(self.after),
        }


def compare(base: Sequence[Finding], draft: Sequence[Finding]) -> tuple[list[Change], int]:
    """Every finding that changes, and the number of findings that do not.

    A finding present on one side only counts as a change from or to "no finding".
    """
    b = {f.key: f for f in base}
    d = {f.key: f for f in draft}
    changes: list[Change] = []
    unchanged = 0
    for key in sorted(set(b) | set(d)):
        before, after = b.get(key), d.get(key)
        s0 = before.status if before else None
        s1 = after.status if after else None
        kind: ChangeKind
        if s0 != "breach" and s1 == "breach":
            kind = "new_breach"
        elif s0 == "breach" and s1 != "breach":
            kind = "resolved_breach"
        elif s0 != s1:
            kind = "status_change"
        elif before is not None and after is not None and before.flags != after.flags:
            kind = "flags_change"
        else:
            unchanged += 1
            continue
        changes.append(Change(kind, key[0], key[1], key[2] or None, before, after))
    return changes, unchanged


def status_counts(findings: Sequence[Finding]) -> dict[str, int]:
    """How many findings have each status."""
    out: dict[str, int] = dict.fromkeys(STATUSES, 0)
    for f in findings:
        out[f.status] += 1
    return out


def change_counts(changes: Sequence[Change]) -> dict[str, int]:
    out = dict.fromkeys(("new_breach", "resolved_breach", "status_change", "flags_change"), 0)
    for c in changes:
        out[c.kind] += 1
    return out


@dataclass
class WhatIfResult:
    """What ``treaty whatif --draft`` shows: both runs, what changed and what was re-evaluated."""

    as_of: date
    base_label: str
    draft_label: str
    base: list[Finding]
    draft: list[Finding]
    changes: list[Change]
    unchanged: int
    changed_commitments: list[str]
    base_evaluated: list[str]
    draft_evaluated: list[str]


def changed_commitments(
    base: Mapping[str, Commitment], draft: Mapping[str, Commitment]
) -> list[str]:
    """Ids added, removed or with different content."""
    out = []
    for cid in sorted(set(base) | set(draft)):
        if cid not in base or cid not in draft or _content(base[cid]) != _content(draft[cid]):
            out.append(cid)
    return out


def run_whatif(
    engine: WhatIf,
    base: Mapping[str, Commitment],
    draft: Mapping[str, Commitment],
    *,
    base_label: str = "base",
    draft_label: str = "draft",
) -> WhatIfResult:
    """Evaluate the base, then the draft (reusing unchanged commitments), and compare."""
    before = engine.evaluate(base)
    base_evaluated = engine.last_evaluated
    after = engine.evaluate(draft)
    changes, unchanged = compare(before, after)
    return WhatIfResult(
        engine.as_of,
        base_label,
        draft_label,
        before,
        after,
        changes,
        unchanged,
        changed_commitments(base, draft),
        base_evaluated,
        engine.last_evaluated,
    )


# ------------------------------------------------------------------------------------------
# Parameter sweeps


@dataclass(frozen=True)
class Setting:
    """``--set CB-2.notice_days=30,42,60``: values to try for one commitment parameter."""

    commitment: str
    parameter: str
    values: tuple[ParamValue, ...]

    @property
    def label(self) -> str:
        """``COMMITMENT.PARAMETER=VALUE`` as the sweep's row label."""
        return f"{self.commitment}.{self.parameter}"


def parse_value(text: str) -> ParamValue:
    """A parameter value from the command line: number, true/false, A|B list, or text."""
    s = text.strip()
    if "|" in s:
        return [x.strip() for x in s.split("|") if x.strip()]
    if s in ("true", "false"):
        return s == "true"
    try:
        return int(s)
    except ValueError:
        pass
    try:
        return float(s)
    except ValueError:
        return s


def parse_setting(text: str) -> Setting:
    """Parse ``CID.param=v1,v2,...`` (raises ValueError with a fix)."""
    target, eq, values = text.partition("=")
    cid, dot, param = target.strip().partition(".")
    if not eq or not dot or not cid or not param or not values.strip():
        raise ValueError(
            f"--set {text!r}: write COMMITMENT.PARAMETER=VALUE[,VALUE...], "
            "e.g. CB-2.notice_days=30,42,60"
        )
    vals = tuple(parse_value(v) for v in values.split(",") if v.strip())
    return Setting(cid, param, vals)


def _same_type(old: ParamValue, new: ParamValue) -> bool:
    def cat(v: ParamValue) -> str:
        if isinstance(v, bool):
            return "bool"
        if isinstance(v, int | float):
            return "number"
        if isinstance(v, list):
            return "list"
        return "text"

    return cat(old) == cat(new)


def with_parameter(c: Commitment, name: str, value: ParamValue) -> Commitment:
    """``c`` with parameter ``name`` set to ``value``; a versioned parameter gets the value in
    every window (the windows themselves are kept). Raises ValueError with a fix.
    """
    p = c.parameters.get(name)
    if p is None:
        known = ", ".join(sorted(c.parameters)) or "none"
        raise ValueError(f"{c.id} has no parameter {name!r} (its parameters: {known})")
    old = p.value if p.value is not None else p.versions[0].value
    if not _same_type(old, value):
        raise ValueError(
            f"{c.id}.{name} is {type(old).__name__} ({old!r}); {value!r} is not of that kind"
        )
    if p.value is not None:
        new_p = p.model_copy(update={"value": value})
    else:
        new_p = p.model_copy(
            update={"versions": [v.model_copy(update={"value": value}) for v in p.versions]}
        )
    params: dict[str, Parameter] = dict(c.parameters)
    params[name] = Parameter.model_validate(new_p.model_dump(mode="json"))
    return c.model_copy(update={"parameters": params})


@dataclass
class SweepRow:
    label: str
    values: dict[str, ParamValue]
    counts: dict[str, int]
    is_base: bool = False


@dataclass
class SweepResult:
    """What ``treaty whatif --set`` shows: the base counts and one row per variant."""

    as_of: date
    settings: list[Setting]
    base_counts: dict[str, int]
    rows: list[SweepRow]
    stats: Stats


def sweep_variants(
    base: Mapping[str, Commitment], settings: Sequence[Setting], limit: int = 500
) -> list[tuple[dict[str, ParamValue], dict[str, Commitment]]]:
    """Every combination of the settings' values applied to ``base`` (raises ValueError)."""
    for s in settings:
        if s.commitment not in base:
            raise ValueError(f"--set {s.label}: no commitment {s.commitment} in the base set")
    total = 1
    for s in settings:
        total *= len(s.values)
    if total > limit:
        raise ValueError(
            f"--set gives {total} combinations, more than {limit}: sweep fewer values at a time"
        )
    combos: list[list[tuple[Setting, ParamValue]]] = [[]]
    for s in settings:
        combos = [c + [(s, v)] for c in combos for v in s.values]
    out = []
    for combo in combos:
        variant = dict(base)
        for s, v in combo:
            variant[s.commitment] = with_parameter(variant[s.commitment], s.parameter, v)
        out.append(({s.label: v for s, v in combo}, variant))
    return out


def run_sweep(
    engine: WhatIf, base: Mapping[str, Commitment], settings: Sequence[Setting]
) -> SweepResult:
    """Status counts for the base and for every combination of values."""
    variants = sweep_variants(base, settings)
    base_counts = status_counts(engine.evaluate(base))
    current = {s.label: _current_value(base[s.commitment], s.parameter) for s in settings}
    rows = []
    for values, variant in variants:
        label = ", ".join(f"{k}={_fmt(v)}" for k, v in values.items())
        counts = status_counts(engine.evaluate(variant))
        rows.append(SweepRow(label, values, counts, is_base=values == current))
    return SweepResult(engine.as_of, list(settings), base_counts, rows, engine.stats)


def _current_value(c: Commitment, name: str) -> ParamValue | None:
    p = c.parameters.get(name)
    if p is None:
        return None
    return p.value if p.value is not None else p.versions[-1].value


def _fmt(v: Any) -> str:
    if isinstance(v, list):
        return "|".join(map(str, v))
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    return str(v)


__all__ = [
    "Change",
    "Setting",
    "SweepResult",
    "WhatIf",
    "WhatIfResult",
    "commitment_key",
    "compare",
    "parse_setting",
    "run_sweep",
    "run_whatif",
    "status_counts",
    "with_parameter",
]
