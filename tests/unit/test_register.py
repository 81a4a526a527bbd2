"""The outgoing register without LibreOffice: numbering, dates, storage, search, sealing."""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import io
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pikepdf
import pytest

from service.core.converter import ConversionFailed
from service.core.documents import DocumentInvalid, DocumentService
from service.core.signing import TimestampUnavailable, verify
from service.store.audit import AuditEvent, DatabaseAudit
from service.store.database import Database
from service.store.register import RegisterCounter, RegisterEntry, SqlRegister
from service.usecases.issuing import Issuer
from service.usecases.ports import RegisterQuery
from service.usecases.register import NumberUnreadable, number_query
from service.usecases.sealing import SigningUnavailable
from tests.conftest import docx_text, load_sample
from tests.fakes import HeldConverter
from tests.helpers import (
    NAME,
    PASSPHRASE,
    SIGNER,
    SignableConverter,
    Today,
    add_unit,
    make_database,
    make_issuer,
    make_key,
    other_agency,
    plan,
    seal_png,
)


@pytest.fixture()
def database(tmp_path: Path) -> Database:
    return make_database(tmp_path)


@pytest.fixture()
def today() -> Today:
    return Today(dt.date(2026, 3, 5))


@pytest.fixture()
def issuer(database: Database, today: Today, tmp_path: Path) -> Issuer:
    return make_issuer(database, DocumentService(SignableConverter()), tmp_path, today)


def test_numbers_run_from_01_with_a_leading_zero(issuer: Issuer) -> None:
    entries = [issuer.issue("ke_hoach", plan(), actor="van-thu") for _ in range(3)]
    assert [e.number for e in entries] == [1, 2, 3]
    assert [e.number_line for e in entries] == [f"Số: 0{n}/KH-UBND" for n in (1, 2, 3)]
    for entry in entries:
        text = docx_text(entry.docx)
        assert entry.number_line in text
        assert "ngày 05 tháng 3 năm 2026" in text  # blank day filled with today
    assert entries[0].inputs["number"] == 1 and entries[0].issued_by == "van-thu"


def test_number_ten_has_no_leading_zero(issuer: Issuer) -> None:
    for _ in range(9):
        issuer.issue("ke_hoach", plan(), actor="a")
    tenth = issuer.issue("ke_hoach", plan(), actor="a")
    assert "Số: 10/KH-UBND" in docx_text(tenth.docx)


def test_each_agency_has_its_own_series(issuer: Issuer) -> None:
    first = issuer.issue("ke_hoach", plan(), actor="a")
    other = issuer.issue("ke_hoach", plan(issuer=other_agency()), actor="a")
    # The series is the agency's, whatever the type: a report takes the next number.
    report_payload = load_sample("bao_cao_ket_qua_tre_em_2023")
    report_payload.update(signer=SIGNER, issuer=plan()["issuer"], number=None, date=None)
    report = issuer.issue("bao_cao", report_payload, actor="a")
    assert (first.number, other.number, report.number) == (1, 1, 2)
    assert "Số: 02/BC-UBND" in docx_text(report.docx)


def test_a_new_year_starts_again_at_01(issuer: Issuer, today: Today) -> None:
    today.day = dt.date(2025, 12, 31)
    late = [issuer.issue("ke_hoach", plan(), actor="a") for _ in range(2)]
    today.day = dt.date(2026, 1, 1)
    new = issuer.issue("ke_hoach", plan(), actor="a")
    assert [e.number for e in late] == [1, 2] and new.number == 1
    assert new.year == 2026 and "ngày 01 tháng 01 năm 2026" in docx_text(new.docx)
    # A full date is kept, and numbers in its year's series.
    back = issuer.issue("ke_hoach", plan(date={"day": 30, "month": 12, "year": 2025}), actor="a")
    assert back.number == 3 and back.document_date == dt.date(2025, 12, 30)


def test_failed_conversion_gives_the_number_back(issuer: Issuer, database: Database) -> None:
    converter = issuer.documents.converter
    assert isinstance(converter, SignableConverter)
    issuer.issue("ke_hoach", plan(), actor="a")
    converter.error = ConversionFailed("LibreOffice crashed")
    with pytest.raises(ConversionFailed):
        issuer.issue("ke_hoach", plan(), actor="a")
    converter.error = None
    assert issuer.issue("ke_hoach", plan(), actor="a").number == 2
    with database.session() as session:
        assert session.get(RegisterCounter, (issuer_key(session), 2026)).last_number == 2
        actions = [e.action for e in session.query(AuditEvent).order_by(AuditEvent.id)]
    # The failed attempt left no trace but its rolled-back render.
    assert actions == ["render", "issue", "render", "issue"]


def issuer_key(session: Any) -> str:
    """The one series key in the database."""
    return session.query(RegisterEntry.agency_key).distinct().one()[0]


