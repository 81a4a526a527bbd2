"""One DOCX holding k documents of one template, each in sections of its own: one LibreOffice load.

LibreOffice's cost is mostly per load, so the rows of a bulk job, merged, convert in a fraction
of the time of k loads. Each document keeps its sections (page size, orientation, first-page
header), its page numbers restart at 1, and a bookmark (`bookmark_name(i)`) marks where it
starts, so that the PDF, exported with bookmarks as named destinations, is cut back into one
PDF per document (service.core.batch_pdf) that reads and looks as the document converted alone.

LibreOffice lays out the first section of a file in its own way when a document has footnotes
(an empty paragraph before a leading table, the separator line) or several sections (where a
paragraph kept with the next one falls at a page's foot): such a document matches its lone
conversion only at the start of a batch, so `merge` takes it first or not at all (`leads_only`).
"""

from __future__ import annotations

import copy
import io
import posixpath
import re
import zipfile
from collections.abc import Iterable, Sequence
from typing import Any

from lxml import etree

from service.core import wordml

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
TYPES = "http://schemas.openxmlformats.org/package/2006/content-types"
DOCUMENT = "word/document.xml"
FOOTNOTES = "word/footnotes.xml"
CONTENT_TYPES = "[Content_Types].xml"
MEDIA = "word/media/"
BOOKMARK_PREFIX = "vb_batch_"
# The parts a document has of its own; every other part is its template's, the same in all.
OWN_PARTS = re.compile(
    r"word/(_rels/)?(document|footnotes)\.xml(\.rels)?|\[Content_Types\]\.xml|docProps/.+"
    r"|word/media/.+"
)
# Counters LibreOffice would run on across the documents of one load: a numbered list, the
# total of pages. The renderer makes neither; a template that did could not be batched. Sought
# in the text parts only: a style may number a list that no paragraph uses.
RUNNING_COUNTERS = re.compile(rb"<w:numPr\b|\bNUMPAGES\b")
TEXT_PARTS = re.compile(r"word/(document|footnotes|header\d*|footer\d*)\.xml")
# What makes LibreOffice lay a document out as alone only at the start of a file (see above).
FOOTNOTE_REFERENCE = re.compile(rb"<w:footnoteReference\b")
SECTION = re.compile(rb"<w:sectPr[\s>/]")
ZIP_LEVEL = 1  # the renderer's: the merged file lives for one conversion
PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)

Package = dict[str, bytes]


class DifferentTemplates(ValueError):
    """The documents of a batch were not rendered from one template: a shared part differs."""


class RunningCounter(ValueError):
    """A document numbers a list or counts all pages: in a batch the count runs on."""


class LeadsOnly(ValueError):
    """A document with footnotes or several sections stands after the first of a batch."""


def bookmark_name(index: int) -> str:
    """The bookmark that the index-th document of a batch starts with."""
    return f"{BOOKMARK_PREFIX}{index:04d}"


def leads_only(docx: bytes) -> bool:
    """Whether a document can stand only first in a batch (it has footnotes or sections)."""
    return _leads_only(_read(docx))


def merge(docxs: Sequence[bytes]) -> bytes:
    """Merge DOCX files of one template into one, each document in its own sections."""
    if not docxs:
        raise ValueError("a batch holds at least one document")
    packages = [_read(docx) for docx in docxs]
    for index, package in enumerate(packages):
        _check_batchable(package, index)
        _check_same_template(packages[0], package, index)
        if index and _leads_only(package):
            raise LeadsOnly(f"document {index} has footnotes or several sections: only first")
    merged = _Merged(packages[0])
    for index, package in enumerate(packages):
        merged.add(index, package, last=index == len(packages) - 1)
    return merged.write()


def _read(docx: bytes) -> Package:
    with zipfile.ZipFile(io.BytesIO(docx)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _leads_only(package: Package) -> bool:
    document = package[DOCUMENT]
    return bool(FOOTNOTE_REFERENCE.search(document)) or len(SECTION.findall(document)) > 1


def _check_batchable(package: Package, index: int) -> None:
    for name, data in package.items():
        if TEXT_PARTS.fullmatch(name) and RUNNING_COUNTERS.search(data):
            raise RunningCounter(f"document {index}'s {name} numbers a list or counts all pages")


def _check_same_template(first: Package, other: Package, index: int) -> None:
    ours = {name for name in first if not OWN_PARTS.fullmatch(name)}
    theirs = {name for name in other if not OWN_PARTS.fullmatch(name)}
    if ours != theirs:
        raise DifferentTemplates(
            f"document {index} has other template parts than document 0: {sorted(ours ^ theirs)}"
        )
    for name in sorted(ours):
        if first[name] != other[name]:
            raise DifferentTemplates(f"document {index}'s {name} differs from document 0's")


def _w(name: str) -> str:
    return f"{{{W}}}{name}"


def _parse(data: bytes) -> Any:
    return etree.fromstring(data, PARSER)


def _xml(root: Any) -> bytes:
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True))


