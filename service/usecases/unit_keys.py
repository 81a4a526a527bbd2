"""A unit's signing key and seal picture: installed, described, replaced, removed, audited."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from service.core.clock import iso, utcnow
from service.core.documents import AuditSink
from service.core.key_material import SEAL_MM_RANGE, KeyDescription
from service.core.signing import SEAL_MM, SealImageInvalid, SigningKeyInvalid
from service.usecases.accounts import Clock
from service.usecases.ports import KeyStore, UnitProfile
from service.usecases.units import UnitProfiles

Errors = dict[str, list[str]]  # the install form's field → messages
EXPIRING_DAYS = 30  # a certificate this close to its end is flagged, to renew it in time
NO_FILE = "Hãy chọn tệp khóa ký số (.p12 hoặc .pfx)."
NOT_OPENED = (
    "Không mở được tệp khóa: mật khẩu không đúng, hoặc tệp không phải khóa PKCS#12 "
    "(.p12, .pfx) có chứng thư số. Kiểm tra mật khẩu, rồi chọn lại tệp."
)
NO_SEAL = "Không đọc được ảnh con dấu; hãy chọn ảnh PNG nền trong suốt."
SEAL_SIZE = "Đường kính con dấu từ {low:g} đến {high:g} mm (con dấu UBND xã thường 35–36 mm)."


class KeyRefused(ValueError):
    """An uploaded key or seal cannot be installed; `errors` maps form fields to messages."""

    def __init__(self, errors: Errors) -> None:
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors


class KeyNotInstalled(LookupError):
    """The unit has no signing key to remove."""


@dataclass(frozen=True)
class KeyOverview:
    """The installed key as its unit's page shows it."""

    certificate: KeyDescription
    has_seal: bool
    days_left: int

    @property
    def expired(self) -> bool:
        """Whether the certificate has ended: the service can no longer seal with it."""
        return self.days_left < 0

    @property
    def expiring(self) -> bool:
        """Whether it ends within EXPIRING_DAYS."""
        return 0 <= self.days_left < EXPIRING_DAYS


class UnitKeys:
    """Installs, describes and removes the units' signing keys; each change on the trail."""

    def __init__(
        self, store: KeyStore, units: UnitProfiles, audit: AuditSink, *, clock: Clock = utcnow
    ) -> None:
        self.store = store
        self.units = units
        self.audit = audit
        self.clock = clock

    def overview(self, slug: str) -> KeyOverview | None:
        """The unit's installed key, or None."""
        if not self.store.has_key(slug):
            return None
        certificate = self.store.describe(slug)
        return KeyOverview(certificate, self.store.seal_png(slug) is not None,
                           certificate.days_left(self.clock()))

    def seal_png(self, slug: str) -> bytes | None:
        """The unit's seal picture, or None."""
        return self.store.seal_png(slug) if self.store.has_key(slug) else None

    def install(
        self, actor: str, slug: str, pkcs12: bytes, passphrase: bytes | None,
        seal_png: bytes | None = None, seal_mm: float = SEAL_MM,
    ) -> KeyOverview:
        """Install or replace the unit's key (and seal); UnitNotFound for no such unit,
        KeyRefused when the upload cannot be used (nothing is replaced then)."""
        unit = self.units.get(slug)
        low, high = SEAL_MM_RANGE
        if not pkcs12:
            raise KeyRefused({"pkcs12": [NO_FILE]})
        if seal_png is not None and not low <= seal_mm <= high:
            raise KeyRefused({"seal_mm": [SEAL_SIZE.format(low=low, high=high)]})
        replacing = self.store.has_key(slug)
        try:
            self.store.install(slug, pkcs12, passphrase, seal_png, seal_mm)
        except SigningKeyInvalid:
            raise KeyRefused({"pkcs12": [NOT_OPENED]}) from None
        except SealImageInvalid:
            raise KeyRefused({"seal": [NO_SEAL]}) from None
        installed = self.overview(slug)
        assert installed is not None
        certificate = installed.certificate
        self.audit.record(
            "key_replace" if replacing else "key_install", actor=actor,
            subject=f"Khóa ký số của {unit.issuer['agency']}"[:300], unit=slug,
            details={"certificate": certificate.common_name, "serial": certificate.serial,
                     "issuer": certificate.issuer, "valid_to": iso(certificate.valid_to),
                     "seal": seal_png is not None},
        )
        return installed

    def remove(self, actor: str, slug: str) -> None:
        """Delete the unit's key and seal; KeyNotInstalled when it has none."""
        unit = self.units.get(slug)
        before = self.overview(slug)
        if before is None or not self.store.remove(slug):
            raise KeyNotInstalled(slug)
        self.audit.record(
            "key_remove", actor=actor, subject=f"Khóa ký số của {unit.issuer['agency']}"[:300],
            unit=slug, details={"certificate": before.certificate.common_name,
                                "serial": before.certificate.serial},
        )

    def delete_unit(self, actor: str, slug: str) -> None:
        """Delete the unit, its key first: a unit made later with the slug must not seal with it.

        UnitNotFound when there is no such unit.
        """
        if self.overview(slug) is not None:
            self.remove(actor, slug)
        self.units.delete(slug)

    def save_unit(self, payload: dict[str, Any], old_slug: str | None = None) -> UnitProfile:
        """Save a unit's profile (UnitProfiles.save); a unit given a new slug keeps its key."""
        profile = self.units.save(payload, old_slug)
        if old_slug and profile.slug != old_slug and self.store.has_key(old_slug):
            self.store.move(old_slug, profile.slug)
        return profile
