"""Copies of issued documents with a fake converter: block, parts, numbers, API, pages."""

from __future__ import annotations

import datetime as dt
import io
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from service.core import copies
from service.core.document import Document
from service.core.documents import DocumentInvalid, DocumentService
from service.core.signing import verify
from service.store.database import Database
from service.store.register import SqlRegister
from service.store.units import SqlUnits
from service.usecases.copying import Copier
from service.usecases.issuing import Issuer, NumberMovedOn
from service.usecases.ports import RegisterQuery, UnitProfile
from service.usecases.units import UnitProfiles
from service.web.auth import RULES
from tests.conftest import client_as, csrf_of, docx_text, load_sample, normalise, signed_in
from tests.helpers import (
    BODY,
    PASSPHRASE,
    SignableConverter,
    Today,
    add_unit,
    block,
    errors_of,
    make_database,
    make_issuer,
    make_key,
    make_pdf,
    other_agency,
    plan,
    seal_png,
    unit_profile,
)
from tests.unit.test_register_pages import HTML, page

COPY_DAY = dt.date(2026, 3, 6)
# A copy signed by order of the head (ASCII: the fake PDF's font has no Vietnamese).
CLERK = {
    "mode": "TL",
    "head_title": "Chu tich",
    "title": "Chanh Van phong",
    "name": "Hoang Van Tung",
}


class TwoSignerConverter(SignableConverter):
    """A fake PDF with the original's signature block and, on a second page, the copy's."""

    def convert(self, docx: bytes, *, pdf_version: int | None = None) -> bytes:
        super().convert(docx, pdf_version=pdf_version)
        return make_pdf(
            BODY + block(), block("Hoang Van Tung", ["TL. CHU TICH", "CHANH VAN PHONG"])
        )


@pytest.fixture()
def database(tmp_path: Path) -> Database:
    found = make_database(tmp_path)
    add_unit(found)
    return found


@pytest.fixture()
def issuer(database: Database) -> Issuer:
    return make_issuer(
        database, DocumentService(SignableConverter()), today=Today(dt.date(2026, 3, 5))
    )


@pytest.fixture()
def copier(database: Database, issuer: Issuer) -> Copier:
    documents = issuer.documents
    units = UnitProfiles(SqlUnits(database), documents.catalog, documents.schemas)
    return Copier(SqlRegister(database), documents, units, today=Today(COPY_DAY))


def issued(issuer: Issuer, **changes: Any) -> Any:
    return issuer.issue("ke_hoach", plan(**changes), actor="lan", unit="y-tich")


# -- the core: parts, extracts, the copy block -------------------------------------------------


def seed_data() -> dict[str, Any]:
    return DocumentService(None).validate("ke_hoach", {**plan(), "number": 5})


def test_parts_are_the_top_level_sections_and_the_appendices() -> None:
    data = seed_data()
    data["appendices"] = [
        {
            "title": "Bảng phân công",
            "landscape": False,
            "body": [{"kind": "paragraph", "text": "x"}],
        }
    ]
    assert [(p.key, p.title) for p in copies.parts_of(data)] == [
        ("1", "I. MỤC ĐÍCH, YÊU CẦU"),
        ("2", "II. NỘI DUNG THỰC HIỆN"),
        ("3", "III. KINH PHÍ THỰC HIỆN"),
        ("4", "IV. TỔ CHỨC THỰC HIỆN"),
        ("PL1", "Phụ lục I: Bảng phân công"),
    ]


def test_an_extract_keeps_the_original_numbers_of_sections_articles_and_appendices() -> None:
    data = seed_data()
    data["appendices"] = [
        {
            "title": f"Phụ lục số {i}",
            "landscape": False,
            "body": [{"kind": "paragraph", "text": f"Nội dung {i}"}],
        }
        for i in (1, 2)
    ]
    extract = copies.extract(data, ["1", "3", "PL2"])
    assert [b["number"] for b in extract["body"]] == ["I.", "III."]
    assert extract["intro"] == extract["legal_bases"] == extract["closing"] == []
    text = render_text("ke_hoach", extract)
    assert "III. KINH PHÍ THỰC HIỆN" in text and "II. NỘI DUNG" not in text
    assert "Phụ lục II" in text and "Phụ lục I\n" not in text and "Nội dung 1" not in text

    decision = DocumentService(None).validate(
        "quyet_dinh", {**load_sample("quyet_dinh_thanh_lap_hoi_dong"), "number": 3}
    )
    kept = copies.extract(decision, ["2"])
    assert [b["number"] for b in kept["body"]] == [2]
    text = render_text("quyet_dinh", kept)
    assert "Điều 2." in text and "Điều 1." not in text


