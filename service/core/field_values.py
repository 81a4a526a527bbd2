"""Reading what a clerk typed, the Vietnamese way: numbers, dates, lists of lines, JSON.

A web form input and a spreadsheet cell are both text a clerk typed: `1.052` is one thousand
and fifty-two, `98,5` is ninety-eight and a half, `…/02/2023` is a date whose day is left for
the clerk's pen.
"""

from __future__ import annotations

import datetime
import json
import re
from typing import Any

from marshmallow import ValidationError

from service.core import vn

MESSAGES = {
    "required": "Cần nhập trường này.",
    "null": "Trường này không được để trống.",
    "string": "Phải là chuỗi ký tự.",
    "integer": "Phải là số nguyên.",
    "number": "Phải là một số.",
    "boolean": "Phải là có hoặc không (true/false).",
    "list": "Phải là một danh sách.",
    "object": "Phải là một đối tượng JSON.",
    "json": "Phải là JSON (cấu trúc của trường này).",
    "date": "Phải là ngày/tháng/năm, vd. 05/02/2023; để trống ngày hoặc tháng: …/02/2023.",
    "blank": "Không được để trống.",
    "range": "Phải từ {min} đến {max}.",
    "length": "Tối đa {max} ký tự.",
    "choice": "Phải là một trong: {choices}.",
    "pattern": "Chỉ gồm chữ cái và chữ số, không dấu cách.",
    "markup": "Trường này in đúng chữ như gõ, không nhận định dạng **đậm** hay ^[chú thích]: "
              "hãy bỏ các dấu ** và ^[ ].",
    "min_items": "Cần ít nhất {min} mục.",
    "max_items": "Tối đa {max} mục; hãy gộp bớt hoặc tách sang văn bản khác.",
    "kind": "Loại khối phải là một trong: {choices}.",
}

_WHOLE = re.compile(r"[+-]?\d+")
_GROUPED = re.compile(r"[+-]?\d{1,3}(?:\.\d{3})+")  # 1.052, -12.345.678: dots group thousands
_PART = r"\s*(\d{1,2})?[\s._…]*"  # a day or month: digits, or left blank with dots or spaces
_DATE_NUMBERS = re.compile(rf"{_PART}[/-]{_PART}[/-]\s*(\d{{4}})")
_DATE_WORDS = re.compile(rf"ngay{_PART}thang{_PART}nam\s*(\d{{4}})\.?")
_DATE_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
# Compared without case or diacritics. The words tables have always taken, and the ones
# marshmallow takes from JSON (t, y, on…): a form input this reader refuses is kept as
# typed for the schema, which must then refuse it too, with the same message.
TRUE_WORDS = frozenset({"1", "true", "x", "co", "yes", "dung", "on", "t", "y"})
FALSE_WORDS = frozenset({"0", "false", "khong", "no", "sai", "off", "f", "n"})


class FieldInvalid(ValueError):
    """Text that cannot be read as its field's type; the message is in Vietnamese."""


def as_text(value: Any) -> str:
    """A cell as text: a whole float from a spreadsheet loses its `.0`, a date is dd/mm/yyyy."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.date):
        return value.strftime("%d/%m/%Y")
    return "" if value is None else str(value)


def split_items(text: str, separator: str | None = None) -> list[str]:
    """Split on new lines, and on the separator if any; blank items are dropped."""
    pattern = r"\r?\n" if separator is None else rf"{re.escape(separator)}|\r?\n"
    return [p.strip() for p in re.split(pattern, vn.clean_text(text)) if p.strip()]


def read_decimal(text: str, message: str) -> int | float:
    """Read a number with Vietnamese separators: `1.234,5`, `1.052`; else a decimal point."""
    compact = "".join(text.split())
    if "," in compact:
        compact = compact.replace(".", "").replace(",", ".")
    elif _GROUPED.fullmatch(compact):
        compact = compact.replace(".", "")
    if _WHOLE.fullmatch(compact):
        return int(compact)  # exact, where a float would round long numbers
    try:
        return float(compact)
    except ValueError:
        raise FieldInvalid(message) from None


def read_date(text: str) -> dict[str, int | None]:
    """Read 05/02/2023, …/02/2023, 5-2-2023, 2023-02-05 or `ngày 05 tháng 02 năm 2023`."""
    compact = text.strip()
    iso = _DATE_ISO.fullmatch(compact)
    if iso:
        year, month, day = iso.groups()
    else:
        found = _DATE_NUMBERS.fullmatch(compact) or _DATE_WORDS.fullmatch(
            vn.strip_diacritics(compact).casefold()
        )
        if found is None:
            raise FieldInvalid(MESSAGES["date"])
        day, month, year = found.groups()
    return {
        "day": int(day) if day else None,
        "month": int(month) if month else None,
        "year": int(year),
    }


def read_json(value: Any) -> Any:
    """A structure from JSON text; structures from a JSON table pass as they are."""
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        raise FieldInvalid(MESSAGES["json"]) from None


def read_boolean(value: Any) -> bool:
    """Read có, Không, x, đúng, sai, true, 0…, ignoring case and diacritics."""
    if isinstance(value, bool):
        return value
    word = vn.strip_diacritics(as_text(value)).strip().casefold()
    if word in TRUE_WORDS or word in FALSE_WORDS:
        return word in TRUE_WORDS
    raise FieldInvalid(MESSAGES["boolean"])


# Bold (**…**) and footnotes (^[…]): what a clerk types meaning markup, never in plain text.
MARKUP = re.compile(r"\*\*[^*\n]+\*\*|\^\[[^\]]*\]")


def unmarked(value: str) -> None:
    """Refuse markup in a field that prints its text as typed."""
    if MARKUP.search(value or ""):
        raise ValidationError(MESSAGES["markup"])
