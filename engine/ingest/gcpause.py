"""Pausing Python's cyclic garbage collector around allocation-heavy work.

Evaluating a party allocates hundreds of thousands of small objects that all survive until its
findings are made. Each time the survivors grow by a quarter, CPython runs a full collection that
walks every live object, so the collector took a third of an evaluation's time (bench/README.md).
Nothing the evaluation builds needs the collector: its objects are freed by reference counting
when the party is done, and any cycle left over is collected by the first collection after the
pause. The pause is per party, so memory still follows the largest party.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_gc() -> Iterator[None]:
    """Disable the cyclic collector inside the block; restore its previous state after.

    Nested pauses are fine: only the outermost one re-enables the collector.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
