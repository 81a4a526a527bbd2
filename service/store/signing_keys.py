"""The KeyStore: each unit's key, passphrase and seal picture under data_dir/signing/<slug>/."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

from service.core.files import write_atomic
from service.core.signing import SEAL_MM, SealImage, load_signer, signer_name
from service.usecases.ports import UnitKey

SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,79}")
KEY, PASSPHRASE, SEAL, SEAL_INFO = "key.p12", "passphrase", "seal.png", "seal.json"


class UnitKeyMissing(LookupError):
    """The unit has no signing key installed."""


class SigningKeys:
    """The installed keys: one owner-only folder per unit slug."""

    def __init__(self, root: Path) -> None:
        self.root = root

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
        """Check that the key opens and the seal reads, then store them readable by us only."""
        signer = load_signer(pkcs12, passphrase)  # SigningKeyInvalid before anything is written
        seal = None
        if seal_png is not None:
            if not 10 <= seal_mm <= 80:
                raise ValueError(f"a seal is 10-80 mm across, not {seal_mm}")
            picture = SealImage(seal_png, seal_mm).image()  # SealImageInvalid if unreadable
            out = io.BytesIO()
            picture.save(out, "PNG")
            seal = out.getvalue()
        folder = self.folder(slug)
        for private in (self.root, folder):
            private.mkdir(parents=True, exist_ok=True, mode=0o700)
            private.chmod(0o700)
        _write_private(folder / KEY, pkcs12)
        _write_private(folder / PASSPHRASE, passphrase or b"")
        if seal is not None:
            _write_private(folder / SEAL, seal)
            _write_private(folder / SEAL_INFO, json.dumps({"diameter_mm": seal_mm}).encode())
        return {"unit": slug, "certificate": signer_name(signer), "seal": seal is not None}

    def load(self, slug: str) -> UnitKey:
        """The unit's key and seal; UnitKeyMissing when none is installed."""
        folder = self.folder(slug)
        if not (folder / KEY).is_file():
            raise UnitKeyMissing(slug)
        passphrase = (folder / PASSPHRASE).read_bytes() if (folder / PASSPHRASE).exists() else b""
        seal = None
        if (folder / SEAL).is_file():
            info = json.loads((folder / SEAL_INFO).read_text(encoding="utf-8"))
            seal = SealImage((folder / SEAL).read_bytes(), float(info["diameter_mm"]))
        return UnitKey(slug, (folder / KEY).read_bytes(), passphrase or None, seal)

    def has_key(self, slug: str) -> bool:
        """Whether a key is installed for the unit."""
        return SLUG.fullmatch(slug) is not None and (self.folder(slug) / KEY).is_file()


def _write_private(path: Path, content: bytes) -> None:
    """Write a file only its owner can read, atomically."""
    write_atomic(path, content, mode=0o600)
