"""Drafts over HTTP with a fake converter: save, submit, return, sign, issue, and who may."""

from __future__ import annotations

from typing import Any

import pytest

from service.core.documents import DocumentService
from service.core.signing import load_signer, sign_field
from service.usecases.drafting import for_signature
from tests.conftest import client_as, csrf_of
from tests.helpers import PASSPHRASE, Authority, drafting_app, drafting_people
from tests.helpers import this_years_seed as seed
from tests.vn_pdf import SIGNER_NAME

ORIGIN = {"Origin": "http://localhost"}


@pytest.fixture()
def app(make_app) -> Any:
    return drafting_app(make_app)


@pytest.fixture()
def people(app) -> dict[str, Any]:
    return drafting_people(app)


def saved(people: dict[str, Any]) -> dict[str, Any]:
    response = people["drafter"].post(
        "/api/drafts", json={"doc_type": "ke_hoach", "document": seed()}, headers=ORIGIN
    )
    assert response.status_code == 201, response.json
    return response.json


def submitted(people: dict[str, Any]) -> dict[str, Any]:
    draft = saved(people)
    response = people["drafter"].post(
        f"/api/drafts/{draft['id']}/submit", json={"signer": "son.ld", "note": "Kính trình"},
        headers=ORIGIN,
    )
    assert response.status_code == 200, response.json
    return response.json


def signed_upload(people: dict[str, Any], draft: dict[str, Any]) -> bytes:
    prepared = people["leader"].get(draft["links"]["prepared"]).data
    document = DocumentService().load("ke_hoach", for_signature(seed()))
    p12 = Authority.make().issue(SIGNER_NAME)
    return sign_field(prepared, signer=load_signer(p12, PASSPHRASE), field=document.signer_field)


def token_of(client: Any) -> dict[str, str]:
    """The X-CSRF-Token a page session sends with a body that is not JSON."""
    page = client.get("/", headers={"Accept": "text/html"}).get_data(as_text=True)
    return {"X-CSRF-Token": csrf_of(page)}


def test_a_draft_is_saved_read_and_versioned(people: dict[str, Any]) -> None:
    draft = saved(people)
    assert (draft["status"], draft["status_label"], draft["version"], draft["unit"]) == (
        "du_thao", "Dự thảo", 1, "y-tich"
    )
    assert draft["links"] == {"self": f"/api/drafts/{draft['id']}"}
    changed = {**seed(), "subject": "Kế hoạch đã sửa"}
    put = people["drafter"].put(draft["links"]["self"], json={"document": changed, "version": 1},
                                headers=ORIGIN)
    assert (put.status_code, put.json["version"], put.json["title"]) == (200, 2, "Kế hoạch đã sửa")
    stale = people["drafter"].put(draft["links"]["self"], json={"document": seed(), "version": 1},
                                  headers=ORIGIN)
    assert stale.status_code == 409
    detail = people["clerk"].get(draft["links"]["self"]).json
    assert detail["document"]["subject"] == "Kế hoạch đã sửa"
    assert [(v["version"], v["saved_by"]) for v in detail["versions"]] == [
        (1, "lan.cv"), (2, "lan.cv")
    ]
    assert people["stranger"].get(draft["links"]["self"]).status_code == 404
    assert people["stranger"].get("/api/drafts").json == {"items": []}


def test_an_invalid_document_is_refused_with_its_path(people: dict[str, Any]) -> None:
    response = people["drafter"].post(
        "/api/drafts", json={"doc_type": "ke_hoach", "document": {**seed(), "subject": ""}},
        headers=ORIGIN,
    )
    assert response.status_code == 422
    assert list(response.json["errors"]) == ["document.subject"]
    unknown = people["drafter"].post("/api/drafts", json={"doc_type": "khong_co", "document": {}},
                                     headers=ORIGIN)
    assert unknown.status_code == 404


def test_the_unit_profile_fills_what_the_document_leaves_out(people: dict[str, Any]) -> None:
    bare = {k: v for k, v in seed().items() if k not in ("issuer", "signer", "recipients")}
    made = people["drafter"].post("/api/drafts", json={"doc_type": "ke_hoach", "document": bare},
                                  headers=ORIGIN)
    assert made.status_code == 201, made.json
    document = people["drafter"].get(made.json["links"]["self"]).json["document"]
    assert document["issuer"] == seed()["issuer"] and document["signer"] == seed()["signer"]
    theirs = people["stranger"].post(
        "/api/drafts", json={"doc_type": "ke_hoach", "document": seed()}, headers=ORIGIN
    )  # Thành Linh's văn thư with Y Tịch's agency
    assert (theirs.status_code, list(theirs.json["errors"])) == (422, ["document.issuer.agency"])


def test_submit_to_someone_who_is_not_a_leader_of_the_unit(people: dict[str, Any]) -> None:
    draft = saved(people)
    response = people["drafter"].post(
        f"/api/drafts/{draft['id']}/submit", json={"signer": "thu.vt"}, headers=ORIGIN
    )
    assert response.status_code == 422
    assert response.json["errors"] == {
        "signer": ["Người được trình ký phải là lãnh đạo đang hoạt động của đơn vị."]
    }


