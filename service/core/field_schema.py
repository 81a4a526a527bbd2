"""The marshmallow fields and limits the field types check JSON values with."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from marshmallow import Schema, ValidationError, validate
from marshmallow import fields as ma

from service.core import vn
from service.core.field_values import MESSAGES, unmarked

if TYPE_CHECKING:
    from service.core.definitions import FieldDef

LINE_LIMIT = 1000
TEXT_LIMIT = 20000
# Beyond a commune's budget in đồng (10^12) with room to spare, and small enough that a table's
# totals and percentages stay finite: two values near the float maximum sum to infinity.
NUMBER_LIMIT = 10**15
# Items of one list or one level of blocks. Numbering runs out at 3.999 (Roman numerals); no
# real document comes near a thousand, and a request of thousands is an attack or a mistake.
ITEM_LIMIT = 1000


class Nesting(Protocol):
    """The schemas a part or a blocks field nests, from the schema factory."""

    def part_schema(self, name: str, kinds: tuple[str, ...]) -> type[Schema]: ...

    def block_schema(self, kind: str, kinds: tuple[str, ...]) -> Schema: ...


class CleanString(ma.String):
    """A string with control characters removed and Unicode normalised; `line` folds whitespace,
    and with `keep_breaks` keeps the line breaks between the lines it folds."""

    def __init__(self, single_line: bool, keep_breaks: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.single_line = single_line
        self.keep_breaks = keep_breaks

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = vn.clean_text(super()._deserialize(value, attr, data, **kwargs))
        if self.single_line:
            lines = text.split("\n") if self.keep_breaks else [text]
            text = "\n".join(" ".join(line.split()) for line in lines if line.strip())
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


def text_checks(f: FieldDef, limit: int, *, marked: bool) -> list[Callable[[str], Any]]:
    """Within the length limit, not blank when required, of its pattern, unmarked if plain."""
    checks: list[Callable[[str], Any]] = [
        validate.Length(max=f.max_length or limit, error=MESSAGES["length"])
    ]
    if f.required:
        checks.append(validate.Length(min=1, error=MESSAGES["blank"]))
    if f.pattern:
        checks.append(validate.Regexp(re.compile(f.pattern), error=MESSAGES["pattern"]))
    if not marked:  # printed as typed: markup would print its stars
        checks.append(unmarked)
    return checks


def bounds(f: FieldDef) -> validate.Range:
    """The definition's range within ±NUMBER_LIMIT, with a Vietnamese message naming it."""
    low = -NUMBER_LIMIT if f.min is None else max(f.min, -NUMBER_LIMIT)
    high = NUMBER_LIMIT if f.max is None else min(f.max, NUMBER_LIMIT)
    message = MESSAGES["range"].format(min=vn.format_number(low), max=vn.format_number(high))
    return validate.Range(min=low, max=high, error=message)


def item_count(f: FieldDef) -> list[validate.Validator]:
    """At least the definition's `min_items` items, if it sets any, and at most ITEM_LIMIT."""
    most = MESSAGES["max_items"].format(max=vn.format_number(ITEM_LIMIT))
    checks: list[validate.Validator] = [validate.Length(max=ITEM_LIMIT, error=most)]
    if f.min_items:
        checks.append(validate.Length(min=f.min_items, error=MESSAGES["min_items"]))
    return checks
