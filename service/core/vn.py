"""Vietnamese text, number and date helpers following Decree 30/2020/NĐ-CP."""

from __future__ import annotations

import calendar
import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import NamedTuple

__all__ = [
    "BLANK",
    "LabelOutOfRange",
    "TYPE_CODES",
    "UNIT_KINDS",
    "Unit",
    "UnknownTypeName",
    "alpha_label",
    "ascii_slug",
    "clean_text",
    "date_line",
    "date_short",
    "day_str",
    "format_number",
    "format_percent",
    "lower_vn",
    "month_str",
    "number_line",
    "number_str",
    "percent",
    "roman",
    "search_key",
    "sentence_case",
    "short_agency",
    "symbol",
    "type_code",
    "unit_of",
    "upper_vn",
]

Number = int | float | Decimal

BLANK = " " * 5

TYPE_CODES: dict[str, str] = {
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


class UnknownTypeName(KeyError):
    """A document type name that Appendix III does not list."""

    def __str__(self) -> str:
        return f"unknown document type name: {self.args[0]!r}" if self.args else "unknown"


# Grave, acute, hook above, tilde, dot below: the five Vietnamese tone marks.
_TONE_MARKS = frozenset("\u0300\u0301\u0309\u0303\u0323")


def match_key(text: str) -> str:
    """Return a comparison key that ignores case, spacing and tone-mark placement."""
    # "thoả"/"thỏa" and "uỷ"/"ủy" are both in everyday use; moving each word's tone
    # mark to its end makes the old and the new placement compare equal.
    words = []
    for word in unicodedata.normalize("NFD", text.casefold()).split():
        tones = "".join(ch for ch in word if ch in _TONE_MARKS)
        words.append("".join(ch for ch in word if ch not in _TONE_MARKS) + tones)
    return " ".join(words)


_TYPE_KEYS: dict[str, str] = {match_key(name): code for name, code in TYPE_CODES.items()}


def day_str(day: int | None) -> str:
    """Format a day of the month: "05", "15"; None gives BLANK."""
    if day is None:
        return BLANK
    if not 1 <= day <= 31:
        raise ValueError(f"day out of range: {day}")
    return f"{day:02d}"


def month_str(month: int | None) -> str:
    """Format a month: "01", "02", then "3" … "12"; None gives BLANK."""
    if month is None:
        return BLANK
    if not 1 <= month <= 12:
        raise ValueError(f"month out of range: {month}")
    return f"{month:02d}" if month <= 2 else str(month)


def _check_date(day: int | None, month: int | None, year: int) -> None:
    """Raise ValueError unless the (possibly partly blank) date can exist."""
    if year < 1:
        raise ValueError(f"year out of range: {year}")
    if month is not None and not 1 <= month <= 12:
        raise ValueError(f"month out of range: {month}")
    if day is None:
        return
    last = calendar.monthrange(year, month)[1] if month is not None else 31
    if not 1 <= day <= last:
        raise ValueError(f"day out of range: {day} (month {month}, year {year})")


def date_short(day: int | None, month: int | None, year: int) -> str:
    """Return "ngày 05 tháng 02 năm 2023", with BLANK for a missing day or month."""
    _check_date(day, month, year)
    return f"ngày {day_str(day)} tháng {month_str(month)} năm {year}"


def date_line(place: str, day: int | None, month: int | None, year: int) -> str:
    """Return the header date line "Y Tịch, ngày 05 tháng 02 năm 2023"."""
    return f"{place.strip()}, {date_short(day, month, year)}"


def number_str(number: int | None) -> str:
    """Format a register number with a leading zero below 10; None gives BLANK."""
    if number is None:
        return BLANK
    if number < 1:
        raise ValueError(f"register number must be at least 1: {number}")
    return f"{number:02d}"


def number_line(number: int | None, symbol: str) -> str:
    """Return the header number line "Số: 05/KH-UBND"."""
    return f"Số: {number_str(number)}/{symbol}"


def type_code(type_name: str) -> str:
    """Return the Appendix III code of a document type name, e.g. "Kế hoạch" -> "KH"."""
    try:
        return _TYPE_KEYS[match_key(unicodedata.normalize("NFC", type_name))]
    except KeyError:
        raise UnknownTypeName(type_name) from None


def _code_part(code: str, what: str) -> str:
    """Return a validated, stripped symbol component."""
    code = unicodedata.normalize("NFC", code).strip()
    if not code:
        raise ValueError(f"{what} must not be empty")
    # A space or slash would make the number/symbol line ambiguous.
    if "/" in code or any(ch.isspace() for ch in code):
        raise ValueError(f"{what} must not contain spaces or '/': {code!r}")
    return code


def symbol(type_code: str | None, agency_code: str, unit_code: str | None = None) -> str:
    """Return "TYPE-AGENCY" for a named type, "AGENCY-UNIT" (or "AGENCY") for a letter."""
    agency = upper_vn(_code_part(agency_code, "agency code"))
    if type_code is not None:
        # Decree 30 gives named types no unit part, so a unit code is ignored here.
        return f"{_code_part(type_code, 'type code')}-{agency}"
    if unit_code is None or not unit_code.strip():
        return agency
    return f"{agency}-{upper_vn(_code_part(unit_code, 'unit code'))}"


def upper_vn(text: str) -> str:
    """Upper-case Vietnamese text, returning precomposed (NFC) characters."""
    return unicodedata.normalize("NFC", unicodedata.normalize("NFC", text).upper())


def lower_vn(text: str) -> str:
    """Lower-case Vietnamese text, returning precomposed (NFC) characters."""
    return unicodedata.normalize("NFC", unicodedata.normalize("NFC", text).lower())


def sentence_case(text: str) -> str:
    """Upper-case the first letter and keep the rest as given."""
    text = unicodedata.normalize("NFC", text)
    for i, ch in enumerate(text):
        if ch.isalpha():
            return text[:i] + upper_vn(ch) + text[i + 1 :]
        if ch.isdigit():
            return text
    return text


def _to_decimal(value: Number) -> Decimal:
    """Convert a number to a finite Decimal, floats via their shortest repr."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise TypeError(f"expected a number, got {type(value).__name__}")
    # str() of a float is its shortest round-trip form, so 2.675 stays 2.675.
    result = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    if not result.is_finite():
        raise ValueError(f"not a finite number: {value!r}")
    return result


def _round(value: Decimal, decimals: int) -> Decimal:
    """Round half-up to a number of decimals without running out of precision."""
    with localcontext() as ctx:
        ctx.prec = max(28, value.adjusted() + decimals + 3)
        return value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def _strip_zeros(text: str) -> str:
    """Drop trailing zeros after the decimal comma, and the comma if nothing is left."""
    if "," in text:
        text = text.rstrip("0").rstrip(",")
    return text


def format_number(value: int | float | Decimal, decimals: int | None = None) -> str:
    """Format a number Vietnamese-style: "1.234.567", "1.234,5", "0,25"."""
    if decimals is not None and decimals < 0:
        raise ValueError(f"decimals must not be negative: {decimals}")
    rounded = _round(_to_decimal(value), 2 if decimals is None else decimals)
    # copy_abs() is exact, unlike abs(), which rounds to the context's 28 digits.
    sign = "-" if rounded.is_signed() and not rounded.is_zero() else ""
    whole, _, frac = format(rounded.copy_abs(), "f").partition(".")
    grouped = f"{int(whole):,}".replace(",", ".")
    text = f"{sign}{grouped},{frac}" if frac else f"{sign}{grouped}"
    return _strip_zeros(text) if decimals is None else text


def format_percent(value: int | float | Decimal, decimals: int = 1) -> str:
    """Format a percentage: "12,5%", "100%"."""
    return f"{_strip_zeros(format_number(value, decimals))}%"


def percent(
    achieved: int | float | Decimal | None, plan: int | float | Decimal | None
) -> Decimal | None:
    """Return achieved/plan*100 rounded half-up to 1 decimal, or None if undefined."""
    if achieved is None or plan is None:
        return None
    plan_d = _to_decimal(plan)
    if plan_d.is_zero():
        return None
    return _round(_to_decimal(achieved) * 100 / plan_d, 1)


_ROMAN = (
    (1000, "M"),
    (900, "CM"),
    (500, "D"),
    (400, "CD"),
    (100, "C"),
    (90, "XC"),
    (50, "L"),
    (40, "XL"),
    (10, "X"),
    (9, "IX"),
    (5, "V"),
    (4, "IV"),
    (1, "I"),
)

_ALPHABET = tuple("a b c d đ e g h i k l m n o p q r s t u v x y".split())


class LabelOutOfRange(ValueError):
    """A numbering scheme has no label for this position (Roman past 3999, letters past y)."""


def roman(n: int) -> str:
    """Return the Roman numeral for 1-3999: "I", "IV", "XII"."""
    if not 1 <= n <= 3999:
        raise LabelOutOfRange(f"Roman numerals cover 1-3999, got {n}")
    parts = []
    for value, letters in _ROMAN:
        count, n = divmod(n, value)
        parts.append(letters * count)
    return "".join(parts)


def alpha_label(n: int) -> str:
    """Return the n-th (1-based) letter of the Vietnamese legal alphabet: a, b, … đ, … y."""
    if not 1 <= n <= len(_ALPHABET):
        raise LabelOutOfRange(f"list labels cover 1-{len(_ALPHABET)}, got {n}")
    return _ALPHABET[n - 1]


LANGUAGE = "vi-VN"


# The combining marks of the Basic Multilingual Plane, for one str.translate: a page's text
# loses them in a tenth of the time a test of each character takes.
_BMP_MARKS = dict.fromkeys(c for c in range(0x10000) if unicodedata.combining(chr(c)))


def strip_diacritics(text: str) -> str:
    """Drop Vietnamese diacritics (đ/Đ become d/D): "Tịch" -> "Tich"."""
    text = text.replace("đ", "d").replace("Đ", "D")
    stripped = unicodedata.normalize("NFKD", text).translate(_BMP_MARKS)
    if stripped.isascii() or max(stripped) <= "\uffff":
        return stripped
    return "".join(ch for ch in stripped if not unicodedata.combining(ch))  # marks beyond it


def search_key(text: str) -> str:
    """Lower-case ASCII with single spaces, for accent-insensitive search."""
    return re.sub(r"\s+", " ", strip_diacritics(text).lower()).strip()


def ascii_slug(text: str) -> str:
    """Return an ASCII file-name slug: "Kế hoạch xã Y Tịch" -> "ke-hoach-xa-y-tich"."""
    return re.sub(r"[^a-z0-9]+", "-", strip_diacritics(text).lower()).strip("-")


_AGENCY_ABBREVIATIONS = (
    (match_key("Ủy ban nhân dân"), "UBND"),
    (match_key("Hội đồng nhân dân"), "HĐND"),
)
_FOUR_WORDS = re.compile(r"\s*(\S+\s+\S+\s+\S+\s+\S+)(?:\s+(.*?))?\s*", re.DOTALL)


def short_agency(name: str) -> str:
    """Abbreviate a leading "Ủy ban nhân dân"/"Hội đồng nhân dân" to "UBND"/"HĐND"."""
    normalized = " ".join(unicodedata.normalize("NFC", name).split())
    match = _FOUR_WORDS.fullmatch(normalized)
    if match is None:
        return normalized
    head, rest = match.group(1), match.group(2)
    for key, abbreviation in _AGENCY_ABBREVIATIONS:
        if match_key(head) == key:
            return f"{abbreviation} {rest}" if rest else abbreviation
    return name


# Administrative units, two-word kinds first: "thị xã Sơn Tây" is a town, not a commune "Sơn Tây".
UNIT_KINDS = ("thành phố", "thị trấn", "thị xã", "đặc khu", "phường", "huyện", "quận", "tỉnh", "xã")
_UNIT = re.compile(r"(?<!\w)(" + "|".join(UNIT_KINDS) + r")\s+(\S.*)", re.IGNORECASE | re.DOTALL)
# What follows a unit's name in an agency's name: "xã Y Tịch, huyện Chi Lăng", "… (cũ)".
_NAME_END = re.compile(r"\s*[,;(]|\s+[-–]\s+")


class Unit(NamedTuple):
    """An administrative unit an agency names: its kind (lower case) and its proper name."""

    kind: str
    name: str

    def __str__(self) -> str:
        return f"{self.kind} {self.name}"


def unit_of(agency: str) -> Unit | None:
    """The first unit an agency names: "Ủy ban nhân dân xã Y Tịch" -> ("xã", "Y Tịch")."""
    match = _UNIT.search(" ".join(unicodedata.normalize("NFC", agency).split()))
    if match is None:
        return None
    name = _NAME_END.split(match.group(2), maxsplit=1)[0].strip()
    return Unit(lower_vn(match.group(1)), name) if name else None


# Control characters (Cc) other than tab and newline, lone surrogates and the two non-characters;
# then the bidirectional controls (marks, embeddings, overrides, isolates), which reorder what a
# reader sees ("gnp" RLO ".exe" prints as "exe.png") and which Vietnamese text never needs.
_FORBIDDEN = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff"
    "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)


def clean_text(text: str) -> str:
    """Normalise to NFC, unify newlines, drop characters Word rejects and direction controls."""
    text = _FORBIDDEN.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    return unicodedata.normalize("NFC", text)
