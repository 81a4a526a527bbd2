"""A signer's upload is taken only as the prepared PDF plus their own valid signature."""

from __future__ import annotations

import datetime
import io
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from service.core.pdf import field_name
from service.core.signed_upload import (
    SignedUploadRefused,
    check_signed_upload,
    load_trust_roots,
)
from service.core.signing import load_signer, sign_field
from service.settings import Settings
from tests.helpers import BODY, DAY, NAME, NOW, PASSPHRASE, Authority, block, make_pdf, prepare

FIELD = field_name("Chữ ký", NAME)
SEAL = "Dau co quan"


@pytest.fixture(scope="module")
def authority() -> Authority:
    return Authority.make()


@pytest.fixture(scope="module")
def prepared() -> bytes:
    return prepare(make_pdf(BODY + block()), seal_field=SEAL)


@pytest.fixture(scope="module")
def signed(authority: Authority, prepared: bytes) -> bytes:
    """The prepared PDF as the signer's own tool returns it."""
    return sign(prepared, authority.issue(NAME))


def sign(pdf: bytes, p12: bytes, field: str = FIELD) -> bytes:
    return sign_field(pdf, signer=load_signer(p12, PASSPHRASE), field=field)


def check(prepared: bytes, uploaded: bytes, **options: object) -> object:
    arguments: dict = {"field": FIELD, "signer_name": "Nguyen Van Hien", **options}
    return check_signed_upload(prepared, uploaded, **arguments)


def refusal(prepared: bytes, uploaded: bytes, **options: object) -> tuple[str, str]:
    with pytest.raises(SignedUploadRefused) as caught:
        check(prepared, uploaded, **options)
    return caught.value.reason, caught.value.message


