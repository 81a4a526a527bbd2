"""What the form templates ask of a type's form: groups, values, items, errors, labels."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from service.core.definitions import FieldDef
from service.core.fields import FieldType, field_type
from service.core.form_model import OUTLINE_SUFFIX, TEXT_KIND, Flat, FormModel, indices
from service.core.schemas import SchemaFactory
from service.usecases.units import PROFILE_FIELDS

# The unit profile's fields that are folded away when a unit is selected; its recipients stay
# open, as each document adds its own.
FOLDED_WITH_UNIT = tuple(name for name in PROFILE_FIELDS if name != "recipients")
# Rarely changed from their defaults: shown under "Tùy chọn khác" unless a type requires them.
MORE_FIELDS = ("number", "symbol", "urgency", "kinh_gui", "end_mark")
HIDDEN_FIELDS = ("doc_type",)
TEXT_LABEL = "Đoạn văn"
OUTLINE_LABEL = "Nội dung"
NESTED_LABEL = "Mục con, bảng trong mục"
NEW_KEY = "__NEW__"  # the key of a template item; the page's script renames it when adding


class FormView:
    """One type's form as drawn: its values, its errors by input, its definitions."""

    def __init__(
        self,
        model: FormModel,
        flat: Flat,
        errors: dict[str, list[str]],
        *,
        has_unit: bool,
        schemas: SchemaFactory,
    ) -> None:
        self.model = model
        self.schemas = schemas
        self.catalog = model.catalog
        self.flat = flat
        self.errors = errors
        self.has_unit = has_unit
        self.new_key = NEW_KEY
        self.text_kind = TEXT_KIND
        self.outline_suffix = OUTLINE_SUFFIX
        self.nested_label = NESTED_LABEL
        self.outline_label = OUTLINE_LABEL

    def group(self, name: str) -> list[FieldDef]:
        """The top-level fields of a group: profile, main or more."""
        fields = [f for f in self.model.doc_type.fields if f.name not in HIDDEN_FIELDS]
        if name == "profile":
            return [f for f in fields if f.name in FOLDED_WITH_UNIT]
        if name == "more":
            return [f for f in fields if f.name in MORE_FIELDS and not self.required(f)]
        return [
            f
            for f in fields
            if f.name not in FOLDED_WITH_UNIT and (f.name not in MORE_FIELDS or self.required(f))
        ]

    def profile_open(self) -> bool:
        """Unfold the issuer and signer when no unit fills them or they have an error."""
        folded = (key.split(".")[0] in FOLDED_WITH_UNIT for key in self.errors)
        return not self.has_unit or any(folded)

    def more_open(self) -> bool:
        """Unfold the other options when one of them has an error."""
        return any(key.split(".")[0] in MORE_FIELDS for key in self.errors)

    def required(self, f: FieldDef) -> bool:
        """Whether the server refuses the field left blank, so that the form marks it."""
        return self.schemas.refuses_blank(f)

    def value(self, key: str) -> str:
        """An input's current text."""
        return self.flat.get(key, "")

    def checked(self, key: str, f: FieldDef | None = None) -> bool:
        """Whether a checkbox is ticked: as posted, or its default in an item yet to be added."""
        if key in self.flat:
            return self.flat[key] not in ("", "0")
        # A posted form leaves an unticked box out; only a new item's template shows the default.
        return NEW_KEY in key and f is not None and bool(f.default)

    def error(self, key: str) -> list[str]:
        """The messages for an input or item."""
        return self.errors.get(key, [])

    def items(self, key: str) -> list[str]:
        """The keys of a list's items, in order."""
        return [f"{key}.{i}" for i in indices(self.flat, key)]

    def kind(self, item_key: str) -> str:
        """A block item's kind."""
        return self.flat.get(item_key + ".kind", TEXT_KIND)

    def kinds(self) -> list[tuple[str, str]]:
        """The block kinds a clerk can add, paragraphs and bullets as one text item."""
        out: list[tuple[str, str]] = []
        for kind in self.model.doc_type.blocks:
            if kind in ("paragraph", "bullet"):
                if (TEXT_KIND, TEXT_LABEL) not in out:
                    out.append((TEXT_KIND, TEXT_LABEL))
            else:
                out.append((kind, self.catalog.blocks[kind].label))
        return out

    def kind_label(self, kind: str) -> str:
        """A block kind's Vietnamese name."""
        return TEXT_LABEL if kind == TEXT_KIND else self.catalog.blocks[kind].label

    def block_fields(self, kind: str) -> list[FieldDef]:
        """A block kind's fields (none for the text item, which is one outline)."""
        return [] if kind == TEXT_KIND else list(self.catalog.blocks[kind].fields)

    def part_fields(self, part: str, optional: bool = False) -> list[FieldDef]:
        """A part's fields; in an optional part none is required (the part may be left out)."""
        fields = self.catalog.parts[part].fields
        return [replace(f, required=False) if optional else f for f in fields]

    def part_label(self, part: str) -> str:
        """A part's Vietnamese name."""
        return self.catalog.parts[part].label

    def tabular(self, part: str) -> bool:
        """Whether a repeated part is edited as table rows (all its fields fit in a cell)."""
        return all(field_type(f).in_cell for f in self.catalog.parts[part].fields)

    def input_type(self, f: FieldDef) -> FieldType:
        """The field's type, which says what the form draws for it."""
        return field_type(f)

    def list_parts(self) -> list[str]:
        """Every part that appears as a repeated item (templates for the add buttons)."""
        found: list[str] = []

        def visit(fields: list[FieldDef] | tuple[FieldDef, ...]) -> None:
            for f in fields:
                if f.item is not None and f.item.part and f.item.part not in found:
                    found.append(f.item.part)
                    visit(self.catalog.parts[f.item.part].fields)

        visit(self.model.doc_type.fields)
        for kind in self.model.doc_type.blocks:
            visit(self.catalog.blocks[kind].fields)
        return found

    def summary(self) -> list[tuple[str, str, list[str]]]:
        """(anchor, label, messages) for the list of errors above the form."""
        return [
            (anchor(key), self.label_for(key), messages) for key, messages in self.errors.items()
        ]

    def label_for(self, key: str) -> str:
        """A readable name for an input key: `Mục 2 › Tên mục`."""
        if not key:
            return "Văn bản"
        parts = key.split(".")
        names: list[str] = []
        fields: Any = self.model.doc_type.fields
        prefix = ""
        position = 0
        while position < len(parts):
            name = parts[position]
            f = next((f for f in fields if f.name == name.removesuffix(OUTLINE_SUFFIX)), None)
            if f is None:
                break
            names.append(f.label if not name.endswith(OUTLINE_SUFFIX) else OUTLINE_LABEL)
            prefix = f"{prefix}{name}"
            position += 1
            if f.type == "part" and f.part:
                fields = self.catalog.parts[f.part].fields
                prefix += "."
                continue
            if position < len(parts) and parts[position].isdigit():
                prefix += f".{parts[position]}"
                number = int(parts[position]) + 1
                position += 1
                if f.type == "blocks":
                    kind = self.kind(prefix)
                    names.append(f"{self.kind_label(kind)} {number}")
                    fields = self.block_fields(kind) or [FieldDef("text", "rich", TEXT_LABEL)]
                elif f.item is not None and f.item.part:
                    names.append(f"{self.part_label(f.item.part)} {number}")
                    fields = self.catalog.parts[f.item.part].fields
                prefix += "."
                continue
            break
        return " › ".join(names) or key


def anchor(key: str) -> str:
    """The element id of an input (f-…) or a repeated item (i-…); '' for the whole form."""
    if not key:
        return ""
    return ("i-" if key.rsplit(".", 1)[-1].isdigit() else "f-") + key
