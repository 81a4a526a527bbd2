"""Unit tests for service.core.vn."""

from __future__ import annotations

import unicodedata
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest

from service.core.vn import (
    BLANK,
    TYPE_CODES,
    UnknownTypeName,
    alpha_label,
    ascii_slug,
    clean_text,
    date_line,
    date_short,
    day_str,
    format_number,
    format_percent,
    lower_vn,
    month_str,
    number_line,
    number_str,
    percent,
    roman,
    sentence_case,
    short_agency,
    strip_diacritics,
    symbol,
    type_code,
    unit_of,
    upper_vn,
)


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


# ----------------------------------------------------------------------- BLANK


def test_blank_is_five_ordinary_spaces() -> None:
    assert BLANK == "     "
    assert len(BLANK) == 5


# ------------------------------------------------------------------- day/month


@pytest.mark.parametrize(
    ("day", "expected"),
    [(d, f"0{d}") for d in range(1, 10)] + [(d, str(d)) for d in range(10, 32)],
)
def test_day_str_all_days(day: int, expected: str) -> None:
    assert day_str(day) == expected


@pytest.mark.parametrize(
    ("month", "expected"),
    [
        (1, "01"),
        (2, "02"),
        (3, "3"),
        (4, "4"),
        (5, "5"),
        (6, "6"),
        (7, "7"),
        (8, "8"),
        (9, "9"),
        (10, "10"),
        (11, "11"),
        (12, "12"),
    ],
)
def test_month_str_all_months(month: int, expected: str) -> None:
    assert month_str(month) == expected


def test_day_str_none_is_blank() -> None:
    assert day_str(None) == "     "


def test_month_str_none_is_blank() -> None:
    assert month_str(None) == "     "


@pytest.mark.parametrize("day", [0, -1, 32, 100])
def test_day_str_out_of_range(day: int) -> None:
    with pytest.raises(ValueError):
        day_str(day)


@pytest.mark.parametrize("month", [0, -1, 13])
def test_month_str_out_of_range(month: int) -> None:
    with pytest.raises(ValueError):
        month_str(month)


# ------------------------------------------------------------------- date_line


@pytest.mark.parametrize(
    ("place", "day", "month", "year", "expected"),
    [
        ("Y Tịch", 5, 2, 2023, "Y Tịch, ngày 05 tháng 02 năm 2023"),
        ("Thanh Lĩnh", 15, 5, 2023, "Thanh Lĩnh, ngày 15 tháng 5 năm 2023"),
        ("Hà Nội", 1, 1, 2024, "Hà Nội, ngày 01 tháng 01 năm 2024"),
        ("Hà Nội", 31, 12, 2024, "Hà Nội, ngày 31 tháng 12 năm 2024"),
        ("Phước Long", 9, 10, 2021, "Phước Long, ngày 09 tháng 10 năm 2021"),
        ("Phước Long", 10, 3, 2021, "Phước Long, ngày 10 tháng 3 năm 2021"),
        ("Huế", 29, 2, 2024, "Huế, ngày 29 tháng 02 năm 2024"),
        ("  Y Tịch ", 5, 2, 2023, "Y Tịch, ngày 05 tháng 02 năm 2023"),
    ],
)
def test_date_line(
    place: str, day: int | None, month: int | None, year: int, expected: str
) -> None:
    assert date_line(place, day, month, year) == expected


def test_date_line_blank_day() -> None:
    expected = "Y Tịch, ngày" + " " + BLANK + " " + "tháng 02 năm 2023"
    assert date_line("Y Tịch", None, 2, 2023) == expected
    assert date_line("Y Tịch", None, 2, 2023) == "Y Tịch, ngày       tháng 02 năm 2023"


def test_date_line_blank_day_and_month() -> None:
    expected = "Phước Long, ngày" + " " + BLANK + " tháng " + BLANK + " " + "năm 2021"
    assert date_line("Phước Long", None, None, 2021) == expected


def test_date_line_blank_month_only() -> None:
    assert date_line("Y Tịch", 5, None, 2023) == "Y Tịch, ngày 05 tháng " + BLANK + " năm 2023"


