"""Differential test: the durable_rules engine and the plain-Python oracle (tests/oracle.py) must
agree on random treaties and reports. Any disagreement is a bug in one of them."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from engine.explain.findings import evaluate_models
from tests.oracle import oracle_evaluate
from tests.strategies import bundles


def _engine(bundle: Any) -> list[tuple[str, str, str | None, str, tuple[str, ...]]]:
    treaty, commitments, reports, as_of = bundle
    return sorted(
        (f.party, f.commitment, f.subject, f.status, tuple(sorted(f.flags)))
        for f in evaluate_models(treaty, commitments, reports, as_of)
    )


def _oracle(bundle: Any) -> list[tuple[str, str, str | None, str, tuple[str, ...]]]:
    treaty, commitments, reports, as_of = bundle
    return sorted(
        oracle_evaluate(treaty, commitments, reports, as_of),
        key=lambda t: (t[0], t[1], t[2] or "", t[3], t[4]),
    )


def _key(rows: list[Any]) -> list[Any]:
    return sorted(rows, key=lambda t: (t[0], t[1], t[2] or "", t[3], t[4]))


def _settings(n: int) -> settings:
    return settings(
        max_examples=n,
        deadline=None,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.filter_too_much,
        ],
        derandomize=True,
        database=None,
    )


@_settings(2000)
@given(bundles())
def test_engine_agrees_with_oracle(bundle: Any) -> None:
    assert _key(_engine(bundle)) == _key(_oracle(bundle))


@pytest.mark.slow
@_settings(20000)
@given(bundles())
def test_engine_agrees_with_oracle_long(bundle: Any) -> None:
    assert _key(_engine(bundle)) == _key(_oracle(bundle))
