"""Field types: how each reads a clerk's text, shows a value back, checks JSON, describes itself.

A web form input and a spreadsheet cell are both text a clerk typed, so both are read here,
the Vietnamese way: `1.052` is one thousand and fifty-two, `98,5` is ninety-eight and a half,
`có`/`không` are yes and no, `…/02/2023` is a date whose day is left for the clerk's pen.
The JSON API receives typed JSON and is checked by the marshmallow field each type makes.
TYPES holds one object per type name of forms/*.yaml.
"""

from __future__ import annotations

import datetime
import functools
import json
import math
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Protocol

from marshmallow import Schema, ValidationError, validate
from marshmallow import fields as ma

from service.core import vn
from service.core.definitions import FieldDef

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
    "min_items": "Cần ít nhất {min} mục.",
    "max_items": "Tối đa {max} mục; hãy gộp bớt hoặc tách sang văn bản khác.",
    "kind": "Loại khối phải là một trong: {choices}.",
}
LINE_LIMIT = 1000
TEXT_LIMIT = 20000
# Beyond a commune's budget in đồng (10^12) with room to spare, and small enough that a table's
# totals and percentages stay finite: two values near the float maximum sum to infinity.
NUMBER_LIMIT = 10**15
# Items of one list or one level of blocks. Numbering runs out at 3.999 (Roman numerals); no
# real document comes near a thousand, and a request of thousands is an attack or a mistake.
ITEM_LIMIT = 1000
DATE_PART = "doc_date"  # the part a date cell fills; its day and month may be left blank
# Compared without case or diacritics. The words tables have always taken, and the ones
# marshmallow takes from JSON (t, y, on…): a form input this reader refuses is kept as
# typed for the schema, which must then refuse it too, with the same message.
TRUE_WORDS = frozenset({"1", "true", "x", "co", "yes", "dung", "on", "t", "y"})
FALSE_WORDS = frozenset({"0", "false", "khong", "no", "sai", "off", "f", "n"})

_WHOLE = re.compile(r"[+-]?\d+")
_GROUPED = re.compile(r"[+-]?\d{1,3}(?:\.\d{3})+")  # 1.052, -12.345.678: dots group thousands
_PART = r"\s*(\d{1,2})?[\s._…]*"  # a day or month: digits, or left blank with dots or spaces
_DATE_NUMBERS = re.compile(rf"{_PART}[/-]{_PART}[/-]\s*(\d{{4}})")
_DATE_WORDS = re.compile(rf"ngay{_PART}thang{_PART}nam\s*(\d{{4}})\.?")
_DATE_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")


class FieldInvalid(ValueError):
    """Text that cannot be read as its field's type; the message is in Vietnamese."""


class Nesting(Protocol):
    """The schemas a part or a blocks field nests, from the schema factory."""

    def part_schema(self, name: str, kinds: tuple[str, ...]) -> type[Schema]: ...

    def block_schema(self, kind: str, kinds: tuple[str, ...]) -> Schema: ...


class FieldType(ABC):
    """How the fields of one type read text, show values, check JSON and describe themselves."""

    described: ClassVar[tuple[str, ...]] = ()  # the definition's limits the API lists

    def read(self, f: FieldDef, value: Any, separator: str | None = None) -> Any:
        """Read a form input or a table cell; FieldInvalid when it cannot be read."""
        if value is None or (isinstance(value, str) and not value.strip()):
            return self.blank(f)
        return self.parse(f, value, separator)

    @abstractmethod
    def parse(self, f: FieldDef, value: Any, separator: str | None) -> Any:
        """Read a value that is not blank."""

    def blank(self, f: FieldDef) -> Any:
        """The value of an input left empty."""
        return None

    def show(self, f: FieldDef, value: Any) -> str | None:
        """The text an input shows for a value; None for no text at all."""
        return None if value is None else str(value)

    def structured(self, f: FieldDef) -> bool:
        """Whether values are structures: several form inputs, or JSON in one cell."""
        return False

    def load_default(self) -> Any:
        """marshmallow's value for a field missing from JSON that has no default of its own."""
        return None

    @abstractmethod
    def schema_field(
        self, f: FieldDef, nesting: Nesting, kinds: tuple[str, ...], options: dict[str, Any]
    ) -> ma.Field:
        """The marshmallow field checking JSON values; `options` are the schema's own."""

    def describe(self, f: FieldDef) -> dict[str, Any]:
        """The field as the API lists it: name, type, label, help, default and limits."""
        info: dict[str, Any] = {
            "name": f.name,
            "type": f.type,
            "label": f.label,
            "help": f.help,
            "required": f.required,
            "nullable": f.nullable,
        }
        if f.has_default:
            info["default"] = f.default
        for key in self.described:
            value = getattr(f, key)
            if value not in (None, ()):
                info[key] = list(value) if isinstance(value, tuple) else value
        return info


