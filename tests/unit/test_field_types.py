"""Text a clerk types reads the same in the web form and in a bulk table: numbers, yes/no, dates."""

from __future__ import annotations

import copy
import datetime
from typing import Any

import pytest

from service.bulk.check import row_problems
from service.bulk.overrides import apply_overrides
from service.core.definitions import DefinitionError, DocTypeDef, FieldDef, load_catalog
from service.core.documents import DocumentInvalid, DocumentService
from service.core.fields import TYPES, FieldInvalid, field_type, read_date, split_items
from service.core.form_model import FormModel
from tests.conftest import load_sample

CATALOG = load_catalog()
PLAN = CATALOG.get("ke_hoach")
# No real type has a number a table column can reach (indicator values sit inside the body's
# blocks), so this type is the plan plus one indicator row as a part: the same field definition.
CATALOG.types["so_lieu"] = DocTypeDef(
    id="so_lieu",
    name="Báo cáo",
    code="BC",
    layout=PLAN.layout,
    description="",
    blocks=PLAN.blocks,
    fields=(*PLAN.fields, FieldDef("chi_tieu", "part", label="Chỉ tiêu", part="indicator_row")),
)
SERVICE = DocumentService(None, CATALOG)
MODEL = FormModel(CATALOG, CATALOG.get("so_lieu"))
ROW = {"name": "Trẻ em được tiêm chủng", "unit": "%", "plan": 95, "achieved": 90.5, "note": ""}
BASE = {**load_sample("seed_000_ke_hoach_y_tich"), "doc_type": "so_lieu", "chi_tieu": ROW}
UNREADABLE = object()  # the form keeps the text for the schema; the table reports the cell
NUMBER_ERROR, INTEGER_ERROR = "Phải là một số.", "Phải là số nguyên."
BOOLEAN_ERROR = "Phải là có hoặc không (true/false)."
RANGE_ERROR = "Phải từ 1 đến 99.999."

# (column/input, form text, table cell, value both read, message both give after validation)
CASES: list[tuple[str, str, Any, Any, str | None]] = [
    ("chi_tieu.achieved", "1.052", "1.052", 1052, None),  # a dot groups thousands
    ("chi_tieu.achieved", "1.234,5", "1.234,5", 1234.5, None),
    ("chi_tieu.achieved", "98,5", "98,5", 98.5, None),  # the comma is the decimal sign
    ("chi_tieu.achieved", "98.5", "98.5", 98.5, None),  # no group of three: a decimal point
    ("chi_tieu.achieved", "-1.052", "-1.052", -1052, None),
    ("chi_tieu.achieved", " 1 052 ", " 1 052 ", 1052, None),
    ("chi_tieu.achieved", "-3", "-3", -3, None),
    ("chi_tieu.achieved", "1e5", "1e5", 100000, None),
    ("chi_tieu.achieved", "5", 5.0, 5, None),  # the spreadsheet's 5.0 is the form's 5
    ("chi_tieu.achieved", "1,052", 1.052, 1.052, None),  # a spreadsheet number stays a number
    ("chi_tieu.achieved", "abc", "abc", UNREADABLE, NUMBER_ERROR),
    ("chi_tieu.achieved", "1,2,3", "1,2,3", UNREADABLE, NUMBER_ERROR),
    ("chi_tieu.achieved", "nan", "nan", UNREADABLE, NUMBER_ERROR),
    ("number", "1.052", "1.052", 1052, None),
    ("number", "5.0", "5.0", 5, None),
    ("number", "5", 5.0, 5, None),
    ("number", "5,0", "5,0", 5, None),
    ("number", "-3", "-3", -3, RANGE_ERROR),
    ("number", "1e5", "1e5", 100000, RANGE_ERROR),
    ("number", "1,5", "1,5", UNREADABLE, INTEGER_ERROR),
    ("number", "1.5", "1.5", UNREADABLE, INTEGER_ERROR),
    ("number", "abc", "abc", UNREADABLE, INTEGER_ERROR),
    ("number", "có", "có", UNREADABLE, INTEGER_ERROR),
    ("date.day", "05", 5.0, 5, None),
    ("date.day", "31", "31", 31, "Ngày 31 tháng 2 năm 2023 không có thật."),
    ("end_mark", "có", "có", True, None),
    ("end_mark", "Không", "Không", False, None),
    ("end_mark", "x", "x", True, None),
    ("end_mark", "X", "X", True, None),
    ("end_mark", "ĐÚNG", "ĐÚNG", True, None),
    ("end_mark", "sai", "sai", False, None),
    ("end_mark", "khong", "khong", False, None),
    ("end_mark", "true", "true", True, None),
    ("end_mark", "False", "False", False, None),
    ("end_mark", "1", 1.0, True, None),
    ("end_mark", "0", 0, False, None),
    ("end_mark", "abc", "abc", UNREADABLE, BOOLEAN_ERROR),
    ("end_mark", "-3", "-3", UNREADABLE, BOOLEAN_ERROR),
    ("subject", "  Về việc *A* & <B> ", "  Về việc *A* & <B> ", "Về việc *A* & <B>", None),
    (
        "kinh_gui",
        "UBND huyện\n\n  Các phòng \r\n",
        "UBND huyện\nCác phòng",
        ["UBND huyện", "Các phòng"],
        None,
    ),
]


