"""Records, sources and versions (docs/rules.md section 2): the as-of cut, supersession by the
same source, merging field by field, settling and one version per disagreeing source."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic_core import PydanticUndefined

from engine.model.commitment import TreatyState
from engine.model.records import RECORD_MODELS, Report
from tests.reference.values import RANK, canon, end_of_day, normalise, utc_seconds

# ----------------------------------------------------------------------------------------------
# Records, sources and versions (section 2)
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Version:
    fields: dict[str, Any]
    label: str  # the source whose values it carries ("merged" when undisputed)


@dataclass
class Rec:
    party: str
    kind: str
    id: str
    versions: list[Version]
    self_only: bool  # every report that carried it came from the party itself

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.party, self.kind, self.id)


@dataclass
class Statement:
    source_name: str
    level: str
    rank: int
    fields: dict[str, Any]


NOT_MERGED = frozenset({"id", "kind", "note"})
"""``note`` is free text never used by rules; ``id`` and ``kind`` identify the record."""


def stated_fields(record: Any) -> dict[str, Any]:
    """The fields the report actually states.

    READING: a field is stated only if the report gives it a non-null value; a schema default
    (``biological_data: false``, ``members: []``) that the report did not write is *not stated*:
    silence of a source is not a statement.
    """
    out: dict[str, Any] = {}
    for name in sorted(record.model_fields_set):
        if name in NOT_MERGED:
            continue
        value = getattr(record, name)
        if value is None:
            continue
        out[name] = normalise(value)
    return out


def source_name(report: Report) -> str:
    return (
        report.source if report.source_party is None else f"{report.source}:{report.source_party}"
    )


def build_records(
    treaty: TreatyState, reports: Sequence[Report], as_of: date
) -> dict[str, dict[str, list[Rec]]]:
    """party -> kind -> records, after the as-of cut, supersession and merging."""
    cutoff = end_of_day(as_of)
    latest: dict[tuple[str, str, str], dict[tuple[str, str | None], tuple[Any, Report, Any]]] = {}
    carriers: dict[tuple[str, str, str], list[str]] = {}
    sources: dict[tuple[str, str, str], set[str]] = {}
    for report in reports:
        if utc_seconds(report.submitted_at) > cutoff:
            continue  # submitted after the as-of date: not known on A
        skey = (report.source, report.source_party)
        order_key = (utc_seconds(report.submitted_at), report.id)
        for record in report.records:
            rkey: tuple[str, str, str] = (report.subject_party, str(record.kind), record.id)
            # the lead's ruling: corroboration looks at what backs a report (its evidence level)
            carriers.setdefault(rkey, []).append(report.evidence_level or report.source)
            sources.setdefault(rkey, set()).add(report.source)
            per_source = latest.setdefault(rkey, {})
            current = per_source.get(skey)
            # READING: ties on submitted_at are broken by report id, the greater id counting as
            # the later report; the same record twice in one report: the later entry wins.
            if current is None or order_key >= current[0]:
                per_source[skey] = (order_key, report, record)

    settling: set[str] = set(treaty.settling_evidence)
    out: dict[str, dict[str, list[Rec]]] = {}
    for rkey in sorted(latest):
        party, kind, rid = rkey
        statements = []
        for _skey, (_k, report, record) in sorted(
            latest[rkey].items(), key=lambda kv: (kv[0][0], kv[0][1] or "")
        ):
            level = report.evidence_level or report.source
            statements.append(
                Statement(source_name(report), level, RANK[level], stated_fields(record))
            )
        # docs/rules.md section 3: who reported the record, the same in every version
        virtual = {
            **virtual_fields(treaty, party),
            "reported_by": sorted(sources[rkey]),
            "evidence_levels": sorted(set(carriers[rkey])),
        }
        versions = [
            Version({**v.fields, **virtual}, v.label)
            for v in merge_versions(rid, kind, statements, settling)
        ]
        rec = Rec(party, kind, rid, versions, all(s == "self" for s in carriers[rkey]))
        out.setdefault(party, {}).setdefault(kind, []).append(rec)
    return out


def virtual_fields(treaty: TreatyState, party: str) -> dict[str, Any]:
    """docs/rules.md section 3: fields every record about a party has without being reported.

    ``party_entry_into_force`` is the subject party's entry into force (a date). A record about a
    State that is not a Party, or not bound, is never judged, so it gets no value.
    """
    out: dict[str, Any] = {}
    for p in treaty.parties:
        if p.code == party and p.entry_into_force is not None:
            out["party_entry_into_force"] = p.entry_into_force
    return out


def merge_versions(
    rid: str, kind: str, statements: list[Statement], settling: set[str]
) -> list[Version]:
    names = sorted({f for s in statements for f in s.fields})
    merged: dict[str, Any] = {"id": rid, "kind": kind}
    disputed: dict[str, list[tuple[Statement, Any]]] = {}
    for name in names:
        stating = [(s, s.fields[name]) for s in statements if name in s.fields]
        if len({canon(v) for _, v in stating}) == 1:
            merged[name] = stating[0][1]
            continue
        settlers = [(s, v) for s, v in stating if s.level in settling]
        if settlers:
            top = max(s.rank for s, _ in settlers)
            best = [(s, v) for s, v in settlers if s.rank == top]
            # READING: if the highest-ranked settling sources disagree among themselves
            # (two inspections), nothing is settled and the field is disputed.
            if len({canon(v) for _, v in best}) == 1:
                merged[name] = best[0][1]
                continue
        disputed[name] = stating
    if not disputed:
        return [Version(with_defaults(kind, merged), "merged")]
    # READING: the "disagreeing sources" are the sources stating at least one disputed field.
    # READING: their versions are listed highest-ranked source first, ties by source name (the
    # order section 2 uses to choose between sources); section 13 takes the reason code of the
    # first reading when the readings agree on the status.
    ranks = {s.source_name: s.rank for s in statements}
    disagreeing = sorted(
        {s.source_name for stating in disputed.values() for s, _ in stating},
        key=lambda name: (-ranks[name], name),
    )
    versions = []
    for name in disagreeing:
        fields = dict(merged)
        for fname, stating in disputed.items():
            own = [v for s, v in stating if s.source_name == name]
            if own:
                fields[fname] = own[0]
            else:
                # READING: ties in rank are broken by source name, alphabetically first wins.
                best_s, best_v = sorted(stating, key=lambda sv: (-sv[0].rank, sv[0].source_name))[0]
                fields[fname] = best_v
        versions.append(Version(with_defaults(kind, fields), name))
    return versions


def with_defaults(kind: str, fields: dict[str, Any]) -> dict[str, Any]:
    """The lead's ruling (docs/rules.md section 3): a field no source states takes its schema
    default when it has one (``biological_data: false``, lists ``[]``); merging still uses only
    stated fields, so silence never disputes a statement."""
    out = dict(fields)
    for name, info in RECORD_MODELS[kind].model_fields.items():
        if name in out or name in NOT_MERGED:
            continue
        default = info.get_default(call_default_factory=True)
        if default is not None and default is not PydanticUndefined:
            out[name] = normalise(default)
    return out
