"""``treaty keys new`` and ``treaty sign`` (issue 13, items 1, 2 and 5)."""

from __future__ import annotations

import json
import os
import stat
from datetime import date
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from engine.cli import app
from engine.ingest.keyfile import load_signing_key
from engine.ingest.signing import parse_envelope, verify_envelope
from engine.model.keys import KeyEntry, KeyRegistry

ROOT = Path(__file__).resolve().parents[2]
RUNNER = CliRunner()


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def test_keys_new_writes_a_private_key_0600_and_prints_only_the_public_half(tmp_path: Path) -> None:
    res = RUNNER.invoke(
        app,
        ["keys", "new", "--holder", "ARC", "--role", "party", "--output", "ARC.key",
         "--valid-from", "2028-01-01"],
    )  # fmt: skip

    assert res.exit_code == 0, res.output
    key_file = tmp_path / "ARC.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    pem = key_file.read_text(encoding="ascii")
    body = "".join(pem.splitlines()[1:-1])
    assert "PRIVATE" not in res.output and body not in res.output
    key = load_signing_key(key_file)
    assert f"key id:     {key.key_id}" in res.stdout
    assert f"public key: {key.public_key}" in res.stdout
    entry_text = res.stdout.split("send this entry to the Secretariat:\n", 1)[1]
    (entry,) = yaml.safe_load(entry_text)
    assert KeyEntry.model_validate(entry).key_id == key.key_id  # pasted as is, it is valid
    assert entry["valid_from"] == "2028-01-01" and entry["holder"] == "ARC"


def test_keys_new_never_overwrites_a_file(tmp_path: Path) -> None:
    (tmp_path / "ARC.key").write_text("mine", encoding="utf-8")

    res = RUNNER.invoke(app, ["keys", "new", "--holder", "ARC", "--role", "party", "-o", "ARC.key"])

    assert res.exit_code == 2, res.output
    assert "never overwritten" in res.stderr
    assert (tmp_path / "ARC.key").read_text(encoding="utf-8") == "mine"


@pytest.mark.parametrize(
    ("holder", "role", "needle"),
    [
        ("ARC", "ruler", "--role 'ruler' is not one of"),
        ("Arcadia", "party", "three capital letters"),
        ("ARC", "secretariat", "written SECRETARIAT"),
    ],
)
def test_keys_new_refuses_a_holder_that_does_not_fit_its_role(
    tmp_path: Path, holder: str, role: str, needle: str
) -> None:
    res = RUNNER.invoke(app, ["keys", "new", "--holder", holder, "--role", role, "-o", "k.key"])

    assert res.exit_code == 2, res.output
    assert needle in res.stderr
    assert not (tmp_path / "k.key").exists()


def _key(tmp_path: Path, holder: str = "ARC") -> Path:
    res = RUNNER.invoke(app, ["keys", "new", "--holder", holder, "--role", "party", "-o", "k.key"])
    assert res.exit_code == 0, res.output
    return tmp_path / "k.key"


REPORT = (ROOT / "examples" / "reports" / "ARC-self.yaml").read_bytes()


def test_sign_writes_an_envelope_over_the_exact_bytes_and_again_the_same(tmp_path: Path) -> None:
    key_file = _key(tmp_path)
    (tmp_path / "r.yaml").write_bytes(REPORT)

    res = RUNNER.invoke(app, ["sign", "r.yaml", "--key", "k.key"])

    assert res.exit_code == 0, res.output
    envelope_file = tmp_path / "r.yaml.dsse.json"
    first = envelope_file.read_bytes()
    envelope = parse_envelope(first, "r.yaml.dsse.json")
    assert envelope.payload == REPORT
    assert envelope.payload_type == "application/vnd.treaty-engine.report+yaml"
    key = load_signing_key(key_file)
    registry = KeyRegistry(keys=[_entry(key.key_id, key.public_key)])
    assert verify_envelope(envelope, registry, date(2028, 6, 1), file="x").signer.holder == "ARC"
    assert f"wrote r.yaml.dsse.json (signed by key {key.key_id})" in res.stdout

    again = RUNNER.invoke(app, ["sign", "r.yaml", "--key", "k.key"])
    assert again.exit_code == 0 and envelope_file.read_bytes() == first  # deterministic
    assert (tmp_path / "r.yaml").read_bytes() == REPORT  # the input is never written


def _entry(key_id: str, public_key: str) -> KeyEntry:
    return KeyEntry.model_validate(
        {
            "key_id": key_id,
            "holder": "ARC",
            "role": "party",
            "public_key": public_key,
            "valid_from": "2027-01-01",
        }
    )


def test_sign_refuses_an_invalid_report_with_one_line_per_problem(tmp_path: Path) -> None:
    _key(tmp_path)
    (tmp_path / "r.yaml").write_text("document: report\nid: r\n", encoding="utf-8")

    res = RUNNER.invoke(app, ["sign", "r.yaml", "--key", "k.key"])

    assert res.exit_code == 3, res.output
    assert all(line.startswith("r.yaml:") for line in res.stderr.splitlines())
    assert not (tmp_path / "r.yaml.dsse.json").exists()


def test_sign_refuses_a_key_file_others_can_read(tmp_path: Path) -> None:
    key_file = _key(tmp_path)
    os.chmod(key_file, 0o644)
    (tmp_path / "r.yaml").write_bytes(REPORT)

    res = RUNNER.invoke(app, ["sign", "r.yaml", "--key", "k.key"])

    assert res.exit_code == 3, res.output
    assert res.stderr.strip() == (
        "k.key: /: the private key is open to other users (mode 0644) (run: chmod 600 k.key)"
    )


@pytest.mark.parametrize(
    ("name", "content", "needle"),
    [
        ("r.txt", b"document: report\n", "cannot sign a .txt file"),
        (
            "t.yaml",
            (ROOT / "examples" / "treaty-state.yaml").read_bytes(),
            "only a file of reports",
        ),
    ],
)
def test_sign_refuses_what_is_not_a_report_file(
    tmp_path: Path, name: str, content: bytes, needle: str
) -> None:
    _key(tmp_path)
    (tmp_path / name).write_bytes(content)

    res = RUNNER.invoke(app, ["sign", name, "--key", "k.key"])

    assert res.exit_code == 3, res.output
    assert needle in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1


def test_sign_and_check_a_jsonl_file(tmp_path: Path) -> None:
    _key(tmp_path)
    lines = [json.dumps(d, default=str) for d in yaml.safe_load_all(REPORT.decode()) if d]
    (tmp_path / "r.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")

    res = RUNNER.invoke(app, ["sign", "r.jsonl", "--key", "k.key"])

    assert res.exit_code == 0, res.output
    envelope = parse_envelope((tmp_path / "r.jsonl.dsse.json").read_bytes(), "e")
    assert envelope.payload_type == "application/vnd.treaty-engine.report+jsonl"


def test_sign_with_missing_paths_is_a_usage_error(tmp_path: Path) -> None:
    _key(tmp_path)
    assert RUNNER.invoke(app, ["sign", "nope.yaml", "--key", "k.key"]).exit_code == 2
    (tmp_path / "r.yaml").write_bytes(REPORT)
    assert RUNNER.invoke(app, ["sign", "r.yaml", "--key", "nope.key"]).exit_code == 2
