"""Check a signer's upload: the PDF the service prepared, with their own valid signature added.

A lãnh đạo signs the prepared PDF in their own tool (a USB token in Acrobat or Foxit, or a
provider's remote signing) and uploads it. It is taken only when its first bytes are exactly
the prepared PDF, the one thing added is a signature in the signer's field, that signature is
intact and made while its certificate was valid, and the certificate names the signer.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from asn1crypto import pem
from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import DEFAULT_DIFF_POLICY, StandardDiffPolicy
from pyhanko.sign.diff_analysis.constants import ACROFORM_EXEMPT_STRICT_COMPARISON
from pyhanko.sign.diff_analysis.form_rules_api import FormUpdatingRule
from pyhanko.sign.diff_analysis.policy_api import ModificationLevel, SuspiciousModification
from pyhanko.sign.diff_analysis.rules.form_field_rules import SigFieldModificationRule
from pyhanko.sign.validation.status import PdfSignatureStatus

from service.core.confined import ReadingTooCostly, confined
from service.core.pdf_io import UNREADABLE
from service.core.signing import (
    check_signature_fields,
    common_name,
    name_text,
    signing_time,
    validated,
)
from service.core.vn import search_key

__all__ = ["SignedUploadRefused", "SignerSignature", "check_signed_upload", "load_trust_roots"]

# The signed revision may fill the signer's (existing) field and nothing else; signing the
# first field of a document also turns on /SigFlags' append-only bit, which is expected.
UPLOAD_POLICY = StandardDiffPolicy(
    global_rules=DEFAULT_DIFF_POLICY.global_rules,
    form_rule=FormUpdatingRule(
        field_rules=[SigFieldModificationRule()],
        ignored_acroform_keys=ACROFORM_EXEMPT_STRICT_COMPARISON | {"/SigFlags"},
    ),
)
# Signing is form filling in pyHanko's levels; a tool may add validation data (LTV) after it.
ALLOWED = (ModificationLevel.NONE, ModificationLevel.LTA_UPDATES, ModificationLevel.FORM_FILLING)


class SignedUploadRefused(ValueError):
    """An upload that is not the prepared PDF with the signer's valid signature; says why."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason  # a stable code for clients: not_pdf, changed, unsigned, …
        self.message = message  # what the lãnh đạo reads, in Vietnamese

    def __reduce__(self) -> tuple[type, tuple[str, str]]:
        """Pickle with both arguments: the check runs in a child and raises here."""
        return type(self), (self.reason, self.message)


@dataclass(frozen=True)
class SignerSignature:
    """The accepted signature, as the register's trail keeps it."""

    field: str
    subject: str
    serial: str
    issuer: str
    signed_at: datetime | None
    trusted: bool


def check_signed_upload(
    prepared: bytes,
    uploaded: bytes,
    *,
    field: str,
    signer_name: str,
    trust_roots: Iterable[bytes] = (),
    require_trusted: bool = False,
) -> SignerSignature:
    """The signer's signature on `uploaded`, or SignedUploadRefused with the reason."""
    try:
        return confined(_check_here, prepared, uploaded, field, signer_name,
                        list(trust_roots), require_trusted)
    except ReadingTooCostly as exc:
        raise SignedUploadRefused(
            "too_costly",
            f"Đọc tệp PDF này cần quá nhiều {'bộ nhớ' if exc.what == 'memory' else 'thời gian'}"
            ": hãy tải lại đúng bản PDF đã chuẩn bị, chỉ ký, không thêm gì khác.",
        ) from None