class TextType(FieldType):
    """Several lines of plain text."""

    described = ("max_length",)
    single_line: ClassVar[bool] = False
    limit: ClassVar[int] = TEXT_LIMIT

    def parse(self, f: FieldDef, value: Any, separator: str | None) -> str:
        """Text cleaned of characters Word rejects, without surrounding space."""
        return vn.clean_text(as_text(value)).strip()

    def blank(self, f: FieldDef) -> Any:
        """None where the field may be empty, else its default, else ''."""
        if f.nullable:
            return None
        return f.default if f.has_default else ""

    def schema_field(
        self, f: FieldDef, nesting: Nesting, kinds: tuple[str, ...], options: dict[str, Any]
    ) -> ma.Field:
        """A cleaned string within the length limit, not blank when required, of its pattern."""
        checks: list[Any] = [
            validate.Length(max=f.max_length or self.limit, error=MESSAGES["length"])
        ]
        if f.required:
            checks.append(validate.Length(min=1, error=MESSAGES["blank"]))
        if f.pattern:
            checks.append(validate.Regexp(re.compile(f.pattern), error=MESSAGES["pattern"]))
        options["error_messages"]["invalid"] = MESSAGES["string"]
        return CleanString(single_line=self.single_line, validate=checks, **options)


class LineType(TextType):
    """One line of text: the schema folds new lines and runs of spaces."""

    single_line = True
    limit = LINE_LIMIT


class RichType(TextType):
    """A paragraph with markup (**bold**, *italic*, ^[note]), kept as typed for the renderer."""


class ChoiceType(LineType):
    """One of the definition's options."""

    described = ("options",)

    def schema_field(
        self, f: FieldDef, nesting: Nesting, kinds: tuple[str, ...], options: dict[str, Any]
    ) -> ma.Field:
        """A cleaned string that is one of the options."""
        choices = ", ".join(str(o) for o in f.options)
        check = validate.OneOf(f.options, error=MESSAGES["choice"].format(choices=choices))
        options["error_messages"]["invalid"] = MESSAGES["string"]
        return CleanString(single_line=True, validate=[check], **options)


class NumberType(FieldType):
    """A number; whole values are read as int."""

    described = ("min", "max")
    integer: ClassVar[bool] = False

    def parse(self, f: FieldDef, value: Any, separator: str | None) -> int | float:
        """Read `1.052`, `1.234,5`, `98,5`, `-3`, `1e5` or a spreadsheet's number."""
        message = MESSAGES["integer" if self.integer else "number"]
        if isinstance(value, bool):
            raise FieldInvalid(message)
        if isinstance(value, int):
            return value
        number = value if isinstance(value, float) else _decimal(as_text(value), message)
        if isinstance(number, int):
            return number
        if not math.isfinite(number) or (self.integer and not number.is_integer()):
            raise FieldInvalid(message)
        return int(number) if number.is_integer() else number

    def show(self, f: FieldDef, value: Any) -> str | None:
        """A number as a clerk types it: `95,5`; whole floats without their `.0`."""
        if not isinstance(value, float) or not math.isfinite(value):
            return super().show(f, value)
        if value.is_integer():
            return str(int(value))
        # 15 digits: every digit a clerk typed, none of a float's binary noise.
        return format(value, ".15g").replace(".", ",")

    def schema_field(
        self, f: FieldDef, nesting: Nesting, kinds: tuple[str, ...], options: dict[str, Any]
    ) -> ma.Field:
        """A finite number within the definition's bounds and ±NUMBER_LIMIT."""
        bounds = _bounds(f)
        errors = options["error_messages"]
        errors["invalid"] = errors["special"] = MESSAGES["number"]
        errors["too_large"] = bounds.error  # a JSON integer too long to be a float
        return ma.Float(allow_nan=False, validate=[bounds], **options)


