"""The Appendix III forms: schema, DOCX text and layout, web form and bulk check of each."""

from __future__ import annotations

import io
import json
import re
import shutil
from pathlib import Path
from typing import Any

import docx
import pytest
from docx.oxml.ns import qn
from docx.text.paragraph import Paragraph

from service.bulk.check import check_table
from service.bulk.table import Table
from service.core import form_parts
from service.core.definitions import FORMS_DIR, DefinitionError, load_catalog
from service.core.documents import DocumentInvalid, DocumentService
from service.core.form_model import FormModel
from tests.conftest import bulk_base, csrf_of, load_sample, signed_in
from tests.form_texts import SAMPLES, TEXTS
from tests.unit.test_pages import HTML

CODES = {"giay_moi": "GM", "giay_gioi_thieu": "GGT", "giay_nghi_phep": "GNP", "bien_ban": "BB"}
# A required field of each form's own, and where the schema reports it missing.
OWN_REQUIRED = [
    ("giay_moi", "venue"),
    ("giay_moi", "time.hour"),
    ("giay_gioi_thieu", "sent_to"),
    ("giay_gioi_thieu", "valid_until.year"),
    ("giay_nghi_phep", "employee"),
    ("giay_nghi_phep", "start.year"),
    ("bien_ban", "secretary.name"),
    ("bien_ban", "end_time.hour"),
]


def paragraphs(data: bytes) -> list[Paragraph]:
    """Every paragraph of the body, table cells included, in document order."""
    document = docx.Document(io.BytesIO(data))
    return [Paragraph(p, document) for p in document.element.body.iter(qn("w:p"))]


def texts(data: bytes) -> list[str]:
    """The non-empty paragraphs' text (a line break reads as a new line)."""
    return [p.text for p in paragraphs(data) if p.text.strip()]


@pytest.mark.parametrize("type_id", sorted(SAMPLES))
def test_the_definition_derives_the_appendix_iii_code(type_id: str) -> None:
    assert load_catalog().get(type_id).code == CODES[type_id]


@pytest.mark.parametrize("type_id", sorted(SAMPLES))
def test_schema_accepts_the_sample(documents: DocumentService, type_id: str) -> None:
    payload = load_sample(SAMPLES[type_id])
    assert payload["doc_type"] == type_id
    data = documents.validate(type_id, payload)
    assert data["issuer"]["agency"] == "Ủy ban nhân dân xã Y Tịch"


@pytest.mark.parametrize(("type_id", "path"), OWN_REQUIRED)
def test_schema_refuses_a_missing_own_field_by_its_path(
    documents: DocumentService, type_id: str, path: str
) -> None:
    payload = load_sample(SAMPLES[type_id])
    *part, name = path.split(".")
    del (payload[part[0]] if part else payload)[name]
    with pytest.raises(DocumentInvalid) as refused:
        documents.validate(type_id, payload)
    assert refused.value.errors == {path: ["Cần nhập trường này."]}


def test_a_minute_left_out_is_on_the_hour(documents: DocumentService) -> None:
    payload = load_sample(SAMPLES["bien_ban"])
    del payload["end_time"]["minute"]
    assert documents.validate("bien_ban", payload)["end_time"]["minute"] == 0


@pytest.mark.parametrize(
    ("change", "errors"),
    [
        ({"hour": 24}, {"time.hour": ["Phải từ 0 đến 23."]}),
        ({"day": 30, "month": 2}, {"time.day": ["Ngày 30 tháng 2 năm 2023 không có thật."]}),
    ],
)
def test_a_meeting_time_that_does_not_exist_is_refused(
    documents: DocumentService, change: dict[str, int], errors: dict[str, list[str]]
) -> None:
    payload = load_sample(SAMPLES["giay_moi"])
    payload["time"].update(change)
    with pytest.raises(DocumentInvalid) as refused:
        documents.validate("giay_moi", payload)
    assert refused.value.errors == errors


