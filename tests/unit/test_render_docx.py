"""The rendered DOCX read back: page, styles, header, body, signer block, footnotes, appendices."""

from __future__ import annotations

import io
import shutil
import zipfile
from pathlib import Path

import docx
import pytest
from docx.shared import Pt
from lxml import etree

from service.core import form_parts
from service.core.definitions import FORMS_DIR, DefinitionError, load_catalog
from service.core.documents import DocumentService
from service.core.template_builder import (
    DOCUMENT_BUILDERS,
    FORM_SIGNATURES,
    TEMPLATE_FILES,
    TEMPLATES_DIR,
)
from service.core.vn import upper_vn
from tests.conftest import built_template, docx_text, load_sample, normalise, sample_names

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def walk(blocks: list[dict]) -> list[dict]:
    """Every block, depth first."""
    return [x for b in blocks for x in (b, *walk(b.get("body") or []))]


def open_docx(data: bytes) -> docx.document.Document:
    return docx.Document(io.BytesIO(data))


@pytest.mark.parametrize("name", sample_names())
def test_page_is_a4_with_decree_margins(rendered_samples, name: str) -> None:
    document = open_docx(rendered_samples[name].docx)
    first = document.sections[0]
    assert (round(first.page_width.mm), round(first.page_height.mm)) == (210, 297)
    assert 20 <= round(first.top_margin.mm) <= 25 and 20 <= round(first.bottom_margin.mm) <= 25
    assert 30 <= round(first.left_margin.mm) <= 35 and 15 <= round(first.right_margin.mm) <= 20
    assert first.different_first_page_header_footer, "no page number on page 1"
    header_xml = etree.tostring(first.header._element).decode()
    assert "PAGE" in header_xml


def test_styles_follow_decree_30(rendered_samples) -> None:
    styles = open_docx(rendered_samples["seed_000_ke_hoach_y_tich"].docx).styles
    normal = styles["Normal"]
    assert normal.font.name == "Times New Roman"
    body = styles["VBBody"]
    assert Pt(13) <= body.font.size <= Pt(14)
    assert body.paragraph_format.alignment == docx.enum.text.WD_ALIGN_PARAGRAPH.JUSTIFY
    assert round(body.paragraph_format.first_line_indent.mm, 1) in (10.0, 12.7)
    assert body.paragraph_format.space_before >= Pt(6)
    assert styles["VBHdrDate"].font.italic
    assert styles["VBTitle"].font.bold and styles["VBSubject"].font.bold
    head = styles["VBRecipientsHead"]
    assert head.font.bold and head.font.italic and head.font.size == Pt(12)
    assert styles["VBRecipient"].font.size == Pt(11)
    assert styles["VBSigner"].font.bold and styles["VBSignerName"].font.bold
    # 25–30 mm left for the signature and seal above the name.
    assert 25 <= styles["VBSignerName"].paragraph_format.space_before.mm <= 30
    assert not styles["VBBasis"].font.italic


def test_decision_bases_are_italic(rendered_samples) -> None:
    styles = open_docx(rendered_samples["quyet_dinh_thanh_lap_hoi_dong"].docx).styles
    assert styles["VBBasis"].font.italic


def test_header_table_of_seed_000(rendered_samples) -> None:
    document = open_docx(rendered_samples["seed_000_ke_hoach_y_tich"].docx)
    header = document.tables[0]
    left = [p.text for p in header.cell(0, 0).paragraphs]
    right = [p.text for p in header.cell(0, 1).paragraphs]
    assert left[:2] == ["UBND HUYỆN CHI LĂNG", "ỦY BAN NHÂN DÂN\nXÃ Y TỊCH"]
    assert right[:2] == ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc"]
    assert header.cell(1, 0).paragraphs[0].text == "Số:      /KH-UBND"
    assert header.cell(1, 1).paragraphs[0].text == "Y Tịch, ngày       tháng 02 năm 2023"
    rules = [
        p
        for p in (header.cell(0, 0).paragraphs + header.cell(0, 1).paragraphs)
        if p._p.find(f"{W}pPr/{W}pBdr/{W}top") is not None
    ]
    assert len(rules) == 2


def test_title_subject_and_signer_block(rendered_samples) -> None:
    document = open_docx(rendered_samples["seed_001_ke_hoach_thanh_linh"].docx)
    texts = [p.text for p in document.paragraphs]
    assert "KẾ HOẠCH" in texts
    assert "Thực hiện công tác trẻ em trên địa bàn xã Thanh Lĩnh năm 2023" in texts
    signature = document.tables[-1]
    assert [p.text for p in signature.cell(0, 1).paragraphs] == [
        "TM. ỦY BAN NHÂN DÂN",
        "KT. CHỦ TỊCH",
        "PHÓ CHỦ TỊCH",
        "Nguyễn Văn Hiến",
    ]
    recipients = [p.text for p in signature.cell(0, 0).paragraphs]
    assert recipients[0] == "Nơi nhận:"
    assert recipients[1] == "- Phòng Lao động - TB&XH (để b/c);"
    assert recipients[-1] == "- Lưu: VP."


