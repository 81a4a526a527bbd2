"""The web form's flat values (`body.0.title` → text) to a document payload and back.

A form is generated from a type's definition. Every input is named by its path in the
form; lists of short texts are one textarea (one item a line) and a block's nested
`blocks` field is an outline textarea (see OUTLINE_HELP) followed by its own block list,
so a clerk types one box per section instead of one per paragraph.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from service.core import markup
from service.core.definitions import Catalog, DocTypeDef, FieldDef
from service.core.fields import FieldInvalid, field_type

Flat = dict[str, str]
TEXT_KIND = "text"  # the form's pseudo block: an outline of paragraphs, bullets and sub-sections
OUTLINE_SUFFIX = "_text"
OUTLINE_HELP = (
    "Mỗi dòng là một đoạn văn. Dòng bắt đầu bằng “- ” (hoặc “• ”, “– ”, “* ” dán từ Word) là "
    "gạch đầu dòng; “+ ” mở một mục con (các dòng sau thuộc mục con đó), “++ ” mở mục con "
    "cấp dưới nữa. "
    "Số thứ tự mục (I., 1., a)) được đánh tự động: số gõ sẵn trước tên mục được bỏ đi. "
    "Trong chữ: **in đậm**, *in nghiêng*, ***đậm nghiêng***; \\* là dấu sao."
)
_SUBSECTION = re.compile(r"^(\++)\s+(.*)$")


@dataclass
class Converted:
    """A payload made from a form, with the form input each payload path came from."""

    payload: dict[str, Any]
    origins: dict[str, str] = field(default_factory=dict)

    def form_errors(self, errors: Mapping[str, list[str]]) -> dict[str, list[str]]:
        """Move validation errors from payload paths to the inputs that made them."""
        out: dict[str, list[str]] = {}
        for path, messages in errors.items():
            out.setdefault(self.origin(path), []).extend(messages)
        return out

    def origin(self, path: str) -> str:
        """The form input (or repeated item) behind a payload path; '' for the whole form."""
        parts = path.split(".")
        for end in range(len(parts), 0, -1):
            found = self.origins.get(".".join(parts[:end]))
            if found is not None:
                return found
        return ""


class FormModel:
    """Maps one document type's form to its payload and back, from the catalog alone."""

    def __init__(self, catalog: Catalog, doc_type: DocTypeDef) -> None:
        self.catalog = catalog
        self.doc_type = doc_type

    # form → payload -------------------------------------------------------------------

    def to_payload(self, flat: Mapping[str, str]) -> Converted:
        """Build the payload the schema validates; record where each path came from."""
        result = Converted({"doc_type": self.doc_type.id})
        self._fields(self.doc_type.fields, flat, "", "", result.payload, result)
        return result

    def _fields(
        self,
        defs: Iterable[FieldDef],
        flat: Mapping[str, str],
        form: str,
        path: str,
        out: dict[str, Any],
        result: Converted,
    ) -> None:
        for f in defs:
            if f.name == "doc_type" and not path:
                continue
            key, sub = form + f.name, path + f.name
            result.origins[sub] = key
            out[f.name] = self._value(f, flat, key, sub, result)

    def _value(
        self, f: FieldDef, flat: Mapping[str, str], key: str, path: str, result: Converted
    ) -> Any:
        if not field_type(f).structured(f):
            return read_input(f, flat.get(key))
        if f.type == "part":
            assert f.part is not None
            part: dict[str, Any] = {}
            fields = self.catalog.parts[f.part].fields
            self._fields(fields, flat, key + ".", path + ".", part, result)
            # An optional part left as the form drew it (blank, or its defaults) is not given.
            return None if f.nullable and _untouched(fields, flat, key + ".") else part
        if f.type == "blocks":
            return self._blocks(flat, key, path, result, [])
        assert f.item is not None  # a list of parts: one numbered group of inputs per item
        items = []
        for n, index in enumerate(indices(flat, key)):
            result.origins[f"{path}.{n}"] = f"{key}.{index}"
            items.append(self._value(f.item, flat, f"{key}.{index}", f"{path}.{n}", result))
        return items

    def _blocks(
        self,
        flat: Mapping[str, str],
        key: str,
        path: str,
        result: Converted,
        blocks: list[dict[str, Any]],
    ) -> list[dict[str, Any]]:
        """Append the blocks of a list of form items to `blocks`."""
        for index in indices(flat, key):
            item = f"{key}.{index}"
            kind = flat.get(item + ".kind", "")
            if kind == TEXT_KIND:
                start = len(blocks)
                blocks.extend(self.outline(flat.get(item + ".text", "")))
                for n in range(start, len(blocks)):
                    result.origins[f"{path}.{n}"] = item + ".text"
                continue
            n = len(blocks)
            result.origins[f"{path}.{n}"] = item
            block: dict[str, Any] = {"kind": kind}
            for f in self.catalog.blocks[kind].fields if kind in self.catalog.blocks else ():
                sub, name = f"{path}.{n}.{f.name}", f"{item}.{f.name}"
                if f.type == "blocks":
                    # The outline's blocks come first, then the nested items (tables, sections).
                    outline = self.outline(flat.get(name + OUTLINE_SUFFIX, ""))
                    for m in range(len(outline)):
                        result.origins[f"{sub}.{m}"] = name + OUTLINE_SUFFIX
                    result.origins[sub] = name + OUTLINE_SUFFIX
                    block[f.name] = self._blocks(flat, name, sub, result, outline)
                else:
                    result.origins[sub] = name
                    block[f.name] = self._value(f, flat, name, sub, result)
            blocks.append(block)
        return blocks

    def outline(self, text: str) -> list[dict[str, Any]]:
        """Paragraphs, bullets and `+`/`++` sub-sections from an outline textarea."""
        allowed = set(self.doc_type.blocks)
        top: list[dict[str, Any]] = []
        open_sections: list[dict[str, Any]] = []  # the innermost open section is last
        for raw in text.splitlines():
            line = raw.strip()
            if not line:
                continue
            heading = _SUBSECTION.match(line) if "section" in allowed else None
            if heading:
                depth = len(heading.group(1))
                del open_sections[depth - 1 :]
                section: dict[str, Any] = {
                    "kind": "section",
                    "title": heading.group(2).strip(),
                    "body": [],
                }
                (open_sections[-1]["body"] if open_sections else top).append(section)
                open_sections.append(section)
                continue
            bullet = markup.strip_bullet(line) if "bullet" in allowed else line
            block = (
                {"kind": "bullet", "text": bullet}
                if bullet != line
                else {"kind": "paragraph", "text": unescape_line(line)}
            )
            (open_sections[-1]["body"] if open_sections else top).append(block)
        return top

    # payload → form -------------------------------------------------------------------

    def to_flat(self, payload: Mapping[str, Any]) -> Flat:
        """The form values that reproduce a payload (for prefilling and for measuring)."""
        flat: Flat = {}
        self._flat_fields(self.doc_type.fields, payload, "", flat)
        return flat

    def _flat_fields(
        self, defs: Iterable[FieldDef], data: Mapping[str, Any], form: str, flat: Flat
    ) -> None:
        for f in defs:
            if f.name == "doc_type" and not form:
                continue
            if f.name in data:
                self._flat_value(f, data[f.name], form + f.name, flat)
            elif f.has_default:
                self._flat_value(f, f.default, form + f.name, flat)

    def _flat_value(self, f: FieldDef, value: Any, key: str, flat: Flat) -> None:
        kind = field_type(f)
        if not kind.structured(f):
            shown = kind.show(f, value)
            if shown is not None:
                flat[key] = shown
        elif f.type == "part":
            assert f.part is not None
            self._flat_fields(self.catalog.parts[f.part].fields, value or {}, key + ".", flat)
        elif f.type == "blocks":
            self._flat_blocks(list(value or []), key, flat)
        else:
            assert f.item is not None
            for index, item in enumerate(value or []):
                self._flat_value(f.item, item, f"{key}.{index}", flat)

    def _flat_blocks(self, blocks: list[dict[str, Any]], key: str, flat: Flat) -> None:
        """Runs of outline-expressible blocks become text items; the rest become items."""
        index, start = 0, 0
        while start < len(blocks):
            end = start
            # A list's own sections stay items (moved and removed as a whole).
            while end < len(blocks) and blocks[end].get("kind") in ("paragraph", "bullet"):
                end += 1
            item = f"{key}.{index}"
            if end > start:
                flat[item + ".kind"] = TEXT_KIND
                flat[item + ".text"] = "\n".join(self.outline_lines(blocks[start:end]) or [])
                start = end
            else:
                block = blocks[start]
                flat[item + ".kind"] = block["kind"]
                for f in self.catalog.blocks[block["kind"]].fields:
                    if f.name not in block and not f.has_default:
                        continue
                    # A field left out shows its default: an unticked box would say false.
                    value = block.get(f.name, f.default)
                    if f.type == "blocks":
                        self._flat_outline_then_items(value, f"{item}.{f.name}", flat)
                    else:
                        self._flat_value(f, value, f"{item}.{f.name}", flat)
                start += 1
            index += 1

    def _flat_outline_then_items(self, blocks: list[dict[str, Any]], key: str, flat: Flat) -> None:
        """A nested blocks field: the longest outline-expressible head, then items."""
        head = 0
        while head < len(blocks) and self.outline_lines(blocks[: head + 1]) is not None:
            head += 1
        text = "\n".join(self.outline_lines(blocks[:head]) or [])
        if text:
            flat[key + OUTLINE_SUFFIX] = text
        self._flat_blocks(blocks[head:], key, flat)

    def outline_lines(self, blocks: list[dict[str, Any]], depth: int = 1) -> list[str] | None:
        """The outline lines of blocks, or None when the outline cannot express them."""
        out: list[str] = []
        after_section = False
        for block in blocks:
            kind = block.get("kind")
            if kind in ("paragraph", "bullet") and after_section:
                return None  # text after a sub-section would be read as part of it
            if kind == "paragraph":
                out.append(escape_line(block["text"]))
            elif kind == "bullet":
                out.append("- " + block["text"])
            elif kind == "section" and _plain_section(block):
                inner = self.outline_lines(block.get("body", []), depth + 1)
                if inner is None:
                    return None
                out.append("+" * depth + " " + block["title"])
                out.extend(inner)
                after_section = True
            else:
                return None
        return out