class IntegerType(NumberType):
    """A whole number: `1.052`, `5,0` and a spreadsheet's 5.0 are read; `1,5` is refused."""

    integer = True

    def schema_field(
        self, f: FieldDef, nesting: Nesting, kinds: tuple[str, ...], options: dict[str, Any]
    ) -> ma.Field:
        """A JSON integer (not 5.0, not "5") within the definition's bounds and ±NUMBER_LIMIT."""
        options["error_messages"]["invalid"] = MESSAGES["integer"]
        return ma.Integer(strict=True, validate=[_bounds(f)], **options)


class BooleanType(FieldType):
    """Yes or no: a checkbox in the form, có/không, x, true/false or 1/0 in a table."""

    def parse(self, f: FieldDef, value: Any, separator: str | None) -> bool:
        """Read có, Không, x, đúng, sai, true, 0…, ignoring case and diacritics."""
        if isinstance(value, bool):
            return value
        word = vn.strip_diacritics(as_text(value)).strip().casefold()
        if word in TRUE_WORDS or word in FALSE_WORDS:
            return word in TRUE_WORDS
        raise FieldInvalid(MESSAGES["boolean"])

    def blank(self, f: FieldDef) -> bool:
        """False: an unticked checkbox sends nothing."""
        return False

    def show(self, f: FieldDef, value: Any) -> str | None:
        """The ticked checkbox's value, or nothing."""
        return "1" if value else None

    def schema_field(
        self, f: FieldDef, nesting: Nesting, kinds: tuple[str, ...], options: dict[str, Any]
    ) -> ma.Field:
        """A JSON boolean (marshmallow also takes "true", "yes", 1…)."""
        options["error_messages"]["invalid"] = MESSAGES["boolean"]
        return ma.Boolean(**options)


class ListValued(FieldType):
    """A type whose values are lists: empty when blank or missing, with `min_items`."""

    described = ("min_items",)

    def blank(self, f: FieldDef) -> list[Any]:
        """No items."""
        return []

    def load_default(self) -> Any:
        """A new empty list for each load."""
        return list


class ListType(ListValued):
    """A list of `item`s: one item a line, or split on a table's separator too."""

    def parse(self, f: FieldDef, value: Any, separator: str | None) -> Any:
        """Each line's item (and each separated one); a list of structures as JSON."""
        item = _item(f)
        kind = field_type(item)
        if isinstance(value, list):
            return [kind.read(item, v, separator) for v in value]
        if kind.structured(item):
            return read_json(value)
        return [kind.read(item, text, separator) for text in split_items(as_text(value), separator)]

    def show(self, f: FieldDef, value: Any) -> str | None:
        """One item a line."""
        item = _item(f)
        return "\n".join(field_type(item).show(item, v) or "" for v in value or [])

    def structured(self, f: FieldDef) -> bool:
        """Whether the items are structures."""
        item = _item(f)
        return field_type(item).structured(item)

    def schema_field(
        self, f: FieldDef, nesting: Nesting, kinds: tuple[str, ...], options: dict[str, Any]
    ) -> ma.Field:
        """A JSON list of items, at least `min_items` of them and at most ITEM_LIMIT."""
        item = _item(f)
        options["error_messages"]["invalid"] = MESSAGES["list"]
        inner = field_type(item).schema_field(
            item, nesting, kinds, {"metadata": {}, "error_messages": {}}
        )
        return ma.List(inner, validate=_item_count(f), **options)

    def describe(self, f: FieldDef) -> dict[str, Any]:
        """The list's description with its item's."""
        item = _item(f)
        return {**super().describe(f), "item": field_type(item).describe(item)}


class StructureType(FieldType):
    """A structure: several inputs in the form, JSON in a table cell."""

    def parse(self, f: FieldDef, value: Any, separator: str | None) -> Any:
        """The structure from its JSON text."""
        return read_json(value)

    def show(self, f: FieldDef, value: Any) -> str | None:
        """The structure as JSON."""
        return None if value is None else json.dumps(value, ensure_ascii=False)

    def structured(self, f: FieldDef) -> bool:
        """Always."""
        return True


