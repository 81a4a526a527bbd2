"""Sign a prepared PDF's empty signature field with a PKCS#12 key; report a PDF's signatures."""

from __future__ import annotations

import asyncio
import functools
import io
import logging
from collections.abc import Coroutine, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from typing import Any, TypeVar

from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from PIL import Image, UnidentifiedImageError
from pyhanko.pdf_utils import generic, layout
from pyhanko.pdf_utils.images import PdfImage
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import signers, timestamps
from pyhanko.sign.fields import enumerate_sig_fields
from pyhanko.sign.general import SigningError, get_pyca_cryptography_hash
from pyhanko.sign.signers.constants import DEFAULT_SIGNING_STAMP_STYLE
from pyhanko.sign.validation import async_validate_pdf_signature
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko.sign.validation.status import PdfSignatureStatus, SignatureCoverageLevel
from pyhanko.stamp import BaseStampStyle, StaticStampStyle, TextStampStyle
from pyhanko_certvalidator import ValidationContext

from service.core.confined import ReadingTooCostly, confined
from service.core.pdf import field_name
from service.core.pdf_io import UNREADABLE, InvalidPdf, open_incremental

T = TypeVar("T")

__all__ = [
    "PdfNotSignable",
    "SealImage",
    "SealImageInvalid",
    "SignatureReport",
    "SigningKeyInvalid",
    "TimestampUnavailable",
    "sign_field",
    "signer_name",
    "unit_signer",
    "verify",
]

DEFAULT_REASON = "Ký ban hành văn bản"
# pyHanko's stamp font is a standard 14 font without Vietnamese glyphs: the name is written in
# ASCII there (the certificate and the reports keep it in full).
STAMP_STYLE: TextStampStyle = replace(
    DEFAULT_SIGNING_STAMP_STYLE, stamp_text="Ky so boi: %(signer_ascii)s\nThoi gian: %(ts)s"
)


MM = 72 / 25.4  # points per millimetre
SEAL_MM = 36.0  # a commune People's Committee seal is 35-36 mm across
TSA_TIMEOUT = 10  # seconds to wait for the timestamp server


class SigningKeyInvalid(ValueError):
    """The PKCS#12 data cannot be opened: damaged, or the passphrase is wrong."""


class SealImageInvalid(ValueError):
    """The seal picture is not an image Pillow can read."""


class TimestampUnavailable(RuntimeError):
    """The timestamp server (TSA) could not be reached or gave no usable token."""


@dataclass(frozen=True)
class SealImage:
    """The seal's picture (PNG, transparent outside the ring) and its real diameter."""

    png: bytes
    diameter_mm: float = SEAL_MM

    @property
    def size(self) -> float:
        """The diameter in points: the picture is drawn at the seal's actual size."""
        return self.diameter_mm * MM

    def image(self) -> Image.Image:
        """The picture, decoded; SealImageInvalid if it is not one."""
        try:
            picture = Image.open(io.BytesIO(self.png))
            picture.load()
        except (UnidentifiedImageError, OSError) as exc:
            raise SealImageInvalid(f"cannot read the seal image: {exc}") from exc
        # pyHanko embeds RGB(A), greyscale and palette pictures; anything else becomes RGBA.
        return picture if picture.mode in ("RGB", "RGBA", "L", "LA", "P") else picture.convert(
            "RGBA"
        )

    def stamp_style(self) -> StaticStampStyle:
        """A stamp that is only the picture, edge to edge, at full opacity and without a frame."""
        box = layout.BoxConstraints(width=self.size, height=self.size)
        return StaticStampStyle(
            background=PdfImage(self.image(), box=box),
            background_opacity=1.0,
            border_width=0,
            background_layout=layout.SimpleBoxLayoutRule(
                x_align=layout.AxisAlignment.ALIGN_MID,
                y_align=layout.AxisAlignment.ALIGN_MID,
                margins=layout.Margins.uniform(0),
            ),
        )


