"""Render a validated document into DOCX bytes with docxtpl in a sandboxed, autoescaping Jinja."""

from __future__ import annotations

import copy
import io
import re
import threading
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from docx import Document as docx_document
from docx.opc.constants import CONTENT_TYPE as CT
from docx.opc.pkgwriter import PackageWriter
from docx.oxml.ns import qn
from docxtpl import DocxTemplate
from jinja2.sandbox import SandboxedEnvironment
from lxml import etree

from service.core import attached, page, vn, wordml
from service.core.context import SECTION_MARK, build_context, section_orientations
from service.core.copies import copy_context
from service.core.document import Document, Metadata
from service.core.keeping import keep_signature_with_text
from service.core.template_builder import TEMPLATES_DIR

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
# zlib's fastest level: a third of the time of python-docx's default (6), files 18% larger.
ZIP_LEVEL = 1
# A text (<w:t>) holding a tab, bell, newline or form feed: what docxtpl's listing pass rewrites.
LISTING_CHARS = re.compile(r"<w:t(?: [^>]*)?>[^<]*[\t\a\n\f]")
PARAGRAPH = re.compile(r"<w:p(?: [^>]*)?>.*?</w:p>", re.DOTALL)  # docxtpl's own


class TemplateMissing(FileNotFoundError):
    """A definition names a template file that is not in doc_templates/."""


class SourceMemo:
    """Results keyed by template source text; docxtpl hands over the same XML on every render."""

    LIMIT = 256

    def __init__(self) -> None:
        self._results: dict[str, Any] = {}
        self._lock = threading.Lock()

    def get(self, source: str, compute: Callable[[str], Any]) -> Any:
        """Return the stored result for this source, computing it the first time."""
        result = self._results.get(source)
        if result is None:
            result = compute(source)
            with self._lock:
                if len(self._results) < self.LIMIT:
                    self._results[source] = result
        return result


class TemplateEnvironment(SandboxedEnvironment):
    """A sandboxed, autoescaping Jinja that compiles each distinct template source once."""

    def __init__(self) -> None:
        super().__init__(autoescape=True)
        self._compiled = SourceMemo()

    def from_string(self, source: Any, globals: Any = None, template_class: Any = None) -> Any:
        """Return the compiled template, compiling it the first time it is seen."""
        if globals is not None or template_class is not None or not isinstance(source, str):
            return super().from_string(source, globals, template_class)
        return self._compiled.get(source, super().from_string)


class _Template(DocxTemplate):
    """A DocxTemplate that fixes up each template part's tags once instead of on every render."""

    _patched = SourceMemo()
    docx: Any  # docxtpl's own attributes, untyped there
    is_rendered: bool

    def __init__(self, pristine: Any) -> None:
        super().__init__(io.BytesIO())  # never read: init_docx copies the parsed template
        self._pristine = pristine

    def init_docx(self, reload: bool = True) -> None:
        """Start from a copy of the parsed template: half the time of reading the file again."""
        if not self.docx or (self.is_rendered and reload):
            self.docx = copy.deepcopy(self._pristine)
            self.is_rendered = False

    def patch_xml(self, src_xml: str) -> str:
        """Return docxtpl's patched XML, computed once per distinct source."""
        return self._patched.get(src_xml, super().patch_xml)

    def resolve_listing(self, xml: str) -> str:
        """Return docxtpl's XML with tabs and breaks in texts made runs, paragraph by paragraph."""

        # docxtpl's pass rewrites every paragraph and run with nested regular expressions, a
        # tenth of a render; only the paragraphs holding such a character need it, and the
        # pass over one paragraph alone finds the same paragraph (the same expression).
        def one(found: re.Match[str]) -> str:
            paragraph = found.group(0)
            if LISTING_CHARS.search(paragraph) is None:
                return paragraph
            result: str = DocxTemplate.resolve_listing(self, paragraph)
            return result

        if LISTING_CHARS.search(xml) is None:
            return xml
        return PARAGRAPH.sub(one, xml)


