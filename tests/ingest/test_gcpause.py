"""The collector pause used around each party's evaluation restores the collector's state."""

from __future__ import annotations

import gc

import pytest

from engine.ingest.gcpause import paused_gc


def test_pause_disables_and_restores() -> None:
    assert gc.isenabled()
    with paused_gc():
        assert not gc.isenabled()
        with paused_gc():
            assert not gc.isenabled()
        assert not gc.isenabled()  # only the outermost pause re-enables
    assert gc.isenabled()


def test_pause_restores_after_an_error_and_keeps_a_disabled_collector_disabled() -> None:
    with pytest.raises(ValueError), paused_gc():
        raise ValueError("boom")
    assert gc.isenabled()
    gc.disable()
    try:
        with paused_gc():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_evaluation_leaves_the_collector_enabled() -> None:
    from engine.rules.backend import DurableMatcher

    DurableMatcher({"k": {"all": [{"m": {"kind": "x"}}], "run": "k"}}).match(
        [{"id": "a", "kind": "x"}]
    )
    assert gc.isenabled()