def same(got: Any, expected: Any) -> None:
    """Equal and of the same type: 1052 and 1052.0 are not the same reading."""
    assert (type(got), got) == (type(expected), expected)


def without(path: str) -> dict[str, Any]:
    """The base without the value at a dotted path: a value found there was read, not kept."""
    base = copy.deepcopy(BASE)
    *parents, last = path.split(".")
    holder = base
    for segment in parents:
        holder = holder[segment]
    del holder[last]
    return base


def at(document: dict[str, Any], path: str) -> Any:
    """The value at a dotted path (KeyError if there is none)."""
    value: Any = document
    for segment in path.split("."):
        value = value[segment]
    return value


def form_outcome(
    inputs: dict[str, str], base: dict[str, Any] = BASE
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The web form's payload for the base's inputs with these changed, and its errors by input."""
    converted = MODEL.to_payload({**MODEL.to_flat(base), **inputs})
    try:
        SERVICE.validate("so_lieu", converted.payload)
    except DocumentInvalid as exc:
        return converted.payload, converted.form_errors(exc.errors)
    return converted.payload, {}


def table_outcome(
    cells: dict[str, Any], base: dict[str, Any] = BASE
) -> tuple[dict[str, Any], dict[str, str], dict[str, str]]:
    """The bulk row's document, its cell errors, and the row's problems by column."""
    document, errors = apply_overrides(CATALOG, "so_lieu", base, cells)
    problems = row_problems(SERVICE, "so_lieu", base, {"commune": "Xã A", **cells}, 1)
    found = {p.column: p.message for p in problems}
    return document, {k: " ".join(v) for k, v in errors.items()}, found


@pytest.mark.parametrize(("key", "typed", "cell", "value", "message"), CASES)
def test_the_form_and_a_table_read_a_value_alike(
    key: str, typed: str, cell: Any, value: Any, message: str | None
) -> None:
    payload, form_errors = form_outcome({key: typed}, without(key))
    document, cell_errors, problems = table_outcome({key: cell}, without(key))
    if value is UNREADABLE:
        same(at(payload, key), typed.strip())  # kept as typed, for the schema to name
        assert cell_errors == {key: message}
        with pytest.raises(KeyError):
            at(document, key)  # nothing set
    else:
        same(at(payload, key), value)
        same(at(document, key), value)
        assert cell_errors == {}
    assert form_errors == ({key: [message]} if message else {})
    assert problems == ({key: message} if message else {})


# (form inputs for day, month, year; the `date` cell; the date both read)
DATES: list[tuple[tuple[str, str, str], Any, dict[str, int | None]]] = [
    (("", "02", "2023"), "…/02/2023", {"day": None, "month": 2, "year": 2023}),
    (("", "2", "2023"), "../2/2023", {"day": None, "month": 2, "year": 2023}),
    (("", "2", "2023"), "ngày      tháng 02 năm 2023", {"day": None, "month": 2, "year": 2023}),
    (("05", "", "2023"), "05/ /2023", {"day": 5, "month": None, "year": 2023}),
    (("", "", "2023"), "…/…/2023", {"day": None, "month": None, "year": 2023}),
    (("5", "2", "2023"), "05/02/2023", {"day": 5, "month": 2, "year": 2023}),
    (("5", "2", "2023"), "5-2-2023", {"day": 5, "month": 2, "year": 2023}),
    (("5", "2", "2023"), "2023-02-05", {"day": 5, "month": 2, "year": 2023}),
    (("5", "2", "2023"), "Ngay 5 thang 2 nam 2023", {"day": 5, "month": 2, "year": 2023}),
    (("5", "2", "2023"), datetime.date(2023, 2, 5), {"day": 5, "month": 2, "year": 2023}),
    (("5", "2", "2023"), datetime.datetime(2023, 2, 5), {"day": 5, "month": 2, "year": 2023}),
]


@pytest.mark.parametrize(("inputs", "cell", "value"), DATES)
def test_dates_with_a_blank_day_or_month_read_alike(
    inputs: tuple[str, str, str], cell: Any, value: dict[str, int | None]
) -> None:
    day, month, year = inputs
    payload, form_errors = form_outcome({"date.day": day, "date.month": month, "date.year": year})
    document, cell_errors, problems = table_outcome({"date": cell}, without("date"))
    assert payload["date"] == value and document["date"] == value
    assert form_errors == {} and cell_errors == {} and problems == {}


def test_an_impossible_date_gets_one_message_by_the_day_and_by_the_date_cell() -> None:
    _, form_errors = form_outcome({"date.day": "31", "date.month": "2", "date.year": "2023"})
    _, cell_errors, problems = table_outcome({"date": "31/02/2023"})
    message = "Ngày 31 tháng 2 năm 2023 không có thật."
    assert form_errors == {"date.day": [message]} and problems == {"date": message}
    assert cell_errors == {}


def test_a_date_cell_that_is_no_date_says_how_to_write_one() -> None:
    _, cell_errors, _ = table_outcome({"date": "tháng hai"})
    assert cell_errors == {
        "date": "Phải là ngày/tháng/năm, vd. 05/02/2023; để trống ngày hoặc tháng: …/02/2023."
    }
    _, cell_errors, _ = table_outcome({"date": '{"day": 5, "month": 2, "year": 2023}'})
    assert cell_errors == {}  # JSON, as before


def test_lists_split_on_new_lines_and_a_table_also_on_its_separator() -> None:
    # A textarea has lines, and an item may hold `;` (seed 000: "TT Đảng ủy (B/c); TT HĐND (B/c)");
    # a cell is split on the job's separator too, as a cell has no comfortable new lines.
    text = "Phòng VH-XH; Công an xã\n\n Lưu VT "
    payload, _ = form_outcome({"recipients": text})
    assert payload["recipients"] == ["Phòng VH-XH; Công an xã", "Lưu VT"]
    document, _, _ = table_outcome({"recipients": text})
    assert document["recipients"] == ["Phòng VH-XH", "Công an xã", "Lưu VT"]
    document, _ = apply_overrides(CATALOG, "so_lieu", BASE, {"recipients": text}, "|")
    assert document["recipients"] == ["Phòng VH-XH; Công an xã", "Lưu VT"]


def test_an_empty_input_clears_a_value_and_an_empty_cell_keeps_the_base() -> None:
    payload, _ = form_outcome({"chi_tieu.achieved": "", "end_mark": "", "number": "  "})
    assert payload["chi_tieu"]["achieved"] is None
    assert payload["end_mark"] is False and payload["number"] is None
    cells = {"chi_tieu.achieved": "", "end_mark": " ", "number": None}
    document, errors = apply_overrides(CATALOG, "so_lieu", {**BASE, "number": 7}, cells)
    assert document["chi_tieu"]["achieved"] == 90.5 and document["number"] == 7
    assert errors == {}


@pytest.mark.parametrize(
    ("kind", "value", "shown", "back"),
    [
        ("number", 1234567.5, "1234567,5", 1234567.5),
        ("number", 98.5, "98,5", 98.5),
        ("number", 0.1, "0,1", 0.1),
        ("number", -1.25, "-1,25", -1.25),
        ("number", 5.0, "5", 5),
        ("number", 1e20, "100000000000000000000", 10**20),
        ("number", 1052, "1052", 1052),
        ("integer", 2023, "2023", 2023),
        ("boolean", True, "1", True),
        ("boolean", False, None, False),
        ("line", "Xã Y Tịch", "Xã Y Tịch", "Xã Y Tịch"),
        ("line", None, None, None),
    ],
)
def test_what_the_form_shows_reads_back(
    kind: str, value: Any, shown: str | None, back: Any
) -> None:
    f = FieldDef("x", kind, nullable=True)
    assert field_type(f).show(f, value) == shown
    same(field_type(f).read(f, shown), back)


def test_lists_and_structures_show_what_reads_back() -> None:
    items = FieldDef("recipients", "list", item=FieldDef("item", "line"))
    assert field_type(items).show(items, ["A; B", "C"]) == "A; B\nC"
    assert field_type(items).read(items, "A; B\nC") == ["A; B", "C"]
    date = FieldDef("date", "part", part="doc_date")
    value = {"day": None, "month": 2, "year": 2023}
    assert field_type(date).read(date, field_type(date).show(date, value)) == value


def test_a_definition_takes_only_the_registered_field_types() -> None:
    """TYPES is the one registry: a field of another type is refused when the catalog loads."""
    with pytest.raises(DefinitionError, match="unknown field type 'date'"):
        FieldDef.parse({"name": "due", "type": "date"}, "x.yaml.due")
    catalog = load_catalog()
    groups = [*catalog.parts.values(), *catalog.blocks.values(), *catalog.types.values()]
    declared = [f for g in groups for f in g.fields]
    assert {f.type for f in declared} | {f.item.type for f in declared if f.item} <= set(TYPES)


def test_read_date_and_split_items_on_their_own() -> None:
    assert read_date(" 1/12/2024 ") == {"day": 1, "month": 12, "year": 2024}
    assert read_date("ngày … tháng … năm 2024") == {"day": None, "month": None, "year": 2024}
    for bad in ("5/2/23", "5/2", "5.2.2023", "ngày 5 tháng 2"):
        with pytest.raises(FieldInvalid):
            read_date(bad)
    assert split_items("a;b\r\nc;;", ";") == ["a", "b", "c"]
    assert split_items("a;b\r\nc") == ["a;b", "c"]
