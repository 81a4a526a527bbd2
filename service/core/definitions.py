"""Document type definitions read from forms/*.yaml: layouts, fields, labels, help, defaults."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from service.core.fields import TYPES
from service.core.vn import type_code

FORMS_DIR = Path(__file__).resolve().parents[2] / "forms"


class DefinitionError(Exception):
    """A definition in forms/ is malformed."""


@dataclass(frozen=True)
class FieldDef:
    """One field of a part, a block kind or a document type."""

    name: str
    type: str
    label: str = ""
    help: str = ""
    required: bool = False
    nullable: bool = False
    default: Any = None
    has_default: bool = False
    options: tuple[Any, ...] = ()
    min: float | None = None
    max: float | None = None
    max_length: int | None = None
    min_items: int | None = None
    pattern: str | None = None
    item: FieldDef | None = None
    part: str | None = None

    @classmethod
    def parse(cls, raw: dict[str, Any], where: str) -> FieldDef:
        """Read a field from its YAML mapping."""
        kind = raw.get("type")
        if kind not in TYPES:
            raise DefinitionError(f"{where}: unknown field type {kind!r}")
        known = {f for f in cls.__dataclass_fields__} - {"has_default"}
        unknown = set(raw) - known
        if unknown:
            raise DefinitionError(f"{where}: unknown keys {sorted(unknown)}")
        values = dict(raw)
        values.setdefault("name", "item")
        values["has_default"] = "default" in raw
        if "options" in values:
            values["options"] = tuple(values["options"])
        if "item" in values:
            values["item"] = cls.parse(values["item"], f"{where}.item")
        if kind == "list" and values.get("item") is None:
            raise DefinitionError(f"{where}: a list needs an item type")
        if kind == "part" and not values.get("part"):
            raise DefinitionError(f"{where}: a part field needs `part`")
        return cls(**values)

    def with_overrides(self, changes: dict[str, Any]) -> FieldDef:
        """Return a copy with a type's overrides applied."""
        values = {**self.__dict__, **changes}
        if "default" in changes:
            values["has_default"] = True
        return FieldDef(**values)


@dataclass(frozen=True)
class GroupDef:
    """A named set of fields: a part (issuer, signer…) or a block kind (section, bullet…)."""

    name: str
    label: str
    fields: tuple[FieldDef, ...]
    checks: tuple[str, ...] = ()


@dataclass(frozen=True)
class LayoutDef:
    """A layout of forms/_layouts.yaml: its template, how it is drawn, the text it adds."""

    name: str
    template: str  # the file in doc_templates/ it fills
    builder: str  # how template_builder draws it: named, letter, decision, telegram or form
    subject: bool = True  # a form keeps the subject line under the title
    date_line: bool = True  # a form keeps the place and date in the header
    signature: str = "usual"  # a form's signature: usual, leave or minutes
    lines: str = ""  # a form's own labelled lines, by their name in form_parts
    enacting: str = "QUYẾT ĐỊNH:"  # the line before a decision's articles
    authority: str = "head"  # who the authority line names by default: head or agency

    def drawing(self) -> tuple[str, bool, bool, str]:
        """What the template's drawing depends on: layouts sharing a template agree on it."""
        return (self.builder, self.subject, self.date_line, self.signature)


@dataclass(frozen=True)
class DocTypeDef:
    """A document type: its name, type code, layout, allowed blocks and fields."""

    id: str
    name: str
    code: str | None
    layout: LayoutDef
    description: str
    blocks: tuple[str, ...]
    fields: tuple[FieldDef, ...]
    subject_from: str = ""  # how a type whose subject is optional makes one from its fields
    # The Nơi nhận the decree's form gives the type (Như trên), over the unit's usual list.
    recipients: tuple[str, ...] | None = None
    by_council: bool = False  # issued by the unit's Hội đồng nhân dân (a nghị quyết)
    checks: tuple[str, ...] = ()  # checks of the whole document (service.core.schemas.CHECKS)

    @property
    def template(self) -> str:
        """The file in doc_templates/ the type's layout fills."""
        return self.layout.template

    def derived_subject(self, data: dict[str, Any]) -> str:
        """The subject made from the type's own fields (the register's trích yếu)."""
        return self.subject_from.format_map(data) if self.subject_from else ""

    def subject_of(self, data: dict[str, Any]) -> str:
        """The subject typed, or the one the type makes from its fields."""
        return str(data.get("subject") or self.derived_subject(data))

    def describe(self) -> dict[str, Any]:
        """Summarise the type for listings."""
        return {
            "id": self.id,
            "name": self.name,
            "code": self.code,
            "description": self.description,
            "template": self.template,
            "blocks": list(self.blocks),
        }


@dataclass
class Catalog:
    """Every document type with the parts and block kinds they share."""

    parts: dict[str, GroupDef]
    blocks: dict[str, GroupDef]
    types: dict[str, DocTypeDef] = field(default_factory=dict)
    fields: tuple[FieldDef, ...] = ()  # every type's fields, as _shared.yaml declares them
    layouts: dict[str, LayoutDef] = field(default_factory=dict)

    def templates(self) -> dict[str, LayoutDef]:
        """Each template file with a layout that draws it (they all draw it the same way)."""
        drawn: dict[str, LayoutDef] = {}
        for layout in self.layouts.values():
            drawn.setdefault(layout.template, layout)
        return drawn

    def get(self, type_id: str) -> DocTypeDef:
        """Return a type by id or raise UnknownDocType."""
        try:
            return self.types[type_id]
        except KeyError:
            raise UnknownDocType(type_id) from None


