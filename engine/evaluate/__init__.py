"""Evaluation: merged records and compiled rules in, verdicts as data out.

``evaluator.Evaluator`` evaluates one party at a time: ``merge`` folds the sources of each
record into versions, ``facts`` turns them into facts for durable_rules (through
``engine.rules.backend``), ``party.PartyRun`` holds what matched, and ``judge`` runs each rule
type (``classify``, ``deadline``, ``periodic``; ``scope`` places subjects in time,
``corroboration`` weighs self-reported evidence). The result is a ``verdict.Judgement`` per
(party, commitment, subject): a status, flags, reason codes with typed values, evidence. No
English is written here; ``engine.explain`` does that.

May import: ``engine.model``, ``engine.ingest``, ``engine.rules``, ``engine.errors``.
"""

from engine.evaluate.evaluator import Evaluator, ReportItem, evaluate_parties
from engine.evaluate.verdict import Judgement, Reason, Verdict

__all__ = ["Evaluator", "Judgement", "Reason", "ReportItem", "Verdict", "evaluate_parties"]
