"""Cut the PDF of a merged batch (service.core.batch_docx) back into one PDF per document.

Each document starts at its bookmark, which LibreOffice exports as a named destination when
asked (filter option ExportBookmarksToPDFDestination). A part keeps its pages with their
resources and the catalog's viewing entries; the batch's outline, destinations and metadata
stay behind, so nothing in a part tells of the other documents (the caller adds metadata,
through `finish`, before the part is written).
"""

from __future__ import annotations

import io
import itertools
import re
from collections.abc import Callable
from typing import Any

import pikepdf

from service.core.batch_docx import bookmark_name

# Catalog entries that speak of the whole batch: its destinations and outline, its page labels,
# its structure tree (pages of every document) and metadata. /OpenAction moves to the part's
# first page; /Info is not copied.
DROPPED_CATALOG = (
    "/Dests", "/Names", "/Outlines", "/PageLabels", "/StructTreeRoot", "/MarkInfo", "/Metadata"
)
OWN_CATALOG = ("/Type", "/Pages", "/OpenAction")  # the part's own, made for its pages
# A font selection in a content stream: `/F1 12 Tf` (name, size, operator).
FONT_SELECTION = re.compile(rb"/([^\s/\[\]()<>{}%]+)\s+[-+]?[\d.]+\s+Tf(?![^\s/\[\]()<>{}%])")
NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")


# Changes the index-th part (its metadata) while it is open, before it is written.
Finish = Callable[[int, pikepdf.Pdf], None]


class MissingDestination(ValueError):
    """The batch's PDF has no named destination where a document should start."""


class UnorderedDestinations(ValueError):
    """The documents' destinations are not on increasing pages from the first page on."""


def destination_names(index: int) -> tuple[str, str]:
    """The index-th document's destination as named in the DOCX, and as LibreOffice writes it."""
    name = bookmark_name(index)
    # LibreOffice keeps letters, digits and `-`, and writes any other character as hex digits.
    written = "".join(c if c.isascii() and (c.isalnum() or c == "-") else f"{ord(c):02X}"
                      for c in name)
    return name, written


def split(pdf: bytes, count: int, finish: Finish | None = None) -> list[bytes]:
    """One standalone PDF per document of the batch, cut where each document starts."""
    if count < 1:
        raise ValueError("a batch holds at least one document")
    # The batch is read once: each part is a new PDF its pages are copied into, which carries
    # only what those pages reach (reopening the batch for every part cost twice as much).
    with pikepdf.open(io.BytesIO(pdf)) as source:
        starts = start_pages(source, count)
        ends = [*starts[1:], len(source.pages)]
        return [_part(source, start, end, document, finish)
                for document, (start, end) in enumerate(zip(starts, ends, strict=True))]


def start_pages(source: pikepdf.Pdf, count: int) -> list[int]:
    """The 0-based page where each of the `count` documents starts."""
    pages = {page.objgen: index for index, page in enumerate(source.pages)}
    found = _destinations(source)
    starts = []
    for index in range(count):
        target = next((found[name] for name in destination_names(index) if name in found), None)
        page = _page_of(target)
        if page is None or page.objgen not in pages:
            raise MissingDestination(f"no destination {bookmark_name(index)} on a page")
        starts.append(pages[page.objgen])
    if starts[0] != 0 or any(b <= a for a, b in itertools.pairwise(starts)):
        raise UnorderedDestinations(f"documents start on pages {starts}")
    return starts


def _destinations(source: pikepdf.Pdf) -> dict[str, Any]:
    """Named destinations from the catalog's /Dests (PDF 1.1) and its /Names tree."""
    root = source.Root
    found: dict[str, Any] = {}
    if "/Dests" in root:
        found.update((str(name)[1:], value) for name, value in root.Dests.items())
    if "/Names" in root and "/Dests" in root.Names:
        found.update(pikepdf.NameTree(root.Names.Dests).items())
    return found


def _page_of(destination: Any) -> Any:
    """The page a destination ([page /XYZ …] or << /D [page …] >>) points at, if any."""
    if isinstance(destination, pikepdf.Dictionary):
        destination = destination.get("/D")
    if isinstance(destination, pikepdf.Array) and len(destination):
        page = destination[0]
        if isinstance(page, pikepdf.Dictionary):
            return page
    return None


