"""The service's master key: made once, kept owner-only apart from the units' key folders."""

from __future__ import annotations

import base64
import os
import secrets
import uuid
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from service.core.files import private_folder

KEY_BYTES, NONCE_BYTES = 32, 12


class MasterKeyMismatch(ValueError):
    """A locked secret does not open with this master key: another install's key, or damaged."""


class MasterKey:
    """Locks and unlocks the units' key secrets (AES-256-GCM, bound to the unit's slug)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def lock(self, secret: bytes, slug: str) -> bytes:
        """The secret encrypted for this unit only: a nonce, then the ciphertext and its tag."""
        nonce = os.urandom(NONCE_BYTES)
        return nonce + AESGCM(self._key()).encrypt(nonce, secret, slug.encode())

    def unlock(self, locked: bytes, slug: str) -> bytes:
        """The secret `lock` encrypted for this unit; MasterKeyMismatch otherwise."""
        nonce, sealed = locked[:NONCE_BYTES], locked[NONCE_BYTES:]
        try:
            return AESGCM(self._key()).decrypt(nonce, sealed, slug.encode())
        except InvalidTag:
            raise MasterKeyMismatch(
                f"the signing key of {slug!r} was not locked with the master key {self.path}"
            ) from None

    def _key(self) -> bytes:
        """The key from its file, made on first use."""
        if not self.path.exists():
            self._make()
        key = base64.b64decode(self.path.read_text(encoding="ascii").strip(), validate=True)
        if len(key) != KEY_BYTES:
            raise MasterKeyMismatch(f"{self.path} does not hold a {KEY_BYTES}-byte key")
        return key

    def _make(self) -> None:
        """Write a new key, unless another process (the web, a worker) has just written one."""
        private_folder(self.path.parent)
        partial = self.path.with_name(f".{self.path.name}.{uuid.uuid4().hex}.part")
        try:
            with open(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as out:
                out.write(base64.b64encode(secrets.token_bytes(KEY_BYTES)) + b"\n")
                out.flush()
                os.fsync(out.fileno())
            # A link, not a rename: it fails rather than replace a key that already locks secrets.
            os.link(partial, self.path)
        except FileExistsError:
            pass
        finally:
            partial.unlink(missing_ok=True)