@pytest.mark.parametrize(
    ("day", "month", "year"),
    [
        (31, 2, 2023),
        (30, 2, 2024),
        (29, 2, 2023),
        (29, 2, 1900),
        (31, 4, 2023),
        (31, 6, 2023),
        (31, 9, 2023),
        (31, 11, 2023),
        (0, 1, 2023),
        (-3, 1, 2023),
        (32, 1, 2023),
        (1, 13, 2023),
        (1, 0, 2023),
        (None, 13, 2023),
        (None, 0, 2023),
        (32, None, 2023),
        (0, None, 2023),
        (1, 1, 0),
    ],
)
def test_date_line_invalid(day: int | None, month: int | None, year: int) -> None:
    with pytest.raises(ValueError):
        date_line("Y Tịch", day, month, year)


@pytest.mark.parametrize(("day", "month", "year"), [(29, 2, 2024), (29, 2, 2000), (31, None, 2023)])
def test_date_line_edge_valid(day: int, month: int | None, year: int) -> None:
    assert date_line("X", day, month, year).startswith(f"X, ngày {day} tháng")


# ------------------------------------------------------------------ date_short


@pytest.mark.parametrize(
    ("day", "month", "year", "expected"),
    [
        (5, 2, 2023, "ngày 05 tháng 02 năm 2023"),
        (15, 5, 2023, "ngày 15 tháng 5 năm 2023"),
        (1, 11, 2020, "ngày 01 tháng 11 năm 2020"),
        (None, 2, 2023, "ngày " + BLANK + " tháng 02 năm 2023"),
        (None, None, 2023, "ngày " + BLANK + " tháng " + BLANK + " năm 2023"),
    ],
)
def test_date_short(day: int | None, month: int | None, year: int, expected: str) -> None:
    assert date_short(day, month, year) == expected


def test_date_short_blank_literal() -> None:
    assert date_short(None, None, 2023) == "ngày       tháng       năm 2023"


@pytest.mark.parametrize(("day", "month"), [(31, 2), (30, 2), (0, 5), (1, 13), (40, None)])
def test_date_short_invalid(day: int | None, month: int | None) -> None:
    with pytest.raises(ValueError):
        date_short(day, month, 2023)


# ------------------------------------------------------------- number, symbol


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        (1, "01"),
        (5, "05"),
        (9, "09"),
        (10, "10"),
        (12, "12"),
        (99, "99"),
        (123, "123"),
        (1234, "1234"),
    ],
)
def test_number_str(number: int, expected: str) -> None:
    assert number_str(number) == expected


def test_number_str_none_is_blank() -> None:
    assert number_str(None) == "     "


@pytest.mark.parametrize("number", [0, -1])
def test_number_str_rejects_below_one(number: int) -> None:
    with pytest.raises(ValueError):
        number_str(number)


@pytest.mark.parametrize(
    ("number", "code", "expected"),
    [
        (5, "KH-UBND", "Số: 05/KH-UBND"),
        (12, "BC-UBND", "Số: 12/BC-UBND"),
        (123, "UBND-VX", "Số: 123/UBND-VX"),
        (None, "KH-UBND", "Số:" + " " + BLANK + "/KH-UBND"),
        (None, "QĐ-UBND", "Số:      /QĐ-UBND"),
    ],
)
def test_number_line(number: int | None, code: str, expected: str) -> None:
    assert number_line(number, code) == expected


@pytest.mark.parametrize(
    ("type_code_", "agency", "unit", "expected"),
    [
        ("KH", "UBND", None, "KH-UBND"),
        ("BC", "UBND", None, "BC-UBND"),
        ("QĐ", "UBND", None, "QĐ-UBND"),
        ("QyĐ", "UBND", None, "QyĐ-UBND"),
        ("CTr", "UBND", None, "CTr-UBND"),
        ("TTr", "UBND", None, "TTr-UBND"),
        ("TTr", "ubnd", None, "TTr-UBND"),
        ("KH", "UBND", "VX", "KH-UBND"),
        ("TB", "BLĐTBXH", None, "TB-BLĐTBXH"),
        ("TB", "blđtbxh", None, "TB-BLĐTBXH"),
        (None, "UBND", "VX", "UBND-VX"),
        (None, "UBND", "vhxh", "UBND-VHXH"),
        (None, "ubnd", "vx", "UBND-VX"),
        (None, "UBND", None, "UBND"),
        (None, "UBND", "", "UBND"),
        (None, " UBND ", " VX ", "UBND-VX"),
        (None, "LĐTBXH", "TE", "LĐTBXH-TE"),
        (None, "lđtbxh", "đt", "LĐTBXH-ĐT"),
    ],
)
def test_symbol(type_code_: str | None, agency: str, unit: str | None, expected: str) -> None:
    assert symbol(type_code_, agency, unit) == expected


