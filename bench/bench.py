"""Benchmark: `treaty check` on a synthetic archive of 193 parties' conduct reports.

What it does, in one run:

1. generates (once, then reuses) a synthetic archive: 193 parties x Y years x N records per
   party-year (``--records-per-party-year N``, default 500: about 1M records), with a realistic
   mix of record kinds (training runs with their notifications mostly on time and some late or
   missing, annual exchanges, calendars and accounts, incidents with notifications, arrangements
   and their registrations, transfers, holdings, inspection requests, acknowledgements,
   inspections and refusals, explanation requests and replies, measures, evidence requests...).
   Every party has one JSONL file (one ``self`` report per party-year per line) and the
   Secretariat and other parties add reports that repeat some record ids with disagreeing values.
   A treaty-state YAML lists the 193 parties (codes AAA, AAB, ...);
2. end to end: ``treaty check DIR --as-of 2037-06-30 --format json --output FILE`` in a fresh
   subprocess, with ``--jobs 1`` and ``--jobs 2``: wall time, records/s and peak memory (the
   largest process, from ``wait4``'s ``ru_maxrss``, and the whole process tree, sampled);
3. the raw durable_rules ceiling: the bundled commitments compiled with
   ``engine.rules.compile.compile_program``, the facts built per party with ``engine.evaluate.evaluator``'s
   ``engine.evaluate.facts.build_facts``, and only ``DurableMatcher.match`` timed (records/s); the ratio end
   to end / raw;
4. the plain-Python oracle (``tests/oracle.py``) on a subset of parties, for reference.

Medians of ``--repeat K`` runs (default 3). ``--quick`` is a small smoke run for CI: it prints
the ratio and the peak memory and exits 0. ``--profile`` runs cProfile over an in-process check of
a subset of parties and prints the top functions.

Usage::

    python bench/bench.py --quick
    python bench/bench.py                                    # 193 x 10 x 500, about 1M records
    python bench/bench.py --records-per-party-year 50 --repeat 3
    python bench/bench.py --profile --profile-parties 20

Generated data goes to ``bench/results/`` (git-ignored) unless ``--data-dir`` says otherwise.
"""

from __future__ import annotations

import argparse
import atexit
import cProfile
import io
import itertools
import json
import os
import platform
import pstats
import random
import shutil
import statistics
import string
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

AS_OF = date(2037, 6, 30)
FIRST_YEAR = 2027
GREAT_POWERS = ("USA", "CHN")
SEVERITIES = ["serious", "critical_infrastructure", "widespread", "death"]
SAFETY_ELEMENTS = [
    "evaluation",
    "adversarial_testing",
    "risk_mitigation",
    "incident_reporting",
    "cybersecurity",
    "safety_framework",
]
LABEL_ELEMENTS = ["text", "image", "audio", "video", "explicit", "metadata", "removal_prohibited"]
ALL_COMMITMENTS = [
    "NX-1",
    "NX-2",
    "NX-3",
    "SS-1",
    "SS-2",
    "SS-3",
    "CB-1",
    "CB-2",
    "CB-3",
    "CB-4",
    "CB-5",
    "TR-2",
    "TR-3",
    "TR-4",
    "EX-1",
    "EX-2",
    "IR-1",
    "IR-2",
]


# ------------------------------------------------------------------------------------------------
# Synthetic archive


def party_codes(n: int) -> list[str]:
    """AAA, AAB, ... (party codes must match ^[A-Z]{3}$); never a Great Power's code."""
    out = []
    for t in itertools.product(string.ascii_uppercase, repeat=3):
        code = "".join(t)
        if code not in GREAT_POWERS:
            out.append(code)
        if len(out) == n:
            return out
    raise ValueError(n)