def _check_here(
    prepared: bytes, uploaded: bytes, field: str, signer_name: str, trust_roots: list[bytes],
    require_trusted: bool,
) -> SignerSignature:
    """check_signed_upload's work, in the reading child."""
    if not uploaded.startswith(b"%PDF-"):
        raise SignedUploadRefused("not_pdf", "Tệp tải lên không phải là tệp PDF.")
    if not uploaded.startswith(prepared):
        raise SignedUploadRefused(
            "changed",
            "Tệp không giữ nguyên bản PDF đã chuẩn bị để ký: hãy tải bản chuẩn bị về, ký đúng "
            "tệp đó và không sửa gì khác.",
        )
    if len(uploaded) == len(prepared):
        raise SignedUploadRefused("unsigned", "Tệp PDF chưa có chữ ký số.")
    try:
        base = PdfFileReader(io.BytesIO(prepared), strict=False).xrefs.total_revisions - 1
        reader = PdfFileReader(io.BytesIO(uploaded), strict=False)
        check_signature_fields(reader)
        signatures = reader.embedded_signatures
    except UNREADABLE as exc:
        raise SignedUploadRefused("damaged", "Tệp PDF bị hỏng, không đọc được.") from exc
    ours = [sig for sig in signatures if sig.field_name == field]
    if not ours:
        raise SignedUploadRefused(
            "unsigned", "Tệp PDF chưa có chữ ký số ở ô chữ ký của người ký."
        )
    _only_the_signature(reader, base, field)
    status = validated(ours[0], [asn1_x509.Certificate.load(der) for der in trust_roots])
    return _accepted(field, status, signer_name, require_trusted)


def _only_the_signature(reader: PdfFileReader, base: int, field: str) -> None:
    """Refuse anything but the signer's field filled (and validation data) since `base`."""
    try:
        result = UPLOAD_POLICY.review_file(reader, base)
    except UNREADABLE as exc:
        result = SuspiciousModification(str(exc))
    if (
        isinstance(result, SuspiciousModification)
        or result.modification_level not in ALLOWED
        or not result.changed_form_fields <= {field}
    ):
        raise SignedUploadRefused(
            "modified",
            "Ngoài chữ ký số, tệp đã bị thêm hoặc sửa nội dung khác so với bản chuẩn bị để ký.",
        )


def _accepted(
    field: str, status: PdfSignatureStatus, signer_name: str, require_trusted: bool
) -> SignerSignature:
    """The signature's facts once it is intact, in time, the signer's, and trusted if need be."""
    if not (status.intact and status.valid):
        raise SignedUploadRefused(
            "broken", "Chữ ký số không hợp lệ: tệp đã bị sửa sau khi ký hoặc chữ ký hỏng."
        )
    cert = status.signing_cert
    moment = signing_time(status)
    validity = cert["tbs_certificate"]["validity"]
    start, end = validity["not_before"].native, validity["not_after"].native
    if moment is None or not start <= moment <= end:
        raise SignedUploadRefused(
            "expired",
            f"Chứng thư số chỉ có hiệu lực từ {start:%d/%m/%Y} đến {end:%d/%m/%Y}, không "
            "bao gồm thời điểm ký.",
        )
    subject = common_name(status)
    if search_key(subject) != search_key(signer_name):
        raise SignedUploadRefused(
            "wrong_signer",
            f"Chứng thư số mang tên “{subject}”, không phải người ký “{signer_name}”.",
        )
    if require_trusted and not status.trusted:
        raise SignedUploadRefused(
            "untrusted",
            "Chứng thư số không do tổ chức chứng thực được tin cậy cấp (không nằm trong danh "
            "sách gốc tin cậy của hệ thống).",
        )
    return SignerSignature(
        field=field,
        subject=subject,
        serial=format(cert.serial_number, "X"),
        issuer=name_text(cert.issuer),
        signed_at=moment,
        trusted=bool(status.trusted),
    )


def load_trust_roots(folder: str) -> list[bytes]:
    """The CA certificates (DER) in a folder of .pem, .crt, .cer or .der files; [] for none."""
    if not folder:
        return []
    roots: list[bytes] = []
    for path in sorted(Path(folder).iterdir()):
        if path.suffix.lower() not in (".pem", ".crt", ".cer", ".der") or not path.is_file():
            continue
        data = path.read_bytes()
        if pem.detect(data):
            roots.extend(der for kind, _, der in pem.unarmor(data, multiple=True)
                         if kind == "CERTIFICATE")
        else:
            roots.append(data)
    return roots