def test_symbol_upper_cases_decomposed_agency() -> None:
    assert symbol(None, nfd("lđtbxh"), nfd("đt")) == "LĐTBXH-ĐT"


@pytest.mark.parametrize(
    ("type_code_", "agency", "unit"),
    [
        ("KH", "", None),
        ("KH", "   ", None),
        (None, "", "VX"),
        ("", "UBND", None),
        ("KH", "UB ND", None),
        ("KH", "UBND/X", None),
        (None, "UBND", "V X"),
    ],
)
def test_symbol_invalid(type_code_: str | None, agency: str, unit: str | None) -> None:
    with pytest.raises(ValueError):
        symbol(type_code_, agency, unit)


# ------------------------------------------------------------------ type codes

APPENDIX_III = {
    "Nghị quyết": "NQ",
    "Quyết định": "QĐ",
    "Chỉ thị": "CT",
    "Quy chế": "QC",
    "Quy định": "QyĐ",
    "Thông cáo": "TC",
    "Thông báo": "TB",
    "Hướng dẫn": "HD",
    "Chương trình": "CTr",
    "Kế hoạch": "KH",
    "Phương án": "PA",
    "Đề án": "ĐA",
    "Dự án": "DA",
    "Báo cáo": "BC",
    "Biên bản": "BB",
    "Tờ trình": "TTr",
    "Hợp đồng": "HĐ",
    "Công điện": "CĐ",
    "Bản ghi nhớ": "BGN",
    "Bản thỏa thuận": "BTT",
    "Giấy ủy quyền": "GUQ",
    "Giấy mời": "GM",
    "Giấy giới thiệu": "GGT",
    "Giấy nghỉ phép": "GNP",
    "Phiếu gửi": "PG",
    "Phiếu chuyển": "PC",
    "Phiếu báo": "PB",
}


def test_type_codes_is_the_full_appendix_iii_table() -> None:
    assert TYPE_CODES == APPENDIX_III
    assert len(TYPE_CODES) == 27


def test_type_codes_keys_are_nfc() -> None:
    assert all(unicodedata.is_normalized("NFC", key) for key in TYPE_CODES)


@pytest.mark.parametrize(("name", "code"), sorted(APPENDIX_III.items()))
def test_type_code_every_entry(name: str, code: str) -> None:
    assert type_code(name) == code


@pytest.mark.parametrize(("name", "code"), sorted(APPENDIX_III.items()))
def test_type_code_upper_case_and_decomposed(name: str, code: str) -> None:
    assert type_code(upper_vn(name)) == code
    assert type_code(nfd(name)) == code
    assert type_code(nfd(name.lower())) == code


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("KẾ HOẠCH", "KH"),
        ("kế hoạch", "KH"),
        ("Kế Hoạch", "KH"),
        ("  Kế   hoạch ", "KH"),
        ("QUYẾT ĐỊNH", "QĐ"),
        ("quyết định", "QĐ"),
        ("TỜ TRÌNH", "TTr"),
        ("Bản thoả thuận", "BTT"),
        ("Giấy uỷ quyền", "GUQ"),
        ("GIẤY UỶ QUYỀN", "GUQ"),
    ],
)
def test_type_code_variants(name: str, code: str) -> None:
    assert type_code(name) == code


@pytest.mark.parametrize("name", ["Công văn", "Ke hoach", "Kế hoạch xã", "", "KH", "Quyet dinh"])
def test_type_code_unknown(name: str) -> None:
    with pytest.raises(UnknownTypeName):
        type_code(name)


def test_unknown_type_name_is_a_key_error() -> None:
    with pytest.raises(KeyError) as info:
        type_code("Công văn")
    assert isinstance(info.value, UnknownTypeName)
    assert info.value.args == ("Công văn",)
    assert str(info.value) == "unknown document type name: 'Công văn'"