def _rels_name(part: str) -> str:
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", name + ".rels")


def _target_part(source: str, target: str) -> str:
    """The package name of a relationship's internal target, relative to its source part."""
    if target.startswith("/"):
        return target[1:]
    return posixpath.normpath(posixpath.join(posixpath.dirname(source), target))


class _Relationships:
    """A merged part's relationships: its template's, then each document's own with fresh ids."""

    def __init__(self, template: Package, part: str) -> None:
        self.part = part
        self.name = _rels_name(part)
        data = template.get(self.name)
        self.root = _parse(data) if data else etree.Element(f"{{{RELS}}}Relationships")
        self.shared: dict[tuple[str | None, str | None], str] = {}
        for rel in list(self.root):
            if self._own(rel):
                self.root.remove(rel)
            else:
                self.shared[(rel.get("Type"), rel.get("Target"))] = rel.get("Id")
        self.count = 0

    def _own(self, rel: Any) -> bool:
        """A document's own relationship (a picture, a link), not its template's."""
        if rel.get("TargetMode") == "External":
            return True
        target = _target_part(self.part, rel.get("Target"))
        return target.startswith(MEDIA)

    def adopt(self, package: Package, index: int, merged: _Merged) -> dict[str, str]:
        """Map one document's relationship ids to the merged part's, carrying its own parts."""
        data = package.get(self.name)
        ids: dict[str, str] = {}
        for rel in _parse(data) if data else ():
            if not self._own(rel):
                key = (rel.get("Type"), rel.get("Target"))
                if key not in self.shared:
                    raise DifferentTemplates(f"document {index} relates {self.part} to {key}")
                ids[rel.get("Id")] = self.shared[key]
                continue
            self.count += 1
            new = copy.deepcopy(rel)
            new.set("Id", f"rIdBatch{self.count}")
            if rel.get("TargetMode") != "External":
                source = _target_part(self.part, rel.get("Target"))
                carried = merged.carry(package, source, index)
                new.set("Target", posixpath.relpath(carried, posixpath.dirname(self.part)))
            self.root.append(new)
            ids[rel.get("Id")] = new.get("Id")
        return ids


def _rename_relationships(trees: Iterable[Any], ids: dict[str, str]) -> None:
    """Point every r: attribute (r:id, r:embed, r:link…) at the merged part's relationship."""
    for tree in trees:
        for element in tree.iter():
            for name, value in element.attrib.items():
                if name.startswith(f"{{{R}}}") and value in ids:
                    element.set(name, ids[value])


def _is_note(note: Any) -> bool:
    """A footnote of the text, not the separator lines every footnotes part begins with."""
    return note.get(_w("type"), "normal") == "normal"


