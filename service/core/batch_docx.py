"""One DOCX holding k documents of one template, each in a section of its own: one LibreOffice load.

LibreOffice's cost is mostly per load, so the rows of a bulk job, merged, convert in a fraction
of the time of k loads. Each document keeps its section (page size, orientation, first-page
header), its page numbers restart at 1, and a bookmark (`bookmark_name(i)`) marks where it
starts, so that the PDF, exported with bookmarks as named destinations, is cut back into one
PDF per document (service.core.batch_pdf) that reads and looks as the document converted alone.

Only documents of one section and no footnotes are batched (`batchable`): LibreOffice lays such
a document out in a batch as alone, wherever it stands (216 of 216 tried). With footnotes it
numbers them on across documents, adds an empty paragraph before a leading table and draws no
separator line in later sections; with several sections a paragraph kept with the next one
falls differently at a page's foot, even in the batch's first document, depending on the
documents after it. Such a document is converted alone.
"""

from __future__ import annotations

import copy
import io
import posixpath
import re
import zipfile
from collections.abc import Sequence
from typing import Any

from lxml import etree

from service.core import wordml

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
TYPES = "http://schemas.openxmlformats.org/package/2006/content-types"
DOCUMENT = "word/document.xml"
DOCUMENT_RELS = "word/_rels/document.xml.rels"
CONTENT_TYPES = "[Content_Types].xml"
MEDIA = "word/media/"
BOOKMARK_PREFIX = "vb_batch_"
# The parts a document has of its own; every other part is its template's, the same in all.
OWN_PARTS = re.compile(r"word/document\.xml|word/_rels/document\.xml\.rels|\[Content_Types\]\.xml"
                       r"|docProps/.+|word/media/.+")
# Counters LibreOffice would run on across the documents of one load: a numbered list, the
# total of pages. The renderer makes neither; a template that did could not be batched. Sought
# in the text parts only: a style may number a list that no paragraph uses.
RUNNING_COUNTERS = re.compile(rb"<w:numPr\b|\bNUMPAGES\b")
TEXT_PARTS = re.compile(r"word/(document|footnotes|header\d*|footer\d*)\.xml")
FOOTNOTE_REFERENCE = re.compile(rb"<w:footnoteReference\b")
SECTION = re.compile(rb"<w:sectPr[\s>/]")
ZIP_LEVEL = 1  # the renderer's: the merged file lives for one conversion
PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)

Package = dict[str, bytes]


class DifferentTemplates(ValueError):
    """The documents of a batch were not rendered from one template: a shared part differs."""


class RunningCounter(ValueError):
    """A document numbers a list or counts all pages: in a batch the count runs on."""


class FootnotesOrSections(ValueError):
    """A document with footnotes or several sections, which LibreOffice lays out otherwise."""


def bookmark_name(index: int) -> str:
    """The bookmark that the index-th document of a batch starts with."""
    return f"{BOOKMARK_PREFIX}{index:04d}"


def batchable(docx: bytes) -> bool:
    """Whether a document converts in a batch as alone: one section, no footnotes."""
    with zipfile.ZipFile(io.BytesIO(docx)) as archive:  # its body alone tells
        return _batchable({DOCUMENT: archive.read(DOCUMENT)})


def merge(docxs: Sequence[bytes]) -> bytes:
    """Merge DOCX files of one template into one, each document in its own section."""
    if not docxs:
        raise ValueError("a batch holds at least one document")
    packages = [_read(docx) for docx in docxs]
    for index, package in enumerate(packages):
        if len(packages) > 1 and not _batchable(package):
            raise FootnotesOrSections(f"document {index} has footnotes or several sections")
        _check_counters(package, index)
        _check_same_template(packages[0], package, index)
    merged = _Merged(packages[0])
    for index, package in enumerate(packages):
        merged.add(index, package, last=index == len(packages) - 1)
    return merged.write()


