"""The steps of the differential oracle (``tests/oracle.py``), one module per part of
docs/rules.md: ``values`` <- ``records`` <- ``conditions`` <- ``verdicts`` <- ``periodic``.

Like the oracle, they import nothing of the engine but the document models (``engine.model``).
"""
