"""``treaty verify`` re-checks every signature and every registered key (issue 13, item 5)."""

from __future__ import annotations

import base64
import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from engine.cli import app
from engine.ingest.keyfile import SigningKey

ROOT = Path(__file__).resolve().parents[2]
RUNNER = CliRunner()


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the signed demo, and the findings JSON of a run over it."""
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    monkeypatch.chdir(tmp_path)
    res = RUNNER.invoke(
        app, ["report", "examples/", "--as-of", "2029-06-30", "--format", "json", "-o", "r.json"]
    )
    assert res.exit_code == 1, res.output  # the demo holds breaches
    return tmp_path


def verify() -> Result:
    return RUNNER.invoke(app, ["verify", "r.json"])


def test_verify_counts_the_signatures_and_keys_it_checked(run: Path) -> None:
    res = verify()

    assert res.exit_code == 0, res.output
    envelopes = len(list((run / "examples" / "reports").glob("*.dsse.json")))
    assert f"{envelopes} signature(s) valid under 11 registered key(s)" in res.stdout
    data = json.loads(RUNNER.invoke(app, ["verify", "r.json", "--format", "json"]).stdout)
    assert data["signatures"] == envelopes and data["registered_keys"] == 11


def test_verify_fails_when_a_signature_is_changed(run: Path) -> None:
    env = run / "examples" / "reports" / "ARC-self.yaml.dsse.json"
    doc = json.loads(env.read_bytes())
    sig = bytearray(base64.b64decode(doc["signatures"][0]["sig"]))
    sig[-1] ^= 0x80
    doc["signatures"][0]["sig"] = base64.b64encode(bytes(sig)).decode()
    env.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")

    res = verify()

    assert res.exit_code == 1, res.output
    assert "input changed: examples/reports/ARC-self.yaml.dsse.json" in res.stdout
    assert "signature was not made by key" in res.stdout


def test_verify_fails_when_a_key_of_the_registry_is_changed(run: Path) -> None:
    """ARC's registered key replaced by another (a consistent entry): no signature of ARC holds."""
    treaty = run / "examples" / "treaty-state.yaml"
    other = SigningKey.generate()
    text = treaty.read_text(encoding="utf-8")
    line = next(ln for ln in text.splitlines() if "holder: ARC," in ln)
    new = re.sub(r'key_id: "[0-9a-f]{16}"', f'key_id: "{other.key_id}"', line)
    new = re.sub(r"public_key: [A-Za-z0-9+/=]{44}", f"public_key: {other.public_key}", new)
    treaty.write_text(text.replace(line, new), encoding="utf-8")

    res = verify()

    assert res.exit_code == 1, res.output
    assert "input changed: examples/treaty-state.yaml" in res.stdout
    assert "not in the treaty's key registry" in res.stdout


def test_verify_fails_when_a_public_key_no_longer_matches_its_key_id(run: Path) -> None:
    treaty = run / "examples" / "treaty-state.yaml"
    other = SigningKey.generate()
    text = treaty.read_text(encoding="utf-8")
    line = next(ln for ln in text.splitlines() if "holder: BOR," in ln)
    new = re.sub(r"public_key: [A-Za-z0-9+/=]{44}", f"public_key: {other.public_key}", line)
    treaty.write_text(text.replace(line, new), encoding="utf-8")

    res = verify()

    assert res.exit_code == 1, res.output
    assert "does not match public_key" in res.stdout