def ts(d: datetime) -> str:
    return d.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class PartyYear:
    """Generates the records of one party for one year (and the extra reports about them)."""

    def __init__(self, rng: random.Random, party: str, year: int, codes: list[str]) -> None:
        self.rng = rng
        self.party = party
        self.year = year
        self.others = codes
        self.n = 0
        self.facilities: list[str] = []
        self.registrations: list[dict[str, Any]] = []  # Secretariat's register
        self.repeats: list[dict[str, Any]] = []  # records the Secretariat reports differently
        self.peer_repeats: list[dict[str, Any]] = []  # transfers another party reports too

    # -- helpers ---------------------------------------------------------------------------------

    def rid(self, prefix: str) -> str:
        self.n += 1
        return f"{prefix}-{self.party}-{self.year}-{self.n}"

    def day(self, lo: int = 0, hi: int = 364) -> date:
        return date(self.year, 1, 1) + timedelta(days=self.rng.randint(lo, hi))

    def instant(self, lo: int = 0, hi: int = 364) -> datetime:
        d = self.day(lo, hi)
        return datetime(
            d.year, d.month, d.day, self.rng.randint(0, 23), self.rng.randint(0, 59), tzinfo=UTC
        )

    def other(self) -> str:
        while True:
            c = self.rng.choice(self.others)
            if c != self.party:
                return c

    def fate(self, late: float, missing: float) -> str:
        x = self.rng.random()
        return "missing" if x < missing else "late" if x < missing + late else "ok"

    def notification(
        self, channel: str, about: str, sent: datetime, to: str = "all"
    ) -> dict[str, Any]:
        return {
            "kind": "notification",
            "id": self.rid("ntf"),
            "channel": channel,
            "about": about,
            "sent_at": ts(sent),
            "recipients": [to],
        }

    # -- scenarios -------------------------------------------------------------------------------

    def training_run(self) -> list[dict[str, Any]]:
        r = self.rng
        rid = self.rid("run")
        planned = self.day()
        band = r.random()
        if band < 0.55:
            upper = 10 ** r.uniform(22.0, 24.95)
        elif band < 0.80:
            upper = 10 ** r.uniform(25.0, 25.97)
        elif band < 0.86:
            upper = r.uniform(9.5e25, 9.99e25)  # just below the CB-2 threshold
        else:
            upper = 10 ** r.uniform(26.01, 27.3)
        upper = float(f"{upper:.3e}")
        run: dict[str, Any] = {
            "kind": "training_run",
            "id": rid,
            "developer": f"Lab {r.randint(1, 40)}",
            "planned_start": planned.isoformat(),
            "compute_lower_flop": float(f"{upper * r.uniform(0.3, 0.9):.3e}"),
            "compute_upper_flop": upper,
        }
        if r.random() < 0.03:
            run["biological_data"] = True
        start = planned
        if r.random() < 0.6:
            start = planned + timedelta(days=r.randint(0, 20))
            run["actual_start"] = start.isoformat()
            if r.random() < 0.8:
                run["actual_flop"] = float(f"{upper * r.uniform(0.5, 1.04):.3e}")
        out = [run]
        if upper >= 1e25:
            known = planned - timedelta(days=r.randint(30, 120))
            run["threshold_known_on"] = known.isoformat()
            f = self.fate(0.07, 0.03)
            if f != "missing":
                delay = r.randint(0, 13) if f == "ok" else r.randint(15, 40)
                sent = datetime(known.year, known.month, known.day, 10, tzinfo=UTC) + timedelta(
                    days=delay
                )
                out.append(self.notification("SS-1", rid, sent, "national_authority"))
        if upper > 1e26 or (run.get("biological_data") and upper > 1e23):
            f = self.fate(0.08, 0.04)
            if f != "missing":
                before = r.randint(43, 120) if f == "ok" else r.randint(1, 41)
                sent = datetime(start.year, start.month, start.day, 9, tzinfo=UTC) - timedelta(
                    days=before
                )
                out.append(self.notification("CB-2", rid, sent))
        elif upper < 1e26 and r.random() < 0.02:
            known_at = self.instant()
            run["excess_known_at"] = ts(known_at)
            run["actual_flop"] = float(f"{upper * 1.2:.3e}")
            if r.random() < 0.9:
                out.append(
                    self.notification("CB-2", rid, known_at + timedelta(hours=r.randint(1, 60)))
                )
        if r.random() < 0.02:  # the Secretariat's estimate disagrees
            rep = dict(run)
            rep["compute_upper_flop"] = float(f"{upper * 1.5:.3e}")
            self.repeats.append(rep)
        return out

    def incident(self) -> list[dict[str, Any]]:
        r = self.rng
        iid = self.rid("inc")
        aware = self.instant()
        classes = r.sample(SEVERITIES, r.choice([1, 1, 1, 2]))
        cross = r.random() < 0.2
        inc: dict[str, Any] = {
            "kind": "incident",
            "id": iid,
            "aware_at": ts(aware),
            "severity_classes": classes,
        }
        if cross:
            inc["cross_border"] = True
            inc["affected_parties"] = [self.other()]
        if r.random() < 0.05:
            inc["imminent_risk"] = True
        limit = 15
        if "critical_infrastructure" in classes or "widespread" in classes:
            limit = 2
        elif "death" in classes:
            limit = 10
        out = [inc]
        f = self.fate(0.08, 0.03)
        if f != "missing":
            hours = (
                r.uniform(1, limit * 24 - 1)
                if f == "ok"
                else r.uniform(limit * 24 + 1, limit * 24 + 200)
            )
            sent = aware + timedelta(hours=hours)
            inc["reported_at"] = ts(sent)
            out.append(self.notification("IR-1", iid, sent, "national_authority"))
        if cross or inc.get("imminent_risk"):
            f = self.fate(0.1, 0.05)
            if f != "missing":
                out.append(
                    self.notification(
                        "IR-2",
                        iid,
                        aware
                        + timedelta(hours=r.uniform(1, 23) if f == "ok" else r.uniform(25, 72)),
                    )
                )
            if r.random() < 0.93:
                out.append(
                    self.notification("IR-2-written", iid, aware + timedelta(days=r.uniform(1, 8)))
                )
        return out

    def transfer(self) -> list[dict[str, Any]]:
        r = self.rng
        tid = self.rid("tx")
        shipped = self.day()
        t: dict[str, Any] = {
            "kind": "transfer",
            "id": tid,
            "direction": r.choice(["export", "import"]),
            "counterparty": self.other(),
            "shipped_on": shipped.isoformat(),
        }
        x = r.random()
        if x < 0.05:
            t["weights_training_flop"] = float(f"{10 ** r.uniform(24, 26.5):.3e}")
        elif x < 0.7:
            t["h100e"] = float(r.randint(10, 1500))
        elif x < 0.8:
            t["h100e"] = float(r.randint(1530, 1699))
        else:
            t["h100e"] = float(r.randint(1700, 20000))
        out = [t]
        big = t.get("h100e", 0) >= 1700 or t.get("weights_training_flop", 0) >= 1e26
        if big and r.random() < 0.95:
            sent = datetime(shipped.year, shipped.month, shipped.day, 12, tzinfo=UTC) + timedelta(
                days=r.randint(0, 8)
            )
            out.append(self.notification("EX-2", tid, sent, "secretariat"))
        if "h100e" in t and r.random() < 0.03:  # the counterparty counts a different lot size
            rep = dict(t)
            rep["h100e"] = float(t["h100e"] * 1.1 + 1)
            self.peer_repeats.append(rep)
        return out

    def holding(self) -> list[dict[str, Any]]:
        r = self.rng
        hid = self.rid("hold")
        on = self.day()
        last = float(r.randint(1000, 100000))
        now = float(round(last * (1 + r.uniform(-0.2, 0.2))))
        out = [
            {
                "kind": "holding",
                "id": hid,
                "on": on.isoformat(),
                "h100e": now,
                "last_declared_h100e": last,
            }
        ]
        if abs(now - last) * 100 / last >= 10 and r.random() < 0.9:
            sent = datetime(on.year, on.month, on.day, 12, tzinfo=UTC) + timedelta(
                days=r.randint(0, 8)
            )
            out.append(self.notification("EX-2", hid, sent, "secretariat"))
        return out

    def explanation(self) -> list[dict[str, Any]]:
        r = self.rng
        qid = self.rid("req")
        urgent = r.random() < 0.7
        sent = self.instant()
        req = {
            "kind": "explanation_request",
            "id": qid,
            "urgency": "unusual_activity" if urgent else "clarification",
            "requesting_party": self.other(),
            "sent_at": ts(sent),
        }
        out: list[dict[str, Any]] = [req]
        limit_h = 48 if urgent else 240
        f = self.fate(0.1, 0.05)
        if f != "missing":
            hours = (
                r.uniform(1, limit_h - 1) if f == "ok" else r.uniform(limit_h + 1, limit_h + 100)
            )
            reply: dict[str, Any] = {
                "kind": "reply",
                "id": self.rid("rep"),
                "request": qid,
                "sent_at": ts(sent + timedelta(hours=hours)),
            }
            if r.random() < 0.5:
                reply["judged_adequate"] = r.random() < 0.8
            out.append(reply)
            if r.random() < 0.1:
                m: dict[str, Any] = {
                    "kind": "meeting",
                    "id": self.rid("mtg"),
                    "request": qid,
                    "requested_at": ts(sent + timedelta(hours=hours + 24)),
                }
                if r.random() < 0.8:
                    m["convened_at"] = ts(sent + timedelta(hours=hours + 60))
                    m["attended_by_requested_party"] = r.random() < 0.9
                out.append(m)
        return out

    def facility(self) -> list[dict[str, Any]]:
        r = self.rng
        fid = self.rid("fac")
        self.facilities.append(fid)
        f: dict[str, Any] = {
            "kind": "facility",
            "id": fid,
            "name": f"Data centre {fid}",
            "operating_since": self.day().isoformat(),
            "peak_ops_per_s": float(f"{10 ** r.uniform(17, 21):.3e}"),
            "interconnect_gbps": float(r.randint(10, 400)),
            "access_terms": r.choice(["open", "open", "restricted", "exclusive"]),
        }
        if r.random() < 0.05:
            f["controller_is_gp_state_entity"] = True
            f["controller"] = r.choice(GREAT_POWERS)
        return [f]

    def inspection(self) -> list[dict[str, Any]]:
        r = self.rng
        qid = self.rid("insp-req")
        fac = r.choice(self.facilities) if self.facilities else f"fac-{self.party}-declared"
        received = self.instant()
        who = self.other()
        out: list[dict[str, Any]] = [
            {
                "kind": "inspection_request",
                "id": qid,
                "requesting_party": who,
                "facility": fac,
                "received_at": ts(received),
            }
        ]
        f = self.fate(0.05, 0.02)
        if f != "missing":
            h = r.uniform(1, 23) if f == "ok" else r.uniform(25, 60)
            out.append(
                {
                    "kind": "inspection_ack",
                    "id": self.rid("ack"),
                    "request": qid,
                    "sent_at": ts(received + timedelta(hours=h)),
                }
            )
        x = r.random()
        if x < 0.82:
            h = r.uniform(4, 35) if r.random() < 0.92 else r.uniform(37, 80)
            ins: dict[str, Any] = {
                "kind": "inspection",
                "id": self.rid("insp"),
                "request": qid,
                "requesting_party": who,
                "access_granted_at": ts(received + timedelta(hours=h)),
            }
            if r.random() < 0.95:
                ins["hours_on_site"] = float(r.choice([36, 48, 48, 56, 60, 72, 72, 72, 96]))
            out.append(ins)
        elif x < 0.95:
            out.append(
                {
                    "kind": "inspection_refusal",
                    "id": self.rid("refusal"),
                    "request": qid,
                    "requesting_party": who,
                    "refused_at": ts(received + timedelta(hours=r.uniform(2, 30))),
                    "grounds": "quota",
                }
            )
        if r.random() < 0.03:
            out.append(
                {
                    "kind": "exemption",
                    "id": self.rid("exm"),
                    "facility": fac,
                    "invoked_at": ts(received + timedelta(hours=1)),
                    "reasons": "maintenance",
                }
            )
        return out

    def arrangement(self) -> list[dict[str, Any]]:
        r = self.rng
        aid = self.rid("arr")
        signed = self.day()
        a: dict[str, Any] = {
            "kind": "arrangement",
            "id": aid,
            "name": f"Arrangement {aid}",
            "signed_on": signed.isoformat(),
            "domains": r.sample(["compute", "models", "data", "standards", "cloud"], 2),
        }
        if r.random() < 0.6:
            a["form"] = "bilateral"
            a["counterpart"] = r.choice(GREAT_POWERS) if r.random() < 0.15 else self.other()
            a["clauses"] = r.sample(
                ["research", "data_sharing", "procurement", "exclusive_supplier"],
                r.choice([1, 1, 2]),
            )
        else:
            a["form"] = "multilateral"
            a["members"] = sorted({self.party, *(self.other() for _ in range(r.randint(2, 6)))})
            a["exclusivity_clause"] = r.random() < 0.03
            a["accession"] = r.choice(["open", "open", "conditional", "closed"])
        events = [("signature", signed)]
        if r.random() < 0.1:
            amended = signed + timedelta(days=r.randint(30, 300))
            a["amended_on"] = amended.isoformat()
            events.append(("amendment", amended))
        if r.random() < 0.05:
            ended = signed + timedelta(days=r.randint(200, 900))
            a["terminated_on"] = ended.isoformat()
            events.append(("termination", ended))
        for ev, d in events:
            f = self.fate(0.08, 0.04)
            if f == "missing":
                continue
            delay = r.randint(0, 12) if f == "ok" else r.randint(20, 60)
            at = datetime(d.year, d.month, d.day, 9, tzinfo=UTC) + timedelta(days=delay)
            self.registrations.append(
                {
                    "kind": "registration",
                    "id": self.rid("reg"),
                    "arrangement": aid,
                    "event": ev,
                    "registered_at": ts(at),
                }
            )
        return [a]

    def measure(self) -> list[dict[str, Any]]:
        r = self.rng
        topic = r.choice(["frontier_safety", "content_labelling", "other", "export_control"])
        adopted = self.day()
        m: dict[str, Any] = {
            "kind": "measure",
            "id": self.rid("law"),
            "title": f"Act {self.n}",
            "topic": topic,
            "binding": r.random() < 0.85,
            "adopted_on": adopted.isoformat(),
        }
        if r.random() < 0.9:
            m["in_force_from"] = (adopted + timedelta(days=r.randint(0, 180))).isoformat()
        if topic == "frontier_safety":
            m["elements"] = SAFETY_ELEMENTS if r.random() < 0.8 else SAFETY_ELEMENTS[:4]
        elif topic == "content_labelling":
            m["elements"] = LABEL_ELEMENTS if r.random() < 0.8 else LABEL_ELEMENTS[:5]
        return [m]

    def evidence(self) -> list[dict[str, Any]]:
        r = self.rng
        qid = self.rid("evreq")
        received = self.instant()
        req = {
            "kind": "evidence_request",
            "id": qid,
            "claim": f"law-{self.party}-{self.year}-1",
            "requested_by": ["secretariat"] if r.random() < 0.7 else [self.other(), self.other()],
            "received_at": ts(received),
        }
        out: list[dict[str, Any]] = [req]
        f = self.fate(0.1, 0.05)
        if f != "missing":
            days = r.uniform(0.5, 9.5) if f == "ok" else r.uniform(11, 30)
            out.append(
                {
                    "kind": "evidence_supplied",
                    "id": self.rid("evsup"),
                    "request": qid,
                    "supplied_at": ts(received + timedelta(days=days)),
                    "evidence_type": "self_statement"
                    if r.random() < 0.1
                    else r.choice(
                        [
                            "inspection_record",
                            "third_party_evaluation",
                            "customs_record",
                            "audited_statement",
                        ]
                    ),
                }
            )
        return out

    def policy(self) -> list[dict[str, Any]]:
        r = self.rng
        return [
            {
                "kind": "export_control_policy",
                "id": self.rid("ecp"),
                "effective_from": self.day().isoformat(),
                "tier_bases": ["capability", "end_use"]
                + (["alliance_membership"] if r.random() < 0.1 else []),
                "criteria_published": r.random() < 0.8,
            }
        ]

    def annual(self, eif: date) -> list[dict[str, Any]]:
        """The yearly duties: CB-1 exchange, CB-3 calendar, TR-3 accounts, TR-1 report."""
        r = self.rng
        y = self.year
        out: list[dict[str, Any]] = []

        def due(month: int, day: int, late: float, missing: float) -> datetime | None:
            f = self.fate(late, missing)
            if f == "missing":
                return None
            base = datetime(y, month, day, 12, tzinfo=UTC)
            return (
                base - timedelta(days=r.randint(0, 20))
                if f == "ok"
                else base + timedelta(days=r.randint(1, 10))
            )

        at = due(12, 15, 0.05, 0.02)
        if at:
            out.append(
                {
                    "kind": "annual_exchange",
                    "id": self.rid("cb1"),
                    "valid_for_year": y + 1,
                    "submitted_at": ts(at),
                    "facilities_declared": len(self.facilities),
                    "models_declared": r.randint(0, 40),
                    "holdings_h100e": float(r.randint(1000, 200000)),
                }
            )
        at = due(11, 15, 0.05, 0.02)
        if at:
            out.append(
                {
                    "kind": "calendar",
                    "id": self.rid("cal"),
                    "for_year": y + 1,
                    "submitted_at": ts(at),
                    "runs": [],
                }
            )
        at = due(12, 15, 0.05, 0.03)
        if at:
            b = float(r.randint(1000, 100000))
            i, p, e, ret = (float(r.randint(0, 5000)) for _ in range(4))
            end = b + i + p - e - ret + (r.choice([0.0, 0.0, 0.0, 50.0, 3000.0]))
            acc: dict[str, Any] = {
                "kind": "inventory_account",
                "id": self.rid("acc"),
                "year": y,
                "submitted_at": ts(at),
                "beginning": b,
                "imports": i,
                "production": p,
                "exports": e,
                "retirements": ret,
                "ending": max(end, 0.0),
            }
            if r.random() < 0.9:
                acc["sigma"] = float(r.randint(10, 200))
            out.append(acc)
        if (y - eif.year) % 2 == 1:
            at = due(eif.month, min(eif.day, 28), 0.05, 0.03)
            if at:
                addressed = ALL_COMMITMENTS if r.random() < 0.85 else ALL_COMMITMENTS[:10]
                out.append(
                    {
                        "kind": "implementation_report",
                        "id": self.rid("impl"),
                        "submitted_at": ts(at),
                        "commitments_addressed": addressed,
                    }
                )
        return out