def test_numbering_and_task_lines(rendered_samples) -> None:
    text = docx_text(rendered_samples["seed_001_ke_hoach_thanh_linh"].docx)
    for label in (
        "I. MỤC ĐÍCH, YÊU CẦU",
        "1. Mục đích",
        "a) Cụ thể hóa",
        "2.3.1. Tiếp tục",
        "2.3.5. Thực hiện hiệu quả",
        "Chủ trì: Công chức văn hóa",
        "Thời gian thực hiện: Tháng 11/2023",
    ):
        assert label in text


def test_footnote_is_a_real_footnote(rendered_samples) -> None:
    data = rendered_samples["seed_001_ke_hoach_thanh_linh"].docx
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        notes = etree.fromstring(archive.read("word/footnotes.xml"))
        body = archive.read("word/document.xml").decode()
    real = [n for n in notes.iter(f"{W}footnote") if n.get(f"{W}type") is None]
    assert len(real) == 1
    assert "Luật trẻ em năm 2016" in "".join(t.text for t in real[0].iter(f"{W}t"))
    assert f'w:footnoteReference w:id="{real[0].get(f"{W}id")}"' in body


def test_appendix_has_its_own_section_numbered_from_one(rendered_samples) -> None:
    rendered = rendered_samples["ke_hoach_phan_cong_phong_chong_duoi_nuoc"]
    document = open_docx(rendered.docx)
    assert len(document.sections) == 2
    appendix = document.sections[1]._sectPr
    assert appendix.find(f"{W}pgNumType").get(f"{W}start") == "1"
    text = docx_text(rendered.docx)
    assert "Phụ lục I" in text and "BẢNG PHÂN CÔNG NHIỆM VỤ THỰC HIỆN KẾ HOẠCH" in text
    assert "(Kèm theo Kế hoạch số 15/KH-UBND ngày 10 tháng 4 năm 2023 của UBND xã Y Tịch)" in text
    table = document.tables[-1]
    assert [c.text for c in table.rows[0].cells] == [
        "STT",
        "Nội dung nhiệm vụ",
        "Cơ quan chủ trì",
        "Cơ quan phối hợp",
        "Thời gian thực hiện",
        "Sản phẩm/Ghi chú",
    ]
    assert table.rows[0]._tr.find(f"{W}trPr/{W}tblHeader") is not None
    assert len(table.rows) == 13


def test_indicator_percentages_and_total(rendered_samples) -> None:
    payload = load_sample("bao_cao_ket_qua_tre_em_2023")
    document = open_docx(rendered_samples["bao_cao_ket_qua_tre_em_2023"].docx)
    tables = [t for t in document.tables if t.rows[0].cells[0].text == "STT"]
    blocks = [b for b in walk(payload["body"]) if b["kind"] == "indicators"]
    first_row = blocks[0]["rows"][0]
    cells = [c.text for c in tables[0].rows[1].cells]
    expected = round(first_row["achieved"] / first_row["plan"] * 100 + 1e-9, 1)
    assert cells[5] == f"{expected:.1f}".replace(".", ",")
    totalled = next(t for t, b in zip(tables, blocks, strict=True) if b["total"])
    last = [c.text for c in totalled.rows[-1].cells]
    block = next(b for b in blocks if b["total"])
    assert last[1] == "Tổng cộng"
    assert last[3] == f"{int(sum(r['plan'] for r in block['rows'])):,}".replace(",", ".")


def test_letter_and_decision_layouts(rendered_samples) -> None:
    letter = docx_text(rendered_samples["cong_van_de_nghi_ho_tro"].docx)
    assert "V/v đề nghị" in letter and "Kính gửi:" in letter and "Số: 85/UBND-VHXH" in letter
    decision = docx_text(rendered_samples["quyet_dinh_thanh_lap_hoi_dong"].docx)
    assert "QUYẾT ĐỊNH:" in decision and "Điều 1. " in decision and "Điều 3. " in decision
    authority = load_sample("quyet_dinh_thanh_lap_hoi_dong")["authority"]
    assert f"\n{upper_vn(authority)}\n" in decision
    assert "Độc lập - Tự do - Hạnh phúc" in decision


