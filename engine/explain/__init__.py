"""Explanation: verdicts put into words, rules described for people.

``wording`` holds one sentence template per reason code (docs/rules.md section 13) and formats
every value a finding shows; ``findings`` turns each ``Judgement`` of the evaluator into a
``Finding`` (clause, summary, values, counterfactual) and offers the evaluate-and-explain calls
the rest of the engine uses; ``describe`` writes a commitment's rules out for negotiators.

May import: ``engine.model``, ``engine.ingest``, ``engine.rules``, ``engine.evaluate``,
``engine.errors``.
"""

from engine.explain.findings import (
    evaluate_models,
    evaluate_reports,
    explain,
    findings_by_party,
    findings_document,
    findings_of_parties,
    sort_findings,
)
from engine.explain.wording import fmt, words

__all__ = [
    "evaluate_models",
    "evaluate_reports",
    "explain",
    "findings_by_party",
    "findings_document",
    "findings_of_parties",
    "fmt",
    "sort_findings",
    "words",
]