# ------------------------------------------------------------------------ case


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Ủy ban nhân dân xã Y Tịch", "ỦY BAN NHÂN DÂN XÃ Y TỊCH"),
        ("Cộng hòa xã hội chủ nghĩa Việt Nam", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"),
        ("đường ống", "ĐƯỜNG ỐNG"),
        ("ơ ư ă â ê ô", "Ơ Ư Ă Â Ê Ô"),
        ("ạ ả ã à á ặ ẳ ẵ ằ ắ", "Ạ Ả Ã À Á Ặ Ẳ Ẵ Ằ Ắ"),
        ("ỷ ỹ ỳ ý ỵ", "Ỷ Ỹ Ỳ Ý Ỵ"),
        ("hỏa tốc", "HỎA TỐC"),
        ("abc 123", "ABC 123"),
        ("", ""),
    ],
)
def test_upper_vn(text: str, expected: str) -> None:
    assert upper_vn(text) == expected


def test_upper_vn_decomposed_input_gives_precomposed() -> None:
    decomposed = nfd("Ủy ban nhân dân")
    assert decomposed != "Ủy ban nhân dân"
    result = upper_vn(decomposed)
    assert result == "ỦY BAN NHÂN DÂN"
    assert result[0] == "\u1ee6"
    assert len(result) == len("ỦY BAN NHÂN DÂN")


def test_upper_vn_decomposed_u_hook_above() -> None:
    assert upper_vn("U\u031bu\u0309") == "\u01afỦ"
    assert upper_vn("u\u0309y") == "ỦY"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ỦY BAN NHÂN DÂN", "ủy ban nhân dân"),
        ("ĐỘC LẬP", "độc lập"),
        ("Thanh Lĩnh", "thanh lĩnh"),
        (nfd("ỦY BAN"), "ủy ban"),
        ("", ""),
    ],
)
def test_lower_vn(text: str, expected: str) -> None:
    assert lower_vn(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("kế hoạch thực hiện", "Kế hoạch thực hiện"),
        ("ủy ban nhân dân xã Y Tịch", "Ủy ban nhân dân xã Y Tịch"),
        ("đề án", "Đề án"),
        ("Đã viết hoa", "Đã viết hoa"),
        ("kế hoạch UBND", "Kế hoạch UBND"),
        ("a", "A"),
        ("", ""),
        ("  kế hoạch", "  Kế hoạch"),
        ("“kế hoạch”", "“Kế hoạch”"),
        ("2023 kế hoạch", "2023 kế hoạch"),
        (nfd("ủy ban"), "Ủy ban"),
    ],
)
def test_sentence_case(text: str, expected: str) -> None:
    assert sentence_case(text) == expected


# --------------------------------------------------------------- format_number


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, "0"),
        (1, "1"),
        (12, "12"),
        (-12, "-12"),
        (999, "999"),
        (1000, "1.000"),
        (1234567, "1.234.567"),
        (-1234567, "-1.234.567"),
        (1234.5, "1.234,5"),
        (0.25, "0,25"),
        (-0.25, "-0,25"),
        (1.0, "1"),
        (1.10, "1,1"),
        (1.005, "1,01"),
        (2.675, "2,68"),
        (0.125, "0,13"),
        (0.001, "0"),
        (-0.001, "0"),
        (1e20, "100.000.000.000.000.000.000"),
        (1e-7, "0"),
        (123456789.987, "123.456.789,99"),
        (Decimal("1234567.50"), "1.234.567,5"),
        (Decimal("0.00"), "0"),
        (Decimal("-0"), "0"),
        (Decimal("1E+3"), "1.000"),
        (Decimal("12345678901234567890123456789.12"), "12.345.678.901.234.567.890.123.456.789,12"),
        (10**30, "1" + ".000" * 10),
    ],
)
def test_format_number_default(value: int | float | Decimal, expected: str) -> None:
    assert format_number(value) == expected


@pytest.mark.parametrize(
    ("value", "decimals", "expected"),
    [
        (1234.5, 2, "1.234,50"),
        (1234.5, 0, "1.235"),
        (1234.4, 0, "1.234"),
        (0.5, 0, "1"),
        (-0.5, 0, "-1"),
        (12, 2, "12,00"),
        (1 / 3, 3, "0,333"),
        (2 / 3, 4, "0,6667"),
        (Decimal("1.23456"), 4, "1,2346"),
        (-0.0001, 2, "0,00"),
        (1e-7, 8, "0,00000010"),
    ],
)
def test_format_number_with_decimals(
    value: int | float | Decimal, decimals: int, expected: str
) -> None:
    assert format_number(value, decimals) == expected