def test_bad_input_takes_no_number(issuer: Issuer) -> None:
    with pytest.raises(DocumentInvalid) as invalid:
        issuer.issue("ke_hoach", plan(number=7), actor="a")
    assert "number" in invalid.value.errors
    with pytest.raises(DocumentInvalid) as invalid:
        issuer.issue("ke_hoach", plan(subject=""), actor="a")
    assert "subject" in invalid.value.errors
    assert issuer.issue("ke_hoach", plan(), actor="a").number == 1


def test_files_are_stored_with_their_hashes(issuer: Issuer, database: Database) -> None:
    entry = issuer.issue("ke_hoach", plan(), actor="a")
    with database.session() as session:
        stored = session.get(RegisterEntry, entry.id)
        assert stored is not None
        assert hashlib.sha256(stored.pdf).hexdigest() == stored.pdf_sha256
        assert hashlib.sha256(stored.docx).hexdigest() == stored.docx_sha256
        assert stored.pdf.startswith(b"%PDF-") and "Số: 01/KH-UBND" in docx_text(stored.docx)
        assert stored.file_stem == "01-KH-UBND-2026-xa-y-tich"
    # Signing-ready: the empty signer and seal fields are there.
    with pikepdf.open(io.BytesIO(entry.pdf)) as pdf:
        names = sorted(str(f.T) for f in pdf.Root.AcroForm.Fields)
    assert names == ["Chu ky - Nguyen Van Hien", "Dau - Uy ban nhan dan xa Y Tich"]


def test_search_by_number_type_subject_agency_and_date(
    issuer: Issuer, database: Database, today: Today
) -> None:
    issuer.issue("ke_hoach", plan(subject="Phòng, chống đuối nước trẻ em"), actor="a")
    today.day = dt.date(2026, 4, 20)
    issuer.issue("ke_hoach", plan(subject="Tiêm chủng mở rộng"), actor="a")
    issuer.issue("ke_hoach", plan(issuer=other_agency(), subject="Đuối nước"), actor="a")

    def find(**query: Any) -> list[tuple[int, str]]:
        entries, total = SqlRegister(database).search(RegisterQuery(**query), offset=0, limit=50)
        assert total == len(entries)
        return [(e.number, e.subject) for e in entries]

    assert find(text="duoi nuoc") == [(1, "Đuối nước"), (1, "Phòng, chống đuối nước trẻ em")]
    assert find(text="DUỐI NƯỚC", agency="xã Y Tịch") == [(1, "Phòng, chống đuối nước trẻ em")]
    assert find(number=2) == [(2, "Tiêm chủng mở rộng")]
    assert find(date_from=dt.date(2026, 4, 1), agency="Y Tịch") == [(2, "Tiêm chủng mở rộng")]
    assert find(date_to=dt.date(2026, 3, 31)) == [(1, "Phòng, chống đuối nước trẻ em")]
    assert find(doc_type="bao_cao") == [] and find(year=2025) == []
    assert find(text="100%_") == []  # wildcards are literal


def test_unit_prefills_and_seals_at_actual_size(issuer: Issuer, database: Database) -> None:
    add_unit(database)
    pkcs12, _ = make_key("Ủy ban nhân dân xã Y Tịch")
    assert issuer.sealer.keys is not None
    installed = issuer.sealer.keys.install("y-tich", pkcs12, PASSPHRASE, seal_png(), seal_mm=36)
    assert installed == {"unit": "y-tich", "certificate": "Ủy ban nhân dân xã Y Tịch", "seal": True}
    payload = {k: v for k, v in plan().items() if k not in ("issuer", "signer", "recipients")}
    entry = issuer.issue("ke_hoach", payload, actor="a", unit="y-tich", sign=True)
    assert entry.signed and entry.signed_by == "Ủy ban nhân dân xã Y Tịch"
    assert entry.unit == "y-tich" and "UBND huyện" in docx_text(entry.docx)
    (report,) = verify(entry.pdf)
    assert report.field == "Dau - Uy ban nhan dan xa Y Tich" and report.intact
    assert report.covers_whole_document and report.reason == "Ban hành văn bản"
    with pikepdf.open(io.BytesIO(entry.pdf)) as pdf:
        fields = {str(f.T): f for f in pdf.Root.AcroForm.Fields}
        seal, signer = fields["Dau - Uy ban nhan dan xa Y Tich"], fields["Chu ky - Nguyen Van Hien"]
        x1, y1, x2, y2 = (float(v) for v in seal.Rect)
        sx1, _, sx2, _ = (float(v) for v in signer.Rect)
        appearance = seal.AP.N
        assert "/V" not in signer  # the person's own signature is theirs to add
        image = next(iter(appearance.Resources.XObject.values()))
        while "/Subtype" in image and image.Subtype == "/Form":  # pyHanko nests the picture
            image = next(iter(image.Resources.XObject.values()))
        assert image.Subtype == "/Image" and "/SMask" in image  # transparent around the ring
    # 36 mm across, centred on the left third of the signature space.
    assert x2 - x1 == pytest.approx(36 * 72 / 25.4, abs=0.01) == pytest.approx(y2 - y1)
    assert (x1 + x2) / 2 == pytest.approx(sx1 + (sx2 - sx1) / 3, abs=0.01)
    with database.session() as session:
        sign = session.query(AuditEvent).filter_by(action="seal").one()
    assert sign.details["certificate"] == "Ủy ban nhân dân xã Y Tịch"
    assert sign.subject == "Số: 01/KH-UBND"