def render_text(type_id: str, data: dict[str, Any]) -> str:
    """The DOCX text of validated data rendered as the type."""
    service = DocumentService(None)
    return docx_text(service.render_document(Document.of(service.catalog.get(type_id), data)).docx)


def test_copy_block_context_reads_as_the_decree_shows() -> None:
    issuer = plan()["issuer"]
    block = copies.copy_block(
        copies.KINDS["SY"],
        issuer,
        3,
        {"day": 6, "month": 2, "year": 2023},
        {
            "mode": "TL",
            "head_title": "Chủ tịch",
            "title": "Chánh Văn phòng",
            "name": "Hoàng Văn Tùng",
        },
        ["- Phòng Nội vụ;"],
    )
    (context,) = copies.copy_context({"copies": [block]})["copies"]
    assert context == {
        "parent_agency": "UBND HUYỆN CHI LĂNG",
        "agency": "ỦY BAN NHÂN DÂN\nXÃ Y TỊCH",
        "number_line": "Số: 03/SY-UBND",
        "mark": "SAO Y",
        "date_line": "Y Tịch, ngày 06 tháng 02 năm 2023",
        "signer_lines": ["TL. CHỦ TỊCH", "CHÁNH VĂN PHÒNG"],
        "signer_name": "Hoàng Văn Tùng",
        "recipients": ["- Phòng Nội vụ;", "- Lưu: VT."],
    }


def test_a_document_without_copies_renders_as_before(rendered_samples) -> None:
    text = docx_text(rendered_samples["seed_000_ke_hoach_y_tich"].docx)
    assert "SAO Y" not in text and text.rstrip().endswith("Vương Văn Sơn")


# -- the use case ------------------------------------------------------------------------------


def test_a_sao_y_has_its_own_series_number_and_prints_the_original_then_its_block(
    issuer: Issuer, copier: Copier
) -> None:
    original = issued(issuer)
    issued(issuer)  # the documents' series goes on to 02; copies start at 01
    made = copier.make(original, {"kind": "SY", "recipients": ["Phòng Nội vụ"]}, actor="lan")
    assert (made.number, made.symbol, made.doc_type) == (1, "SY-UBND", "ban_sao_y")
    assert made.number_line == "Số: 01/SY-UBND" and made.source_id == original.id
    assert made.document_date == COPY_DAY and made.unit == "y-tich"
    assert made.subject == (
        "Sao y Kế hoạch số 01/KH-UBND ngày 05/3/2026 của UBND xã Y Tịch: "
        "Thực hiện xây dựng xã, thị trấn phù hợp với trẻ em năm 2023"
    )
    assert made.file_name("pdf") == "01-SY-UBND-2026-xa-y-tich.pdf"
    text = docx_text(made.docx)
    original_text = docx_text(original.docx)
    assert text.startswith(original_text)
    assert normalise(text[len(original_text) :]) == normalise(
        "UBND HUYỆN CHI LĂNG ỦY BAN NHÂN DÂNXÃ Y TỊCH Số: 01/SY-UBND SAO Y "
        "Y Tịch, ngày 06 tháng 3 năm 2026 Nơi nhận: - Phòng Nội vụ; - Lưu: VT. "
        "TM. UY BAN NHAN DAN KT. CHU TICH PHO CHU TICH Nguyen Van Hien"
    )
    assert made.inputs["source"] == original.id and made.inputs["kind"] == "SY"
    second = copier.make(original, {"kind": "TS", "parts": ["3", "1"]}, actor="lan")
    assert second.number_line == "Số: 02/TS-UBND"  # one series for every kind of copy
    assert [c.id for c in copier.copies_of(original.id, None)] == [made.id, second.id]