def with_revision(pdf: bytes) -> bytes:
    """The PDF with an incremental update that draws an extra word on its page."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    page = writer.root["/Pages"]["/Kids"][0].get_object()
    extra = writer.add_object(generic.StreamObject(stream_data=b"BT /F1 20 Tf 90 90 Td (X) Tj ET"))
    page["/Contents"] = generic.ArrayObject([page.raw_get("/Contents"), extra])
    writer.update_container(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_the_signers_own_signature_is_taken(
    authority: Authority, prepared: bytes, signed: bytes
) -> None:
    accepted = check(prepared, signed)
    assert accepted.field == FIELD
    assert accepted.subject == NAME
    assert accepted.serial == "1A2B3C"
    assert accepted.issuer == "Test CA ký số chuyên dùng"
    assert accepted.signed_at is not None
    now = datetime.datetime.now(datetime.UTC)
    assert abs(accepted.signed_at - now) < datetime.timedelta(minutes=5)
    assert accepted.trusted is False  # no roots given: shown as untrusted, not refused
    trusted = check(prepared, signed, trust_roots=[authority.root], require_trusted=True)
    assert trusted.trusted is True


@pytest.mark.parametrize("common_name", ["NGUYỄN VĂN HIẾN", "nguyen  van hien", "Nguyễn Văn Hiến"])
def test_the_name_is_compared_without_accents_case_or_spacing(
    authority: Authority, prepared: bytes, common_name: str
) -> None:
    assert check(prepared, sign(prepared, authority.issue(common_name))).subject == common_name


def test_not_a_pdf(prepared: bytes) -> None:
    reason, message = refusal(prepared, b"PK\x03\x04 a zip")
    assert (reason, message) == ("not_pdf", "Tệp tải lên không phải là tệp PDF.")


def test_the_prepared_pdf_itself_is_unsigned(prepared: bytes) -> None:
    assert refusal(prepared, prepared) == ("unsigned", "Tệp PDF chưa có chữ ký số.")


def test_a_pdf_without_a_signature_after_the_prepared_bytes(prepared: bytes) -> None:
    reason, message = refusal(prepared, with_revision(prepared))
    assert (reason, message) == ("unsigned", "Tệp PDF chưa có chữ ký số ở ô chữ ký của người ký.")


def test_another_pdf_signed(authority: Authority, prepared: bytes) -> None:
    other = prepare(make_pdf(BODY + [(90, 650, "Mot dong khac")] + block()), seal_field=SEAL)
    reason, message = refusal(prepared, sign(other, authority.issue(NAME)))
    assert reason == "changed"
    assert message.startswith("Tệp không giữ nguyên bản PDF đã chuẩn bị để ký")


def test_a_signature_in_the_seals_field_is_not_the_signers(
    authority: Authority, prepared: bytes
) -> None:
    reason, _ = refusal(prepared, sign(prepared, authority.issue(NAME), field=SEAL))
    assert reason == "unsigned"


def test_content_added_before_signing(authority: Authority, prepared: bytes) -> None:
    uploaded = sign(with_revision(prepared), authority.issue(NAME))
    reason, message = refusal(prepared, uploaded)
    assert reason == "modified"
    assert message == (
        "Ngoài chữ ký số, tệp đã bị thêm hoặc sửa nội dung khác so với bản chuẩn bị để ký."
    )


def test_content_added_after_signing(prepared: bytes, signed: bytes) -> None:
    assert refusal(prepared, with_revision(signed))[0] == "modified"


def test_a_changed_byte_in_the_signed_revision(prepared: bytes, signed: bytes) -> None:
    at = signed.index(b"Ky so boi", len(prepared))  # the signature's own stamp, signed over
    tampered = signed[:at] + b"Ky so bo!" + signed[at + 9 :]
    reason, message = refusal(prepared, tampered)
    assert (reason, message) == (
        "broken", "Chữ ký số không hợp lệ: tệp đã bị sửa sau khi ký hoặc chữ ký hỏng."
    )


def test_a_certificate_expired_at_signing(authority: Authority, prepared: bytes) -> None:
    expired = authority.issue(NAME, start=NOW - 60 * DAY, end=NOW - 30 * DAY)
    reason, message = refusal(prepared, sign(prepared, expired))
    assert reason == "expired"
    start, end = NOW - 60 * DAY, NOW - 30 * DAY
    assert message == (
        f"Chứng thư số chỉ có hiệu lực từ {start:%d/%m/%Y} đến {end:%d/%m/%Y}, không bao gồm "
        "thời điểm ký."
    )


def test_a_certificate_of_another_person(authority: Authority, prepared: bytes) -> None:
    reason, message = refusal(prepared, sign(prepared, authority.issue("Trần Thị Bình")))
    assert (reason, message) == (
        "wrong_signer",
        "Chứng thư số mang tên “Trần Thị Bình”, không phải người ký “Nguyen Van Hien”.",
    )


def test_untrusted_when_trust_is_required(prepared: bytes, signed: bytes) -> None:
    stranger = Authority.make("CA la")
    reason, _ = refusal(prepared, signed, trust_roots=[stranger.root], require_trusted=True)
    assert reason == "untrusted"


def test_a_truncated_upload_is_damaged(prepared: bytes, signed: bytes) -> None:
    cut = len(prepared) + (len(signed) - len(prepared)) // 2
    assert refusal(prepared, signed[:cut]) == ("damaged", "Tệp PDF bị hỏng, không đọc được.")


def test_trust_roots_are_read_from_pem_and_der_files(tmp_path: Path) -> None:
    first, second = Authority.make("CA một"), Authority.make("CA hai")
    (tmp_path / "mot.pem").write_bytes(first.cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "hai.der").write_bytes(second.root)
    (tmp_path / "ghi-chu.txt").write_text("không phải chứng thư")
    assert load_trust_roots(str(tmp_path)) == [second.root, first.root]
    assert load_trust_roots("") == []


def test_the_trusted_signer_setting_reads_as_a_flag() -> None:
    assert Settings.from_env({"VB_REQUIRE_TRUSTED_SIGNER": "true"}).require_trusted_signer
    assert not Settings.from_env({"VB_REQUIRE_TRUSTED_SIGNER": "0"}).require_trusted_signer
    assert not Settings.from_env({}).require_trusted_signer