def test_special_characters_are_printed_literally(documents: DocumentService) -> None:
    payload = load_sample("edge_special_characters")
    nasty = "A & B <tag> \"q\" 'q' {{ 7*7 }} {% if true %}x{% endif %} 🎉 👶🏽 \u0007\u001b\u200f"
    payload["subject"] = nasty
    payload["body"] = [{"kind": "paragraph", "text": nasty}, {"kind": "section", "title": nasty}]
    payload["signer"]["name"] = nasty
    rendered = documents.render("ke_hoach", payload)
    with zipfile.ZipFile(io.BytesIO(rendered.docx)) as archive:
        etree.fromstring(archive.read("word/document.xml"))  # still well-formed XML
    text = docx_text(rendered.docx)
    literal = "A & B <tag> \"q\" 'q' {{ 7*7 }} {% if true %}x{% endif %} 🎉 👶🏽"
    assert text.count(literal) >= 3
    assert "49" not in text.replace("2024", "")
    # The right-to-left mark goes with the control characters: it could reorder what prints.
    assert "\u0007" not in text and "\u001b" not in text and "\u200f" not in text


def test_end_mark_added_once(documents: DocumentService) -> None:
    payload = load_sample("to_trinh_kinh_phi")
    payload["closing"] = ["Kính trình UBND huyện xem xét, phê duyệt."]
    text = docx_text(documents.render("to_trinh", payload).docx)
    assert "Kính trình UBND huyện xem xét, phê duyệt./." in text
    payload["closing"] = ["Kính trình./."]
    assert "Kính trình./." in normalise(docx_text(documents.render("to_trinh", payload).docx))


def test_end_mark_goes_on_the_last_line_inside_sections(documents: DocumentService) -> None:
    payload = load_sample("seed_000_ke_hoach_y_tich")
    payload["end_mark"], payload["closing"] = True, []
    tail = {"kind": "paragraph", "text": "Báo cáo kết quả trước ngày 15/12"}
    payload["body"][-1]["body"] = [{"kind": "section", "title": "Chế độ báo cáo", "body": [tail]}]
    lines = docx_text(documents.render("ke_hoach", payload).docx).split("\n")
    assert "Báo cáo kết quả trước ngày 15/12./." in lines
    payload["body"][-1]["body"] = [{"kind": "section", "title": "Rà soát", "deadline": "Quý IV"}]
    assert "Quý IV./." in docx_text(documents.render("ke_hoach", payload).docx)
    table = {"kind": "assignments", "rows": [{"task": "Rà soát", "lead": "Công an xã"}]}
    payload["body"][-1]["body"] = [table]
    assert "./." not in docx_text(documents.render("ke_hoach", payload).docx)


def test_a_typed_half_mark_is_completed_even_without_the_end_mark(
    documents: DocumentService,
) -> None:
    payload = load_sample("to_trinh_kinh_phi")
    payload["end_mark"], payload["closing"] = False, ["Kính trình UBND huyện xem xét./"]
    lines = docx_text(documents.render("to_trinh", payload).docx).split("\n")
    assert "Kính trình UBND huyện xem xét./." in lines
    payload["closing"] = ["Kính trình UBND huyện xem xét."]
    lines = docx_text(documents.render("to_trinh", payload).docx).split("\n")
    assert "Kính trình UBND huyện xem xét." in lines


def test_end_mark_goes_on_an_articles_last_point(documents: DocumentService) -> None:
    payload = load_sample("nghi_quyet_chu_truong_dau_tu")
    payload["body"] = [{**payload["body"][0], "clauses": [
        {"text": "Quy mô đầu tư:", "points": ["Nhà một tầng;", "Sân bê tông."]}]}]
    lines = docx_text(documents.render("nghi_quyet", payload).docx).split("\n")
    assert "b) Sân bê tông./." in lines


def test_document_properties(rendered_samples) -> None:
    props = open_docx(rendered_samples["seed_000_ke_hoach_y_tich"].docx).core_properties
    assert props.title.startswith("Kế hoạch Thực hiện xây dựng xã")
    assert props.author == "Ủy ban nhân dân xã Y Tịch"
    assert props.language == "vi-VN"


@pytest.mark.parametrize("name", sorted(TEMPLATE_FILES))
def test_committed_templates_match_the_builder(name: str) -> None:
    """doc_templates/ is regenerated through the builder, never edited by hand."""
    built = io.BytesIO(built_template(name))
    with zipfile.ZipFile(built) as fresh, zipfile.ZipFile(TEMPLATES_DIR / name) as committed:
        assert sorted(fresh.namelist()) == sorted(committed.namelist())
        assert "word/stylesWithEffects.xml" not in committed.namelist()
        for part in ("word/document.xml", "word/styles.xml", "word/footnotes.xml"):
            assert fresh.read(part) == committed.read(part), f"{name}:{part} is stale"


