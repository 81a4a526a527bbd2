"""The agency's seal: a unit's key and seal picture signing a document's seal field."""

from __future__ import annotations

from typing import Any

from service.core.document import Document
from service.core.documents import AuditSink
from service.core.signing import MM, SEAL_MM, sign_field, signer_name, unit_signer
from service.usecases.ports import KeyStore, RegisterRecord, UnitKey

SEAL_REASON = "Ban hành văn bản"


class SigningUnavailable(LookupError):
    """Signing was asked for, but no unit was named or the unit has no key installed."""


class Sealer:
    """Seals issued documents and copies with their unit's installed key."""

    def __init__(self, keys: KeyStore | None, tsa_url: str = "") -> None:
        self.keys = keys
        self.tsa_url = tsa_url

    def can_seal(self, unit: str | None) -> bool:
        """Whether this unit has a key to seal with."""
        return bool(unit) and self.keys is not None and self.keys.has_key(unit or "")

    def seal_size(self, unit: str | None) -> float:
        """The unit's seal picture's diameter in points (36 mm until a seal is installed)."""
        if self.can_seal(unit):
            seal = self.key(unit).seal
            if seal is not None:
                return seal.size
        return SEAL_MM * MM

    def key(self, slug: str | None) -> UnitKey:
        """The named unit's signing key; SigningUnavailable without one."""
        if not slug:
            raise SigningUnavailable("signing needs a unit with an installed key")
        if self.keys is None or not self.keys.has_key(slug):
            raise SigningUnavailable(f"unit {slug!r} has no signing key installed")
        return self.keys.load(slug)

    def seal(self, pdf: bytes, document: Document, key: UnitKey) -> tuple[bytes, str]:
        """Sign the seal field with the unit's key and seal picture; the certificate's name."""
        signer = unit_signer(key.pkcs12, key.passphrase)
        signed = sign_field(
            pdf,
            signer=signer,
            field=document.seal_field,
            reason=SEAL_REASON,
            location=document.issuer.get("place") or "",
            tsa_url=self.tsa_url or None,
            seal=key.seal,
        )
        return signed, signer_name(signer)

    def record(
        self, audit: AuditSink, entry: RegisterRecord, key: UnitKey, signed_by: str | None, *,
        actor: str, details: dict[str, Any],
    ) -> None:
        """Put the seal on the trail beside the entry it sealed."""
        audit.record(
            "seal",
            actor=actor,
            subject=entry.number_line,
            details={**details, "unit": key.slug, "certificate": signed_by,
                     "timestamp": bool(self.tsa_url)},
            unit=entry.unit,
        )