class _QuietUntrusted(logging.Filter):
    """Turn pyHanko's traceback for an untrusted or self-signed certificate into one INFO line.

    `verify` reports such a signature as not trusted: it is the answer, not a service fault.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno == logging.WARNING and record.exc_info:
            record.msg = record.getMessage()
            record.args = None
            record.exc_info = record.exc_text = None
            record.levelno, record.levelname = logging.INFO, "INFO"
        return True


logging.getLogger("pyhanko.sign.validation.generic_cms").addFilter(_QuietUntrusted())


class PdfNotSignable(ValueError):
    """The PDF is readable but has no empty signature field by that name."""


@dataclass(frozen=True)
class SignatureReport:
    """One embedded signature as the verification endpoint reports it."""

    field: str
    signer: str
    signed_at: str | None
    intact: bool
    valid: bool
    trusted: bool
    covers_whole_document: bool
    reason: str | None

    def as_dict(self) -> dict[str, Any]:
        """The report as a JSON-ready dict."""
        return asdict(self)


class _ParsedKeySigner(signers.SimpleSigner):
    """A pyHanko signer that signs with an RSA key parsed once, not at every signature.

    pyHanko reads the key from DER in each `sign_raw`, and cryptography checks an RSA key
    at every read (about 50 ms here); one signature signs twice, the first time to size the
    field. Other mechanisms go through pyHanko's own path.
    """

    def __init__(self, loaded: signers.SimpleSigner, rsa_key: RSAPrivateKey) -> None:
        super().__init__(
            signing_cert=loaded.signing_cert,
            signing_key=loaded.signing_key,
            cert_registry=loaded.cert_registry,
            signature_mechanism=loaded.signature_mechanism,
        )
        self._rsa_key = rsa_key

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        """Sign with the parsed key when the mechanism is RSA PKCS#1 v1.5."""
        mechanism = self.get_signature_mechanism_for_digest(digest_algorithm)
        if mechanism.signature_algo != "rsassa_pkcs1v15":
            return super().sign_raw(data, digest_algorithm)
        return self._rsa_key.sign(data, PKCS1v15(), get_pyca_cryptography_hash(digest_algorithm))


def load_signer(pkcs12: bytes, passphrase: bytes | None) -> signers.SimpleSigner:
    """A pyHanko signer from PKCS#12 data; SigningKeyInvalid when it cannot be opened."""
    try:
        signer = signers.SimpleSigner.load_pkcs12_data(pkcs12, [], passphrase=passphrase)
    except (ValueError, TypeError) as exc:
        raise SigningKeyInvalid(f"cannot open the PKCS#12 key: {exc}") from exc
    if signer is None:  # older pyHanko returned None instead of raising
        raise SigningKeyInvalid("cannot open the PKCS#12 key")
    # Opening the PKCS#12 data has just checked the key: parsing it again need not.
    key = serialization.load_der_private_key(
        signer.signing_key.dump(), password=None, unsafe_skip_rsa_key_validation=True
    )
    return _ParsedKeySigner(signer, key) if isinstance(key, RSAPrivateKey) else signer


@functools.lru_cache(maxsize=64)
def unit_signer(pkcs12: bytes, passphrase: bytes | None) -> signers.SimpleSigner:
    """load_signer, kept for the next signature with the same key and passphrase.

    Opening PKCS#12 data decrypts it and checks the RSA key (about 50 ms); a unit seals every
    document it issues with one key. A replaced key is other bytes, so it is opened anew.
    """
    return load_signer(pkcs12, passphrase)


def sign_field(
    pdf: bytes,
    *,
    signer: signers.SimpleSigner,
    field: str,
    reason: str = DEFAULT_REASON,
    location: str = "",
    tsa_url: str | None = None,
    seal: SealImage | None = None,
) -> bytes:
    """Sign the existing empty field `field` in an incremental update (PAdES, SHA-256).

    With `seal`, the field is resized around its centre to the seal's real diameter and the
    seal picture is its appearance (Decree 30: the seal image, at actual size, over the left
    third of the signature); without, a text stamp names the signer and the time.
    """
    meta = signers.PdfSignatureMetadata(
        field_name=field,
        reason=reason or None,
        location=location or None,
        md_algorithm="sha256",
    )
    # Only a timestamp authority vouches for the time; without one the signer's clock is all.
    timestamper = (
        timestamps.HTTPTimeStamper(tsa_url, timeout=TSA_TIMEOUT) if tsa_url else None
    )
    style: BaseStampStyle = seal.stamp_style() if seal is not None else STAMP_STYLE
    pdf_signer = signers.PdfSigner(meta, signer=signer, timestamper=timestamper, stamp_style=style)
    writer = open_incremental(pdf)
    widget = _empty_field(writer, field)
    if seal is not None:
        _resize_around_centre(writer, widget, seal.size)
    out = io.BytesIO()
    try:
        # Only the fields prepare_for_signing made: never create one at a guessed place.
        outside_event_loop(
            pdf_signer.async_sign_pdf(
                writer,
                existing_fields_only=True,
                output=out,
                appearance_text_params={
                    "signer_ascii": field_name("", signer_name(signer)) or "?"
                },
            )
        )
    except SigningError as exc:
        raise PdfNotSignable(f"cannot sign field {field!r}: {exc}") from exc
    except timestamps.TimestampRequestError as exc:
        cause = exc.__cause__ or exc
        raise TimestampUnavailable(f"timestamp server {tsa_url}: {cause}") from exc
    return out.getvalue()


def outside_event_loop(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run pyHanko's coroutine to the end, in a thread of its own if this one runs a loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    # asyncio.run refuses to nest (an async server or a browser driver owns this thread's loop).
    with ThreadPoolExecutor(max_workers=1) as thread:
        return thread.submit(asyncio.run, coroutine).result()


