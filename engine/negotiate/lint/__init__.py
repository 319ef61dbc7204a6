"""Static enforcement-gap analysis of commitment documents (``treaty lint``).

Every check has a stable code, a severity and an entry in ``docs/lint.md``. The checks read
documents only: nothing is evaluated against reports. The package is split by concern:

- ``catalogue``: the checks (code, name, severity, summary) and ``LintFinding``;
- ``inputs``: loading the documents and the context they are read in (``LintInput``);
- ``rule_facts``: what the record schemas allow, and the parts a rule is made of;
- ``clause_text``: figures, terms of art and vague words in the clause text;
- ``vacuity``: conditions that can never hold (TE501);
- ``sampling`` and ``conflicts``: sample records, and the judge that finds two commitments
  giving opposite verdicts on one of them (TE502), with the evaluator's semantics
  (``engine.rules.semantics``);
- ``checks_document``, ``checks_text``, ``checks_rules``: the checks, one function each;
- ``checks``: ``lint`` and ``lint_paths``, which run them.

It may import ``engine.errors``, ``engine.model``, ``engine.ingest`` and ``engine.rules``; it is
imported by the CLI. Rendering lives in ``engine.render`` (the format registry).
"""

from engine.negotiate.lint.catalogue import CHECKS, DOCS_PAGE, Check, LintFinding, LintSeverity
from engine.negotiate.lint.checks import lint, lint_paths
from engine.negotiate.lint.clause_text import capitalised_terms, text_figures
from engine.negotiate.lint.conflicts import find_conflict
from engine.negotiate.lint.inputs import LintDoc, LintInput, load_lint_inputs

__all__ = [
    "CHECKS",
    "DOCS_PAGE",
    "Check",
    "LintDoc",
    "LintFinding",
    "LintInput",
    "LintSeverity",
    "capitalised_terms",
    "find_conflict",
    "lint",
    "lint_paths",
    "load_lint_inputs",
    "text_figures",
]