SCENARIOS = [
    ("training_run", 30),
    ("incident", 14),
    ("transfer", 15),
    ("holding", 5),
    ("explanation", 8),
    ("inspection", 8),
    ("arrangement", 6),
    ("facility", 3),
    ("measure", 3),
    ("evidence", 3),
    ("policy", 1),
]


def party_years(codes: list[str]) -> Iterator[tuple[str, date, date | None]]:
    """(code, entry into force, withdrawal notice) for each party."""
    rng = random.Random(1)
    for i, c in enumerate(codes):
        eif = rng.choice(
            [date(2027, 1, 1)] * 7 + [date(2027, 7, 1), date(2027, 7, 1), date(2028, 1, 1)]
        )
        notice = date(2035, 6, 30) if i % 50 == 17 else None
        yield c, eif, notice


def write_treaty(path: Path, parties: list[tuple[str, date, date | None]]) -> None:
    lines = [
        "# Synthetic treaty state for bench/bench.py: the bundled treaty with 193 parties.",
        "document: treaty",
        "id: ai-non-alignment-treaty",
        "title: AI Non-Alignment Treaty",
        'version: "2027.1"',
        "commitments: ["
        + ", ".join(
            [
                "NX-1",
                "NX-2",
                "NX-3",
                "SS-1",
                "SS-2",
                "SS-3",
                "CB-1",
                "CB-2",
                "CB-3",
                "CB-4",
                "CB-5",
                "TR-1",
                "TR-2",
                "TR-3",
                "TR-4",
                "EX-1",
                "EX-2",
                "IR-1",
                "IR-2",
                "GEN-1",
            ]
        )
        + "]",
        "parameters:",
        "  great_powers: {description: Great Powers, value: [USA, CHN]}",
        "  transition_months: {description: GEN-1 transition, unit: months, value: 24}",
        "  withdrawal_notice_months:",
        "    {description: GEN-1 withdrawal notice, unit: months, value: 6}",
        "parties:",
    ]
    for code, eif, notice in parties:
        item = (
            f"  - {{code: {code}, name: State {code}, signed_on: 2026-06-01, "
            f"entry_into_force: {eif.isoformat()}"
        )
        if notice:
            item += f", withdrawal_notice_on: {notice.isoformat()}"
        lines.append(item + "}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def generate(
    out: Path, n_parties: int, years: int, per_party_year: int, seed: int = 7
) -> dict[str, int]:
    """Write the archive under ``out``; return counts. Deterministic for a given seed."""
    out.mkdir(parents=True, exist_ok=True)
    reports_dir = out / "reports"
    reports_dir.mkdir(exist_ok=True)
    codes = party_codes(n_parties)
    parties = list(party_years(codes))
    write_treaty(out / "treaty-state.yaml", parties)
    names = [n for n, _ in SCENARIOS]
    weights = [w for _, w in SCENARIOS]
    counts = {"records": 0, "reports": 0, "self_records": 0, "repeated_records": 0}
    for code, eif, _notice in parties:
        rng = random.Random(f"{seed}:{code}")
        lines = []
        for y in range(FIRST_YEAR, FIRST_YEAR + years):
            py = PartyYear(rng, code, y, codes)
            recs = py.annual(eif)
            while len(recs) < per_party_year:
                recs.extend(getattr(py, rng.choices(names, weights)[0])())
            recs = recs[:per_party_year]
            submitted = datetime(y, 12, 28, 9, tzinfo=UTC)
            reports = [
                {
                    "document": "report",
                    "id": f"{code}-{y}-self",
                    "source": "self",
                    "subject_party": code,
                    "period": {"start": f"{y}-01-01", "end": f"{y}-12-31"},
                    "submitted_at": ts(submitted),
                    "records": recs,
                }
            ]
            kept = {r["id"] for r in recs}
            sec = [r for r in py.registrations if r["arrangement"] in kept]
            sec += [r for r in py.repeats if r["id"] in kept]
            if sec:
                reports.append(
                    {
                        "document": "report",
                        "id": f"{code}-{y}-secretariat",
                        "source": "secretariat",
                        "subject_party": code,
                        "period": {"start": f"{y}-01-01", "end": f"{y}-12-31"},
                        "submitted_at": ts(submitted + timedelta(days=10)),
                        "records": sec,
                    }
                )
            peer = [r for r in py.peer_repeats if r["id"] in kept]
            if peer:
                reports.append(
                    {
                        "document": "report",
                        "id": f"{code}-{y}-other",
                        "source": "other_party",
                        "source_party": peer[0]["counterparty"],
                        "subject_party": code,
                        "period": {"start": f"{y}-01-01", "end": f"{y}-12-31"},
                        "submitted_at": ts(submitted + timedelta(days=12)),
                        "records": peer,
                    }
                )
            for rep in reports:
                counts["reports"] += 1
                counts["records"] += len(rep["records"])
                lines.append(json.dumps(rep, separators=(",", ":")))
            counts["self_records"] += len(recs)
            counts["repeated_records"] += len([r for r in py.repeats if r["id"] in kept]) + len(
                peer
            )
        (reports_dir / f"{code}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (out / ".counts.json").write_text(json.dumps(counts, indent=2) + "\n")
    return counts


def ensure_data(args: argparse.Namespace) -> tuple[Path, dict[str, int]]:
    base = Path(args.data_dir) if args.data_dir else ROOT / "bench" / "results"
    d = base / f"archive-{args.parties}x{args.years}x{args.records_per_party_year}-s{args.seed}"
    marker = d / ".counts.json"
    if marker.is_file() and not args.regenerate:
        return d, json.loads(marker.read_text())
    t = time.perf_counter()
    counts = generate(d, args.parties, args.years, args.records_per_party_year, args.seed)
    print(
        f"generated {counts['records']:,} records in {counts['reports']:,} reports under {d} "
        f"({time.perf_counter() - t:.1f} s)",
        flush=True,
    )
    return d, counts


# ------------------------------------------------------------------------------------------------
# Measurements


def _tree_rss_kb(pid: int) -> int:
    """Resident memory of a process and all its descendants, in KiB (Linux /proc)."""
    total = 0
    stack = [pid]
    seen = set()
    while stack:
        p = stack.pop()
        if p in seen:
            continue
        seen.add(p)
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
                        break
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    stack.extend(int(x) for x in f.read().split())
        except (FileNotFoundError, ProcessLookupError, PermissionError, ValueError):
            continue
    return total


def run_check(data: Path, jobs: int, out_file: Path) -> dict[str, Any]:
    """One end-to-end `treaty check` in a fresh process: wall and CPU seconds, peak memory.

    CPU seconds (user + system of the process and its workers, from ``wait4``) are less
    sensitive than wall time to other work on a shared machine; the 1-minute load average
    before and after each run is recorded for the same reason.
    """
    cmd = [
        sys.executable,
        "-m",
        "engine.cli",
        "check",
        str(data),
        "--as-of",
        AS_OF.isoformat(),
        "--format",
        "json",
        "--output",
        str(out_file),
        "--jobs",
        str(jobs),
    ]
    peak_tree = 0
    load_before = os.getloadavg()[0]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak_tree
        while not stop.is_set():
            peak_tree = max(peak_tree, _tree_rss_kb(proc.pid))
            stop.wait(0.05)

    th = threading.Thread(target=sample, daemon=True)
    th.start()
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    stop.set()
    th.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"treaty check failed with exit {proc.returncode}: {err.decode()[-2000:]}")
    summary = [ln for ln in err.decode().splitlines() if ln.startswith("Summary:")]
    return {
        "wall_s": wall,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "maxrss_mb": usage.ru_maxrss / 1024,
        "tree_rss_mb": peak_tree / 1024,
        "exit": proc.returncode,
        "load1_before": load_before,
        "load1_after": os.getloadavg()[0],
        "summary": summary[-1] if summary else "",
        "output_mb": out_file.stat().st_size / 1048576,
    }