@pytest.mark.parametrize(
    ("type_id", "subject"),
    [
        (
            "giay_gioi_thieu",
            "Giới thiệu ông (bà) Hoàng Thị Thu đến Phòng Tài chính - Kế hoạch huyện Chi Lăng",
        ),
        ("giay_nghi_phep", "Nghỉ phép năm 2023 của ông (bà) Lò Văn Minh"),
    ],
)
def test_a_form_without_a_subject_line_derives_the_registers_subject(
    documents: DocumentService, type_id: str, subject: str
) -> None:
    payload = load_sample(SAMPLES[type_id])
    assert payload["subject"] is None
    document = documents.load(type_id, payload)
    assert document.subject == subject
    assert document.metadata.title == f"{document.doc_type.name} {subject}"
    typed = documents.load(type_id, {**payload, "subject": "Trích yếu gõ tay"})
    assert typed.subject == "Trích yếu gõ tay"


@pytest.mark.parametrize("type_id", sorted(SAMPLES))
def test_docx_text_in_order(rendered_samples: dict[str, Any], type_id: str) -> None:
    assert texts(rendered_samples[SAMPLES[type_id]].docx) == TEXTS[type_id]


@pytest.mark.parametrize("type_id", sorted(SAMPLES))
def test_own_lines_are_body_paragraphs_with_regular_labels(
    rendered_samples: dict[str, Any], type_id: str
) -> None:
    found = {p.text: p for p in paragraphs(rendered_samples[SAMPLES[type_id]].docx)}
    labelled = [p for text, p in found.items() if re.match(r"(Địa điểm|Chức vụ|Thư ký \()", text)]
    assert labelled
    for paragraph in labelled:
        assert paragraph.style.name == "VBBody"
        assert all(not run.bold and not run.italic for run in paragraph.runs)
    subject_lines = [p for p in found.values() if p.style.name == "VBSubject" and p.text]
    assert bool(subject_lines) == (type_id in ("giay_moi", "bien_ban"))


def test_minutes_sign_secretary_left_and_chair_right_without_a_date_line(
    rendered_samples: dict[str, Any],
) -> None:
    document = docx.Document(io.BytesIO(rendered_samples[SAMPLES["bien_ban"]].docx))
    header, signatures = document.tables[0], document.tables[-1]
    assert [p.text for p in header.cell(1, 1).paragraphs] == [""]
    # Titles in one row, names in the next: the names share a line whatever the titles' lengths.
    assert [[[(p.text, p.style.name) for p in cell.paragraphs] for cell in row.cells]
            for row in signatures.rows] == [
        [[("THƯ KÝ", "VBSigner")], [("CHỦ TỌA", "VBSigner")]],
        [[("Lò Thị Lan", "VBSignerName")], [("Vương Văn Sơn", "VBSignerName")]],
    ]


def test_leave_is_confirmed_beside_the_signature_and_recipients_follow(
    rendered_samples: dict[str, Any],
) -> None:
    document = docx.Document(io.BytesIO(rendered_samples[SAMPLES["giay_nghi_phep"]].docx))
    signatures = document.tables[-1]
    confirmation, note = signatures.cell(0, 0).paragraphs
    assert confirmation.style.name == "VBSigner" and confirmation.style.font.bold
    assert note.text == "(Ký tên, đóng dấu)"
    assert note.runs[0].italic and note.runs[0].bold is False
    assert [p.text for p in signatures.cell(0, 1).paragraphs] == ["CHỦ TỊCH", "Vương Văn Sơn"]
    after = [(p.text, p.style.name) for p in document.paragraphs if p.text][-4:]
    assert after == [
        ("Nơi nhận:", "VBRecipientsHead"),
        ("- Ông Lò Văn Minh;", "VBRecipient"),
        ("- Văn phòng - Thống kê xã;", "VBRecipient"),
        ("- Lưu: VT.", "VBRecipient"),
    ]


def test_an_invitation_with_a_body_ends_its_body(documents: DocumentService) -> None:
    payload = load_sample(SAMPLES["giay_moi"])
    payload["body"] = [{"kind": "paragraph", "text": "Rất mong các đồng chí tham dự."}]
    lines = texts(documents.render("giay_moi", payload).docx)
    assert "Rất mong các đồng chí tham dự./." in lines
    assert lines[lines.index("Rất mong các đồng chí tham dự./.") - 1].endswith("đúng thời gian.")
    payload["end_mark"] = False
    assert "Rất mong các đồng chí tham dự." in texts(documents.render("giay_moi", payload).docx)