class Renderer:
    """Fills the DOCX templates: template bytes are cached, a DocxTemplate is made per call."""

    def __init__(self, templates_dir: Path = TEMPLATES_DIR) -> None:
        self.templates_dir = templates_dir
        self._sources: dict[str, Any] = {}  # file name -> the parsed template, never changed
        self._env = TemplateEnvironment()

    def render(self, document: Document) -> bytes:
        """Return the DOCX of one validated document."""
        context, footnotes = build_context(document)
        context.update(copy_context(document.data))
        template = _Template(self._source(document.doc_type.template))
        template.render(context, jinja_env=self._env, autoescape=True)
        docx = template.docx
        _add_footnotes(docx, footnotes)
        attached.copy_frames(docx)
        keep_signature_with_text(docx.element.body)
        _split_sections(docx, section_orientations(document.data))
        _set_properties(docx, document.metadata)
        return _save(docx)

    def _source(self, name: str) -> Any:
        if name not in self._sources:
            path = self.templates_dir / name
            if not path.is_file():
                raise TemplateMissing(str(path))
            self._sources[name] = docx_document(io.BytesIO(path.read_bytes()))
        return self._sources[name]


class _FastZip:
    """python-docx's physical package writer, deflating at ZIP_LEVEL."""

    def __init__(self, archive: zipfile.ZipFile) -> None:
        self.archive = archive

    def write(self, pack_uri: Any, blob: bytes) -> None:
        """Store one part under its member name."""
        self.archive.writestr(pack_uri.membername, blob)


def _save(docx: Any) -> bytes:
    """Write the document as python-docx's save() does, with faster compression."""
    package = docx.part.package
    parts = list(package.parts)
    for part in parts:
        part.before_marshal()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=ZIP_LEVEL) as archive:
        writer: Any = _FastZip(archive)  # duck-typed: python-docx calls write() only
        PackageWriter._write_content_types_stream(writer, parts)
        PackageWriter._write_pkg_rels(writer, package.rels)
        PackageWriter._write_parts(writer, parts)
    return out.getvalue()


def _add_footnotes(document: Any, footnotes: list[str]) -> None:
    """Append the collected footnotes to the template's footnotes part."""
    if not footnotes:
        return
    part = next(p for p in document.part.package.parts if p.content_type == CT.WML_FOOTNOTES)
    root = etree.fromstring(part.blob)
    for xml in footnotes:
        root.append(etree.fromstring(f'<w:wrap xmlns:w="{W}">{xml}</w:wrap>')[0])
    part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _split_sections(document: Any, landscapes: list[bool]) -> None:
    """Turn section markers into section breaks; each attached text or appendix numbers from 1."""
    if not landscapes:
        return
    body = document.element.body
    final = body.find(qn("w:sectPr"))
    main = copy.deepcopy(final)
    previous = main
    for index, landscape in enumerate(landscapes, 1):
        marker = body.xpath(f'.//w:p[w:bookmarkStart[@w:name="{SECTION_MARK}{index}"]]')[0]
        for child in list(marker):
            marker.remove(child)
        marker.append(etree.fromstring(f'<w:pPr xmlns:w="{W}"/>'))
        marker[0].append(previous)
        previous = _appendix_section(main, landscape)
    final.getparent().replace(final, previous)


def _appendix_section(main: Any, landscape: bool) -> Any:
    """Section properties of an appendix: page numbers restart, landscape if asked."""
    props = copy.deepcopy(main)
    size = props.find(qn("w:pgSz"))
    long_side, short_side = wordml.mm(page.PAGE_HEIGHT_MM), wordml.mm(page.PAGE_WIDTH_MM)
    size.set(qn("w:w"), str(long_side if landscape else short_side))
    size.set(qn("w:h"), str(short_side if landscape else long_side))
    if landscape:
        size.set(qn("w:orient"), "landscape")
    wordml.restart_page_numbers(props)
    return props


def _set_properties(docx: Any, meta: Metadata) -> None:
    """Title, author, subject and language of the file, read by viewers and by the PDF export."""
    props = docx.core_properties
    props.title = meta.title[:255]
    props.author = props.last_modified_by = meta.author
    props.subject = meta.subject[:255]
    # LibreOffice splits the keywords at spaces: a no-break space keeps `Kế hoạch` one keyword.
    props.keywords = ", ".join(k.replace(" ", "\u00a0") for k in meta.keywords)
    props.language = vn.LANGUAGE
