"""Tools for negotiators: drafts checked, compared and tried against past conduct.

* ``lint``: static enforcement-gap analysis of commitment drafts (``docs/lint.md``);
* ``whatif``: which findings flip if the text changes (through the evaluator, so its base is
  exactly ``treaty check``); ``whatif_render`` writes the result;
* ``diff``: clause-by-clause comparison of two drafts; ``diff_render`` writes it;
* ``scaffold``: a new commitment document to fill in.

May import every layer below: ``engine.model``, ``ingest``, ``rules``, ``evaluate``, ``explain``,
``render``, ``errors``; only ``engine.cli`` imports it.
"""
