"""The catalogue of lint checks and the finding they produce.

Every check has a stable code, a short name, a severity and a one-line summary; ``docs/lint.md``
has one section per code (a test keeps the two in step), and the renderers read the catalogue
for SARIF's rule list. To add a check, add its entry here, its section to ``docs/lint.md``, a
fixture under ``tests/lint_fixtures/`` and the function that finds it in one of the
``checks_*`` modules.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

LintSeverity = Literal["error", "warning", "info"]
"""How bad a finding is: errors fail ``treaty lint``, warnings only with ``--fail-on warning``."""


@dataclass(frozen=True)
class Check:
    """One lint check: a stable code, a short name, its severity and what it reports."""

    code: str
    name: str
    severity: LintSeverity
    summary: str


CHECKS: dict[str, Check] = {
    c.code: c
    for c in [
        Check(
            "TE001",
            "rule-does-not-compile",
            "error",
            "A rule names an unknown record kind, field, parameter or count, or compares "
            "values of different types, so the engine cannot evaluate it.",
        ),
        Check(
            "TE101",
            "no-machine-rule",
            "error",
            "The commitment claims to be machine-checkable but has no rule: it is unverifiable.",
        ),
        Check(
            "TE102",
            "not-machine-checkable",
            "warning",
            "The commitment declares machine_checkable: none and has no rule: compliance "
            "rests entirely on human judgment.",
        ),
        Check(
            "TE103",
            "general-provision",
            "info",
            "A general provision (category general) with no rule of its own: the engine "
            "applies it to every rule (docs/rules.md section 5).",
        ),
        Check(
            "TE110",
            "unobservable-kind",
            "error",
            "A rule reads a record kind that no verification clause obliges anyone to "
            "report: the data it needs will never arrive.",
        ),
        Check(
            "TE111",
            "kind-reported-elsewhere",
            "info",
            "A rule reads a record kind that only another commitment's verification clause "
            "obliges the parties to report.",
        ),
        Check(
            "TE120",
            "no-reporting-deadline",
            "warning",
            "A reporting duty has no deadline or no frequency.",
        ),
        Check(
            "TE201",
            "no-enforcement-mechanism",
            "error",
            "Nothing is said about what happens on breach: the commitment is unenforceable.",
        ),
        Check(
            "TE202",
            "no-response-deadline",
            "warning",
            "The enforcement mechanism has no response deadline.",
        ),
        Check(
            "TE203",
            "no-sanction",
            "info",
            "A high or critical commitment whose breach carries no sanction.",
        ),
        Check(
            "TE301",
            "vague-term",
            "warning",
            "The text uses a vague term (treaty vague_terms) that no definition pins down.",
        ),
        Check("TE302", "unused-definition", "warning", "A defined term is never used in the text."),
        Check(
            "TE303",
            "undefined-term",
            "warning",
            "The text uses a term of art (quoted, or a capitalised multi-word term) that no "
            "commitment defines.",
        ),
        Check(
            "TE401",
            "undefined-parameter",
            "error",
            "The text names a parameter ({name} placeholder) that is not defined.",
        ),
        Check(
            "TE402",
            "unused-parameter",
            "warning",
            "A parameter is used neither by a rule nor by the text.",
        ),
        Check(
            "TE403",
            "figure-not-a-parameter",
            "info",
            "A figure with a unit in the text (42 days, 10^26 operations) matches no "
            "parameter and no figure in the rules.",
        ),
        Check(
            "TE410",
            "threshold-without-comparison",
            "error",
            "A threshold compared with meets/below has no strict/inclusive choice.",
        ),
        Check(
            "TE411",
            "threshold-without-unit",
            "warning",
            "A parameter used as a threshold has no unit.",
        ),
        Check(
            "TE420",
            "deadline-without-time-zone",
            "warning",
            "A parameter used as a deadline offset has no time-zone convention (time_zone: UTC).",
        ),
        Check(
            "TE501",
            "vacuous-condition",
            "error",
            "A rule, case, count or deadline condition can never hold for any record the "
            "schemas allow.",
        ),
        Check(
            "TE502",
            "conflicting-commitments",
            "error",
            "Two commitments give opposite verdicts on the same record: one a breach, the "
            "other explicitly compliant.",
        ),
        Check(
            "TE601",
            "pillar-without-commitment",
            "error",
            "A pillar of the treaty's mission (mission_pillars) has no commitment at all.",
        ),
        Check(
            "TE900",
            "todo-marker",
            "error",
            "A TODO marker left by 'treaty new commitment' has not been filled in.",
        ),
        Check(
            "TE901",
            "unknown-commitment-reference",
            "warning",
            "The treaty's list of commitments in force, or an evidence_from clause, names a "
            "commitment that no document defines.",
        ),
    ]
}
"""Every check, by code (TE001 ...), in the order of ``docs/lint.md``."""

DOCS_PAGE = "docs/lint.md"
"""The page that documents every check, one section per code."""


@dataclass(frozen=True)
class LintFinding:
    """One lint finding, placed at a file, line and JSON pointer."""

    code: str
    message: str
    file: str
    line: int | None = None
    pointer: str = ""
    commitment: str | None = None
    fix: str = ""

    @property
    def severity(self) -> LintSeverity:
        """The severity of the finding's check."""
        return CHECKS[self.code].severity

    def render(self) -> str:
        """``file:line: CODE severity: message (fix)`` on one line."""
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        fix = f" ({self.fix})" if self.fix else ""
        return " ".join(f"{where}: {self.code} {self.severity}: {self.message}{fix}".split())

    def as_dict(self) -> dict[str, Any]:
        """The finding as a JSON object (``treaty lint --format json``)."""
        return {
            "code": self.code,
            "name": CHECKS[self.code].name,
            "severity": self.severity,
            "file": self.file,
            "line": self.line,
            "pointer": self.pointer or "/",
            "commitment": self.commitment,
            "message": self.message,
            "fix": self.fix,
        }
