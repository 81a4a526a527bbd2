"""The form ↔ payload mapping (no Flask): outlines, round trips, error places, the clerk's count."""

from __future__ import annotations

import datetime

import pytest

from service.core.definitions import FieldDef, load_catalog
from service.core.documents import DocumentInvalid, DocumentService
from service.core.form_model import FormModel, prefill, read_input, typed_fields
from tests.conftest import load_sample, sample_names

CATALOG = load_catalog()
SERVICE = DocumentService(None, CATALOG)


def model(type_id: str) -> FormModel:
    return FormModel(CATALOG, CATALOG.get(type_id))


def test_outline_lines_become_paragraphs_bullets_and_sub_sections() -> None:
    blocks = model("ke_hoach").outline(
        "Mở đầu **đậm**.\n\n+ Mục đích\nNâng cao nhận thức.\n++ Chi tiết\n- Ý một\n"
        "+ Yêu cầu\n- Đúng *tiến độ*.\n\\- không phải gạch đầu dòng"
    )
    assert blocks == [
        {"kind": "paragraph", "text": "Mở đầu **đậm**."},
        {
            "kind": "section",
            "title": "Mục đích",
            "body": [
                {"kind": "paragraph", "text": "Nâng cao nhận thức."},
                {
                    "kind": "section",
                    "title": "Chi tiết",
                    "body": [{"kind": "bullet", "text": "Ý một"}],
                },
            ],
        },
        {
            "kind": "section",
            "title": "Yêu cầu",
            "body": [
                {"kind": "bullet", "text": "Đúng *tiến độ*."},
                {"kind": "paragraph", "text": "- không phải gạch đầu dòng"},
            ],
        },
    ]


def test_a_type_without_sub_sections_reads_plus_lines_as_bullets() -> None:
    quyet_dinh = model("quyet_dinh")
    assert "section" not in CATALOG.get("quyet_dinh").blocks
    assert quyet_dinh.outline("- a\n+ b\nc") == [
        {"kind": "bullet", "text": "a"},
        {"kind": "bullet", "text": "b"},
        {"kind": "paragraph", "text": "c"},
    ]


def test_bullets_pasted_from_word_become_bullets() -> None:
    blocks = model("ke_hoach").outline(
        "•\tTuyên truyền\n– Treo băng rôn\n* Phát loa\n*Nghiêng* đầu câu\n\\• giữ nguyên"
    )
    assert blocks == [
        {"kind": "bullet", "text": "Tuyên truyền"},
        {"kind": "bullet", "text": "Treo băng rôn"},
        {"kind": "bullet", "text": "Phát loa"},
        {"kind": "paragraph", "text": "*Nghiêng* đầu câu"},
        {"kind": "paragraph", "text": "• giữ nguyên"},
    ]


def test_a_paragraph_starting_like_a_word_bullet_survives_a_round_trip() -> None:
    ke_hoach = model("ke_hoach")
    blocks = [{"kind": "paragraph", "text": "• không phải gạch đầu dòng"}]
    flat = ke_hoach.to_flat({"body": blocks})
    assert flat["body.0.text"] == "\\• không phải gạch đầu dòng"
    assert ke_hoach.to_payload(flat).payload["body"] == blocks


@pytest.mark.parametrize("name", sample_names())
def test_every_sample_survives_the_form(name: str) -> None:
    payload = load_sample(name)
    form = model(payload["doc_type"])
    back = form.to_payload(form.to_flat(payload)).payload
    assert SERVICE.validate(payload["doc_type"], back) == SERVICE.validate(
        payload["doc_type"], payload
    )


def test_errors_land_on_the_inputs_that_made_them() -> None:
    form = model("ke_hoach")
    flat = {
        "subject": "",
        "body.0.kind": "section",
        "body.0.title": "Mục đích",
        "body.0.body_text": "+ \n+ Ý",
        "body.1.kind": "assignments",
        "body.1.rows.0.task": "Việc",
        "body.1.rows.0.lead": "",
        "date.year": "năm nay",
    }
    converted = form.to_payload(flat)
    with pytest.raises(DocumentInvalid) as failure:
        SERVICE.validate("ke_hoach", converted.payload)
    errors = converted.form_errors(failure.value.errors)
    assert errors["subject"] == ["Không được để trống."]
    assert errors["body.1.rows.0.lead"] == ["Không được để trống."]
    assert errors["date.year"] == ["Phải là số nguyên."]
    assert "issuer.agency" in errors and "signer.title" in errors


def test_numbers_typed_the_vietnamese_way() -> None:
    number, integer = FieldDef("plan", "number"), FieldDef("day", "integer")
    assert read_input(number, "1.052") == 1052
    assert read_input(number, "95,5") == 95.5
    assert read_input(number, "1.234,5") == 1234.5
    assert read_input(integer, "12") == 12
    # What cannot be read goes on as typed: the schema names the fault by the input.
    assert read_input(number, " nhiều ") == "nhiều"
    assert read_input(integer, "1,5") == "1,5"


def test_seed_000_needs_fewer_than_15_fields_with_a_unit_profile() -> None:
    """The clerk's path for seed 000: inputs changed from the prefilled form, counted."""
    seed = load_sample("seed_000_ke_hoach_y_tich")
    form = model("ke_hoach")
    profile = {name: seed[name] for name in ("issuer", "signer", "recipients", "archive")}
    # The plan was drafted in late February 2023 (after the district's plan of 27/02/2023).
    start = form.to_flat(prefill(form, profile, datetime.date(2023, 2, 27)))
    typed = typed_fields(start, form.to_flat(seed))
    print(f"\nseed 000: {len(typed)} fields to fill: {', '.join(typed)}")
    assert len(typed) < 15
    # Four sections, each a title and one outline box; the day cleared for signing.
    assert sum(key.startswith("body.") for key in typed) == 8
    assert "date.day" in typed and "issuer.agency" not in typed


def test_rows_of_short_fields_are_edited_as_tables_and_appendices_as_cards() -> None:
    from service.web.form_view import FormView

    view = FormView(model("ke_hoach"), {}, {}, has_unit=False, schemas=SERVICE.schemas)
    tables = {part: view.tabular(part) for part in view.list_parts()}
    assert tables == {"appendix": False, "assignment_row": True, "indicator_row": True,
                      "table_row": False}


@pytest.mark.parametrize(("type_id", "recipients"), [
    ("giay_gioi_thieu", ["Như trên"]), ("giay_nghi_phep", ["Như trên"]),
    ("ke_hoach", ["UBND huyện Chi Lăng (B/c)", "CT, PCT UBND xã"]),
])
def test_a_form_with_its_own_noi_nhan_starts_from_it_not_the_units(type_id, recipients) -> None:
    profile = {"recipients": ["UBND huyện Chi Lăng (B/c)", "CT, PCT UBND xã"], "archive": "VT"}
    payload = prefill(model(type_id), profile, datetime.date(2023, 2, 27))
    assert (payload["recipients"], payload["archive"]) == (recipients, "VT")


def test_a_blank_minute_is_on_the_hour_as_in_the_api() -> None:
    payload = load_sample("giay_moi_so_ket_quy_i")
    form = model("giay_moi")
    flat = {**form.to_flat(payload), "time.minute": ""}
    back = form.to_payload(flat).payload
    assert back["time"]["minute"] == 0
    assert SERVICE.validate("giay_moi", back)["time"]["minute"] == 0
    minute = next(f for f in SERVICE.catalog.parts["moment"].fields if f.name == "minute")
    assert not SERVICE.schemas.refuses_blank(minute)
