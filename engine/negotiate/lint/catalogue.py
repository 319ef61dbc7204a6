"""The catalogue of lint checks and the finding they produce (defined in ``engine.model.lint``).

Every check has a stable code, a short name, a severity and a one-line summary; ``docs/lint.md``
has one section per code (a test keeps the two in step), and the renderers read the catalogue
for SARIF's rule list. The catalogue and ``LintFinding`` are data, so they live in the model
layer, where ``engine.render`` can read them; this module names them for the lint package. To
add a check, add its entry to ``engine/model/lint.py``, its section to ``docs/lint.md``, a
fixture under ``tests/lint_fixtures/`` and the function that finds it in one of the
``checks_*`` modules.
"""

from engine.model.lint import CHECKS, DOCS_PAGE, Check, LintFinding, LintReport, LintSeverity

__all__ = ["CHECKS", "DOCS_PAGE", "Check", "LintFinding", "LintReport", "LintSeverity"]