def _part(
    source: pikepdf.Pdf, start: int, end: int, document: int, finish: Finish | None
) -> bytes:
    """Pages [start, end) of the batch as a PDF of their own, with the catalog's viewing entries."""
    pages = [source.pages[index] for index in range(start, end)]
    kept = {page.objgen for page in pages}
    for page in pages:
        _drop_links_out(page.obj, kept)
    _keep_own_fonts(source, pages)
    with pikepdf.new() as part:
        part.pages.extend(pages)
        for key, value in source.Root.items():
            if key not in DROPPED_CATALOG and key not in OWN_CATALOG:
                part.Root[key] = _copied(part, source, value)
        action: Any = source.Root.get("/OpenAction")
        if _page_of(action) is not None:  # opens on the batch's first page: the part's own
            part.Root.OpenAction = pikepdf.Array([part.pages[0].obj, *list(action)[1:]])
        if finish is not None:  # written once with the caller's changes
            finish(document, part)
        out = io.BytesIO()
        part.save(out, min_version=source.pdf_version)
    return out.getvalue()


def _copied(part: pikepdf.Pdf, source: pikepdf.Pdf, value: Any) -> Any:
    """A catalog entry of the source as the part's: objects are copied, simple values kept."""
    if isinstance(value, pikepdf.Dictionary | pikepdf.Array | pikepdf.Stream):
        return part.copy_foreign(value if value.is_indirect else source.make_indirect(value))
    return value


def _drop_links_out(page: Any, kept: set[Any]) -> None:
    """Remove links to pages of other documents: kept, they would write those pages out too."""
    annotations = page.get("/Annots")
    if annotations is None:
        return
    for index in reversed(range(len(annotations))):
        annotation = annotations[index]
        action = annotation.get("/A")
        target = annotation.get("/Dest", action.get("/D") if action is not None else None)
        linked = _page_of(target)
        if linked is not None and linked.objgen not in kept:
            del annotations[index]


def _keep_own_fonts(source: pikepdf.Pdf, pages: list[pikepdf.Page]) -> None:
    """Let the pages' resources name only the fonts these pages use.

    LibreOffice gives every page one resource dictionary naming every font of the file: a
    part would name, and carry, the fonts only other documents use.
    """
    used = set().union(*(_font_names(page) for page in pages))
    own: dict[Any, Any] = {}  # the batch's resources (shared by its pages) -> these pages'
    for index, page in enumerate(pages):
        resources = page.obj.get("/Resources")
        if resources is None or "/Font" not in resources:
            continue
        key = resources.objgen if resources.is_indirect else index
        if key not in own:
            kept = pikepdf.Dictionary({name: value for name, value in resources.items()})
            kept.Font = pikepdf.Dictionary(
                {name: font for name, font in resources.Font.items() if name in used})
            own[key] = source.make_indirect(kept)
        page.obj.Resources = own[key]


def _font_names(page: pikepdf.Page) -> set[str]:
    """Names of the fonts a page selects (Tf), in its content and in the forms it draws.

    The content is searched as bytes, not parsed into operations (most of a split's time): a
    match inside a string could only keep a font the part does not need, never drop one.
    """
    streams = _contents(page.obj.get("/Contents"))
    resources: Any = page.obj.get("/Resources") or {}
    for _, form in (resources.get("/XObject") or {}).items():
        if form.get("/Subtype") == "/Form" and "/Resources" not in form:
            streams.append(form)
    return {"/" + _unescaped(name) for stream in streams
            for name in FONT_SELECTION.findall(stream.read_bytes())}


def _contents(contents: Any) -> list[Any]:
    """A page's content streams: its /Contents, one stream or an array of them."""
    if contents is None:
        return []
    return list(contents) if isinstance(contents, pikepdf.Array) else [contents]


def _unescaped(name: bytes) -> str:
    """A PDF name's text, its #xx escapes decoded."""
    raw = NAME_ESCAPE.sub(lambda match: bytes([int(match.group(1), 16)]), name)
    return raw.decode("latin-1")
