"""The whole day against the running service, real LibreOffice, over HTTP: Decree 30's order.

A chuyên viên saves a plan and submits it; the lãnh đạo downloads the PDF prepared for signing,
signs it with their own certificate (pyHanko, honouring the field's lock as Acrobat does) and
uploads it; the văn thư issues it, which takes the number, fills the Số and date and seals.
"""

from __future__ import annotations

import io
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation.status import ModificationLevel, SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from service.core.clock import today_in_vietnam
from service.core.documents import DocumentService
from service.core.signing import load_signer, sign_field
from service.core.vn import day_str, month_str
from service.usecases.drafting import for_signature
from tests.helpers import (
    PASSPHRASE,
    Authority,
    save_two_communes,
    seal_png,
    this_years_seed,
    validated,
)
from tests.integration import calls
from tests.integration.servers import Proc, free_port, start_service

pytestmark = pytest.mark.integration
PASSWORD = "mat-khau-dung-thu"
LEADER = "Vương Văn Sơn"  # seed 000's signer


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Proc, Authority]]:
    """The service with commune Y Tịch (its seal key installed), its staff, and Thành Linh."""
    ca = Authority.make()
    running = start_service(tmp_path_factory.mktemp("var"), free_port(), pool_size=1,
                            pool_base_port=3120)
    seed = this_years_seed()
    with calls.services_of(running.env) as services:
        save_two_communes(services.units, issuer=seed["issuer"], signer=seed["signer"])
        for username, role, unit, name in [
            ("lan.cv", "chuyen_vien", "y-tich", "Nguyễn Thị Lan"),
            ("son.ld", "lanh_dao", "y-tich", LEADER),
            ("thu.vt", "van_thu", "y-tich", "Hoàng Thu"),
            ("binh.vt", "van_thu", "thanh-linh", "Trần Bình"),
        ]:
            services.accounts.create(username, role, unit, display_name=name, password=PASSWORD)
        services.keys.install("y-tich", ca.issue("Ủy ban nhân dân xã Y Tịch", serial=0x5EA1),
                              PASSPHRASE, seal_png())
    yield running, ca
    running.stop()


def staff(base: str, username: str) -> Any:
    """A member of staff's logged-in session, sending the pages' CSRF token."""
    return calls.session_of(base, username, PASSWORD, csrf=True)


def test_signed_then_numbered_then_sealed(service: tuple[Proc, Authority], tmp_path: Path) -> None:
    proc, ca = service
    base = proc.url
    drafter, leader, clerk = (staff(base, u) for u in ("lan.cv", "son.ld", "thu.vt"))
    saved = drafter.post(base + "/api/drafts", timeout=60,
                         json={"doc_type": "ke_hoach", "document": this_years_seed()})
    assert saved.status_code == 201, saved.text
    draft = saved.json()
    submitted = drafter.post(f"{base}/api/drafts/{draft['id']}/submit", timeout=120,
                             json={"signer": "son.ld", "note": "Kính trình đồng chí Chủ tịch"})
    assert submitted.status_code == 200, submitted.text
    prepared = leader.get(base + submitted.json()["links"]["prepared"], timeout=30).content

    document = DocumentService().load("ke_hoach", for_signature(this_years_seed()))
    own_key = load_signer(ca.issue(LEADER, serial=0x1EAD), PASSPHRASE)
    signed = sign_field(prepared, signer=own_key, field=document.signer_field)
    uploaded = leader.post(f"{base}/api/drafts/{draft['id']}/signed", data=signed, timeout=60,
                           headers={"Content-Type": "application/pdf"})
    assert uploaded.status_code == 200, uploaded.text
    assert uploaded.json()["signature"]["serial"] == "1EAD"

    issued = clerk.post(f"{base}/api/drafts/{draft['id']}/issue", json={"expected_number": 1},
                        timeout=120)
    assert issued.status_code == 201, issued.text
    entry = issued.json()
    assert (entry["number_line"], entry["signed"]) == ("Số: 01/KH-UBND", True)
    pdf = clerk.get(base + entry["links"]["pdf"], timeout=30).content
    assert pdf.startswith(signed)  # the signer's revision is kept byte for byte

    path = tmp_path / "issued.pdf"
    path.write_bytes(pdf)
    report = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True).stdout
    assert report.count("Signature Validation: Signature is Valid.") == 2, report
    assert f"Signer Certificate Common Name: {LEADER}" in report
    assert "Signer Certificate Common Name: Ủy ban nhân dân xã Y Tịch" in report

    reader = PdfFileReader(io.BytesIO(pdf))
    leaders, seals = reader.embedded_signatures
    context = ValidationContext(trust_roots=[], allow_fetching=False)
    first, second = validated(leaders, context), validated(seals, context)
    assert (first.intact, first.valid, first.docmdp_ok) == (True, True, True)
    assert first.modification_level == ModificationLevel.FORM_FILLING
    assert (second.intact, second.valid) == (True, True)
    assert second.coverage == SignatureCoverageLevel.ENTIRE_FILE

    today = today_in_vietnam()
    text = subprocess.run(["pdftotext", "-layout", "-f", "1", "-l", "1", str(path), "-"],
                          capture_output=True, text=True, check=True).stdout
    header = " ".join(text.split())
    assert "Số: 01" in header and "/KH-UBND" in header
    place = this_years_seed()["issuer"]["place"]
    assert f"{place}, ngày {day_str(today.day)} tháng {month_str(today.month)} năm {today.year}" \
        in header

    after = drafter.get(f"{base}/api/drafts/{draft['id']}", timeout=30).json()
    assert (after["status"], after["entry_id"]) == ("da_phat_hanh", entry["id"])
    trail = clerk.get(base + "/api/audit", timeout=30).json()["items"]
    steps = [e["action"] for e in reversed(trail) if e["action"] != "render"]
    assert steps[-5:] == ["save", "submit", "sign", "seal", "issue"]