def test_numbered_item_without_body_is_a_plain_paragraph(documents: DocumentService) -> None:
    payload = load_sample("seed_000_ke_hoach_y_tich")
    payload["body"] = [
        {
            "kind": "section",
            "title": "Nội dung",
            "body": [
                {
                    "kind": "section",
                    "title": "Mục có nội dung",
                    "body": [{"kind": "paragraph", "text": "x"}],
                },
                {"kind": "section", "title": "Việc cần làm không có mục con"},
            ],
        }
    ]
    document = open_docx(documents.render("ke_hoach", payload).docx)
    by_text = {p.text: p for p in document.paragraphs}
    assert by_text["I. NỘI DUNG"].style.name == "VBHeading1"
    assert by_text["1. Mục có nội dung"].style.name == "VBHeading2"
    item = by_text["2. Việc cần làm không có mục con"]
    assert item.style.name == "VBBody" and not any(r.bold for r in item.runs)


def test_template_environment_is_sandboxed_and_escapes() -> None:
    from jinja2.exceptions import SecurityError

    from service.core.render import TemplateEnvironment

    env = TemplateEnvironment()
    assert env.from_string("{{ x }}").render(x="<w:t>&</w:t>") == "&lt;w:t&gt;&amp;&lt;/w:t&gt;"
    with pytest.raises(SecurityError):
        env.from_string("{{ x.__class__.__mro__[1].__subclasses__() }}").render(x="")
    assert env.from_string("{{ x }}") is env.from_string("{{ x }}")


def test_urgency_mark_is_framed_under_the_number(documents: DocumentService) -> None:
    payload = load_sample("cong_van_de_nghi_ho_tro")
    payload["urgency"] = "HỎA TỐC"
    cell = open_docx(documents.render("cong_van", payload).docx).tables[0].cell(1, 0)
    texts = [p.text for p in cell.paragraphs]
    assert texts[0] == "Số: 85/UBND-VHXH" and texts[1].startswith("V/v ")
    mark = cell.paragraphs[texts.index("HỎA TỐC")]
    borders = mark._p.find(f"{W}pPr/{W}pBdr")
    assert {b.tag.split("}")[1] for b in borders} == {"top", "left", "bottom", "right"}
    assert mark.style.font.bold


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Ủy ban nhân dân xã Y Tịch", "ỦY BAN NHÂN DÂN\nXÃ Y TỊCH"),
        ("Ủy ban nhân dân thị xã Phước Long", "ỦY BAN NHÂN DÂN\nTHỊ XÃ PHƯỚC LONG"),
        ("Ủy ban nhân dân", "ỦY BAN NHÂN DÂN"),
        ("Phòng Văn hóa và Thông tin", "PHÒNG VĂN HÓA VÀ THÔNG TIN"),
    ],
)
def test_header_agency_breaks_after_the_body_name(name: str, expected: str) -> None:
    from service.core.context import header_agency

    assert header_agency(name) == expected


def test_landscape_appendix_section(documents: DocumentService) -> None:
    payload = load_sample("ke_hoach_phan_cong_phong_chong_duoi_nuoc")
    payload["appendices"][0]["landscape"] = True
    payload["appendices"].append(
        {"title": "Danh sách điểm bơi", "body": [{"kind": "paragraph", "text": "Hồ bơi xã."}]}
    )
    document = open_docx(documents.render("ke_hoach", payload).docx)
    main, wide, tall = document.sections
    assert main.page_width < main.page_height
    assert wide.orientation == docx.enum.section.WD_ORIENT.LANDSCAPE
    assert wide.page_width > wide.page_height
    assert tall.page_width < tall.page_height
    for section in (wide, tall):
        assert section._sectPr.find(f"{W}pgNumType").get(f"{W}start") == "1"
    table = document.tables[-1]
    widths = sum(c.width for c in table.rows[1].cells)
    assert round(widths / 36000) == 252  # the landscape text width in mm
    assert "Phụ lục II" in docx_text(documents.render("ke_hoach", payload).docx)


def test_every_layout_names_a_builder_and_lines_that_exist() -> None:
    """forms/_layouts.yaml names code by name: each name resolves, or the catalog is wrong."""
    for layout in load_catalog().layouts.values():
        assert layout.builder in (*DOCUMENT_BUILDERS, "form"), layout.name
        assert layout.signature in FORM_SIGNATURES, layout.name
        assert not layout.lines or layout.lines in form_parts.LINES, layout.name


def test_a_layout_drawn_two_ways_is_refused(tmp_path: Path) -> None:
    """Two layouts of one template must draw it alike: the template is built once."""
    for name in ("_shared.yaml", "_layouts.yaml"):
        shutil.copy(FORMS_DIR / name, tmp_path / name)
    with (tmp_path / "_layouts.yaml").open("a", encoding="utf-8") as layouts:
        layouts.write("letter_again:\n  template: cong_van.docx\n  builder: named\n")
    with pytest.raises(DefinitionError, match="letter_again: draws cong_van.docx unlike letter"):
        load_catalog(tmp_path)
