"""Drafts on the server and their way to a signature, without LibreOffice."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation.status import ModificationLevel
from pyhanko_certvalidator import ValidationContext

from service.core.documents import DocumentInvalid, DocumentService
from service.core.files import sha256
from service.core.signed_upload import SignedUploadRefused
from service.core.signing import load_signer, sign_field, verify
from service.store.accounts import SqlAccounts
from service.store.audit import DatabaseAudit, SqlAudit
from service.store.database import Database
from service.store.drafts import SqlDrafts
from service.store.register import SqlRegister
from service.store.units import SqlUnits
from service.usecases.access import ROLE_PERMISSIONS, Principal, Role
from service.usecases.draft_ports import DraftStatus, FileKind
from service.usecases.drafting import (
    DraftConflict,
    Drafting,
    DraftNotFound,
    NotTheSigner,
    SignerInvalid,
    for_signature,
)
from service.usecases.issuing import Issuer, YearChanged
from service.usecases.ports import AccountRecord, AuditQuery
from service.usecases.units import UnitProfiles
from tests.conftest import copy_of_migrated, load_sample
from tests.helpers import PASSPHRASE, Authority, Today, key_store, seal_png, validated
from tests.vn_pdf import SIGNER_NAME, SigningPageConverter

THANH_LINH = {
    "parent_agency": "UBND huyện Chi Lăng", "agency": "Ủy ban nhân dân xã Thành Linh",
    "agency_short": "UBND xã Thành Linh", "agency_code": "UBND", "unit_code": None,
    "place": "Thành Linh",
}


def person(name: str, role: Role, unit: str = "y-tich") -> Principal:
    return Principal(name, "account", unit, frozenset({unit}), ROLE_PERMISSIONS[role])


DRAFTER = person("lan.cv", Role.CHUYEN_VIEN)
LEADER = person("son.ld", Role.LANH_DAO)
DEPUTY = person("ha.ld", Role.LANH_DAO)
CLERK = person("thu.vt", Role.VAN_THU)
STRANGER = person("binh.cv", Role.CHUYEN_VIEN, unit="thanh-linh")


@pytest.fixture()
def database(tmp_path: Path) -> Database:
    return Database(f"sqlite:///{copy_of_migrated(tmp_path / 'drafts.db')}")


@pytest.fixture()
def today() -> Today:
    return Today(dt.date(2023, 2, 7))


@pytest.fixture()
def drafting(database: Database, today: Today, tmp_path: Path) -> Drafting:
    accounts = SqlAccounts(database)
    for username, name, role, unit in [
        ("son.ld", SIGNER_NAME, "lanh_dao", "y-tich"),
        ("ha.ld", "Lê Thu Hà", "lanh_dao", "y-tich"),
        ("lan.cv", "Nguyễn Thị Lan", "chuyen_vien", "y-tich"),
        ("tam.ld", "Phạm Văn Tâm", "lanh_dao", "thanh-linh"),
    ]:
        accounts.add(AccountRecord(username, name, role, unit, (), "not-a-hash"))
    accounts.add(AccountRecord("cu.ld", "Đỗ Văn Cũ", "lanh_dao", "y-tich", (), "x", active=False))
    documents = DocumentService(SigningPageConverter())
    units = UnitProfiles(SqlUnits(database), documents.catalog, documents.schemas)
    seed = plan()
    for slug, issuer in [("y-tich", seed["issuer"]), ("thanh-linh", THANH_LINH)]:
        units.save({"slug": slug, "issuer": issuer, "signer": seed["signer"],
                    "recipients": [], "archive": "VT"})
    keys = key_store(tmp_path / "keys")
    keys.install("y-tich", Authority.make().issue("Ủy ban nhân dân xã Y Tịch"), PASSPHRASE,
                 seal_png())
    issuer = Issuer(SqlRegister(database), documents, units, keys, today=today)
    return Drafting(SqlDrafts(database), documents, accounts, DatabaseAudit(database), issuer)


def plan(**changes: Any) -> dict[str, Any]:
    return {**load_sample("seed_000_ke_hoach_y_tich"), **changes}


def submitted(drafting: Drafting) -> int:
    draft = drafting.save(DRAFTER, "ke_hoach", plan())
    assert draft.id is not None
    drafting.submit(DRAFTER, draft.id, "son.ld", "Kính trình đồng chí Chủ tịch.")
    return draft.id


def test_a_draft_is_kept_in_its_unit_with_versions(drafting: Drafting) -> None:
    first = drafting.save(DRAFTER, "ke_hoach", plan())
    assert (first.unit, first.status, first.version, first.created_by) == (
        "y-tich", DraftStatus.DRAFT, 1, "lan.cv"
    )
    assert first.title == plan()["subject"]
    assert first.id is not None
    second = drafting.save(LEADER, "ke_hoach", plan(subject="Kế hoạch đã sửa"), draft_id=first.id)
    assert (second.version, second.title, second.updated_by) == (2, "Kế hoạch đã sửa", "son.ld")
    assert [(v.version, v.saved_by) for v in drafting.versions(DRAFTER, first.id)] == [
        (1, "lan.cv"), (2, "son.ld")
    ]
    assert drafting.get(DRAFTER, first.id).data == plan(subject="Kế hoạch đã sửa")
    assert [d.id for d in drafting.visible(LEADER)] == [first.id]
    assert drafting.visible(STRANGER) == []
    with pytest.raises(DraftNotFound):
        drafting.get(STRANGER, first.id)


def test_a_stale_version_is_refused(drafting: Drafting) -> None:
    draft = drafting.save(DRAFTER, "ke_hoach", plan())
    assert draft.id is not None
    drafting.save(DRAFTER, "ke_hoach", plan(), draft_id=draft.id, expect_version=1)
    with pytest.raises(DraftConflict):
        drafting.save(DRAFTER, "ke_hoach", plan(), draft_id=draft.id, expect_version=1)
    assert drafting.get(DRAFTER, draft.id).version == 2


def test_an_invalid_document_is_not_saved(drafting: Drafting) -> None:
    with pytest.raises(DocumentInvalid) as caught:
        drafting.save(DRAFTER, "ke_hoach", plan(subject=""))
    assert "subject" in caught.value.errors
    assert drafting.visible(DRAFTER) == []


@pytest.mark.parametrize("signer", ["lan.cv", "tam.ld", "cu.ld", "khong-co"])
def test_only_an_active_leader_of_the_unit_may_be_asked_to_sign(
    drafting: Drafting, signer: str
) -> None:
    draft = drafting.save(DRAFTER, "ke_hoach", plan())
    assert draft.id is not None
    with pytest.raises(SignerInvalid):
        drafting.submit(DRAFTER, draft.id, signer)
    assert drafting.get(DRAFTER, draft.id).status == DraftStatus.DRAFT
    assert drafting.signers("y-tich") == [("ha.ld", "Lê Thu Hà"), ("son.ld", SIGNER_NAME)]


def test_submitting_prepares_the_pdf_for_signing(drafting: Drafting) -> None:
    draft_id = submitted(drafting)
    draft = drafting.get(DRAFTER, draft_id)
    assert (draft.status, draft.signer_account, draft.note) == (
        DraftStatus.SUBMITTED, "son.ld", "Kính trình đồng chí Chủ tịch."
    )
    prepared = drafting.file(DRAFTER, draft_id, FileKind.PREPARED)
    assert prepared is not None and prepared.sha256 == sha256(prepared.content)
    with pikepdf.open(io.BytesIO(prepared.content)) as pdf:
        names = [str(f.T) for f in pdf.Root.AcroForm.Fields]
    assert names[:3] == ["So", "Ngay", "Thang"]
    assert [d.id for d in drafting.waiting_for(LEADER)] == [draft_id]
    assert drafting.waiting_for(DEPUTY) == []
    with pytest.raises(DraftConflict):
        drafting.save(DRAFTER, "ke_hoach", plan(), draft_id=draft_id)


def test_the_signer_returns_it_with_a_comment_and_it_is_submitted_again(
    drafting: Drafting,
) -> None:
    draft_id = submitted(drafting)
    with pytest.raises(NotTheSigner):
        drafting.return_to_drafter(DEPUTY, draft_id, "Không phải tôi ký")
    returned = drafting.return_to_drafter(LEADER, draft_id, "Bổ sung kinh phí ở mục III.")
    assert returned.status == DraftStatus.RETURNED
    assert returned.comment == "Bổ sung kinh phí ở mục III."
    edited = drafting.save(DRAFTER, "ke_hoach", plan(), draft_id=draft_id)
    assert (edited.status, edited.version) == (DraftStatus.DRAFT, 2)
    again = drafting.submit(DRAFTER, draft_id, "son.ld")
    assert (again.status, again.comment) == (DraftStatus.SUBMITTED, "")


def signed_digitally(drafting: Drafting) -> tuple[int, bytes]:
    """A submitted draft its signer signed and uploaded: (id, the upload)."""
    draft_id = submitted(drafting)
    prepared = drafting.file(LEADER, draft_id, FileKind.PREPARED)
    assert prepared is not None
    document = drafting.documents.load("ke_hoach", for_signature(plan()))
    p12 = Authority.make().issue(SIGNER_NAME)
    uploaded = sign_field(
        prepared.content, signer=load_signer(p12, PASSPHRASE), field=document.signer_field
    )
    drafting.sign_digitally(LEADER, draft_id, uploaded)
    return draft_id, uploaded


def test_a_paper_signature_is_recorded(drafting: Drafting) -> None:
    draft_id = submitted(drafting)
    signed = drafting.sign_on_paper(LEADER, draft_id)
    assert signed.status == DraftStatus.SIGNED
    assert signed.signature is not None
    assert (signed.signature.paper, signed.signature.recorded_by) == (True, "son.ld")
    with pytest.raises(DraftConflict):
        drafting.sign_on_paper(LEADER, draft_id)


def test_the_signers_upload_is_taken_and_kept(drafting: Drafting) -> None:
    draft_id, uploaded = signed_digitally(drafting)
    signed = drafting.get(LEADER, draft_id)
    assert signed.status == DraftStatus.SIGNED
    assert signed.signature is not None
    assert (signed.signature.paper, signed.signature.subject, signed.signature.serial) == (
        False, SIGNER_NAME, "1A2B3C"
    )
    assert signed.signature.signed_at is not None
    assert signed.signature.signed_at.endswith("+07:00")  # Decree 30: to the second, +07:00
    assert len(signed.signature.signed_at) == len("2026-12-07T17:15:09+07:00")
    kept = drafting.file(LEADER, draft_id, FileKind.SIGNED)
    assert kept is not None and kept.content == uploaded and kept.sha256 == sha256(uploaded)


def test_a_refused_upload_changes_nothing(drafting: Drafting) -> None:
    draft_id = submitted(drafting)
    prepared = drafting.file(LEADER, draft_id, FileKind.PREPARED)
    assert prepared is not None
    with pytest.raises(SignedUploadRefused) as caught:
        drafting.sign_digitally(LEADER, draft_id, prepared.content)
    assert caught.value.reason == "unsigned"
    assert drafting.get(LEADER, draft_id).status == DraftStatus.SUBMITTED
    assert drafting.file(LEADER, draft_id, FileKind.SIGNED) is None


def test_each_step_is_on_the_trail(drafting: Drafting, database: Database) -> None:
    draft_id = submitted(drafting)
    drafting.return_to_drafter(LEADER, draft_id, "Sửa lại")
    drafting.save(DRAFTER, "ke_hoach", plan(), draft_id=draft_id)
    drafting.submit(DRAFTER, draft_id, "son.ld")
    drafting.sign_on_paper(LEADER, draft_id)
    events, _ = SqlAudit(database).search(AuditQuery(), offset=0, limit=50)
    steps = [(e["action"], e["actor"]) for e in reversed(events) if e["action"] != "render"]
    assert steps == [
        ("save", "lan.cv"), ("submit", "lan.cv"), ("return", "son.ld"), ("save", "lan.cv"),
        ("submit", "lan.cv"), ("sign", "son.ld"),
    ]
    assert {e["unit"] for e in events} == {"y-tich"}


def test_the_vanthu_numbers_dates_and_seals_the_signed_pdf(drafting: Drafting) -> None:
    draft_id, uploaded = signed_digitally(drafting)
    assert drafting.upcoming(CLERK, draft_id) == 1
    entry = drafting.issue(CLERK, draft_id, expect=1)
    assert (entry.number, entry.number_line, entry.document_date) == (
        1, "Số: 01/KH-UBND", dt.date(2023, 2, 7)
    )
    assert (entry.unit, entry.draft_id, entry.signed, entry.issued_by) == (
        "y-tich", draft_id, True, "thu.vt"
    )
    assert entry.pdf is not None and entry.pdf.startswith(uploaded)  # the signature is kept
    reports = verify(entry.pdf)
    assert [(r.signer, r.intact, r.valid) for r in reports] == [
        (SIGNER_NAME, True, True), ("Ủy ban nhân dân xã Y Tịch", True, True)
    ]
    assert reports[1].covers_whole_document
    # The seal's field was prepared at the seal's size: sealing changed nothing the signer's
    # lock covers, so their signature reads as followed by form filling only.
    leaders = PdfFileReader(io.BytesIO(entry.pdf)).embedded_signatures[0]
    status = validated(leaders, ValidationContext(trust_roots=[]))
    assert (status.modification_level, status.docmdp_ok) == (ModificationLevel.FORM_FILLING, True)
    with pikepdf.open(io.BytesIO(entry.pdf)) as pdf:
        values = {str(f.T): str(f.get("/V", "")) for f in pdf.Root.AcroForm.Fields}
    assert (values["So"], values["Ngay"], values["Thang"]) == ("01", "07", "02")
    issued = drafting.get(CLERK, draft_id)
    assert (issued.status, issued.entry_id) == (DraftStatus.ISSUED, entry.id)


def test_a_paper_signature_is_issued_with_the_numbered_pdf(drafting: Drafting) -> None:
    draft_id = submitted(drafting)
    drafting.sign_on_paper(LEADER, draft_id)
    entry = drafting.issue(CLERK, draft_id)
    assert (entry.number, entry.signed) == (1, False)
    assert entry.pdf is not None and verify(entry.pdf) == []


def test_a_draft_is_issued_once(drafting: Drafting) -> None:
    draft_id, _ = signed_digitally(drafting)
    first = drafting.issue(CLERK, draft_id)
    again = drafting.issue(CLERK, draft_id)
    assert again.id == first.id
    other = submitted(drafting)
    drafting.sign_on_paper(LEADER, other)
    assert drafting.issue(CLERK, other).number == 2  # no number was taken by the second click


def test_an_entry_stored_before_a_crash_completes_the_draft(drafting: Drafting) -> None:
    draft_id, uploaded = signed_digitally(drafting)
    draft = drafting.get(CLERK, draft_id)
    assert draft.data is not None
    entry = drafting.issuer.issue_signed(
        "ke_hoach", draft.data, uploaded, draft_id=draft_id, actor="thu.vt", unit="y-tich"
    )  # stored, then the process died before the draft moved on
    assert drafting.get(CLERK, draft_id).status == DraftStatus.SIGNED
    assert drafting.issue(CLERK, draft_id).id == entry.id
    assert drafting.get(CLERK, draft_id).status == DraftStatus.ISSUED


def test_only_a_signed_draft_is_issued(drafting: Drafting) -> None:
    draft_id = submitted(drafting)
    with pytest.raises(DraftConflict):
        drafting.issue(CLERK, draft_id)


def test_a_year_turned_since_the_signature_asks_for_a_new_one(
    drafting: Drafting, today: Today
) -> None:
    draft_id, _ = signed_digitally(drafting)
    today.day = dt.date(2024, 1, 2)
    with pytest.raises(YearChanged):
        drafting.issue(CLERK, draft_id)
    assert drafting.get(CLERK, draft_id).status == DraftStatus.SIGNED
