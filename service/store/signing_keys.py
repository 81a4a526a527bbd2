"""The KeyStore: each unit's key and seal picture under data_dir/signing/<slug>/.

The passphrase a key came with is never kept. The key is relocked as a new PKCS#12 under a
random secret of its own, and that secret is kept only encrypted with the service's master key,
which lives elsewhere (VB_SIGNING_MASTER_KEY). This answers a copy of data_dir/signing alone (a
backup of that folder, a stolen copy of it, a share opened by mistake): it cannot sign. It does
not answer whoever can also read the master key (the service's own user, root, a backup that
holds both; the default place, inside data_dir, is in a backup of data_dir), nor someone who
makes the running service sign; and a passphrase an earlier version wrote in clear may remain
in old backups and on the disk's free blocks after it is converted and deleted.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import secrets
import shutil
from pathlib import Path
from typing import Any

from service.core.confined import ReadingTooCostly, confined
from service.core.files import private_folder, write_atomic
from service.core.key_material import KeyDescription, LockedKey, describe, read_upload, relock
from service.core.signing import SEAL_MM, SealImage, SigningKeyInvalid
from service.store.master_key import MasterKey
from service.usecases.ports import UnitKey

log = logging.getLogger("service.store.signing_keys")
SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,79}")
LOCKED, SEAL, SEAL_INFO = "key.json", "seal.png", "seal.json"
# What an earlier version kept: the PKCS#12 as given and its passphrase in clear.
CLEAR_KEY, CLEAR_PASSPHRASE = "key.p12", "passphrase"
SECRET_BYTES = 32  # of randomness, written as URL-safe text: a PKCS#12 password is UTF-8


class UnitKeyMissing(LookupError):
    """The unit has no signing key installed."""


class SigningKeys:
    """The installed keys: one owner-only folder per unit slug."""

    def __init__(self, root: Path, master: MasterKey) -> None:
        self.root = root
        self.master = master

    def folder(self, slug: str) -> Path:
        """The unit's folder; ValueError for a slug that could leave the root."""
        if not SLUG.fullmatch(slug):
            raise ValueError(f"not a unit slug: {slug!r}")
        return self.root / slug

    def install(
        self,
        slug: str,
        pkcs12: bytes,
        passphrase: bytes | None,
        seal_png: bytes | None = None,
        seal_mm: float = SEAL_MM,
    ) -> dict[str, Any]:
        """Read the key and seal within the upload budget, then keep them readable by us only.

        SigningKeyInvalid or SealImageInvalid before anything is written; a seal not given
        leaves the one installed before.
        """
        secret = new_secret()
        try:
            key, seal = confined(read_upload, pkcs12, passphrase, secret, seal_png, seal_mm)
        except ReadingTooCostly as exc:
            raise SigningKeyInvalid(f"reading the key took more {exc.what} than allowed") from None
        folder = private_folder(self.folder(slug))
        self._keep(slug, key, secret)
        if seal is not None:
            write_atomic(folder / SEAL, seal)
            write_atomic(folder / SEAL_INFO, json.dumps({"diameter_mm": seal_mm}).encode())
        return {"unit": slug, "certificate": describe(key.certificate).common_name,
                "seal": (folder / SEAL).is_file()}

    def load(self, slug: str) -> UnitKey:
        """The unit's key and seal; UnitKeyMissing when none is installed."""
        kept = self._kept(slug)
        secret = self.master.unlock(base64.b64decode(kept["secret"]), slug)
        return UnitKey(slug, base64.b64decode(kept["pkcs12"]), secret, self._seal(slug))

    def describe(self, slug: str) -> KeyDescription:
        """What the unit's certificate says; UnitKeyMissing when none is installed."""
        return describe(base64.b64decode(self._kept(slug)["certificate"]))

    def seal_png(self, slug: str) -> bytes | None:
        """The unit's seal picture (PNG), or None."""
        path = self.folder(slug) / SEAL
        return path.read_bytes() if path.is_file() else None

    def has_key(self, slug: str) -> bool:
        """Whether a key is installed for the unit."""
        if SLUG.fullmatch(slug) is None:
            return False
        folder = self.folder(slug)
        return (folder / LOCKED).is_file() or (folder / CLEAR_KEY).is_file()

    def remove(self, slug: str) -> bool:
        """Delete the unit's key and seal; False when it had none."""
        if not self.has_key(slug):
            return False
        shutil.rmtree(self.folder(slug))
        return True

    def move(self, old: str, new: str) -> None:
        """Give a renamed unit its key and seal: the secret is locked again for the new slug."""
        kept = self._kept(old)
        secret = self.master.unlock(base64.b64decode(kept["secret"]), old)
        target = self.folder(new)
        shutil.rmtree(target, ignore_errors=True)  # what a unit deleted long ago may have left
        shutil.copytree(self.folder(old), target)
        locked = LockedKey(base64.b64decode(kept["pkcs12"]), base64.b64decode(kept["certificate"]))
        self._keep(new, locked, secret)
        shutil.rmtree(self.folder(old))

    def convert_all(self) -> list[str]:
        """Relock every key an earlier version kept with its passphrase in clear; their slugs."""
        converted = []
        for clear in sorted(self.root.glob(f"*/{CLEAR_KEY}")) if self.root.is_dir() else []:
            slug = clear.parent.name
            try:
                self._kept(slug)
            except (SigningKeyInvalid, ValueError) as exc:
                log.error("the signing key of %s could not be converted: %s", slug, exc)
            else:
                converted.append(slug)
        return converted

    def _kept(self, slug: str) -> dict[str, str]:
        """The unit's locked key file, converting an earlier install first."""
        folder = self.folder(slug)
        if not (folder / LOCKED).is_file():
            if not (folder / CLEAR_KEY).is_file():
                raise UnitKeyMissing(slug)
            clear = folder / CLEAR_PASSPHRASE
            passphrase = clear.read_bytes() if clear.exists() else b""
            secret = new_secret()
            self._keep(slug, relock((folder / CLEAR_KEY).read_bytes(), passphrase or None,
                                    secret), secret)
            log.info("the signing key of %s is now kept without its passphrase", slug)
        _forget_clear(folder)  # also after a stop between writing the locked key and this
        kept: dict[str, str] = json.loads((folder / LOCKED).read_text(encoding="ascii"))
        return kept

    def _keep(self, slug: str, key: LockedKey, secret: bytes) -> None:
        """Write the locked key, its certificate and its locked secret as one file, atomically."""
        kept = {
            "pkcs12": key.pkcs12,
            "certificate": key.certificate,
            "secret": self.master.lock(secret, slug),
        }
        text = json.dumps({name: base64.b64encode(v).decode() for name, v in kept.items()})
        folder = private_folder(self.folder(slug))
        write_atomic(folder / LOCKED, text.encode())
        _forget_clear(folder)

    def _seal(self, slug: str) -> SealImage | None:
        """The unit's seal picture at its diameter, or None."""
        png = self.seal_png(slug)
        if png is None:
            return None
        info = json.loads((self.folder(slug) / SEAL_INFO).read_text(encoding="utf-8"))
        return SealImage(png, float(info["diameter_mm"]))


def _forget_clear(folder: Path) -> None:
    """Delete what an earlier version kept in clear, once the locked key replaces it."""
    for old in (CLEAR_PASSPHRASE, CLEAR_KEY):
        (folder / old).unlink(missing_ok=True)


def new_secret() -> bytes:
    """A random secret to lock one key with."""
    return secrets.token_urlsafe(SECRET_BYTES).encode()
