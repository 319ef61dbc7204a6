"""Private keys on disk: the only module that holds private key material (issue 13, item 1).

A key is Ed25519 (through ``cryptography``), stored as an unencrypted PEM PKCS8 file with mode
0600, written atomically and never over an existing file. Its key id is
``engine.model.keys.key_id_for`` of the raw public key (16 hex digits of its SHA-256).

Private key material is never printed, logged or put in an error: ``SigningKey``'s repr shows only
its key id, it cannot be pickled or copied, and its only use is ``sign``. Errors about key files
are one line naming the file and the fix, never quoting the file.

This module imports ``engine.model`` and ``engine.errors`` (plus ``cryptography``).
"""

from __future__ import annotations

import base64
import os
import secrets
import stat
from datetime import date
from pathlib import Path
from typing import NoReturn

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
    load_pem_private_key,
)
from pydantic import ValidationError

from engine.errors import InputError, Problem, ProblemCode, UsageError
from engine.model.keys import KeyEntry, KeyRole, key_id_for

MAX_KEY_FILE_BYTES = 16 * 1024


def _fail(file: str, message: str, fix: str, code: ProblemCode) -> NoReturn:
    raise InputError([Problem(file, message, fix, code=code)])


class SigningKey:
    """An Ed25519 private key. Its repr shows only the key id; it cannot be pickled or copied."""

    __slots__ = ("_private", "key_id", "public_key")

    def __init__(self, private: Ed25519PrivateKey) -> None:
        """Wrap a private key; prefer ``SigningKey.generate`` or ``load_signing_key``."""
        raw = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self._private = private
        self.key_id: str = key_id_for(raw)
        """The key id (16 hex digits), as in the registry."""
        self.public_key: str = base64.b64encode(raw).decode("ascii")
        """The raw public key in standard base64, as in the registry."""

    @classmethod
    def generate(cls) -> SigningKey:
        """A new random key, held in memory only until ``write_private_key`` stores it."""
        return cls(Ed25519PrivateKey.generate())

    def sign(self, message: bytes) -> bytes:
        """The 64-byte Ed25519 signature of ``message``."""
        return self._private.sign(message)

    def __repr__(self) -> str:
        """Name the key by its id, never by its material."""
        return f"SigningKey(key_id={self.key_id!r})"

    def __reduce__(self) -> NoReturn:
        """Refuse pickling and copying: private keys stay in the file they were loaded from."""
        raise TypeError("a SigningKey cannot be pickled or copied")


def registry_entry(
    key: SigningKey,
    *,
    holder: str,
    role: KeyRole,
    valid_from: date,
    valid_until: date | None = None,
    note: str | None = None,
) -> KeyEntry:
    """The registry entry for ``key``, to send to the Secretariat.

    Raises:
        UsageError: the holder does not fit the role, or the dates are out of order (one line).
    """
    try:
        return KeyEntry(
            key_id=key.key_id,
            holder=holder,
            role=role,
            public_key=key.public_key,
            valid_from=valid_from,
            valid_until=valid_until,
            note=note,
        )
    except ValidationError as exc:
        msg = exc.errors()[0]["msg"].removeprefix("Value error, ")
        raise UsageError(msg) from None


def write_private_key(key: SigningKey, path: Path) -> None:
    """Store ``key`` as PEM PKCS8 at ``path``, mode 0600, atomically; never replace a file.

    The key is written to a temporary file in the same folder and hard-linked into place, which
    fails if ``path`` exists. On a file system without hard links (e.g. FAT) the file is created
    exclusively and written in place instead.

    Raises:
        InputError: ``path`` exists, or the folder cannot be written (one line).
    """
    file = str(path)
    if path.exists() or path.is_symlink():
        _exists(file)
    pem = key._private.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    try:
        _write_exclusive(tmp, pem)
        try:
            os.link(tmp, path)
        except FileExistsError:
            _exists(file)
        except OSError:  # no hard links here: exclusive create still never replaces a file
            _write_exclusive(path, pem)
    except FileExistsError:
        _exists(file)
    except OSError as exc:
        _fail(
            file,
            f"cannot write the key file: {exc.strerror}",
            "choose a folder you can write to",
            "key-file-write",
        )
    finally:
        tmp.unlink(missing_ok=True)


def _exists(file: str) -> NoReturn:
    _fail(
        file,
        "a file already exists here; keys are never overwritten",
        "choose another --output, or move the old key away yourself",
        "key-file-exists",
    )


def _write_exclusive(path: Path, data: bytes) -> None:
    """Create ``path`` (mode 0600, failing if it exists), write ``data`` and flush it to disk."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.fchmod(fd, 0o600)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        path.unlink(missing_ok=True)
        raise
    os.close(fd)


def load_signing_key(path: Path) -> SigningKey:
    """Read a private key file written by ``write_private_key``.

    Raises:
        InputError: missing, not a regular file, readable by others, too large, not PEM PKCS8,
            encrypted, or not Ed25519 (one line; never any key material).
    """
    file = str(path)
    data = _read_key_file(path, file)
    fix = "use the file written by 'treaty keys new'"
    try:
        private = load_pem_private_key(data, password=None)
    except TypeError:
        _fail(
            file,
            "the private key is encrypted with a passphrase",
            "use an unencrypted PKCS8 key kept with mode 0600",
            "key-file-format",
        )
    except (ValueError, UnsupportedAlgorithm):
        _fail(file, "not a PEM private key (PKCS8)", fix, "key-file-format")
    if not isinstance(private, Ed25519PrivateKey):
        _fail(file, "holds a private key of another algorithm, not Ed25519", fix, "key-file-format")
    return SigningKey(private)


def _read_key_file(path: Path, file: str) -> bytes:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError as exc:
        _fail(
            file,
            f"cannot open the private key: {exc.strerror}",
            "give the path of your key file",
            "key-file-read",
        )
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            _fail(file, "not a regular file", "give the path of your key file", "key-file-read")
        if os.name == "posix" and st.st_mode & 0o077:
            _fail(
                file,
                f"the private key is open to other users (mode {stat.S_IMODE(st.st_mode):04o})",
                f"run: chmod 600 {file}",
                "key-file-mode",
            )
        if st.st_size > MAX_KEY_FILE_BYTES:
            _fail(
                file,
                f"{st.st_size} bytes is too large for a key file",
                "give the path of your key file",
                "key-file-format",
            )
        return os.read(fd, MAX_KEY_FILE_BYTES + 1)
    finally:
        os.close(fd)
