"""The ``--jobs`` worker pool: results in order, workers kept between the phases of a check."""

from __future__ import annotations

import os

from engine.ingest import workers


def _square(x: int) -> int:
    return x * x


def _pid(_: int) -> int:
    return os.getpid()


def test_results_come_back_in_the_order_of_the_items() -> None:
    assert list(workers.run_in_workers(_square, range(20), 2)) == [x * x for x in range(20)]


def test_the_same_workers_serve_the_next_call_and_a_new_size_starts_new_ones() -> None:
    first = set(workers.run_in_workers(_pid, range(6), 2))
    pool = workers._POOL
    assert pool is not None
    second = set(workers.run_in_workers(_pid, range(6), 2))
    assert workers._POOL is pool  # kept, not started again
    # which worker takes which item is the pool's business (under load one may take all)
    assert first | second <= set(pool._processes)  # type: ignore[attr-defined]
    assert os.getpid() not in first | second

    third = set(workers.run_in_workers(_pid, range(6), 3))
    assert not (third & (first | second))
    workers.shutdown()
    assert workers._POOL is None