class UnknownDocType(KeyError):
    """No definition in forms/ has this id."""


def _group(name: str, raw: dict[str, Any], where: str) -> GroupDef:
    """Read a part or block kind."""
    fields = tuple(FieldDef.parse(f, f"{where}.{f.get('name')}") for f in raw.get("fields", []))
    return GroupDef(name, raw.get("label", name), fields, tuple(raw.get("checks", ())))


def _layouts(raw: dict[str, Any]) -> dict[str, LayoutDef]:
    """Read forms/_layouts.yaml; layouts that share a template must draw it alike."""
    known = set(LayoutDef.__dataclass_fields__) - {"name"}
    layouts: dict[str, LayoutDef] = {}
    drawn: dict[str, LayoutDef] = {}
    for name, values in raw.items():
        where = f"_layouts.yaml: {name}"
        unknown = set(values) - known
        if unknown:
            raise DefinitionError(f"{where}: unknown keys {sorted(unknown)}")
        if "template" not in values or "builder" not in values:
            raise DefinitionError(f"{where}: a layout needs `template` and `builder`")
        layout = LayoutDef(name=name, **values)
        if layout.authority not in ("head", "agency"):
            raise DefinitionError(f"{where}: authority is head or agency")
        other = drawn.setdefault(layout.template, layout)
        if other.drawing() != layout.drawing():
            raise DefinitionError(f"{where}: draws {layout.template} unlike {other.name}")
        layouts[name] = layout
    return layouts


def load_catalog(forms_dir: Path = FORMS_DIR) -> Catalog:
    """Read forms/_shared.yaml, forms/_layouts.yaml and every type definition beside them."""
    shared = _read_yaml(forms_dir / "_shared.yaml")
    common = [FieldDef.parse(f, f"fields.{f['name']}") for f in shared["fields"]]
    catalog = Catalog(
        parts={n: _group(n, raw, f"parts.{n}") for n, raw in shared["parts"].items()},
        blocks={n: _group(n, raw, f"blocks.{n}") for n, raw in shared["blocks"].items()},
        fields=tuple(common),
        layouts=_layouts(_read_yaml(forms_dir / "_layouts.yaml")),
    )
    for path in sorted(forms_dir.glob("[!_]*.yaml")):
        raw = _read_yaml(path)
        where = path.name
        if raw.get("id") != path.stem:
            raise DefinitionError(f"{where}: id must be the file name ({path.stem})")
        for name, part in raw.get("parts", {}).items():  # parts of this type alone
            if name in catalog.parts:
                raise DefinitionError(f"{where}: part {name!r} is already declared")
            catalog.parts[name] = _group(name, part, f"{where}.parts.{name}")
        overrides = raw.get("overrides", {})
        unknown = set(overrides) - {f.name for f in common}
        if unknown:
            raise DefinitionError(f"{where}: overrides of unknown fields {sorted(unknown)}")
        omitted = _omitted(raw.get("omit", []), common, where)
        own = [FieldDef.parse(f, f"{where}.{f.get('name')}") for f in raw.get("fields", [])]
        merged = [
            f.with_overrides(overrides.get(f.name, {})) for f in common if f.name not in omitted
        ] + own
        blocks = tuple(raw.get("blocks", ()))
        missing = set(blocks) - set(catalog.blocks)
        if missing:
            raise DefinitionError(f"{where}: unknown block kinds {sorted(missing)}")
        if raw.get("layout") not in catalog.layouts:
            raise DefinitionError(f"{where}: unknown layout {raw.get('layout')!r}")
        code = raw["code"] if "code" in raw else type_code(raw["name"])
        catalog.types[path.stem] = DocTypeDef(
            id=path.stem,
            name=raw["name"],
            code=code,
            layout=catalog.layouts[raw["layout"]],
            description=raw.get("description", ""),
            blocks=blocks,
            fields=tuple(merged),
            subject_from=raw.get("subject_from", ""),
            recipients=tuple(raw["recipients"]) if "recipients" in raw else None,
            by_council=bool(raw.get("by_council", False)),
            checks=tuple(raw.get("checks", ())),
        )
    return catalog


def _omitted(names: list[str], common: list[FieldDef], where: str) -> set[str]:
    """The shared fields a type's layout does not print, so its form and schema leave out."""
    optional = {f.name for f in common if not f.required}
    wrong = set(names) - optional
    if wrong:
        raise DefinitionError(
            f"{where}: only optional shared fields can be omitted: {sorted(wrong)}"
        )
    return set(names)


def _read_yaml(path: Path) -> Any:
    """Parse a definition file once for each version of it on disk (the parse is read-only)."""
    stat = path.stat()
    return _parsed(path, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=256)
def _parsed(path: Path, mtime_ns: int, size: int) -> Any:
    """Parse with LibYAML's C parser when PyYAML has it (ten times faster)."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
