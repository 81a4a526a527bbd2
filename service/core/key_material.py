"""A unit's signing key as the service keeps it: relocked under a secret of its own, described."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from service.core.signing import SealImage, SealImageInvalid, SigningKeyInvalid, load_signer

SEAL_MM_RANGE = (10.0, 80.0)  # a seal's diameter in mm, from the smallest to the largest made
FRIENDLY_NAME = b"unit signing key"
# The key kinds a document is signed with (a PKCS#12 may also carry, say, a DH key; DSA is
# deprecated by cryptography and no signing certificate uses it now).
SIGNING_KEYS = (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey, ed25519.Ed25519PrivateKey,
                ed448.Ed448PrivateKey)


@dataclass(frozen=True)
class KeyDescription:
    """What a key's signing certificate says: who, by whom, which, and for how long."""

    common_name: str
    organization: str
    issuer: str
    serial: str  # hexadecimal, as certificate viewers show it
    valid_from: dt.datetime  # UTC
    valid_to: dt.datetime  # UTC

    def days_left(self, now: dt.datetime) -> int:
        """Whole days from `now` until the certificate ends (negative once it has)."""
        return (self.valid_to - now) // dt.timedelta(days=1)


@dataclass(frozen=True)
class LockedKey:
    """A PKCS#12 relocked under the service's own secret, with its certificate (DER) beside it."""

    pkcs12: bytes
    certificate: bytes


def relock(data: bytes, passphrase: bytes | None, secret: bytes) -> LockedKey:
    """Open a PKCS#12 with its passphrase and lock its key and chain again under `secret`.

    SigningKeyInvalid when it cannot be opened or holds no key and certificate.
    """
    try:
        key, cert, chain = pkcs12.load_key_and_certificates(data, passphrase)
    except (ValueError, TypeError) as exc:
        raise SigningKeyInvalid(f"cannot open the PKCS#12 key: {exc}") from exc
    if key is None or cert is None:
        raise SigningKeyInvalid("the PKCS#12 data holds no private key with its certificate")
    if not isinstance(key, SIGNING_KEYS):
        raise SigningKeyInvalid(f"a {type(key).__name__} does not sign documents")
    locked = pkcs12.serialize_key_and_certificates(
        FRIENDLY_NAME, key, cert, chain or None, serialization.BestAvailableEncryption(secret)
    )
    load_signer(locked, secret)  # what is kept must be what pyHanko signs with
    return LockedKey(locked, cert.public_bytes(serialization.Encoding.DER))


def read_upload(
    data: bytes, passphrase: bytes | None, secret: bytes, seal_png: bytes | None,
    seal_mm: float,
) -> tuple[LockedKey, bytes | None]:
    """The uploaded key relocked and its seal picture redrawn as PNG (run confined: both are
    hostile until read)."""
    seal = None
    if seal_png is not None:
        low, high = SEAL_MM_RANGE
        if not low <= seal_mm <= high:
            raise SealImageInvalid(f"a seal is {low:g}-{high:g} mm across, not {seal_mm:g}")
        out = io.BytesIO()
        SealImage(seal_png, seal_mm).image().save(out, "PNG")
        seal = out.getvalue()
    return relock(data, passphrase, secret), seal


def describe(certificate: bytes) -> KeyDescription:
    """The certificate's (DER) subject, issuer, serial and validity."""
    cert = x509.load_der_x509_certificate(certificate)
    return KeyDescription(
        common_name=_attribute(cert.subject, NameOID.COMMON_NAME),
        organization=_attribute(cert.subject, NameOID.ORGANIZATION_NAME),
        issuer=_attribute(cert.issuer, NameOID.COMMON_NAME) or cert.issuer.rfc4514_string(),
        serial=f"{cert.serial_number:X}",
        valid_from=cert.not_valid_before_utc,
        valid_to=cert.not_valid_after_utc,
    )


def _attribute(name: x509.Name, oid: x509.ObjectIdentifier) -> str:
    """The name's first value of this kind, or ""."""
    found = name.get_attributes_for_oid(oid)
    return str(found[0].value) if found else ""
