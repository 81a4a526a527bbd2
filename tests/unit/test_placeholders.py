"""Placeholders `{name}`: filled from the built-ins and the columns, reported when unfilled."""

from __future__ import annotations

import pytest

from service.core import placeholders
from service.core.documents import DocumentInvalid
from tests.conftest import load_sample

BASE = load_sample("seed_000_ke_hoach_y_tich")


def test_fill_replaces_names_and_prints_doubled_braces_once() -> None:
    text = "UBND {ten_xa} giao {chu_tich}; mẫu {{ten_xa}} và }} {7*7} ${x y}"
    filled, missing = placeholders.fill_text(text, {"ten_xa": "xã A", "chu_tich": "Lò Văn B"})
    assert filled == "UBND xã A giao Lò Văn B; mẫu {ten_xa} và } {7*7} ${x y}"
    assert missing == []


def test_missing_and_empty_values_are_named_and_left_in_place() -> None:
    filled, missing = placeholders.fill_text("{a} {b} {a} {c}", {"b": "  ", "c": "C"})
    assert (filled, missing) == ("{a} {b} {a} C", ["a", "b"])


def test_builtins_come_from_the_document_and_the_commune_cell() -> None:
    values = placeholders.builtin_values(BASE)
    assert values == {
        "ten_xa": "xã Y Tịch",  # from issuer.agency_short "UBND xã Y Tịch"
        "dia_danh": "Y Tịch",
        "co_quan": "Ủy ban nhân dân xã Y Tịch",
        "co_quan_viet_tat": "UBND xã Y Tịch",
        "co_quan_cap_tren": "UBND huyện Chi Lăng",
        "chu_tich": "Vương Văn Sơn",
        "chuc_vu": "Chủ tịch",
    }
    assert placeholders.builtin_values(BASE, "Phường  Đông Kinh")["ten_xa"] == "phường Đông Kinh"


def test_columns_are_values_by_their_names_and_win_over_builtins() -> None:
    cells = {"commune": "Xã Thất Khê", "ten_thon": "Bản Piềng", "chu_tich": "", "ten_xa": None}
    values = placeholders.values_for_row(BASE, cells, "Xã Thất Khê")
    assert values["ten_thon"] == "Bản Piềng" and values["commune"] == "Xã Thất Khê"
    assert values["chu_tich"] == "Vương Văn Sơn"  # an empty cell keeps the built-in
    assert values["ten_xa"] == "xã Thất Khê"


def test_fill_document_walks_every_text_and_names_the_paths_left_unfilled() -> None:
    base = dict(BASE, intro=["UBND {ten_xa} xây dựng, {ten_thon}."], subject="Kế hoạch {{2023}}")
    assert placeholders.document_names(base) == {"intro.0": ["ten_xa", "ten_thon"]}
    filled, missing = placeholders.fill_document(base, {"ten_xa": "xã A"})
    assert filled["intro"] == ["UBND xã A xây dựng, {ten_thon}."]
    assert filled["subject"] == "Kế hoạch {2023}" and filled["doc_type"] == "ke_hoach"
    assert missing == {"intro.0": ["ten_thon"]}
    assert base["intro"] == ["UBND {ten_xa} xây dựng, {ten_thon}."]  # the base is untouched


def test_a_single_document_is_filled_from_its_own_unit_fields() -> None:
    base = dict(BASE, intro=["{co_quan} ({dia_danh}) giao {chuc_vu} {chu_tich}."])
    assert placeholders.fill_single(base)["intro"] == [
        "Ủy ban nhân dân xã Y Tịch (Y Tịch) giao Chủ tịch Vương Văn Sơn."
    ]
    unsigned = dict(base, signer=dict(BASE["signer"], name=""), closing="{ten_huyen}")
    with pytest.raises(DocumentInvalid) as refused:
        placeholders.fill_single(unsigned)
    assert refused.value.errors["intro.0"] == [
        "{chu_tich} lấy từ signer.name, trường này đang trống."
    ]
    assert refused.value.errors["closing"][0].startswith("{ten_huyen} không phải tên có sẵn (")
