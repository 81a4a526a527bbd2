"""Marshmallow schemas built from the definitions, with messages a clerk can act on."""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Mapping
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from service.core import vn
from service.core.definitions import Catalog, FieldDef, GroupDef

MESSAGES = {
    "required": "Cần nhập trường này.",
    "null": "Trường này không được để trống.",
    "unknown": "Trường này không có trong mẫu văn bản.",
    "string": "Phải là chuỗi ký tự.",
    "integer": "Phải là số nguyên.",
    "number": "Phải là một số.",
    "boolean": "Phải là true hoặc false.",
    "list": "Phải là một danh sách.",
    "object": "Phải là một đối tượng JSON.",
    "blank": "Không được để trống.",
    "range": "Phải từ {min} đến {max}.",
    "min": "Phải lớn hơn hoặc bằng {min}.",
    "max": "Phải nhỏ hơn hoặc bằng {max}.",
    "length": "Tối đa {max} ký tự.",
    "choice": "Phải là một trong: {choices}.",
    "pattern": "Chỉ gồm chữ cái và chữ số, không dấu cách.",
    "min_items": "Cần ít nhất {min} mục.",
    "kind": "Loại khối phải là một trong: {choices}.",
    "bad_date": "Ngày {day} tháng {month} năm {year} không có thật.",
    "head_title": "Cần nhập chức vụ người đứng đầu khi ký {mode}.",
}
LINE_LIMIT = 1000
TEXT_LIMIT = 20000