def test_the_leader_sees_what_waits_and_returns_it(people: dict[str, Any]) -> None:
    draft = submitted(people)
    waiting = people["leader"].get("/api/drafts?waiting_for_me=true").json["items"]
    assert [d["id"] for d in waiting] == [draft["id"]]
    assert people["deputy"].get("/api/drafts?waiting_for_me=true").json["items"] == []
    prepared = people["leader"].get(draft["links"]["prepared"])
    assert prepared.mimetype == "application/pdf" and prepared.data.startswith(b"%PDF-")
    refused = people["deputy"].post(f"/api/drafts/{draft['id']}/return",
                                    json={"comment": "Không"}, headers=ORIGIN)
    assert refused.status_code == 403
    assert refused.json["message"] == "Văn bản này được trình cho lãnh đạo khác ký."
    assert people["drafter"].post(f"/api/drafts/{draft['id']}/return", json={"comment": "x"},
                                  headers=ORIGIN).status_code == 403  # no sign permission
    returned = people["leader"].post(f"/api/drafts/{draft['id']}/return",
                                     json={"comment": "Bổ sung kinh phí"}, headers=ORIGIN)
    assert (returned.status_code, returned.json["status"], returned.json["comment"]) == (
        200, "tra_lai", "Bổ sung kinh phí"
    )


def test_signed_digitally_then_issued_and_sealed(people: dict[str, Any]) -> None:
    draft = submitted(people)
    upload = signed_upload(people, draft)
    signed = people["leader"].post(f"/api/drafts/{draft['id']}/signed", data=upload,
                                   content_type="application/pdf",
                                   headers=token_of(people["leader"]))
    assert signed.status_code == 200, signed.json
    assert signed.json["status"] == "da_ky"
    assert signed.json["signature"]["subject"] == SIGNER_NAME
    assert people["leader"].get(signed.json["links"]["signed"]).data == upload
    assert people["drafter"].post(f"/api/drafts/{draft['id']}/issue", json={},
                                  headers=ORIGIN).status_code == 403  # only the văn thư
    issued = people["clerk"].post(f"/api/drafts/{draft['id']}/issue",
                                  json={"expected_number": 1}, headers=ORIGIN)
    assert issued.status_code == 201, issued.json
    entry = issued.json
    assert (entry["number_line"], entry["signed"], entry["unit"]) == ("Số: 01/KH-UBND", True,
                                                                     "y-tich")
    assert issued.headers["Location"] == entry["links"]["self"]
    pdf = people["clerk"].get(entry["links"]["pdf"]).data
    assert pdf.startswith(upload)
    after = people["drafter"].get(draft["links"]["self"]).json
    assert (after["status"], after["entry_id"]) == ("da_phat_hanh", entry["id"])
    again = people["clerk"].post(f"/api/drafts/{draft['id']}/issue", json={}, headers=ORIGIN)
    assert (again.status_code, again.json["id"]) == (201, entry["id"])  # one entry, ever


def test_a_refused_upload_says_why_and_keeps_nothing(people: dict[str, Any]) -> None:
    draft = submitted(people)
    prepared = people["leader"].get(draft["links"]["prepared"]).data
    refused = people["leader"].post(f"/api/drafts/{draft['id']}/signed", data=prepared,
                                    content_type="application/pdf",
                                    headers=token_of(people["leader"]))
    assert refused.status_code == 422
    assert refused.json["errors"] == {"file": ["Tệp PDF chưa có chữ ký số."],
                                      "reason": ["unsigned"]}
    not_pdf = people["leader"].post(f"/api/drafts/{draft['id']}/signed", data=b"x",
                                    content_type="text/plain",
                                    headers=token_of(people["leader"]))
    assert not_pdf.status_code == 415
    after = people["leader"].get(draft["links"]["self"]).json
    assert after["status"] == "cho_ky" and "signed" not in after["links"]


def test_a_paper_signature_then_the_number(people: dict[str, Any]) -> None:
    draft = submitted(people)
    paper = people["leader"].post(f"/api/drafts/{draft['id']}/paper",
                                  headers=token_of(people["leader"]))
    assert paper.status_code == 200 and paper.json["signature"]["paper"] is True
    issued = people["clerk"].post(f"/api/drafts/{draft['id']}/issue", json={}, headers=ORIGIN)
    assert issued.status_code == 201 and issued.json["signed"] is False


def test_a_key_with_the_scopes_runs_the_whole_way(app) -> None:
    system = client_as(app, "mot-cua", units=["y-tich"])
    saved_draft = system.post("/api/drafts", json={"doc_type": "ke_hoach", "document": seed()})
    assert saved_draft.status_code == 201
    assert saved_draft.json["created_by"] == "key:mot-cua"
    bound = client_as(app, "chi-bao-cao", doc_types=["bao_cao"])
    refused = bound.post("/api/drafts", json={"doc_type": "ke_hoach", "document": seed()})
    assert refused.status_code == 403
