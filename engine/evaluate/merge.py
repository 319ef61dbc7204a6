"""Merging the sources of each record into versions (docs/rules.md section 2).

The same record id in several reports is one act or situation seen by several sources. A later
report from the same source supersedes an earlier one; sources that agree (or are settled by an
inspection) merge into one version; sources that disagree on a field give one version each.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pydantic import ValidationError

from engine.model.findings import Evidence
from engine.model.records import EVIDENCE_RANK, RECORD_MODELS, RecordBase, Report
from engine.rules.time import end_of_day, epoch_seconds


@dataclass
class Occurrence:
    """A record as carried by one report."""

    report: Report
    record: RecordBase
    sha256: str
    path: str

    @property
    def source_key(self) -> str:
        """The source: ``self``, ``inspection``... or ``other_party:ARC``."""
        r = self.report
        return r.source if r.source_party is None else f"{r.source}:{r.source_party}"

    @property
    def rank(self) -> int:
        """Evidence rank of the report (docs/rules.md section 2)."""
        return EVIDENCE_RANK[self.report.level]


@dataclass
class Version:
    """One reading of a record: the merged fields, with one source's values where disputed."""

    record: RecordBase
    sources: list[str]  # source keys whose values this version carries for disputed fields
    index: int


@dataclass
class MergedRecord:
    """A record with all its sources merged: its versions, and where sources disagreed."""

    id: str
    kind: str
    versions: list[Version]
    occurrences: list[Occurrence]
    disputed: list[str]
    settled: list[str]
    levels: list[str] = field(default_factory=list)
    """Evidence levels of every report that carried the record, superseded ones included."""

    @property
    def self_only(self) -> bool:
        """Known only from the party's own reports."""
        return all(level == "self" for level in self.levels)

    _evidence: tuple[Evidence, ...] | None = field(default=None, repr=False, compare=False)

    def evidence(self) -> tuple[Evidence, ...]:
        """The evidence entries of every occurrence, built once (a record is cited by the
        findings of several commitments).
        """
        if self._evidence is None:
            self._evidence = tuple(
                Evidence(
                    record=self.id,
                    kind=self.kind,
                    report=o.report.id,
                    source=o.source_key,
                    sha256=o.sha256,
                    key_id=o.report.provenance.key_id,
                    signer=o.report.provenance.holder,
                    admitted_unsigned=o.report.provenance.admitted_unsigned,
                )
                for o in self.occurrences
            )
        return self._evidence


def _reading(model: type[RecordBase], data: dict[str, Any]) -> RecordBase:
    """One source's reading of a disputed record. Each source's report was valid on its own, but
    a mix of two sources can break a cross-field check (lower bound of one, upper of the other):
    the reading is still what that source claims, so it is built without re-validation.
    """
    try:
        return model.model_validate(data)
    except ValidationError:
        return model.model_construct(_fields_set=set(data), **data)


_KIND_OF: dict[type[RecordBase], str] = {m: k for k, m in RECORD_MODELS.items()}


def known_occurrences(
    reports: Iterable[tuple[Report, Mapping[str, str], str]], as_of: date
) -> list[Occurrence]:
    """Every record of the reports submitted by the end of ``as_of`` (UTC): only what was
    known on the as-of date (docs/rules.md section 1).
    """
    cutoff = epoch_seconds(end_of_day(as_of))
    return [
        Occurrence(rep, rec, hashes.get(rec.id, ""), path)
        for rep, hashes, path in reports
        if epoch_seconds(rep.submitted_at) <= cutoff
        for rec in rep.records
    ]


def _canon(v: Any) -> str:
    return json.dumps(v, sort_keys=True, default=str)


def merge_records(occurrences: Sequence[Occurrence], settling: Sequence[str]) -> list[MergedRecord]:
    """Merge every record's occurrences into versions (docs/rules.md section 2), by record id."""
    by_id: dict[str, list[Occurrence]] = defaultdict(list)
    for o in occurrences:
        by_id[o.record.id].append(o)
    return [_merge_one(rid, by_id[rid], settling) for rid in sorted(by_id)]


def _current_sources(occs: list[Occurrence]) -> list[Occurrence]:
    """The latest occurrence of each source (a later submission supersedes, by instant, ties by
    report id), highest evidence rank first.
    """
    if len(occs) == 1:
        return occs
    latest: dict[str, Occurrence] = {}
    for o in sorted(occs, key=lambda o: (o.report.submitted_at, o.report.id)):
        latest[o.source_key] = o
    return sorted(latest.values(), key=lambda o: (-o.rank, o.source_key))


def _merge_one(rid: str, occs: list[Occurrence], settling: Sequence[str]) -> MergedRecord:
    levels = [o.report.level for o in occs]
    sources = _current_sources(occs)
    if len(sources) == 1:  # one source: nothing to merge or dispute (most records)
        rec = sources[0].record
        version = Version(rec, [sources[0].source_key], 0)
        return MergedRecord(rid, _KIND_OF[type(rec)], [version], sources, [], [], levels)
    stated = {o.source_key: o.record.model_dump(exclude_unset=True) for o in sources}
    kind = str(sources[0].record.model_dump(include={"kind"})["kind"])
    merged, disputed, settled = _merge_fields(sources, stated, settling)
    model = RECORD_MODELS[kind]
    if not disputed:
        versions = [Version(_reading(model, merged), [o.source_key for o in sources], 0)]
    else:
        versions = _disputed_versions(model, sources, stated, merged, disputed)
    return MergedRecord(rid, kind, versions, sources, disputed, settled, levels)


def _merge_fields(
    sources: list[Occurrence], stated: Mapping[str, Mapping[str, Any]], settling: Sequence[str]
) -> tuple[dict[str, Any], list[str], list[str]]:
    """Field by field: (merged values, disputed fields, fields settled by the settling sources)."""
    merged: dict[str, Any] = {}
    disputed: list[str] = []
    settled: list[str] = []
    for name in sorted({k for d in stated.values() for k in d}):
        vals = [(o, stated[o.source_key][name]) for o in sources if name in stated[o.source_key]]
        if len({_canon(v) for _, v in vals}) == 1:
            merged[name] = vals[0][1]
            continue
        settlers = [(o, v) for o, v in vals if o.report.level in settling]
        top = [(o, v) for o, v in settlers if o.rank == settlers[0][0].rank] if settlers else []
        if top and len({_canon(v) for _, v in top}) == 1:  # two that disagree settle nothing
            merged[name] = top[0][1]
            settled.append(name)
            continue
        merged[name] = vals[0][1]
        disputed.append(name)
    return merged, disputed, settled


def _disputed_versions(
    model: type[RecordBase],
    sources: list[Occurrence],
    stated: Mapping[str, Mapping[str, Any]],
    merged: Mapping[str, Any],
    disputed: list[str],
) -> list[Version]:
    """One version per source that states a disputed field (identical readings once)."""
    versions: list[Version] = []
    seen: set[str] = set()
    for o in sources:
        own = stated[o.source_key]
        if not any(n in own for n in disputed):
            continue
        data = dict(merged)
        data.update({n: own[n] for n in disputed if n in own})
        key = _canon(data)
        if key in seen:
            continue
        seen.add(key)
        versions.append(Version(_reading(model, data), [o.source_key], len(versions)))
    return versions