class CleanString(fields.String):
    """A string with control characters removed and Unicode normalised; `line` folds whitespace."""

    def __init__(self, *, single_line: bool, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.single_line = single_line

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = vn.clean_text(super()._deserialize(value, attr, data, **kwargs))
        if self.single_line:
            text = " ".join(text.split())
        return text.strip()


class Blocks(fields.Field):
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


class DocumentSchema(Schema):
    """Base of every generated schema: unknown fields are errors, checks run after loading."""

    error_messages = {"unknown": MESSAGES["unknown"], "type": MESSAGES["object"]}
    checks: tuple[str, ...] = ()

    class Meta:
        unknown = RAISE

    @validates_schema
    def _run_checks(self, data: dict[str, Any], **kwargs: Any) -> None:
        for name in self.checks:
            CHECKS[name](data)


def _check_date(data: dict[str, Any]) -> None:
    """Reject a day and month that do not exist in that year."""
    day, month, year = data.get("day"), data.get("month"), data.get("year")
    if day is None or month is None or year is None:
        return
    try:
        datetime.date(year, month, day)
    except ValueError:
        message = MESSAGES["bad_date"].format(day=day, month=month, year=year)
        raise ValidationError(message, "day") from None


def _check_signer(data: dict[str, Any]) -> None:
    """Require the head's title when a deputy or delegate signs."""
    mode = data.get("mode")
    if mode in {"KT", "TL", "TUQ"} and not data.get("head_title"):
        raise ValidationError(MESSAGES["head_title"].format(mode=mode), "head_title")


CHECKS: dict[str, Callable[[dict[str, Any]], None]] = {
    "valid_date": _check_date,
    "signer_mode": _check_signer,
}


class SchemaFactory:
    """Build and cache one schema per document type, part and block kind."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self._cache: dict[tuple[str, str, tuple[str, ...]], type[Schema]] = {}
        self._instances: dict[Any, Schema] = {}

    def document(self, type_id: str) -> Schema:
        """Return the schema of a document type (one instance per type: loading keeps no state)."""
        if type_id not in self._instances:
            self._instances[type_id] = self.document_class(type_id)()
        return self._instances[type_id]

    def document_class(self, type_id: str) -> type[Schema]:
        """Return the schema class of a document type (for the API docs)."""
        doc = self.catalog.get(type_id)
        return self._schema_class("doc", GroupDef(doc.id, doc.name, doc.fields), doc.blocks)

    def _schema_class(self, role: str, group: GroupDef, kinds: tuple[str, ...]) -> type[Schema]:
        # Parts without blocks are the same for every type; the rest depend on the allowed kinds.
        key = (role, group.name, kinds if role == "doc" or self._uses_blocks(group) else ())
        if key not in self._cache:
            name = _camel(group.name) + {"doc": "Document", "block": "Block"}.get(role, "")
            if key[2] and role != "doc":
                name += "For" + "".join(_camel(k) for k in kinds)
            attrs: dict[str, Any] = {"checks": group.checks}
            attrs.update({f.name: self._field(f, kinds) for f in group.fields})
            self._cache[key] = type(name, (DocumentSchema,), attrs)
        return self._cache[key]

    def _uses_blocks(self, group: GroupDef) -> bool:
        """Whether a part or block kind holds blocks, directly or through a part."""
        for f in group.fields:
            inner = f.item or f
            if inner.type == "blocks" or f.type == "blocks":
                return True
            if (
                inner.type == "part"
                and inner.part
                and self._uses_blocks(self.catalog.parts[inner.part])
            ):
                return True
        return False

    def _block(self, kind: str, kinds: tuple[str, ...]) -> Schema:
        key = (kind, kinds)
        if key not in self._instances:
            self._instances[key] = self._schema_class("block", self.catalog.blocks[kind], kinds)()
        return self._instances[key]

    def _field(self, f: FieldDef, kinds: tuple[str, ...]) -> fields.Field:
        common: dict[str, Any] = {
            "required": f.required and not f.has_default,
            "allow_none": f.nullable,
            "metadata": {"title": f.label, "description": f.help},
            "error_messages": {"required": MESSAGES["required"], "null": MESSAGES["null"]},
        }
        if not f.required:
            common["load_default"] = _default(f)
        return self._typed(f, kinds, common)

    def _typed(self, f: FieldDef, kinds: tuple[str, ...], common: dict[str, Any]) -> fields.Field:
        checks: list[Any] = []
        errors = common["error_messages"]
        if f.type in {"line", "text", "rich"}:
            limit = f.max_length or (LINE_LIMIT if f.type == "line" else TEXT_LIMIT)
            checks.append(validate.Length(max=limit, error=MESSAGES["length"]))
            if f.required:
                checks.append(validate.Length(min=1, error=MESSAGES["blank"]))
            if f.pattern:
                checks.append(validate.Regexp(re.compile(f.pattern), error=MESSAGES["pattern"]))
            errors["invalid"] = MESSAGES["string"]
            return CleanString(single_line=f.type == "line", validate=checks, **common)
        if f.type in {"integer", "number"}:
            if f.min is not None or f.max is not None:
                checks.append(_range(f.min, f.max))
            errors["invalid"] = MESSAGES[f.type]
            if f.type == "integer":
                return fields.Integer(strict=True, validate=checks, **common)
            return fields.Float(allow_nan=False, validate=checks, **common)
        if f.type == "boolean":
            errors["invalid"] = MESSAGES["boolean"]
            return fields.Boolean(**common)
        if f.type == "choice":
            choices = ", ".join(str(o) for o in f.options)
            checks.append(
                validate.OneOf(f.options, error=MESSAGES["choice"].format(choices=choices))
            )
            errors["invalid"] = MESSAGES["string"]
            return CleanString(single_line=True, validate=checks, **common)
        if f.type == "part":
            assert f.part is not None
            errors["type"] = MESSAGES["object"]
            part = self._schema_class("part", self.catalog.parts[f.part], kinds)
            return fields.Nested(part, **common)
        if f.type == "blocks":
            if f.min_items:
                checks.append(validate.Length(min=f.min_items, error=MESSAGES["min_items"]))
            return Blocks(lambda kind: self._block(kind, kinds), kinds, validate=checks, **common)
        assert f.item is not None
        if f.min_items:
            checks.append(validate.Length(min=f.min_items, error=MESSAGES["min_items"]))
        errors["invalid"] = MESSAGES["list"]
        inner = self._typed(f.item, kinds, {"metadata": {}, "error_messages": {}})
        return fields.List(inner, validate=checks, **common)


def _range(low: float | None, high: float | None) -> validate.Range:
    """A range check with a Vietnamese message that names the bounds."""
    if low is not None and high is not None:
        message = MESSAGES["range"].format(min=_num(low), max=_num(high))
    elif low is not None:
        message = MESSAGES["min"].format(min=_num(low))
    else:
        message = MESSAGES["max"].format(max=_num(high))
    return validate.Range(min=low, max=high, error=message)


def _num(value: float | None) -> str:
    """Print a bound without a needless decimal part."""
    return vn.format_number(value) if value is not None else ""


def _default(f: FieldDef) -> Any:
    """Return the load default, copying mutable ones per load."""
    if f.has_default:
        default = f.default
        if isinstance(default, list | dict):
            return lambda: type(default)(default)
        return default
    if f.type in {"list", "blocks"}:
        return list
    return None


def _camel(name: str) -> str:
    """snake_case → CamelCase for schema names in the API docs."""
    return "".join(part.capitalize() for part in name.split("_"))


def flatten_errors(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """Turn marshmallow's nested messages into {"body.0.title": [...]}."""
    flat: dict[str, list[str]] = {}
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            if key == "_schema":
                path = prefix or "_schema"
            for sub, msgs in flatten_errors(value, path).items():
                flat.setdefault(sub, []).extend(msgs)
    elif isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        flat[prefix] = list(messages)
    elif isinstance(messages, list):
        for index, value in enumerate(messages):
            flat.update(flatten_errors(value, f"{prefix}.{index}"))
    else:
        flat[prefix] = [str(messages)]
    return flat