def test_signing_needs_a_unit_with_a_key(issuer: Issuer, database: Database) -> None:
    with pytest.raises(SigningUnavailable):
        issuer.issue("ke_hoach", plan(), actor="a", sign=True)
    add_unit(database)
    with pytest.raises(SigningUnavailable):
        issuer.issue("ke_hoach", plan(), actor="a", unit="y-tich", sign=True)
    assert issuer.issue("ke_hoach", plan(), actor="a", unit="y-tich").number == 1


def test_unreachable_timestamp_server_takes_no_number(issuer: Issuer, database: Database) -> None:
    add_unit(database)
    assert issuer.sealer.keys is not None
    issuer.sealer.keys.install("y-tich", make_key()[0], PASSPHRASE)
    issuer.sealer.tsa_url = "http://127.0.0.1:2959/tsa"  # nothing listens there
    with pytest.raises(TimestampUnavailable, match="127.0.0.1:2959"):
        issuer.issue("ke_hoach", plan(), actor="a", unit="y-tich", sign=True)
    issuer.sealer.tsa_url = ""
    entry = issuer.issue("ke_hoach", plan(), actor="a", unit="y-tich", sign=True)
    assert entry.number == 1 and entry.signed
    # Without a seal picture, pyHanko's text stamp names the signer.
    assert verify(entry.pdf)[0].signer == NAME


class HeldSignableConverter(HeldConverter, SignableConverter):
    """Held at the gate, then a PDF carrying the signature block."""


def series_waits(monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """Set when an issue finds its series' lock held and begins to wait for it."""
    waiting = threading.Event()
    flock = fcntl.flock

    def telling_flock(descriptor: int, operation: int) -> None:
        try:
            flock(descriptor, operation | fcntl.LOCK_NB)
        except BlockingIOError:
            waiting.set()
            flock(descriptor, operation)

    monkeypatch.setattr(fcntl, "flock", telling_flock)  # as the series lock calls it
    return waiting


def test_an_issue_holds_its_series_and_nothing_else(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = make_database(tmp_path)
    waiting = series_waits(monkeypatch)
    held = HeldSignableConverter()
    documents = DocumentService(held, audit=DatabaseAudit(database))
    slow = make_issuer(database, documents)
    quick = make_issuer(database, DocumentService(SignableConverter(),
                                                  audit=DatabaseAudit(database)))
    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(slow.issue, "ke_hoach", plan(), actor="a")
        assert held.started.acquire(timeout=10)
        # While the first issue converts: a render writes its audit event at once, another
        # series issues its number, and the same series waits its turn.
        started = time.monotonic()
        documents.render("ke_hoach", plan(date={"day": 1, "month": 3, "year": 2026}), actor="b")
        other = quick.issue("ke_hoach", plan(issuer=other_agency()), actor="c")
        assert time.monotonic() - started < 5
        assert not waiting.is_set()  # neither the render nor the other series waited
        same = pool.submit(quick.issue, "ke_hoach", plan(), actor="d")
        assert waiting.wait(10)  # the same series found its lock held by the first issue
        assert not same.done()
        held.open()
        assert (first.result(30).number, same.result(30).number, other.number) == (1, 2, 1)



@pytest.mark.parametrize(
    ("printed", "found"),
    [("02/KH-UBND", ["02/KH-UBND"]), ("02", ["02/BC-UBND", "02/KH-UBND"]),
     ("2/kh", ["02/KH-UBND"]), ("Số: 02/KH-UBND", ["02/KH-UBND"]), ("02/QĐ", [])],
)
def test_a_number_is_found_as_printed(
    issuer: Issuer, database: Database, printed: str, found: list[str]
) -> None:
    for type_id in ("ke_hoach", "ke_hoach", "bao_cao", "bao_cao"):
        payload = plan() if type_id == "ke_hoach" else load_sample("bao_cao_ket_qua_tre_em_2023")
        issuer.issue(type_id, {**payload, "signer": SIGNER, "number": None}, actor="a")
    number, symbol = number_query(printed)
    entries, _ = SqlRegister(database).search(
        RegisterQuery(number=number, symbol=symbol), offset=0, limit=50
    )
    assert sorted(f"{e.number_text}/{e.symbol}" for e in entries) == found


@pytest.mark.parametrize("text", ["abc", "0", "/KH", "02/", "1234567890"])
def test_a_number_not_written_as_printed_is_unreadable(text: str) -> None:
    with pytest.raises(NumberUnreadable):
        number_query(text)