def _plain_section(block: Mapping[str, Any]) -> bool:
    """A section the outline can write: only a title and a body."""
    extra = {k for k, v in block.items() if v not in (None, "", [])}
    return extra <= {"kind", "title", "body"} and "\n" not in block.get("title", "")


def escape_line(text: str) -> str:
    """Keep a paragraph that starts like a bullet or a sub-section a paragraph."""
    starts_like_mark = text[:1] in "-+\\" or markup.strip_bullet(text) != text
    return "\\" + text if starts_like_mark else text


def unescape_line(text: str) -> str:
    """Undo escape_line."""
    rest = text[1:]
    marked = rest[:1] in "-+\\" or markup.strip_bullet(rest) != rest
    return rest if text[:1] == "\\" and marked else text


def indices(flat: Mapping[str, str], key: str) -> list[int]:
    """The item indices under `key.` in form order (the page renumbers them on every change)."""
    prefix = key + "."
    found = set()
    for name in flat:
        if name.startswith(prefix):
            head = name[len(prefix) :].split(".", 1)[0]
            if head.isdigit():
                found.add(int(head))
    return sorted(found)


def read_input(f: FieldDef, raw: str | None) -> Any:
    """One input's value as the schema expects it; what cannot be read goes on as typed."""
    try:
        return field_type(f).read(f, raw)
    except FieldInvalid:
        # The schema refuses it with the reader's message, and the form shows it by the input.
        return (raw or "").strip()