def test_a_trich_sao_prints_only_the_chosen_parts_in_order(issuer, copier) -> None:
    original = issued(issuer)
    made = copier.make(original, {"kind": "TS", "parts": ["3", "1"]}, actor="lan")
    text = docx_text(made.docx)
    assert text.index("I. MỤC ĐÍCH, YÊU CẦU") < text.index("III. KINH PHÍ THỰC HIỆN")
    assert "II. NỘI DUNG THỰC HIỆN" not in text and "IV. TỔ CHỨC" not in text
    assert "KẾ HOẠCH" in text and "Số: 01/KH-UBND" in text and "TRÍCH SAO" in text
    assert made.subject.startswith("Trích sao Kế hoạch số 01/KH-UBND")
    assert made.inputs["parts"] == ["1", "3"]


def test_sao_luc_only_from_a_sao_y_and_sao_y_only_from_an_original(issuer, copier) -> None:
    original = issued(issuer)
    with pytest.raises(DocumentInvalid) as refused:
        copier.make(original, {"kind": "SL"}, actor="lan")
    assert refused.value.errors == {
        "kind": [
            "Sao lục chỉ làm từ bản sao y; văn bản này là bản gốc: hãy sao y hoặc trích sao, "
            "rồi sao lục từ bản sao y."
        ]
    }
    sao_y = copier.make(original, {"kind": "SY"}, actor="lan")
    with pytest.raises(DocumentInvalid) as again:
        copier.make(sao_y, {"kind": "TS", "parts": ["1"]}, actor="lan")
    assert again.value.errors == {"kind": ["Từ bản sao y chỉ làm được bản sao lục."]}
    sao_luc = copier.make(sao_y, {"kind": "SL"}, actor="lan")
    assert sao_luc.number_line == "Số: 02/SL-UBND" and sao_luc.source_id == sao_y.id
    assert sao_luc.subject.startswith("Sao lục Kế hoạch số 01/KH-UBND ngày 05/3/2026")
    text = docx_text(sao_luc.docx)
    # The sao y copied whole, its block included, then the sao lục's.
    assert text.startswith(docx_text(sao_y.docx))
    assert text.index("SAO Y") < text.index("Số: 02/SL-UBND") < text.index("SAO LỤC")
    assert copier.kinds(sao_luc) == []


def test_bad_requests_name_their_fields(issuer, copier) -> None:
    original = issued(issuer)
    cases = [
        (
            {"kind": "XX"},
            {"kind": ["Hình thức sao phải là SY (sao y), SL (sao lục) hoặc TS (trích sao)."]},
        ),
        ({"kind": "TS"}, {"parts": ["Hãy chọn ít nhất một phần cần trích sao."]}),
        (
            {"kind": "SY", "parts": ["1"]},
            {"parts": ["Chỉ trích sao mới chọn phần; sao y, sao lục sao toàn văn."]},
        ),
        ({"kind": "SY", "signer": {"title": ""}}, None),
    ]
    for payload, expected in cases:
        with pytest.raises(DocumentInvalid) as refused:
            copier.make(original, payload, actor="lan")
        if expected is not None:
            assert refused.value.errors == expected
        else:
            assert list(refused.value.errors) == ["signer.title"]
    with pytest.raises(DocumentInvalid) as unknown:
        copier.make(original, {"kind": "TS", "parts": ["1", "9"]}, actor="lan")
    assert list(unknown.value.errors) == ["parts.1"]
    assert unknown.value.errors["parts.1"][0].startswith(
        "Văn bản không có phần “9”. Các phần: 1 (I. MỤC ĐÍCH, YÊU CẦU); 2 (II."
    )
    assert copier.copies_of(original.id, None) == []  # nothing numbered


def test_expected_number_and_numbers_never_skipped_or_doubled(issuer, copier, database) -> None:
    original = issued(issuer)
    assert copier.upcoming(original, {"kind": "SY"}).number == 1
    copier.make(original, {"kind": "SY"}, actor="lan", expect=1)
    with pytest.raises(NumberMovedOn) as moved:
        copier.make(original, {"kind": "SY"}, actor="lan", expect=1)
    assert (moved.value.shown, moved.value.now) == (1, 2)
    with ThreadPoolExecutor(4) as pool:
        made = list(
            pool.map(lambda _: copier.make(original, {"kind": "SY"}, actor="lan"), range(6))
        )
    assert sorted(m.number for m in made) == list(range(2, 8))
    found, total = SqlRegister(database).search(
        RegisterQuery(source_id=original.id), offset=0, limit=50
    )
    assert total == 7