def load_reports_fast(data: Path, only: set[str] | None = None) -> list[Any]:
    """Reports straight through the pydantic models (no JSON Schema pass): for the ceilings."""
    from engine.model.records import Report

    reports = []
    for f in sorted((data / "reports").glob("*.jsonl")):
        if only is not None and f.stem not in only:
            continue
        for line in f.read_text(encoding="utf-8").splitlines():
            if line.strip():
                reports.append(Report.model_validate_json(line))
    return reports


def load_treaty(data: Path, only: set[str] | None = None) -> Any:
    from engine.ingest import load_yaml_text
    from engine.model.commitment import TreatyState

    raw = load_yaml_text((data / "treaty-state.yaml").read_text(encoding="utf-8"))
    if only is not None:
        raw["parties"] = [p for p in raw["parties"] if p["code"] in only]
    return TreatyState.model_validate(raw)


def raw_ceiling(data: Path, repeat: int) -> dict[str, Any]:
    """Time only DurableMatcher.match over every party's facts (built once, matched K times)."""
    from engine.evaluate.evaluator import Evaluator
    from engine.evaluate.facts import build_facts
    from engine.evaluate.merge import Occurrence, merge_records
    from engine.evaluate.party import PartyRun
    from engine.evaluate.timeline import timeline
    from engine.explain.findings import explain
    from engine.ingest import bundled_commitments_dir, load_paths
    from engine.ingest.gcpause import paused_gc
    from engine.rules.compile import compile_program
    from engine.rules.time import end_of_day, epoch_seconds

    treaty = load_treaty(data)
    library = load_paths([bundled_commitments_dir()]).commitments
    t = time.perf_counter()
    commitments = [library[c] for c in treaty.commitments if c in library]
    program = compile_program(commitments, treaty, AS_OF)
    compile_s = time.perf_counter() - t
    ev = Evaluator(treaty, library, AS_OF)  # the same program: PartyRun reads it from here
    assert ev.ctx.program.definition == program.definition
    by_party: dict[str, list[Any]] = {}
    records = 0
    for f in sorted((data / "reports").glob("*.jsonl")):
        by_party[f.stem] = load_reports_fast(data, {f.stem})
    cutoff = epoch_seconds(end_of_day(AS_OF))
    match_s = [0.0] * repeat
    build_s = 0.0
    eval_s = 0.0
    facts_n = 0
    firings = 0
    for p in sorted(treaty.parties, key=lambda p: p.code):
        reports = by_party.get(p.code, [])
        records += sum(len(r.records) for r in reports)
        tl = timeline(p, treaty)
        if not tl.bound(AS_OF):
            continue
        t = time.perf_counter()
        with paused_gc():  # as evaluate_parties does: else full collections walk the archive
            occs = [
                Occurrence(r, rec, "", "")
                for r in reports
                if epoch_seconds(r.submitted_at) <= cutoff
                for rec in r.records
            ]
            run = PartyRun(ev.ctx, tl, merge_records(occs, treaty.settling_evidence))
            build_facts(run)
        build_s += time.perf_counter() - t
        facts_n += len(run.facts)
        for k in range(repeat):
            t = time.perf_counter()
            fired = ev.ctx.matcher.match(run.facts)
            match_s[k] += time.perf_counter() - t
        firings += len(fired)
        t = time.perf_counter()
        with paused_gc():
            [explain(j) for j in ev.evaluate_party(p, [(r, {}, "") for r in reports])]
        eval_s += time.perf_counter() - t
    m = statistics.median(match_s)
    return {
        "records": records,
        "facts": facts_n,
        "firings": firings,
        "compile_s": compile_s,
        "build_facts_s": build_s,
        "match_s": m,
        "match_runs_s": match_s,
        "raw_rps": records / m,
        "evaluate_in_process_s": eval_s,
    }