@pytest.mark.parametrize("value", [1e16, 1.5e-5, 123456789012345678901234567890.0, 1e100])
def test_format_number_never_scientific(value: float) -> None:
    text = format_number(value)
    assert "e" not in text.lower()
    assert "E" not in text


def test_format_number_huge_float_exact() -> None:
    assert format_number(1e100) == "10" + ".000" * 33


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf"), Decimal("NaN")])
def test_format_number_rejects_non_finite(value: float | Decimal) -> None:
    with pytest.raises(ValueError):
        format_number(value)


def test_format_number_rejects_negative_decimals() -> None:
    with pytest.raises(ValueError):
        format_number(1, -1)


@pytest.mark.parametrize("value", ["12", None, True])
def test_format_number_rejects_non_numbers(value: object) -> None:
    with pytest.raises(TypeError):
        format_number(value)  # type: ignore[arg-type]


# -------------------------------------------------------------- format_percent


@pytest.mark.parametrize(
    ("value", "decimals", "expected"),
    [
        (12.5, 1, "12,5%"),
        (100, 1, "100%"),
        (100.0, 1, "100%"),
        (Decimal("100.0"), 1, "100%"),
        (Decimal("33.333"), 1, "33,3%"),
        (12.25, 1, "12,3%"),
        (12.04, 1, "12%"),
        (0, 1, "0%"),
        (12.5, 0, "13%"),
        (12.345, 2, "12,35%"),
        (12.5, 2, "12,5%"),
        (1234.5, 1, "1.234,5%"),
        (-5.5, 1, "-5,5%"),
    ],
)
def test_format_percent(value: int | float | Decimal, decimals: int, expected: str) -> None:
    assert format_percent(value, decimals) == expected


def test_format_percent_default_one_decimal() -> None:
    assert format_percent(Decimal("66.666")) == "66,7%"


# ---------------------------------------------------------------------- percent


@pytest.mark.parametrize(
    ("achieved", "plan", "expected"),
    [
        (1, 3, Decimal("33.3")),
        (2, 3, Decimal("66.7")),
        (1, 8, Decimal("12.5")),
        (1, 16, Decimal("6.3")),
        (50, 100, Decimal("50.0")),
        (100, 100, Decimal("100.0")),
        (150, 100, Decimal("150.0")),
        (0, 7, Decimal("0.0")),
        (Decimal("12.5"), Decimal("50"), Decimal("25.0")),
        (0.1, 0.3, Decimal("33.3")),
        (7, 40, Decimal("17.5")),
        (-1, 4, Decimal("-25.0")),
        (1, 2000, Decimal("0.1")),
    ],
)
def test_percent(
    achieved: int | float | Decimal, plan: int | float | Decimal, expected: Decimal
) -> None:
    result = percent(achieved, plan)
    assert result == expected
    assert isinstance(result, Decimal)
    assert result is not None and result.as_tuple().exponent == -1


@pytest.mark.parametrize(
    ("achieved", "plan"),
    [(5, 0), (5, 0.0), (5, Decimal("0")), (5, None), (None, 5), (None, None)],
)
def test_percent_undefined(
    achieved: int | float | Decimal | None, plan: int | float | Decimal | None
) -> None:
    assert percent(achieved, plan) is None


def test_percent_half_up_not_bankers() -> None:
    # 1/400*100 = 0.25 exactly: half-up gives 0.3, banker's rounding would give 0.2.
    assert percent(1, 400) == Decimal("0.3")
    assert percent(3, 400) == Decimal("0.8")


def test_percent_feeds_format_percent() -> None:
    value = percent(1, 8)
    assert value is not None
    assert format_percent(value) == "12,5%"


# ---------------------------------------------------------------------- labels


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (1, "I"),
        (2, "II"),
        (3, "III"),
        (4, "IV"),
        (5, "V"),
        (6, "VI"),
        (9, "IX"),
        (10, "X"),
        (12, "XII"),
        (14, "XIV"),
        (19, "XIX"),
        (40, "XL"),
        (49, "XLIX"),
        (90, "XC"),
        (400, "CD"),
        (1994, "MCMXCIV"),
        (2023, "MMXXIII"),
        (3999, "MMMCMXCIX"),
    ],
)
def test_roman(n: int, expected: str) -> None:
    assert roman(n) == expected