def test_a_copy_is_recorded_on_the_trail(issuer, copier, database) -> None:
    from service.store.audit import SqlAudit
    from service.usecases.register import AuditTrail

    original = issued(issuer)
    made = copier.make(original, {"kind": "SY"}, actor="lan")
    events = AuditTrail(SqlAudit(database)).of_entry(made)
    assert [(e["action"], e["subject"]) for e in events] == [
        ("render", "01-SY-UBND-2026-xa-y-tich.docx"),
        ("issue", "Số: 01/SY-UBND - Ủy ban nhân dân xã Y Tịch"),
    ]
    assert events[1]["details"]["source"] == original.id
    assert events[1]["details"]["copied"] == "Số: 01/KH-UBND"


# -- the API -----------------------------------------------------------------------------------


@pytest.fixture()
def app(make_app: Any) -> Any:
    built = make_app(TwoSignerConverter())
    units = built.extensions["vb_services"].units.store
    units.save(UnitProfile(**unit_profile("y-tich")))
    units.save(UnitProfile(**{**unit_profile("chi-lang"), "issuer": other_agency()}))
    return built


def issue_for(app: Any, unit: str = "y-tich") -> Any:
    payload = plan()
    if unit == "chi-lang":
        payload["issuer"] = other_agency()
    return app.extensions["vb_services"].issuer.issue("ke_hoach", payload, actor="lan", unit=unit)


def test_api_makes_a_copy_201(app) -> None:
    original = issue_for(app)
    client = client_as(app, "lan")
    response = client.post(
        f"/api/register/{original.id}/copies",
        json={"kind": "SY", "recipients": ["Phòng Nội vụ"], "signer": CLERK, "expected_number": 1},
    )
    assert response.status_code == 201, response.json
    body = response.json
    assert body["number_line"] == "Số: 01/SY-UBND" and body["source_id"] == original.id
    assert body["doc_type"] == "ban_sao_y" and response.headers["Location"] == body["links"]["self"]
    assert client.get(body["links"]["pdf"]).status_code == 200
    text = docx_text(client.get(body["links"]["docx"]).data)
    assert text.split("Nơi nhận:")[-1].split("\n")[1:] == [
        "- Phòng Nội vụ;",
        "- Lưu: VT.",
        "TL. CHU TICH",
        "CHANH VAN PHONG",
        "Hoang Van Tung",
        "",  # the paragraph after the block's table
    ]


def test_a_copy_is_sealed_like_an_issue(app) -> None:
    services = app.extensions["vb_services"]
    original = issue_for(app)
    client = client_as(app, "lan")
    url = f"/api/register/{original.id}/copies"
    refused = client.post(url, json={"kind": "SY", "signer": CLERK, "sign": True})
    assert (refused.status_code, list(refused.json["errors"])) == (422, ["sign"])  # no key yet
    services.keys.install("y-tich", make_key("Ủy ban nhân dân xã Y Tịch")[0], PASSPHRASE,
                          seal_png())
    made = client.post(url, json={"kind": "SY", "signer": CLERK, "sign": True})
    assert made.status_code == 201, made.json
    # The refusal took no number: the sealed copy is the first of the series.
    assert (made.json["number_line"], made.json["signed"]) == ("Số: 01/SY-UBND", True)
    reports = verify(client.get(made.json["links"]["pdf"]).data)
    assert [(r.signer, r.valid, r.covers_whole_document) for r in reports] == [
        ("Ủy ban nhân dân xã Y Tịch", True, True)
    ]