class _Merged:
    """The merged package being built: the template's parts, then each document in turn."""

    def __init__(self, template: Package) -> None:
        self.parts = {
            name: data
            for name, data in template.items()
            if not OWN_PARTS.fullmatch(name) or name.startswith("docProps/")
        }
        self.types = _parse(template[CONTENT_TYPES])
        for override in self.types.findall(f"{{{TYPES}}}Override"):
            if override.get("PartName", "").startswith("/" + MEDIA):
                self.types.remove(override)
        self.document = _parse(template[DOCUMENT])
        self.body = self.document.find(_w("body"))
        for child in list(self.body):
            self.body.remove(child)
        self.footnotes = _parse(template[FOOTNOTES]) if FOOTNOTES in template else None
        if self.footnotes is not None:  # the separators stay, the notes come with each document
            for note in list(filter(_is_note, self.footnotes)):
                self.footnotes.remove(note)
        self.relationships = {
            part: _Relationships(template, part) for part in (DOCUMENT, FOOTNOTES)
        }
        self.next_note = 1
        self.next_bookmark = 0

    def add(self, index: int, package: Package, *, last: bool) -> None:
        """Append one document's body, in sections of its own, starting with its bookmark."""
        body = _parse(package[DOCUMENT]).find(_w("body"))
        _rename_relationships([body], self.relationships[DOCUMENT].adopt(package, index, self))
        numbers, notes = self._take_notes(package, index)
        for reference in body.iter(_w("footnoteReference")):
            reference.set(_w("id"), numbers[reference.get(_w("id"))])
        self._renumber_bookmarks([body, *notes])
        wordml.restart_page_numbers(next(body.iter(_w("sectPr"))))
        self._mark_start(body, bookmark_name(index))
        children = list(body)
        if not last:
            _end_section(children)
        self.body.extend(children)

    def _take_notes(self, package: Package, index: int) -> tuple[dict[str, str], list[Any]]:
        """Move a document's footnotes in under fresh ids; return old id -> new, and the notes."""
        if FOOTNOTES not in package:
            return {}, []
        if self.footnotes is None:
            raise DifferentTemplates(f"document {index} has footnotes, document 0 none")
        notes = [note for note in _parse(package[FOOTNOTES]) if _is_note(note)]
        _rename_relationships(notes, self.relationships[FOOTNOTES].adopt(package, index, self))
        numbers = {}
        for note in notes:
            numbers[note.get(_w("id"))] = str(self.next_note)
            note.set(_w("id"), str(self.next_note))
            self.next_note += 1
            self.footnotes.append(note)
        return numbers, notes

    def _renumber_bookmarks(self, trees: Iterable[Any]) -> None:
        """Shift a document's bookmark ids past those already merged: ids are per file."""
        highest = self.next_bookmark - 1
        for tree in trees:
            for mark in tree.iter(_w("bookmarkStart"), _w("bookmarkEnd")):
                shifted = int(mark.get(_w("id"))) + self.next_bookmark
                mark.set(_w("id"), str(shifted))
                highest = max(highest, shifted)
        self.next_bookmark = highest + 1

    def _mark_start(self, body: Any, name: str) -> None:
        """Put the document's bookmark in its first paragraph (a table's first cell's, maybe)."""
        first = next(body.iter(_w("p")))
        mark = str(self.next_bookmark)
        self.next_bookmark += 1
        start = first.makeelement(_w("bookmarkStart"), {_w("id"): mark, _w("name"): name})
        end = first.makeelement(_w("bookmarkEnd"), {_w("id"): mark})
        at = 1 if len(first) and first[0].tag == _w("pPr") else 0
        first.insert(at, end)
        first.insert(at, start)

    def carry(self, package: Package, part: str, index: int) -> str:
        """Copy a document's own part (a picture) in under a fresh name; return that name."""
        name = f"{MEDIA}batch{index:04d}-{posixpath.basename(part)}"
        self.parts[name] = package[part]
        types = _parse(package[CONTENT_TYPES])
        for override in types.findall(f"{{{TYPES}}}Override"):
            if override.get("PartName") == "/" + part:
                added = copy.deepcopy(override)
                added.set("PartName", "/" + name)
                self.types.append(added)
        extension = posixpath.splitext(name)[1][1:].lower()
        known = {d.get("Extension", "").lower() for d in self.types.findall(f"{{{TYPES}}}Default")}
        for default in types.findall(f"{{{TYPES}}}Default"):
            if default.get("Extension", "").lower() == extension and extension not in known:
                self.types.insert(0, copy.deepcopy(default))
        return name

    def write(self) -> bytes:
        """The merged DOCX."""
        self.parts[DOCUMENT] = _xml(self.document)
        self.parts[CONTENT_TYPES] = _xml(self.types)
        if self.footnotes is not None:
            self.parts[FOOTNOTES] = _xml(self.footnotes)
        for relationships in self.relationships.values():
            if len(relationships.root):
                self.parts[relationships.name] = _xml(relationships.root)
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=ZIP_LEVEL) as archive:
            # [Content_Types].xml first, as Word writes it: some readers look for it there.
            for name in sorted(self.parts, key=lambda name: name != CONTENT_TYPES):
                archive.writestr(name, self.parts[name])
        return out.getvalue()


def _end_section(children: list[Any]) -> None:
    """Close a document's last section with a section break, its final w:sectPr in a paragraph."""
    final = children.pop()
    last = children[-1]
    if last.tag != _w("p") or last.find(f"{_w('pPr')}/{_w('sectPr')}") is not None:
        # After a table, an empty paragraph; LibreOffice adds one there in a document alone.
        last = last.makeelement(_w("p"), {})
        children.append(last)
    properties = last.find(_w("pPr"))
    if properties is None:
        properties = last.makeelement(_w("pPr"), {})
        last.insert(0, properties)
    wordml.place(properties, final)