def oracle_throughput(data: Path, n: int) -> dict[str, float]:
    from engine.ingest import bundled_commitments_dir, load_paths
    from tests.oracle import oracle_evaluate

    codes = set(party_codes(n))
    treaty = load_treaty(data, codes)
    library = load_paths([bundled_commitments_dir()]).commitments
    reports = load_reports_fast(data, codes)
    records = sum(len(r.records) for r in reports)
    t = time.perf_counter()
    findings = oracle_evaluate(treaty, library, reports, AS_OF)
    s = time.perf_counter() - t
    return {
        "parties": n,
        "records": records,
        "seconds": s,
        "rps": records / s,
        "findings": len(findings),
    }


def machine() -> dict[str, Any]:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = 0.0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_gb = int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    from importlib.metadata import version

    import durable_rules_engine  # noqa: F401  (version is that of the pinned package)

    try:
        head = subprocess.run(
            ["git", "describe", "--always", "--dirty"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
    except OSError:
        head = "unknown"
    return {
        "commit": head,
        "cpu": model,
        "cores": os.cpu_count() or 0,
        "usable_cores": len(os.sched_getaffinity(0))
        if hasattr(os, "sched_getaffinity")
        else os.cpu_count(),
        "ram_gb": round(mem_gb, 1),
        "python": platform.python_version(),
        "durable_rules": version("durable-rules"),
        "platform": platform.platform(),
    }


def profile_check(data: Path, n: int, top: int) -> str:
    """cProfile an in-process `treaty check` (load, validate, evaluate, render) over n parties."""
    from engine.ingest import assemble
    from engine.render.json import render_json
    from engine.render.pipeline import run_check as engine_run_check

    codes = party_codes(n)
    with tempfile.TemporaryDirectory() as tmp:
        sub = Path(tmp)
        (sub / "reports").mkdir()
        raw = (data / "treaty-state.yaml").read_text(encoding="utf-8")
        (sub / "treaty-state.yaml").write_text(raw, encoding="utf-8")
        for c in codes:
            (sub / "reports" / f"{c}.jsonl").write_bytes(
                (data / "reports" / f"{c}.jsonl").read_bytes()
            )
        load_prof, eval_prof = cProfile.Profile(), cProfile.Profile()
        t = time.perf_counter()
        load_prof.enable()
        bundle = assemble([sub])
        load_prof.disable()
        t_load = time.perf_counter() - t
        eval_prof.enable()
        doc = engine_run_check(bundle, AS_OF, parties=codes)
        render_json(doc)
        eval_prof.disable()
        t_eval = time.perf_counter() - t - t_load
    records = sum(len(lr.report.records) for lr in bundle.reports)
    buf = io.StringIO()
    buf.write(
        f"profile: {n} parties, {records:,} records; load+validate {t_load:.1f} s, "
        f"evaluate+render {t_eval:.1f} s (under cProfile)\n"
    )
    for name, prof in (("LOAD + VALIDATE", load_prof), ("EVALUATE + RENDER", eval_prof)):
        buf.write(f"\n===== {name} =====\n")
        st = pstats.Stats(prof, stream=buf)
        st.sort_stats("cumulative").print_stats(top)
        st.sort_stats("tottime").print_stats(top)
    return buf.getvalue()


def fmt_table(res: dict[str, Any]) -> str:
    rows = [
        "| measurement | median | runs |",
        "|---|---|---|",
    ]
    for j in sorted(res["e2e"]):
        e = res["e2e"][j]
        walls = ", ".join(f"{w:.1f}" for w in e["walls"])
        rows.append(f"| `treaty check --jobs {j}`: wall time | {e['wall_s']:.1f} s | {walls} |")
        rows.append(f"| `treaty check --jobs {j}`: throughput | {e['rps']:,.0f} records/s | |")
        cpus = ", ".join(f"{c:.1f}" for c in e.get("cpus", []))
        rows.append(
            f"| `treaty check --jobs {j}`: CPU time (all processes) | {e['cpu_s']:.1f} s | {cpus} |"
        )
        rows.append(
            f"| `treaty check --jobs {j}`: peak RSS, largest process | {e['maxrss_mb']:,.0f} MB | |"
        )
        rows.append(
            f"| `treaty check --jobs {j}`: peak RSS, process tree | {e['tree_rss_mb']:,.0f} MB | |"
        )
        rows.append(f"| ratio end-to-end / raw ceiling, --jobs {j} | {e['ratio']:.1%} | |")
    r = res["raw"]
    rows.append(
        f"| raw `DurableMatcher.match` only (ceiling) | {r['raw_rps']:,.0f} records/s | "
        f"{', '.join(f'{x:.1f} s' for x in r['match_runs_s'])} |"
    )
    rows.append(
        f"| in-process evaluation without loading (all parties) | "
        f"{r['records'] / r['evaluate_in_process_s']:,.0f} records/s | "
        f"{r['evaluate_in_process_s']:.1f} s |"
    )
    rows.append(f"| building facts (`build_facts` + merge) | {r['build_facts_s']:.1f} s | |")
    if res.get("oracle"):
        o = res["oracle"]
        rows.append(
            f"| plain-Python oracle, {o['parties']} parties ({o['records']:,} records) | "
            f"{o['rps']:,.0f} records/s | {o['seconds']:.1f} s |"
        )
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--records-per-party-year", type=int, default=500)
    ap.add_argument("--parties", type=int, default=193)
    ap.add_argument("--years", type=int, default=10)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--oracle-parties", type=int, default=10)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument(
        "--data-dir", help="where to put the generated archive (default bench/results/)"
    )
    ap.add_argument("--regenerate", action="store_true")
    ap.add_argument(
        "--quick", action="store_true", help="193 x 2 x 10, one run: a smoke test for CI"
    )
    ap.add_argument("--skip-e2e", action="store_true")
    ap.add_argument("--skip-raw", action="store_true")
    ap.add_argument("--skip-oracle", action="store_true")
    ap.add_argument("--generate-only", action="store_true")
    ap.add_argument("--profile", action="store_true", help="cProfile an in-process check instead")
    ap.add_argument("--profile-parties", type=int, default=20)
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("--json", help="also write the results as JSON to this file")
    args = ap.parse_args(argv)
    if args.quick:
        args.years, args.records_per_party_year, args.repeat = 2, 10, 1
        args.oracle_parties = min(args.oracle_parties, 10)
        if args.data_dir is None:
            args.data_dir = tempfile.mkdtemp(prefix="treaty-bench-")
            atexit.register(shutil.rmtree, args.data_dir, True)

    data, counts = ensure_data(args)
    if args.generate_only:
        print(json.dumps(counts))
        return 0
    if args.profile:
        print(profile_check(data, args.profile_parties, args.top))
        return 0

    res: dict[str, Any] = {
        "machine": machine(),
        "counts": counts,
        "data": str(data),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "e2e": {},
    }
    print(f"machine: {res['machine']}", flush=True)
    print(
        f"archive: {counts['records']:,} records in {counts['reports']:,} reports "
        f"({args.parties} parties x {args.years} years x {args.records_per_party_year})",
        flush=True,
    )
    if not args.skip_e2e:
        with tempfile.TemporaryDirectory() as tmp:
            for j in args.jobs:
                runs = []
                for k in range(args.repeat):
                    r = run_check(data, j, Path(tmp) / "findings.json")
                    runs.append(r)
                    print(
                        f"e2e --jobs {j} run {k + 1}: {r['wall_s']:.1f} s wall, {r['cpu_s']:.1f} s "
                        f"CPU, largest process {r['maxrss_mb']:,.0f} MB, tree "
                        f"{r['tree_rss_mb']:,.0f} MB, load {r['load1_before']:.1f}->"
                        f"{r['load1_after']:.1f}; {r['summary']}",
                        flush=True,
                    )
                wall = statistics.median(x["wall_s"] for x in runs)
                e = {
                    "walls": [x["wall_s"] for x in runs],
                    "wall_s": wall,
                    "rps": counts["records"] / wall,
                    "maxrss_mb": max(x["maxrss_mb"] for x in runs),
                    "tree_rss_mb": max(x["tree_rss_mb"] for x in runs),
                    "cpu_s": statistics.median(x["cpu_s"] for x in runs),
                    "cpus": [x["cpu_s"] for x in runs],
                    "runs": runs,
                }
                res["e2e"][j] = e
    # The raw ceiling runs after the end-to-end runs: it evaluates in this process, and a child's
    # ru_maxrss starts from its parent's high-water mark at fork, which would inflate the peak
    # memory measured for `treaty check`.
    if not args.skip_raw:
        res["raw"] = raw_ceiling(data, args.repeat)
        r = res["raw"]
        print(
            f"raw ceiling: {r['raw_rps']:,.0f} records/s "
            f"(match {r['match_s']:.2f} s over {r['facts']:,} facts, "
            f"{r['firings']:,} firings; build facts {r['build_facts_s']:.1f} s; "
            f"in-process evaluate {r['evaluate_in_process_s']:.1f} s)",
            flush=True,
        )
    if "raw" in res:
        for e in res["e2e"].values():
            e["ratio"] = e["rps"] / res["raw"]["raw_rps"]
    if not args.skip_oracle and args.oracle_parties > 0:
        res["oracle"] = oracle_throughput(data, args.oracle_parties)
        o = res["oracle"]
        print(
            f"oracle: {o['rps']:,.0f} records/s ({o['records']:,} records, {o['parties']} parties, "
            f"{o['seconds']:.1f} s)",
            flush=True,
        )
    if res["e2e"] and "raw" in res:
        print()
        print(fmt_table(res))
        for j, e in sorted(res["e2e"].items()):
            print(
                f"RESULT jobs={j}: ratio end-to-end/raw = {e['ratio']:.1%}; peak memory "
                f"{e['maxrss_mb']:,.0f} MB (largest process), {e['tree_rss_mb']:,.0f} MB (tree); "
                f"{e['rps']:,.0f} records/s; {counts['records']:,} records in {e['wall_s']:.1f} s"
            )
        for line in targets(res):
            print(line)
    if args.json:
        Path(args.json).write_text(json.dumps(res, indent=2, default=str) + "\n")
    return 0


def targets(res: dict[str, Any]) -> list[str]:
    """The targets, measured and reported (never asserted)."""
    out = []
    n = res["counts"]["records"]
    # Below ~50k records the fixed costs (starting Python and the workers, loading the library:
    # about 1.5 s) dominate an end-to-end run: --quick is a smoke test, not a measurement.
    small = n < 50_000
    for j, e in sorted(res["e2e"].items()):
        ok = "met" if e["ratio"] >= 0.5 else "MISSED"
        if small:
            ok = "not judged at this size: start-up costs dominate, see bench/README.md"
        out.append(
            f"target jobs={j}: end-to-end at >= 50% of the raw ceiling: {e['ratio']:.1%} ({ok})"
        )
        mem = max(e["maxrss_mb"], e["tree_rss_mb"])
        if n >= 1_000_000:
            ok = "met" if e["wall_s"] < 120 else "MISSED"
            out.append(
                f"target jobs={j}: {n:,} records in under 2 minutes: {e['wall_s']:.0f} s ({ok})"
            )
            ok = "met" if mem < 2048 else "MISSED"
            out.append(f"target jobs={j}: peak memory under 2 GB: {mem:,.0f} MB ({ok})")
        else:
            per_m = e["wall_s"] * 1_000_000 / n
            out.append(
                f"target jobs={j}: projected time for 1,000,000 records (linear): {per_m:,.0f} s"
                f"{' (an overestimate at this size)' if small else ''}; "
                f"peak memory {mem:,.0f} MB at {n:,} records"
            )
    return out


if __name__ == "__main__":
    sys.exit(main())
