"""The demo is signed, and its signatures never go stale silently (issue 13, item 6).

Ed25519 signatures are deterministic: signing the same bytes with the same key gives the same
envelope, so re-signing every example must reproduce the committed envelopes byte for byte. After
changing a report, run ``python examples/sign_demo.py``.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

from engine.ingest import load_paths
from tests.conftest import EXAMPLES, ROOT

REPORTS = EXAMPLES / "reports"


def _sign_demo() -> ModuleType:
    spec = importlib.util.spec_from_file_location("sign_demo", EXAMPLES / "sign_demo.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_committed_envelope_is_what_signing_the_example_gives_now() -> None:
    fresh: dict[Path, bytes] = _sign_demo().envelopes()

    stale = [
        p.name for p, envelope in fresh.items() if not p.is_file() or p.read_bytes() != envelope
    ]
    assert stale == [], f"stale envelopes {stale}: run python examples/sign_demo.py"
    committed = set(REPORTS.glob("*.dsse.json"))
    assert committed == set(fresh), "an envelope without its report, or a report without one"


def test_every_report_of_the_demo_is_signed() -> None:
    bundle = load_paths([EXAMPLES])

    assert bundle.reports or bundle.streamed
    paths = {lr.path for lr in bundle.reports} | {sr.path for sr in bundle.streamed}
    assert paths <= set(bundle.signed)


def test_the_demo_keys_are_marked_as_demonstration_keys_and_registered() -> None:
    module = _sign_demo()
    treaty = load_paths([EXAMPLES / "treaty-state.yaml"]).treaty
    assert treaty is not None and treaty.key_registry is not None
    registered = {e.key_id: e for e in treaty.key_registry.keys}
    key_files = sorted((EXAMPLES / "keys").iterdir())

    assert key_files and all(p.name.startswith("DEMO-ONLY-") for p in key_files)
    for path in key_files:
        entry = registered[module.demo_key(path).key_id]
        assert module.key_file(entry.holder) == path
        assert entry.note == "demonstration key"
    assert len(registered) == len(key_files)
    for doc in (ROOT / "README.md", EXAMPLES / "README.md"):
        assert "demonstration key" in doc.read_text(encoding="utf-8").lower(), doc


def test_the_check_mode_of_sign_demo_passes(capsys: pytest.CaptureFixture[str]) -> None:
    assert _sign_demo().main(["--check"]) == 0
    assert capsys.readouterr().out == ""