def test_a_commune_cannot_issue_as_another(service: tuple[Proc, Authority]) -> None:
    proc, _ = service
    other = staff(proc.url, "binh.vt")
    refused = other.post(proc.url + "/api/register/issue/ke_hoach", json=this_years_seed(),
                         timeout=60)
    assert refused.status_code == 422
    assert list(refused.json()["errors"]) == ["issuer.agency"]
    own = {k: v for k, v in this_years_seed().items() if k != "issuer"}
    issued = other.post(proc.url + "/api/register/issue/ke_hoach", json=own, timeout=120).json()
    assert (issued["number"], issued["agency"]) == (1, "Ủy ban nhân dân xã Thành Linh")


def test_a_refused_upload_keeps_nothing(service: tuple[Proc, Authority]) -> None:
    proc, ca = service
    drafter, leader = staff(proc.url, "lan.cv"), staff(proc.url, "son.ld")
    draft = drafter.post(proc.url + "/api/drafts", timeout=60,
                         json={"doc_type": "ke_hoach", "document": this_years_seed()}).json()
    drafter.post(f"{proc.url}/api/drafts/{draft['id']}/submit", json={"signer": "son.ld"},
                 timeout=120)
    prepared = leader.get(f"{proc.url}/api/drafts/{draft['id']}/prepared.pdf", timeout=30).content
    document = DocumentService().load("ke_hoach", for_signature(this_years_seed()))
    stranger = load_signer(ca.issue("Trần Thị Bình"), PASSPHRASE)
    wrong = sign_field(prepared, signer=stranger, field=document.signer_field)
    refusals = {
        "wrong_signer": wrong,
        "unsigned": prepared,
        "not_pdf": b"PK\x03\x04 a zip",
        "changed": prepared[:-200] + b"%%EOF\n",
    }
    for reason, body in refusals.items():
        answer = leader.post(f"{proc.url}/api/drafts/{draft['id']}/signed", data=body,
                             headers={"Content-Type": "application/pdf"}, timeout=60)
        assert (answer.status_code, answer.json()["errors"]["reason"]) == (422, [reason])
    huge = leader.post(f"{proc.url}/api/drafts/{draft['id']}/signed", data=b"%PDF-" * 6_000_000,
                       headers={"Content-Type": "application/pdf"}, timeout=60)
    assert huge.status_code == 413
    after = leader.get(f"{proc.url}/api/drafts/{draft['id']}", timeout=30).json()
    assert after["status"] == "cho_ky" and "signed" not in after["links"]