class PartType(StructureType):
    """An object with the fields of a part (issuer, signer, date…)."""

    described = ("part",)

    def parse(self, f: FieldDef, value: Any, separator: str | None) -> Any:
        """A date from a date cell or date text for the date part; else JSON."""
        if f.part == DATE_PART and isinstance(value, datetime.date):
            return {"day": value.day, "month": value.month, "year": value.year}
        if f.part == DATE_PART and isinstance(value, str) and not value.lstrip().startswith("{"):
            return read_date(value)
        return super().parse(f, value, separator)

    def schema_field(
        self, f: FieldDef, nesting: Nesting, kinds: tuple[str, ...], options: dict[str, Any]
    ) -> ma.Field:
        """The part's schema, nested."""
        assert f.part is not None
        options["error_messages"]["type"] = MESSAGES["object"]
        return ma.Nested(nesting.part_schema(f.part, kinds), **options)


class BlocksType(ListValued, StructureType):
    """The body: a list of the block kinds the document type allows."""

    def schema_field(
        self, f: FieldDef, nesting: Nesting, kinds: tuple[str, ...], options: dict[str, Any]
    ) -> ma.Field:
        """Blocks of the allowed kinds, at least `min_items` of them and at most ITEM_LIMIT."""
        resolve = functools.partial(nesting.block_schema, kinds=kinds)
        return Blocks(resolve, kinds, validate=_item_count(f), **options)


TYPES: dict[str, FieldType] = {
    "line": LineType(),
    "text": TextType(),
    "rich": RichType(),
    "choice": ChoiceType(),
    "integer": IntegerType(),
    "number": NumberType(),
    "boolean": BooleanType(),
    "list": ListType(),
    "part": PartType(),
    "blocks": BlocksType(),
}


def field_type(f: FieldDef) -> FieldType:
    """The type object of a field."""
    return TYPES[f.type]


def _item(f: FieldDef) -> FieldDef:
    """A list's item definition (every list has one: definitions checks it)."""
    assert f.item is not None
    return f.item


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


def _decimal(text: str, message: str) -> int | float:
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


class CleanString(ma.String):
    """A string with control characters removed and Unicode normalised; `line` folds whitespace."""

    def __init__(self, *, single_line: bool, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.single_line = single_line

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = vn.clean_text(super()._deserialize(value, attr, data, **kwargs))
        if self.single_line:
            text = " ".join(text.split())
        return text.strip()


class Blocks(ma.Field):
    """A list of body blocks, each loaded with the schema of its `kind`."""

    default_error_messages = {"invalid": MESSAGES["list"]}

    def __init__(self, resolve: Callable[[str], Schema], kinds: tuple[str, ...], **kwargs: Any):
        super().__init__(**kwargs)
        self.resolve = resolve
        self.kinds = kinds

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> list[Any]:
        if not isinstance(value, list):
            raise self.make_error("invalid")
        loaded: list[Any] = []
        errors: dict[int, Any] = {}
        for index, item in enumerate(value):
            if not isinstance(item, Mapping):
                errors[index] = [MESSAGES["object"]]
                continue
            kind = item.get("kind")
            if kind not in self.kinds:
                errors[index] = {"kind": [MESSAGES["kind"].format(choices=", ".join(self.kinds))]}
                continue
            rest = {k: v for k, v in item.items() if k != "kind"}
            try:
                loaded.append({"kind": kind, **self.resolve(kind).load(rest)})
            except ValidationError as exc:
                errors[index] = exc.messages
        if errors:
            raise ValidationError(errors)
        return loaded


def _bounds(f: FieldDef) -> validate.Range:
    """The definition's range within ±NUMBER_LIMIT, with a Vietnamese message naming it."""
    low = -NUMBER_LIMIT if f.min is None else max(f.min, -NUMBER_LIMIT)
    high = NUMBER_LIMIT if f.max is None else min(f.max, NUMBER_LIMIT)
    message = MESSAGES["range"].format(min=vn.format_number(low), max=vn.format_number(high))
    return validate.Range(min=low, max=high, error=message)


def _item_count(f: FieldDef) -> list[validate.Validator]:
    """At least the definition's `min_items` items, if it sets any, and at most ITEM_LIMIT."""
    most = MESSAGES["max_items"].format(max=vn.format_number(ITEM_LIMIT))
    checks: list[validate.Validator] = [validate.Length(max=ITEM_LIMIT, error=most)]
    if f.min_items:
        checks.append(validate.Length(min=f.min_items, error=MESSAGES["min_items"]))
    return checks