def _untouched(fields: Iterable[FieldDef], flat: Mapping[str, str], prefix: str) -> bool:
    """Whether every input of a part is blank or shows its field's default."""
    return all((flat.get(prefix + f.name) or "").strip() in ("", str(f.default or ""))
               for f in fields)


def prefill(
    model: FormModel, profile: Mapping[str, Any] | None, today: datetime.date
) -> dict[str, Any]:
    """A new document's starting payload: the definition's defaults, the unit, today."""
    payload: dict[str, Any] = {}
    for f in model.doc_type.fields:
        if f.has_default:
            payload[f.name] = f.default
    payload["date"] = {"day": today.day, "month": today.month, "year": today.year}
    payload.update(profile or {})
    if model.doc_type.recipients is not None:
        payload["recipients"] = list(model.doc_type.recipients)
    return payload


def typed_fields(start: Flat, wanted: Flat) -> list[str]:
    """The inputs a clerk must change to get from the prefilled form to the wanted one.

    One input counts once however much is typed into it (an outline textarea is one
    input); an item the clerk adds counts once per input of it they fill; item kinds
    are chosen by the add button pressed, not typed, so they are not counted.
    """
    names = set(start) | set(wanted)
    return sorted(
        n for n in names if not n.endswith(".kind") and start.get(n, "") != wanted.get(n, "")
    )