def signer_name(signer: signers.SimpleSigner) -> str:
    """The signing certificate's common name (in full, diacritics kept)."""
    cert = signer.signing_cert
    subject = cert.subject if cert is not None else None
    return str(subject.native.get("common_name", "")) if subject is not None else ""


def _empty_field(writer: IncrementalPdfFileWriter, field: str) -> generic.IndirectObject:
    """The unsigned signature field `field` (its widget); PdfNotSignable if there is none."""
    for name, value, reference in enumerate_sig_fields(writer, filled_status=None):
        if name == field:
            if value is not None:
                raise PdfNotSignable(f"signature field {field!r} is already signed")
            return reference
    raise PdfNotSignable(f"the PDF has no signature field {field!r}")


def _resize_around_centre(
    writer: IncrementalPdfFileWriter, widget: generic.IndirectObject, size: float
) -> None:
    """Make the field's widget a `size`-point square on the same centre (in this update).

    A field prepared at the seal's size is left as it is: a later change to a widget that an
    earlier signature covers reads as tampering with it.
    """
    annotation = widget.get_object()
    x1, y1, x2, y2 = (float(v) for v in annotation["/Rect"])
    if abs((x2 - x1) - size) < 0.01 and abs((y2 - y1) - size) < 0.01:
        return
    cx, cy, half = (x1 + x2) / 2, (y1 + y2) / 2, size / 2
    annotation["/Rect"] = generic.ArrayObject(
        generic.FloatObject(v) for v in (cx - half, cy - half, cx + half, cy + half)
    )
    writer.mark_update(widget)


def verify(pdf: bytes, *, trust_roots: Iterable[bytes] = ()) -> list[SignatureReport]:
    """Every embedded signature of the PDF, oldest first, read within the upload budget."""
    try:
        return confined(_verify_here, pdf, list(trust_roots))
    except ReadingTooCostly as exc:
        raise InvalidPdf(f"reading the PDF took more {exc.what} than allowed") from None


def _verify_here(pdf: bytes, trust_roots: list[bytes]) -> list[SignatureReport]:
    """Every embedded signature of the PDF, oldest first; [] for an unsigned PDF."""
    # Offline and with explicit roots (DER): a verdict must not depend on the network, and
    # which CAs to trust is the caller's call, so `trusted` is reported beside `valid`.
    roots = [asn1_x509.Certificate.load(der) for der in trust_roots]
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        check_signature_fields(reader)
        embedded = reader.embedded_signatures
    except UNREADABLE as exc:
        raise InvalidPdf(f"cannot read the PDF: {exc}") from exc
    return [_report(sig, roots) for sig in embedded]


def check_signature_fields(reader: PdfFileReader) -> None:
    """InvalidPdf unless the form and each signature value are dictionaries.

    pyHanko takes both shapes for granted and fails with a TypeError or AttributeError on a
    posted PDF that breaks them (`/AcroForm 5`, `/V 5`).
    """
    if "/AcroForm" in reader.root and not isinstance(
        reader.root["/AcroForm"], generic.DictionaryObject
    ):
        raise InvalidPdf("the /AcroForm entry is not a dictionary")
    for name, value, _ in enumerate_sig_fields(reader, filled_status=True):
        if not isinstance(value.get_object(), generic.DictionaryObject):
            raise InvalidPdf(f"the value (/V) of signature field {name!r} is not a dictionary")


def _report(sig: EmbeddedPdfSignature, roots: list[asn1_x509.Certificate]) -> SignatureReport:
    """Validate one signature offline and summarise it."""
    status = validated(sig, roots)
    reason = sig.sig_object.get("/Reason")
    return SignatureReport(
        field=sig.field_name,
        signer=common_name(status),
        signed_at=_iso(signing_time(status)),
        intact=bool(status.intact),
        valid=bool(status.intact and status.valid),
        trusted=bool(status.trusted),
        covers_whole_document=status.coverage == SignatureCoverageLevel.ENTIRE_FILE,
        reason=str(reason) if reason is not None else None,
    )


def validated(
    sig: EmbeddedPdfSignature, roots: list[asn1_x509.Certificate]
) -> PdfSignatureStatus:
    """pyHanko's offline verdict on one embedded signature, against `roots`."""
    context = ValidationContext(trust_roots=roots, allow_fetching=False)
    status: PdfSignatureStatus = outside_event_loop(
        async_validate_pdf_signature(sig, signer_validation_context=context)
    )
    return status


def common_name(status: PdfSignatureStatus) -> str:
    """The signer certificate's subject CN, or the whole subject when it has none."""
    return name_text(status.signing_cert.subject)


def name_text(name: asn1_x509.Name) -> str:
    """A certificate name's CN, or the whole name when it has none."""
    return str(name.native.get("common_name") or name.human_friendly)


def signing_time(status: PdfSignatureStatus) -> datetime | None:
    """The timestamp authority's time when there is a token, else the signer's own claim."""
    token = status.timestamp_validity
    if token is not None:
        return token.timestamp
    return status.signer_reported_dt


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None