@pytest.mark.parametrize("sample", ["giay_gioi_thieu_lien_he_kinh_phi", "giay_nghi_phep_nam_2023"])
def test_a_copy_of_a_document_without_a_subject_line(app, sample: str) -> None:
    data = {**load_sample(sample), "signer": plan()["signer"], "number": None}
    data["issuer"] = plan()["issuer"]
    services = app.extensions["vb_services"]
    original = services.issuer.issue(data["doc_type"], data, actor="lan", unit="y-tich")
    made = client_as(app, "lan").post(f"/api/register/{original.id}/copies",
                                      json={"kind": "SY", "signer": CLERK})
    assert made.status_code == 201, made.json  # was a TypeError (500): no subject to copy
    type_name = services.documents.catalog.get(data["doc_type"]).name
    assert made.json["subject"].startswith(f"Sao y {type_name} số 01/")
    assert made.json["subject"].endswith(original.subject)


def test_api_statuses(app) -> None:
    original, other = issue_for(app), issue_for(app, "chi-lang")
    scoped = client_as(app, "mot-cua", units=["y-tich"])
    url = f"/api/register/{original.id}/copies"
    assert scoped.post(f"/api/register/{other.id}/copies", json={"kind": "SY"}).status_code == 404
    assert scoped.post("/api/register/999/copies", json={"kind": "SY"}).status_code == 404
    bad = scoped.post(url, json={"kind": "TS", "parts": ["1", "zz"]})
    assert bad.status_code == 422 and list(bad.json["errors"]) == ["parts.1"]
    refused = scoped.post(url, json={"kind": "SL"})
    assert refused.status_code == 422 and refused.json["errors"]["kind"][0].startswith(
        "Sao lục chỉ làm từ bản sao y"
    )
    wrong = scoped.post(url, json={"kind": "SY", "expected_number": "một"})
    assert wrong.status_code == 422 and list(wrong.json["errors"]) == ["expected_number"]
    assert scoped.post(url, json={"kind": "SY", "expected_number": 1}).status_code == 201
    moved = scoped.post(url, json={"kind": "SY", "expected_number": 1})
    assert moved.status_code == 409
    assert moved.json["errors"] == {
        "expected_number": ["Số 01 đã được cấp cho bản sao khác; bản sao này sẽ nhận số 02."]
    }
    reader = client_as(app, "doc", scopes=["read_register"])
    assert reader.post(url, json={"kind": "SY"}).status_code == 403


def test_every_copy_route_has_an_access_rule(app) -> None:
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    for endpoint in ("copies.Copies", "copy_pages.form", "copy_pages.confirm", "copy_pages.make"):
        assert endpoint in endpoints and RULES[endpoint].value == "issue"


# -- the pages ---------------------------------------------------------------------------------


def test_clerk_copies_from_the_entry_page_after_confirming_the_number(app) -> None:
    original = issue_for(app)
    clerk = signed_in(app, "lan", "van_thu", "y-tich")
    status, html = page(clerk, f"/so-van-ban-di/{original.id}")
    assert status == 200
    assert re.findall(r'id="sao-(\w+)"[^>]*>([^<]+)<', html) == [
        ("sy", "Sao y"),
        ("ts", "Trích sao"),
    ]
    status, form = page(clerk, f"/so-van-ban-di/{original.id}/sao?loai=TS")
    assert status == 200 and 'value="Nguyen Van Hien"' in form
    assert re.findall(r'<label for="parts-(\w+)">([^<]+)<', form)[:2] == [
        ("1", "I. MỤC ĐÍCH, YÊU CẦU"),
        ("2", "II. NỘI DUNG THỰC HIỆN"),
    ]
    fields = {
        "csrf_token": csrf_of(form),
        "kind": "TS",
        "parts": ["1", "3"],
        **{f"signer.{name}": value for name, value in CLERK.items()},
        "recipients": "Phòng Nội vụ\nBan Tuyên giáo",
    }
    missing = clerk.post(
        f"/so-van-ban-di/{original.id}/sao", data={**fields, "parts": []}, headers=HTML
    )
    assert missing.status_code == 422
    assert "Hãy chọn ít nhất một phần cần trích sao." in missing.get_data(as_text=True)
    confirm = clerk.post(f"/so-van-ban-di/{original.id}/sao", data=fields, headers=HTML)
    html = confirm.get_data(as_text=True)
    assert confirm.status_code == 200
    assert re.search(r'id="so-se-cap">([^<]+)<', html)[1] == "Số: 01/TS-UBND"
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))
    posted = {**hidden, "parts": ["1", "3"], "recipients": ["Phòng Nội vụ", "Ban Tuyên giáo"]}
    made = clerk.post(f"/so-van-ban-di/{original.id}/sao/xac-nhan", data=posted, headers=HTML)
    assert made.status_code == 302, re.findall(r"<li>.*?</li>", made.get_data(as_text=True))
    entry_url = made.headers["Location"]
    status, entry = page(clerk, entry_url)
    assert status == 200 and "Bản trích sao số 01/TS-UBND" in entry
    assert (
        f'Sao từ văn bản <a href="/so-van-ban-di/{original.id}">Số: 01/KH-UBND</a> (bản gốc).'
        in entry
    )
    assert "tai-ve.pdf" in entry and 'id="sao-' not in entry  # a trích sao is not copied on
    again = clerk.post(f"/so-van-ban-di/{original.id}/sao/xac-nhan", data=posted, headers=HTML)
    assert again.status_code == 409
    assert "Số 01 vừa được cấp cho bản sao khác" in again.get_data(as_text=True)
    _, source = page(clerk, f"/so-van-ban-di/{original.id}")
    assert "Bản sao của văn bản này" in source and "Số: 01/TS-UBND" in source


