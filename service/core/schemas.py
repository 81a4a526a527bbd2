"""Marshmallow schemas built from the definitions, with messages a clerk can act on."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validates_schema

from service.core.data_table import shape_problem
from service.core.definitions import Catalog, FieldDef, GroupDef
from service.core.fields import MESSAGES as FIELD_MESSAGES
from service.core.fields import field_type
from service.core.signer import authority_conflict, delegated

MESSAGES = {
    **FIELD_MESSAGES,
    "unknown": "Trường này không có trong mẫu văn bản.",
    "bad_date": "Ngày {day} tháng {month} năm {year} không có thật.",
    "head_title": "Cần nhập chức vụ người đứng đầu khi ký {mode}.",
}


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
    if delegated(data) and not data.get("head_title"):
        message = MESSAGES["head_title"].format(mode=data["mode"])
        raise ValidationError(message, "head_title")


def _check_authority(data: dict[str, Any]) -> None:
    """Refuse an authority line typed against the signature below it."""
    if data.get("authority") and data.get("signer") and data.get("issuer"):
        conflict = authority_conflict(data["authority"], data["signer"], data["issuer"]["agency"])
        if conflict:
            raise ValidationError(conflict, "authority")


def _check_table(data: dict[str, Any]) -> None:
    """Refuse a row whose cells do not match the columns, or a total of no figure column."""
    problem = shape_problem(data)
    if problem:
        raise ValidationError(problem)


CHECKS: dict[str, Callable[[dict[str, Any]], None]] = {
    "valid_date": _check_date,
    "signer_mode": _check_signer,
    "authority_signer": _check_authority,
    "table_shape": _check_table,
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
        group = GroupDef(doc.id, doc.name, doc.fields, doc.checks)
        return self._schema_class("doc", group, doc.blocks)

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

    def group(self, group: GroupDef) -> Schema:
        """Return a schema of some shared fields (a unit profile: issuer, signer, recipients)."""
        key = ("group", group.name)
        if key not in self._instances:
            self._instances[key] = self._schema_class("group", group, ())()
        return self._instances[key]

    def part_schema(self, name: str, kinds: tuple[str, ...]) -> type[Schema]:
        """Return the schema class of a part, for the block kinds of the document."""
        return self._schema_class("part", self.catalog.parts[name], kinds)

    def block_schema(self, kind: str, kinds: tuple[str, ...]) -> Schema:
        """Return the schema of a block kind, for the block kinds of the document."""
        key = (kind, kinds)
        if key not in self._instances:
            self._instances[key] = self._schema_class("block", self.catalog.blocks[kind], kinds)()
        return self._instances[key]

    def refuses_blank(self, f: FieldDef) -> bool:
        """Whether the field's form input left blank is refused: what the form marks required."""
        try:
            self._field(f, ()).deserialize(field_type(f).read(f, ""))
        except ValidationError:
            return True
        return False

    def _field(self, f: FieldDef, kinds: tuple[str, ...]) -> fields.Field:
        # A type's override may require a field the shared definition defaults (a decision's
        # body, a letter's addressees): required wins, or a missing one loads nothing at all.
        common: dict[str, Any] = {
            "required": f.required,
            "allow_none": f.nullable,
            "metadata": {"title": f.label, "description": f.help},
            "error_messages": {"required": MESSAGES["required"], "null": MESSAGES["null"]},
        }
        if not f.required:
            common["load_default"] = _default(f)
        return field_type(f).schema_field(f, self, kinds, common)


def _default(f: FieldDef) -> Any:
    """Return the load default, copying mutable ones per load."""
    if f.has_default:
        default = f.default
        if isinstance(default, list | dict):
            return lambda: type(default)(default)
        return default
    return field_type(f).load_default()


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
