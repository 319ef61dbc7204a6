"""Private key files: mode 0600, atomic, never overwritten; one-line refusals; no key material shown."""

from __future__ import annotations

import copy
import os
import pickle
import stat
from datetime import date
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import (
    BestAvailableEncryption,
    Encoding,
    NoEncryption,
    PrivateFormat,
)

from engine.errors import InputError, UsageError
from engine.ingest.keyfile import (
    SigningKey,
    load_signing_key,
    registry_entry,
    write_private_key,
)
from engine.model.keys import key_id_for


def one_problem(info: pytest.ExceptionInfo[InputError]) -> tuple[str, str]:
    """The code and rendered line of the single problem raised."""
    problems = info.value.problems
    assert len(problems) == 1
    line = problems[0].render()
    assert "\n" not in line
    return problems[0].code, line


def pem_body(path: Path) -> str:
    """The base64 body of a PEM file: what must never appear in any message."""
    return "".join(path.read_text().splitlines()[1:-1])


def test_written_key_loads_back_and_signs_alike(tmp_path: Path) -> None:
    key = SigningKey.generate()
    path = tmp_path / "ARC.key"
    write_private_key(key, path)
    again = load_signing_key(path)
    assert again.key_id == key.key_id
    assert again.public_key == key.public_key
    assert again.sign(b"message") == key.sign(b"message")  # Ed25519 is deterministic
    assert path.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----\n")  # PEM PKCS8
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ARC.key"]  # no temporary left


def test_key_file_mode_is_0600_whatever_the_umask(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        write_private_key(SigningKey.generate(), tmp_path / "k.key")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "k.key").stat().st_mode) == 0o600


def test_an_existing_file_is_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "ARC.key"
    path.write_bytes(b"precious")
    with pytest.raises(InputError) as info:
        write_private_key(SigningKey.generate(), path)
    code, line = one_problem(info)
    assert code == "key-file-exists"
    assert line.startswith(str(path))
    assert path.read_bytes() == b"precious"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ARC.key"]


def test_a_dangling_symlink_is_not_followed(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere.key"
    (tmp_path / "ARC.key").symlink_to(target)
    with pytest.raises(InputError) as info:
        write_private_key(SigningKey.generate(), tmp_path / "ARC.key")
    assert one_problem(info)[0] == "key-file-exists"
    assert not target.exists()


def test_a_file_appearing_during_the_write_is_not_replaced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "ARC.key"
    real_link = os.link

    def racing_link(src: str, dst: str) -> None:
        Path(dst).write_bytes(b"theirs")
        real_link(src, dst)

    monkeypatch.setattr(os, "link", racing_link)
    with pytest.raises(InputError) as info:
        write_private_key(SigningKey.generate(), path)
    assert one_problem(info)[0] == "key-file-exists"
    assert path.read_bytes() == b"theirs"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ARC.key"]


def test_without_hard_links_the_key_is_created_exclusively(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_links(src: str, dst: str) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    key = SigningKey.generate()
    write_private_key(key, tmp_path / "usb.key")
    assert stat.S_IMODE((tmp_path / "usb.key").stat().st_mode) == 0o600
    assert load_signing_key(tmp_path / "usb.key").key_id == key.key_id
    assert sorted(p.name for p in tmp_path.iterdir()) == ["usb.key"]


def test_a_missing_folder_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        write_private_key(SigningKey.generate(), tmp_path / "no" / "k.key")
    code, line = one_problem(info)
    assert code == "key-file-write"
    assert "No such file or directory" in line


def test_a_key_open_to_others_is_refused_without_showing_it(tmp_path: Path) -> None:
    path = tmp_path / "ARC.key"
    write_private_key(SigningKey.generate(), path)
    path.chmod(0o644)
    with pytest.raises(InputError) as info:
        load_signing_key(path)
    code, line = one_problem(info)
    assert code == "key-file-mode"
    assert "mode 0644" in line and f"chmod 600 {path}" in line
    assert pem_body(path)[:20] not in line


def write_0600(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    path.chmod(0o600)
    return path


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (b"not a key at all", "not a PEM private key"),
        (b"", "not a PEM private key"),
        (
            ec.generate_private_key(ec.SECP256R1()).private_bytes(
                Encoding.PEM, PrivateFormat.PKCS8, BestAvailableEncryption(b"pw")
            ),
            "encrypted with a passphrase",
        ),
        (
            ec.generate_private_key(ec.SECP256R1()).private_bytes(
                Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()
            ),
            "another algorithm, not Ed25519",
        ),
        (b"x" * (16 * 1024 + 1), "too large for a key file"),
    ],
)
def test_a_wrong_key_file_is_one_line(tmp_path: Path, content: bytes, needle: str) -> None:
    path = write_0600(tmp_path / "k.key", content)
    with pytest.raises(InputError) as info:
        load_signing_key(path)
    code, line = one_problem(info)
    assert code == "key-file-format"
    assert needle in line and line.startswith(str(path))


def test_a_missing_key_or_a_folder_is_one_line(tmp_path: Path) -> None:
    for path, needle in ((tmp_path / "none.key", "cannot open"), (tmp_path, "not a regular file")):
        with pytest.raises(InputError) as info:
            load_signing_key(path)
        code, line = one_problem(info)
        assert code == "key-file-read" and needle in line


def test_the_key_object_never_shows_its_material(tmp_path: Path) -> None:
    key = SigningKey.generate()
    path = tmp_path / "k.key"
    write_private_key(key, path)
    loaded = load_signing_key(path)
    assert repr(loaded) == f"SigningKey(key_id='{key.key_id}')"
    assert str(loaded) == repr(loaded)
    assert pem_body(path)[20:40] not in repr(loaded)
    for leak in (pickle.dumps, copy.copy, copy.deepcopy):
        with pytest.raises(TypeError, match="cannot be pickled or copied"):
            leak(loaded)
    assert not hasattr(loaded, "__dict__")  # nothing but the key id, public key and the key


def test_registry_entry_matches_the_key() -> None:
    key = SigningKey.generate()
    entry = registry_entry(key, holder="ARC", role="party", valid_from=date(2027, 1, 1))
    assert entry.key_id == key.key_id == key_id_for(entry.raw_public_key)
    assert entry.public_key == key.public_key
    with pytest.raises(UsageError, match="party code"):
        registry_entry(key, holder="Arcadia", role="party", valid_from=date(2027, 1, 1))