def test_pages_keep_to_the_clerks_units_and_role(app) -> None:
    other = issue_for(app, "chi-lang")
    mine = issue_for(app)
    clerk = signed_in(app, "lan", "van_thu", "y-tich")
    assert page(clerk, f"/so-van-ban-di/{other.id}/sao")[0] == 404
    assert page(clerk, "/so-van-ban-di/9999/sao")[0] == 404
    leader = signed_in(app, "hien", "lanh_dao", "y-tich")
    status, html = page(leader, f"/so-van-ban-di/{mine.id}")
    assert status == 200 and 'id="sao-' not in html
    assert page(leader, f"/so-van-ban-di/{mine.id}/sao")[0] == 403


def test_copies_validate_against_the_ooxml_schemas(issuer, copier, tmp_path) -> None:
    original = issued(issuer)
    sao_y = copier.make(original, {"kind": "SY", "recipients": ["Phòng Nội vụ"]}, actor="lan")
    made = [
        sao_y,
        copier.make(original, {"kind": "TS", "parts": ["2"]}, actor="lan"),
        copier.make(sao_y, {"kind": "SL"}, actor="lan"),
    ]
    for entry in made:
        assert errors_of(entry.docx, tmp_path, entry.file_name("docx")) == []


def test_the_block_follows_the_appendices_even_a_landscape_one(issuer, copier) -> None:
    payload = {
        **load_sample("ke_hoach_phan_cong_phong_chong_duoi_nuoc"),
        "signer": plan()["signer"],
    }
    payload["appendices"][0]["landscape"] = True
    payload["number"] = None
    original = issuer.issue("ke_hoach", payload, actor="lan", unit="y-tich")
    made = copier.make(original, {"kind": "SY"}, actor="lan")
    text = docx_text(made.docx)
    assert text.startswith(docx_text(original.docx))
    assert text.index("Phụ lục I") < text.index("Số: 01/SY-UBND") < text.index("SAO Y")
    parts = copier.parts(original)
    assert parts[-1].key == "PL1" and parts[-1].title.startswith("Phụ lục I: Bảng phân công")


def test_the_year_book_lists_copies_in_their_own_series(app) -> None:
    original = issue_for(app)
    copier = app.extensions["vb_services"].copier
    made = copier.make(original, {"kind": "SY", "recipients": ["Phòng Nội vụ"]}, actor="lan")
    clerk = signed_in(app, "lan", "van_thu", "y-tich")
    response = clerk.get(f"/so-van-ban-di/xuat-xlsx?nam={made.year}")
    sheets = openpyxl.load_workbook(io.BytesIO(response.data)).worksheets
    rows = [list(row) for row in sheets[3].iter_rows(values_only=True)]
    assert rows[2][:7] == [
        "01/SY-UBND",
        made.document_date.strftime("%d/%m/%Y"),
        f"Bản sao y: {made.subject}",
        "Pho Chu tich Nguyen Van Hien",
        "Phòng Nội vụ",
        "VT",
        2,
    ]
