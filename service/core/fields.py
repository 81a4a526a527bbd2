"""Field types: how each reads a clerk's text, shows a value back, checks JSON, describes itself.

A web form input and a spreadsheet cell are both text a clerk typed, so both are read the
Vietnamese way (`field_values`). The JSON API receives typed JSON and is checked by the
marshmallow field each type makes (`field_schema`). TYPES is the one registry of field types:
the names forms/*.yaml may use, and what the web form draws for each.
"""

from __future__ import annotations

import datetime
import functools
import json
import math
from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any, ClassVar

from marshmallow import fields as ma
from marshmallow import validate

from service.core import vn
from service.core.field_schema import (
    LINE_LIMIT,
    TEXT_LIMIT,
    Blocks,
    CleanString,
    Nesting,
    bounds,
    item_count,
    text_checks,
)
from service.core.field_values import (
    MESSAGES,
    FieldInvalid,
    as_text,
    read_boolean,
    read_date,
    read_decimal,
    read_json,
    split_items,
)

if TYPE_CHECKING:
    from service.core.definitions import FieldDef


DATE_PART = "doc_date"  # the part a date cell fills; its day and month may be left blank


class FieldType(ABC):
    """How the fields of one type read text, show values, check JSON and describe themselves."""

    described: ClassVar[tuple[str, ...]] = ()  # the definition's limits the API lists
    # What the web form draws: input, textarea, select, checkbox, part or blocks.
    widget: ClassVar[str] = "input"
    rows: ClassVar[int] = 0  # a textarea's lines
    input_mode: ClassVar[str] = ""  # the keyboard a phone shows for the input
    in_cell: ClassVar[bool] = False  # fits one cell of a table row
    hint: ClassVar[str] = ""  # said under the input
    marked: ClassVar[bool] = False  # takes **bold**, *italic* and ^[notes]

    def read(self, f: FieldDef, value: Any, separator: str | None = None) -> Any:
        """Read a form input or a table cell; FieldInvalid when it cannot be read."""
        if value is None or (isinstance(value, str) and not value.strip()):
            return self.blank(f)
        return self.parse(f, value, separator)

    @abstractmethod
    def parse(self, f: FieldDef, value: Any, separator: str | None) -> Any:
        """Read a value that is not blank."""

    def blank(self, f: FieldDef) -> Any:
        """The value of an input left empty: the default a JSON value left out would get."""
        return f.default if f.has_default and not f.nullable else None

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

    def form_widget(self, f: FieldDef) -> str:
        """What the web form draws for the field."""
        return self.widget

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
    keep_breaks: ClassVar[bool] = False
    limit: ClassVar[int] = TEXT_LIMIT
    widget, rows, in_cell = "textarea", 3, True

    def parse(self, f: FieldDef, value: Any, separator: str | None) -> str:
        """Text cleaned of characters Word rejects, without surrounding space."""
        return vn.clean_text(as_text(value)).strip()

    def blank(self, f: FieldDef) -> Any:
        """As any field's, but '' for a required text without a default."""
        return super().blank(f) if f.nullable or f.has_default else ""

    def schema_field(
        self, f: FieldDef, nesting: Nesting, kinds: tuple[str, ...], options: dict[str, Any]
    ) -> ma.Field:
        """A cleaned string within the length limit, not blank when required, of its pattern."""
        options["error_messages"]["invalid"] = MESSAGES["string"]
        checks = text_checks(f, self.limit, marked=self.marked)
        return CleanString(self.single_line, self.keep_breaks, validate=checks, **options)


class LineType(TextType):
    """One line of text: the schema folds new lines and runs of spaces."""

    single_line = True
    limit = LINE_LIMIT
    widget, rows = "input", 0


class NameType(LineType):
    """A name printed on one line, but for the header's line breaks (see Document.issuer)."""

    keep_breaks, widget, rows = True, "textarea", 2
    hint = "Nhấn Enter ở chỗ muốn xuống dòng trong tiêu đề; trong câu văn, tên in liền một dòng."


class RichType(TextType):
    """A paragraph with markup (**bold**, *italic*, ^[note]), kept as typed for the renderer."""

    rows, marked = 2, True


class ChoiceType(LineType):
    """One of the definition's options."""

    described = ("options",)
    widget, in_cell = "select", False

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
    input_mode, in_cell = "decimal", True

    def parse(self, f: FieldDef, value: Any, separator: str | None) -> int | float:
        """Read `1.052`, `1.234,5`, `98,5`, `-3`, `1e5` or a spreadsheet's number."""
        message = MESSAGES["integer" if self.integer else "number"]
        if isinstance(value, bool):
            raise FieldInvalid(message)
        if isinstance(value, int):
            return value
        number = value if isinstance(value, float) else read_decimal(as_text(value), message)
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
        within = bounds(f)
        errors = options["error_messages"]
        errors["invalid"] = errors["special"] = MESSAGES["number"]
        errors["too_large"] = within.error  # a JSON integer too long to be a float
        return ma.Float(allow_nan=False, validate=[within], **options)


class IntegerType(NumberType):
    """A whole number: `1.052`, `5,0` and a spreadsheet's 5.0 are read; `1,5` is refused."""

    integer = True
    input_mode = "numeric"

    def schema_field(
        self, f: FieldDef, nesting: Nesting, kinds: tuple[str, ...], options: dict[str, Any]
    ) -> ma.Field:
        """A JSON integer (not 5.0, not "5") within the definition's bounds and ±NUMBER_LIMIT."""
        options["error_messages"]["invalid"] = MESSAGES["integer"]
        return ma.Integer(strict=True, validate=[bounds(f)], **options)


class BooleanType(FieldType):
    """Yes or no: a checkbox in the form, có/không, x, true/false or 1/0 in a table."""

    widget = "checkbox"

    def parse(self, f: FieldDef, value: Any, separator: str | None) -> bool:
        """Read có, Không, x, đúng, sai, true, 0…, ignoring case and diacritics."""
        return read_boolean(value)

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

    widget, rows, hint = "textarea", 3, "Mỗi dòng một mục."

    def form_widget(self, f: FieldDef) -> str:
        """A list of parts is a list of fieldsets (`parts`); other lists one line an item."""
        return "parts" if _item(f).type == "part" else self.widget

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
        return ma.List(inner, validate=item_count(f), **options)

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
    widget = "part"

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

    widget = "blocks"

    def schema_field(
        self, f: FieldDef, nesting: Nesting, kinds: tuple[str, ...], options: dict[str, Any]
    ) -> ma.Field:
        """Blocks of the allowed kinds, at least `min_items` of them and at most ITEM_LIMIT."""
        resolve = functools.partial(nesting.block_schema, kinds=kinds)
        return Blocks(resolve, kinds, validate=item_count(f), **options)


TYPES: dict[str, FieldType] = {
    "line": LineType(),
    "name": NameType(),
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