@pytest.mark.parametrize("n", [0, -1, 4000])
def test_roman_out_of_range(n: int) -> None:
    with pytest.raises(ValueError):
        roman(n)


VN_ALPHABET = "a b c d đ e g h i k l m n o p q r s t u v x y".split()


@pytest.mark.parametrize(("n", "expected"), list(enumerate(VN_ALPHABET, start=1)))
def test_alpha_label(n: int, expected: str) -> None:
    assert alpha_label(n) == expected


@pytest.mark.parametrize(("n", "expected"), [(1, "a"), (5, "đ"), (6, "e"), (7, "g"), (23, "y")])
def test_alpha_label_known_positions(n: int, expected: str) -> None:
    assert alpha_label(n) == expected


def test_alpha_label_skips_f_j_w_z() -> None:
    labels = {alpha_label(n) for n in range(1, 24)}
    assert labels.isdisjoint({"f", "j", "w", "z"})
    assert len(labels) == 23


@pytest.mark.parametrize("n", [0, -1, 24, 100])
def test_alpha_label_out_of_range(n: int) -> None:
    with pytest.raises(ValueError):
        alpha_label(n)


# ------------------------------------------------------------------ ascii_slug


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Kế hoạch xã Y Tịch", "ke-hoach-xa-y-tich"),
        ("Đề án Đường Điện", "de-an-duong-dien"),
        ("đường", "duong"),
        ("Báo cáo 6 tháng năm 2023", "bao-cao-6-thang-nam-2023"),
        ("Số: 05/KH-UBND", "so-05-kh-ubnd"),
        ("  --Quyết   định!!  ", "quyet-dinh"),
        ("Ưu tiên ơ ă", "uu-tien-o-a"),
        ("ABC_def.docx", "abc-def-docx"),
        (nfd("Kế hoạch"), "ke-hoach"),
        ("Trẻ em 🎉 vui", "tre-em-vui"),
        ("", ""),
        ("!!!", ""),
    ],
)
def test_ascii_slug(text: str, expected: str) -> None:
    assert ascii_slug(text) == expected


def test_ascii_slug_is_ascii() -> None:
    assert ascii_slug("Ủy ban nhân dân huyện Chi Lăng — tỉnh Lạng Sơn").isascii()
    assert ascii_slug("Ủy ban nhân dân huyện Chi Lăng — tỉnh Lạng Sơn") == (
        "uy-ban-nhan-dan-huyen-chi-lang-tinh-lang-son"
    )


# ---------------------------------------------------------------- short_agency


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Ủy ban nhân dân xã Y Tịch", "UBND xã Y Tịch"),
        ("Ủy ban nhân dân huyện Chi Lăng", "UBND huyện Chi Lăng"),
        ("ỦY BAN NHÂN DÂN HUYỆN CHI LĂNG", "UBND HUYỆN CHI LĂNG"),
        ("ỦY BAN NHÂN DÂN XÃ Y TỊCH", "UBND XÃ Y TỊCH"),
        ("Uỷ ban nhân dân xã Thanh Lĩnh", "UBND xã Thanh Lĩnh"),
        ("ủy ban nhân dân phường 1", "UBND phường 1"),
        ("Ủy ban nhân dân", "UBND"),
        ("Hội đồng nhân dân tỉnh X", "HĐND tỉnh X"),
        ("HỘI ĐỒNG NHÂN DÂN TỈNH NGHỆ AN", "HĐND TỈNH NGHỆ AN"),
        ("Hội đồng nhân dân", "HĐND"),
        ("  Ủy ban nhân dân xã Y Tịch  ", "UBND xã Y Tịch"),
        ("Phòng Văn hóa và Thông tin", "Phòng Văn hóa và Thông tin"),
        ("Ủy ban Mặt trận Tổ quốc Việt Nam", "Ủy ban Mặt trận Tổ quốc Việt Nam"),
        ("UBND xã Y Tịch", "UBND xã Y Tịch"),
        ("Hội đồng thi đua", "Hội đồng thi đua"),
        ("Ủy ban nhân dânxã", "Ủy ban nhân dânxã"),
        ("", ""),
    ],
)
def test_short_agency(name: str, expected: str) -> None:
    assert short_agency(name) == expected


