"""service.core.signing without LibreOffice: sign a prepared PDF, then verify it."""

from __future__ import annotations

import asyncio
import datetime
import io
from concurrent.futures import ThreadPoolExecutor

import pikepdf
import pytest
from pyhanko.sign.signers import pdf_cms

from service.core.pdf import field_name
from service.core.pdf_io import InvalidPdf
from service.core.signing import (
    PdfNotSignable,
    SigningKeyInvalid,
    load_signer,
    sign_field,
    unit_signer,
    verify,
)
from tests.helpers import BODY, NAME, PASSPHRASE, block, make_key, make_pdf, prepare

SIGNER_FIELD = field_name("Chữ ký", NAME)
SEAL_FIELD = "Dau co quan"


@pytest.fixture(scope="module")
def key() -> tuple[bytes, bytes]:
    return make_key()


def prepared() -> bytes:
    """A PDF with the signer's and the seal's empty fields."""
    return prepare(make_pdf(BODY + block()), seal_field=SEAL_FIELD)


def signed_pdf(pkcs12: bytes) -> bytes:
    """The prepared PDF with the signer's field signed."""
    return sign_field(prepared(), signer=load_signer(pkcs12, PASSPHRASE), field=SIGNER_FIELD)


def test_sign_then_verify(key: tuple[bytes, bytes]) -> None:
    before = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    (report,) = verify(signed_pdf(key[0]))
    assert report.field == SIGNER_FIELD
    assert report.signer == NAME
    assert report.intact and report.valid and report.covers_whole_document
    assert not report.trusted  # self-signed, and no trust roots given
    assert report.reason == "Ký ban hành văn bản"
    assert report.signed_at is not None
    assert datetime.datetime.fromisoformat(report.signed_at) >= before


def test_sign_and_verify_inside_a_running_event_loop(key: tuple[bytes, bytes]) -> None:
    async def inside_a_loop() -> list:
        # A browser driver or an async server may own the calling thread's event loop.
        return verify(signed_pdf(key[0]))

    # In a thread of its own: this test's thread may already run a loop (the browser tests').
    with ThreadPoolExecutor(max_workers=1) as thread:
        (report,) = thread.submit(asyncio.run, inside_a_loop()).result()
    assert report.intact and report.signer == NAME


def test_seal_field_stays_empty(key: tuple[bytes, bytes]) -> None:
    with pikepdf.open(io.BytesIO(signed_pdf(key[0]))) as pdf:
        fields = {str(f.T): f for f in pdf.Root.AcroForm.Fields}
        assert "/V" in fields[SIGNER_FIELD] and "/V" not in fields[SEAL_FIELD]


def test_signing_is_an_incremental_update(key: tuple[bytes, bytes]) -> None:
    source = prepared()
    signed = sign_field(source, signer=load_signer(key[0], PASSPHRASE), field=SIGNER_FIELD)
    assert signed.startswith(source) and signed.count(b"%%EOF") == 3


def test_trusted_with_the_signer_as_root(key: tuple[bytes, bytes]) -> None:
    (report,) = verify(signed_pdf(key[0]), trust_roots=[key[1]])
    assert report.trusted and report.valid


def test_vietnamese_common_name_in_full() -> None:
    pkcs12_data, _ = make_key("Nguyễn Văn Hiến")
    (report,) = verify(signed_pdf(pkcs12_data))
    assert report.signer == "Nguyễn Văn Hiến" and report.intact


def test_a_changed_byte_breaks_the_signature(key: tuple[bytes, bytes]) -> None:
    signed = bytearray(signed_pdf(key[0]))
    # The binary comment on the header's second line: covered by the byte range, and the PDF
    # still parses, so only the digest can tell.
    assert signed[:10] == b"%PDF-1.3\n%"
    signed[10] ^= 0x01
    (report,) = verify(bytes(signed))
    assert not report.intact and not report.valid


def test_signing_reads_the_key_once(
    key: tuple[bytes, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    signer = load_signer(key[0], PASSPHRASE)
    reads: list[bytes] = []
    real = pdf_cms.serialization.load_der_private_key

    def counted(data: bytes, *args: object, **kwargs: object) -> object:
        reads.append(data)
        return real(data, *args, **kwargs)

    # pyHanko's own path parses (and checks) the key at every signature.
    monkeypatch.setattr(pdf_cms.serialization, "load_der_private_key", counted)
    (report,) = verify(sign_field(prepared(), signer=signer, field=SIGNER_FIELD))
    assert report.intact and report.valid and reads == []


def test_a_units_key_is_opened_once_until_it_is_replaced(key: tuple[bytes, bytes]) -> None:
    first = unit_signer(key[0], PASSPHRASE)
    assert unit_signer(key[0], PASSPHRASE) is first
    replaced = unit_signer(make_key()[0], PASSPHRASE)
    assert replaced is not first and replaced.signing_cert != first.signing_cert
    with pytest.raises(SigningKeyInvalid):  # a refusal is not kept: each try is refused
        unit_signer(key[0], b"sai")
    with pytest.raises(SigningKeyInvalid):
        unit_signer(key[0], b"sai")


def test_wrong_passphrase(key: tuple[bytes, bytes]) -> None:
    with pytest.raises(SigningKeyInvalid):
        load_signer(key[0], b"sai")


def test_not_pkcs12() -> None:
    with pytest.raises(SigningKeyInvalid):
        load_signer(b"not a key", None)


def test_unknown_or_signed_field(key: tuple[bytes, bytes]) -> None:
    signer = load_signer(key[0], PASSPHRASE)
    with pytest.raises(PdfNotSignable, match="no signature field"):
        sign_field(prepared(), signer=signer, field="Khong co")
    with pytest.raises(PdfNotSignable, match="already signed"):
        sign_field(signed_pdf(key[0]), signer=signer, field=SIGNER_FIELD)


def test_unsigned_pdf_has_no_signatures() -> None:
    assert verify(prepared()) == []
    assert verify(make_pdf(block())) == []


@pytest.mark.parametrize("data", [b"garbage", b"%PDF-1.7 broken", b""])
def test_not_a_pdf(data: bytes, key: tuple[bytes, bytes]) -> None:
    with pytest.raises(InvalidPdf):
        verify(data)
    with pytest.raises(InvalidPdf):
        sign_field(data, signer=load_signer(key[0], PASSPHRASE), field=SIGNER_FIELD)
