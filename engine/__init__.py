"""treaty-engine: check what states do against what they promised.

The public surface: load documents (``engine.load``), evaluate them (``engine.evaluate.evaluator``) and
render findings (``engine.render.text``). The command line lives in ``engine.cli`` and nothing in the
core imports it.
"""

__version__ = "0.1.0"
__all__ = ["__version__"]