def test_short_agency_decomposed_input() -> None:
    assert short_agency(nfd("Ủy ban nhân dân xã Y Tịch")) == "UBND xã Y Tịch"


# --------------------------------------------------------------------- unit_of


@pytest.mark.parametrize(
    ("agency", "expected"),
    [
        ("Ủy ban nhân dân xã Y Tịch", ("xã", "Y Tịch")),
        ("UBND  XÃ Y TỊCH", ("xã", "Y TỊCH")),
        (nfd("Ủy ban nhân dân phường Đông Kinh"), ("phường", "Đông Kinh")),
        ("Ủy ban nhân dân thị xã Sơn Tây", ("thị xã", "Sơn Tây")),  # not the commune "Sơn Tây"
        ("Ủy ban nhân dân thị trấn Đồng Đăng", ("thị trấn", "Đồng Đăng")),
        ("Ủy ban nhân dân xã Xuân Phường", ("xã", "Xuân Phường")),  # the first kind names it
        ("Ủy ban nhân dân xã Y Tịch, huyện Chi Lăng", ("xã", "Y Tịch")),
        ("Hội Liên hiệp Phụ nữ xã Thất Khê (mới)", ("xã", "Thất Khê")),
        ("Ủy ban nhân dân đặc khu Phú Quốc", ("đặc khu", "Phú Quốc")),
        ("Ủy ban nhân dân xã", None),
        ("Ban Chỉ đạo Thất Khê", None),
    ],
)
def test_unit_of_an_agency(agency: str, expected: tuple[str, str] | None) -> None:
    assert unit_of(agency) == expected
    if expected is not None:
        assert str(unit_of(agency)) == " ".join(expected)


# ------------------------------------------------------------------ clean_text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Kế hoạch", "Kế hoạch"),
        ("a\tb\nc", "a\tb\nc"),
        ("a\r\nb", "a\nb"),
        ("a\rb", "a\nb"),
        ("a\r\n\r\nb\r", "a\n\nb\n"),
        ("a\x00b", "ab"),
        ("a\x01\x02\x03\x08b", "ab"),
        ("a\x0bb\x0cc", "abc"),
        ("a\x1bb\x1fc", "abc"),
        ("a\x7fb", "ab"),
        ("a\x80b\x85c\x9fd", "abcd"),
        ("a\ufffeb\uffffc", "abc"),
        ("a\ud800b\udfffc", "abc"),
        ("Trẻ em 😀 vui 🎉", "Trẻ em 😀 vui 🎉"),
        ("👨\u200d👩\u200d👧", "👨\u200d👩\u200d👧"),
        ("❤\ufe0f", "❤\ufe0f"),
        ("a\u00a0b", "a\u00a0b"),
        ("“trích dẫn” – dấu gạch", "“trích dẫn” – dấu gạch"),
        ("\ufffd", "\ufffd"),
        ("", ""),
    ],
)
def test_clean_text(text: str, expected: str) -> None:
    assert clean_text(text) == expected


def test_clean_text_nfc_normalises() -> None:
    decomposed = nfd("Ủy ban nhân dân xã Y Tịch")
    result = clean_text(decomposed)
    assert result == "Ủy ban nhân dân xã Y Tịch"
    assert unicodedata.is_normalized("NFC", result)


def test_clean_text_all_c0_and_c1_removed_except_tab_newline() -> None:
    controls = "".join(chr(c) for c in [*range(0x20), 0x7F, *range(0x80, 0xA0)])
    assert clean_text(f"x{controls}y") == "x\t\n\ny"


def test_clean_text_result_is_xml_safe() -> None:
    dirty = "Kế\x00 hoạch\x0b \ufffe\ud800 😀\r\n"
    element = ET.fromstring(f"<p>{clean_text(dirty)}</p>")
    assert element.text == "Kế hoạch  😀\n"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Nơi nhận: UBND xã Y Tịch", "Noi nhan: UBND xa Y Tich"),
        ("ĐẢNG ỦY – “Đồng”", "DANG UY – “Dong”"),  # other letters and marks stay
        ("ﬁ ½", "fi 1⁄2"),  # compatibility forms decomposed
        ("a\U0001D165\u0301b\U0001D400", "abA"),  # marks beyond the BMP go too
        ("", ""),
    ],
)
def test_strip_diacritics(text: str, expected: str) -> None:
    assert strip_diacritics(text) == expected