def test_a_single_invitee_stays_on_the_invitation_line(documents: DocumentService) -> None:
    payload = load_sample(SAMPLES["giay_moi"])
    payload["invitees"] = ["- Ông Hoàng Văn Hải, Trưởng thôn Khòn Cuống;"]
    lines = texts(documents.render("giay_moi", payload).docx)
    assert (
        "Ủy ban nhân dân xã Y Tịch trân trọng kính mời: Ông Hoàng Văn Hải, Trưởng thôn Khòn Cuống"
        in lines
    )


def test_form_line_helpers() -> None:
    assert form_parts.moment({"hour": 8, "minute": 0, "day": 5, "month": 2, "year": 2023}) == (
        "08 giờ 00 phút, ngày 05 tháng 02 năm 2023"
    )
    assert form_parts.numeric_date({"day": None, "month": 3, "year": 2023}) == "     /03/2023"
    assert form_parts.Line("Hà Nội./.", "Tại").ended() == form_parts.Line("Hà Nội./.", "Tại")
    assert form_parts.Line("thôn Nà Pe.", "Tại").ended().value == "thôn Nà Pe./."
    assert form_parts.labelled_list("Kính mời", ["A;", "", "B."]) == [
        form_parts.Line(label="Kính mời"),
        form_parts.Line("- A;"),
        form_parts.Line("- B."),
    ]


# The web form ----------------------------------------------------------------------------


OWN_INPUTS = {
    "giay_moi": ("invitees", "event", "time.hour", "time.minute", "venue", "chair", "requests"),
    "giay_gioi_thieu": ("person", "position", "sent_to", "purpose", "valid_until.day"),
    "giay_nghi_phep": ("request_date.day", "authority", "employee", "days", "start.day", "end.day"),
    "bien_ban": ("start_time.hour", "venue", "attendees", "chair", "secretary.title",
                 "secretary.name", "end_time.hour"),
}  # fmt: skip