def _read(docx: bytes) -> Package:
    with zipfile.ZipFile(io.BytesIO(docx)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _batchable(package: Package) -> bool:
    document = package[DOCUMENT]
    return not FOOTNOTE_REFERENCE.search(document) and len(SECTION.findall(document)) == 1


def _check_counters(package: Package, index: int) -> None:
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


def _own(relationship: Any) -> bool:
    """A document's own relationship (a picture, a link), not its template's."""
    if relationship.get("TargetMode") == "External":
        return True
    return _target_part(relationship.get("Target")).startswith(MEDIA)


def _target_part(target: str) -> str:
    """The package name of the main document's internal relationship target."""
    if target.startswith("/"):
        return target[1:]
    return posixpath.normpath(posixpath.join(posixpath.dirname(DOCUMENT), target))


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
        self.relationships = _parse(template[DOCUMENT_RELS])
        self.shared: dict[tuple[str | None, str | None], str] = {}
        for relationship in list(self.relationships):
            if _own(relationship):
                self.relationships.remove(relationship)
            else:
                key = (relationship.get("Type"), relationship.get("Target"))
                self.shared[key] = relationship.get("Id")
        self.carried = 0
        self.next_bookmark = 0

    def add(self, index: int, package: Package, *, last: bool) -> None:
        """Append one document's body in sections of its own, starting with its bookmark."""
        body = _parse(package[DOCUMENT]).find(_w("body"))
        ids = self._adopt_relationships(package, index)
        for element in body.iter():
            for name, value in element.attrib.items():
                if name.startswith(f"{{{R}}}") and value in ids:  # r:id, r:embed, r:link…
                    element.set(name, ids[value])
        self._renumber_bookmarks(body)
        wordml.restart_page_numbers(next(body.iter(_w("sectPr"))))
        self._mark_start(body, bookmark_name(index))
        children = list(body)
        if not last:
            _end_section(children)
        self.body.extend(children)

    def _adopt_relationships(self, package: Package, index: int) -> dict[str, str]:
        """Map a document's relationship ids to the merged ones, carrying its own parts in."""
        ids: dict[str, str] = {}
        for relationship in _parse(package[DOCUMENT_RELS]):
            old = relationship.get("Id")
            if not _own(relationship):
                key = (relationship.get("Type"), relationship.get("Target"))
                if key not in self.shared:
                    raise DifferentTemplates(f"document {index} relates its text to {key}")
                ids[old] = self.shared[key]
                continue
            self.carried += 1
            new = copy.deepcopy(relationship)
            new.set("Id", f"rIdBatch{self.carried}")
            if relationship.get("TargetMode") != "External":
                carried = self._carry(package, _target_part(relationship.get("Target")), index)
                new.set("Target", posixpath.relpath(carried, posixpath.dirname(DOCUMENT)))
            self.relationships.append(new)
            ids[old] = new.get("Id")
        return ids

    def _carry(self, package: Package, part: str, index: int) -> str:
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

    def _renumber_bookmarks(self, body: Any) -> None:
        """Shift a document's bookmark ids past those already merged: ids are per file."""
        highest = self.next_bookmark - 1
        for mark in body.iter(_w("bookmarkStart"), _w("bookmarkEnd")):
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

    def write(self) -> bytes:
        """The merged DOCX."""
        self.parts[DOCUMENT] = _xml(self.document)
        self.parts[DOCUMENT_RELS] = _xml(self.relationships)
        self.parts[CONTENT_TYPES] = _xml(self.types)
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
    if last.tag != _w("p"):
        # After a table, a paragraph of its own, hidden: alone, the document ends with the
        # table, and a visible paragraph would start a page where the table fills the last.
        last = last.makeelement(_w("p"), {})
        children.append(last)
        hidden = etree.SubElement(etree.SubElement(last, _w("pPr")), _w("rPr"))
        etree.SubElement(hidden, _w("vanish"))
    properties = last.find(_w("pPr"))
    if properties is None:
        properties = last.makeelement(_w("pPr"), {})
        last.insert(0, properties)
    wordml.place(properties, final)
