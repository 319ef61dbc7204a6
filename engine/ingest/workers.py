"""The worker processes behind ``--jobs``: one pool per process, shared by its phases.

``treaty check --jobs N`` validates JSONL files and then evaluates parties in worker processes.
Starting a worker costs an interpreter and the engine's imports (about 0.4 s); keeping the same
workers for both phases pays that once. Workers are started with ``spawn``, never ``fork``: a
forked child would inherit durable_rules' native state and the parent's locks.
"""

from __future__ import annotations

import atexit
import multiprocessing as mp
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from typing import TypeVar

A = TypeVar("A")
R = TypeVar("R")

_POOL: ProcessPoolExecutor | None = None
_SIZE = 0


def run_in_workers(fn: Callable[[A], R], items: Iterable[A], workers: int) -> Iterator[R]:
    """``map(fn, items)`` in a pool of ``workers`` processes, results in the order of ``items``.

    The pool is kept for the next call with as many workers (and shut down at exit); a worker
    that died takes the pool with it, and the next call starts a new one.
    """
    global _POOL, _SIZE
    if _POOL is None or workers != _SIZE or getattr(_POOL, "_broken", False):
        shutdown()
        _POOL = ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn"))
        _SIZE = workers
    return _POOL.map(fn, items)


def shutdown() -> None:
    """Stop the workers (at exit, or before starting a pool of another size)."""
    global _POOL, _SIZE
    if _POOL is not None:
        _POOL.shutdown(wait=True, cancel_futures=True)
    _POOL, _SIZE = None, 0


atexit.register(shutdown)
