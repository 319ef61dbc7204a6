"""Render: findings (and lint findings, verify outcomes) written for people and machines.

One registry (``registry.FORMATS``) maps each format name to its renderers, its file extensions
and whether it streams per party: text, json, md, html, csv, sarif, junit. ``treaty check``,
``report``, ``lint`` and ``verify`` all pick their renderer there. The modules:

- ``registry``: the formats, ``plan_outputs`` (``--format``/``--output`` pairs), dispatch.
- one module per format: ``text``, ``json``, ``markdown``, ``csv``, ``html``, ``sarif``
  (findings and lint share one SARIF builder), ``junit``.
- ``context``: ``ReportContext``, all a report renderer reads; ``build_context``.
- ``baseline``: the delta against an earlier findings document; ``load_findings``.
- ``common``: status words and finding fragments shared by the formats.
- ``pipeline``: running an evaluation over a loaded bundle (filters, worker processes);
  ``spool``: a check's findings rendered party by party into files, never all held.
- ``verify``: re-deriving a findings document from its recorded inputs.
- ``output``: atomic writes.

Every renderer is a pure function of its input: identical inputs give identical bytes.

May import: ``engine.errors``, ``model``, ``load``, ``rules``, ``evaluate``, ``explain``.
Never ``negotiate`` or ``cli`` (they import render).
"""