@pytest.mark.parametrize("type_id", sorted(SAMPLES))
def test_form_preview_and_json_download(
    make_app: Any, documents: DocumentService, type_id: str
) -> None:
    client = signed_in(make_app(), "quantri", "quan_tri")
    page = client.get(f"/van-ban/{type_id}", headers=HTML).get_data(as_text=True)
    for name in OWN_INPUTS[type_id]:
        assert f'name="{name}"' in page, name
    for target in re.findall(r'<label for="([^"]+)"', page):
        assert f'id="{target}"' in page, target
    sample = load_sample(SAMPLES[type_id])
    catalog = documents.catalog
    flat = FormModel(catalog, catalog.get(type_id)).to_flat(sample)
    posted = {**flat, "csrf_token": csrf_of(page), "_action": "preview"}
    response = client.post(f"/van-ban/{type_id}", data=posted, headers=HTML)
    preview = response.get_data(as_text=True)
    assert response.status_code == 200, preview[:2000]
    link = re.search(r'href="/tai-ve/([^"/]+)\.pdf"', preview)
    assert link, "no PDF link on the preview"
    number = f"{sample['number']:02d}"
    pdf = client.get(f"/tai-ve/{link.group(1)}.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    name = f"{number}-{CODES[type_id]}-UBND-2023-xa-y-tich"
    assert f'filename="{name}.pdf"' in pdf.headers["Content-Disposition"]
    word = client.get(f"/tai-ve/{link.group(1)}.docx")
    assert f'filename="{name}.docx"' in word.headers["Content-Disposition"]
    assert texts(word.data) == TEXTS[type_id]
    download = client.get(f"/tai-ve/{link.group(1)}.json")
    assert download.status_code == 200 and download.mimetype == "application/json"
    back = json.loads(download.data)
    assert documents.validate(type_id, back) == documents.validate(type_id, sample)


def test_a_missing_own_field_is_shown_by_its_input(make_app: Any) -> None:
    client = signed_in(make_app(), "quantri", "quan_tri")
    page = client.get("/van-ban/bien_ban", headers=HTML).get_data(as_text=True)
    catalog = load_catalog()
    flat = FormModel(catalog, catalog.get("bien_ban")).to_flat(load_sample(SAMPLES["bien_ban"]))
    flat.update({"csrf_token": csrf_of(page), "_action": "preview", "secretary.name": ""})
    response = client.post("/van-ban/bien_ban", data=flat, headers=HTML)
    assert response.status_code == 422
    assert 'id="e-secretary.name" data-key="secretary.name">Không được để trống.' in (
        response.get_data(as_text=True)
    )


# Bulk ------------------------------------------------------------------------------------

OWN_COLUMN = {
    "giay_moi": ("venue", "Nhà văn hóa thôn {n}"),
    "giay_gioi_thieu": ("person", "Nguyễn Văn {n}"),
    "giay_nghi_phep": ("employee", "Hoàng Thị {n}"),
    "bien_ban": ("secretary.name", "Lý Thị {n}"),
}


@pytest.mark.parametrize("type_id", sorted(SAMPLES))
def test_bulk_table_check_takes_each_form_as_base(documents: DocumentService, type_id: str) -> None:
    column, value = OWN_COLUMN[type_id]
    rows = [
        {
            "commune": commune,
            "issuer.agency": f"Ủy ban nhân dân xã {commune}",
            "issuer.place": commune,
            "signer.name": signer,
            column: value.format(n=commune),
        }
        for commune, signer in (("Thất Khê", "Nông Văn Tài"), ("Chi Lăng", "Hà Thị Mai"))
    ]
    report = check_table(
        documents, type_id, bulk_base(SAMPLES[type_id]), Table(list(rows[0]), rows)
    )
    assert report.ok and not report.blocking, report.as_dict()
    assert report.as_dict()["valid_rows"] == 2


@pytest.mark.parametrize("type_id", sorted(SAMPLES))
def test_a_form_neither_asks_for_nor_takes_what_it_does_not_print(type_id: str) -> None:
    """Kính gửi and legal bases are left out of the form's fields, so the API refuses them."""
    names = {f.name for f in load_catalog().get(type_id).fields}
    assert {"kinh_gui", "legal_bases"} & names == set()
    assert {"intro", "body", "closing", "recipients"} <= names
    payload = {**load_sample(SAMPLES[type_id]), "kinh_gui": ["UBND huyện Chi Lăng"]}
    with pytest.raises(DocumentInvalid) as refused:
        DocumentService(None).load(type_id, payload)
    assert refused.value.errors == {"kinh_gui": ["Trường này không có trong mẫu văn bản."]}


def test_only_optional_shared_fields_can_be_omitted(tmp_path: Path) -> None:
    """A definition that omits a required shared field is refused when the catalog loads."""
    for name in ("_shared.yaml", "_layouts.yaml"):
        shutil.copy(FORMS_DIR / name, tmp_path / name)
    (tmp_path / "thu.yaml").write_text(
        "id: thu\nname: Kế hoạch\nlayout: named\nomit: [signer, kinh_gui]\n", encoding="utf-8"
    )
    with pytest.raises(DefinitionError) as refused:
        load_catalog(tmp_path)
    assert str(refused.value) == "thu.yaml: only optional shared fields can be omitted: ['signer']"


@pytest.mark.parametrize(
    ("type_id", "title"),
    [
        (
            "giay_gioi_thieu",
            "Giới thiệu ông (bà) Hoàng Thị Thu đến Phòng Tài chính - Kế hoạch huyện Chi Lăng",
        ),
        ("giay_nghi_phep", "Nghỉ phép năm 2023 của ông (bà) Lò Văn Minh"),
    ],
)
def test_a_job_from_a_form_without_subject_is_titled_as_the_register_would(
    tmp_path: Path, type_id: str, title: str
) -> None:
    """The job is named by the subject the type makes from its fields, as the register's entry."""
    from service.bulk.embedded import EmbeddedRunner
    from service.bulk.jobs import BulkJobs
    from service.bulk.work import BulkContext
    from service.store.database import Database
    from service.store.jobs import SqlJobStore
    from tests.conftest import copy_of_migrated
    from tests.fakes import FakeConverter

    base = load_sample(SAMPLES[type_id])
    table = Table(["commune"], [{"commune": "Xã Chi Lăng"}])
    database = Database(f"sqlite:///{copy_of_migrated(tmp_path / 'db.sqlite')}")
    ctx = BulkContext(SqlJobStore(database), DocumentService(FakeConverter()), tmp_path / "jobs")
    runner = EmbeddedRunner(ctx, workers=1)
    try:
        job_id = BulkJobs(ctx, runner).create(base, table, actor="t")
        assert (BulkJobs(ctx, runner).progress(job_id) or {})["title"] == title
    finally:
        runner.stop()
