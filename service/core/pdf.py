"""Make a rendered PDF ready for signing: find the signature space, set metadata, add fields."""

from __future__ import annotations

import io
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

import pikepdf
from pyhanko.pdf_utils.misc import PdfError as HankoPdfError
from pyhanko.sign.fields import (
    FieldMDPAction,
    FieldMDPSpec,
    MDPPerm,
    SigFieldSpec,
    append_signature_field,
)

from service.core.issue_fields import IssueBlank, add_issue_fields
from service.core.pdf_io import (
    InvalidPdf,
    Rect,
    open_incremental,
    pdfium_document,
)
from service.core.vn import LANGUAGE, strip_diacritics

__all__ = [
    "SignatureSpace",
    "SignatureSpaceNotFound",
    "field_name",
    "locate_signature_space",
    "prepare_for_signing",
    "seal_rect",
]

PAD = 4.0  # points around the signature block's text, sideways
GAP = 2.0  # points kept clear of the title's descenders and the name's ascenders
NAMELESS_HEIGHT = 80.0  # the template puts the name 80 pt under the title
WORD_GAP = 12.0  # a wider horizontal gap separates columns (Nơi nhận | signature block)
SAME_LINE = 2.0  # words whose tops differ by less share a line


class SignatureSpaceNotFound(ValueError):
    """The signer's title lines followed by the name are on no page of the PDF."""


@dataclass(frozen=True)
class SignatureSpace:
    """Where the signature goes: a page (0-based) and (x1, y1, x2, y2) in PDF user space."""

    page_index: int
    rect: Rect

    @property
    def width(self) -> float:
        """Width in points."""
        return self.rect[2] - self.rect[0]

    @property
    def height(self) -> float:
        """Height in points."""
        return self.rect[3] - self.rect[1]


@dataclass
class _Segment:
    """Text on one line with no column gap in it, top-down (top = distance below the page top)."""

    x0: float
    top: float
    x1: float
    bottom: float
    words: list[str]

    @property
    def text(self) -> str:
        """The words joined by single spaces."""
        return " ".join(self.words)


def normalise(text: str) -> str:
    """NFC with whitespace collapsed, as text lines are compared."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text)).strip()


def locate_signature_space(
    pdf: bytes, signer_lines: list[str], signer_name: str, *, first: bool = False
) -> SignatureSpace:
    """The space between the signer's last title line and the name, searched from the last page.

    `first` searches from the first page: a decision's block, ahead of the same block that
    closes the regulation it issues.
    """
    title = normalise(" ".join(signer_lines))
    name = normalise(signer_name)
    if not title:
        raise ValueError("signer_lines is empty: there is no signature block to look for")
    with pdfium_document(pdf) as document:
        pages = range(len(document))
        for index in pages if first else reversed(pages):
            page = document[index]
            top = page.get_mediabox()[3]
            found = _find_block(_right_segments(page, top), title, name)
            if found is not None:
                return SignatureSpace(index, _to_user_space(top, found))
    raise SignatureSpaceNotFound(
        f"no page has the signature block {' / '.join(signer_lines)!r} followed by {signer_name!r}"
    )


def _right_segments(page: Any, page_top: float) -> list[_Segment]:
    """Text segments starting in the right half of the page, top to bottom."""
    left, _, right, _ = page.get_mediabox()
    middle = (left + right) / 2
    text = page.get_textpage()
    # PDFium's text rectangles are runs of text on one line, found in C: far cheaper than
    # extracting every character in Python. They hug the ink (accents and dots below included),
    # so the space clears every glyph. Runs closer than a column gap are joined.
    pieces = []
    for i in range(text.count_rects()):
        x0, y0, x1, y1 = text.get_rect(i)
        words = text.get_text_bounded(x0, y0, x1, y1).split()
        if words:
            pieces.append(_Segment(x0, page_top - y1, x1, page_top - y0, words))
    segments: list[_Segment] = []
    for piece in sorted(pieces, key=lambda p: (p.x0, p.top)):
        segment = next((s for s in segments if _continues(s, piece)), None)
        if segment is None:
            segments.append(piece)
            continue
        segment.words.extend(piece.words)
        segment.x1 = piece.x1
        segment.top, segment.bottom = min(segment.top, piece.top), max(segment.bottom, piece.bottom)
    return sorted((s for s in segments if s.x0 >= middle), key=lambda s: (s.top, s.x0))


def _continues(segment: _Segment, piece: _Segment) -> bool:
    """Whether the piece follows the segment on its line, closer than a column gap."""
    return abs(piece.top - segment.top) < SAME_LINE and 0 <= piece.x0 - segment.x1 < WORD_GAP


def _find_block(segments: list[_Segment], title: str, name: str) -> Rect | None:
    """The space (x0, top, x1, bottom, top-down) of the last title-then-name block, if any."""
    for start in reversed(range(len(segments))):
        end = _match_title(segments, start, title)
        if end is None:
            continue
        block = segments[start : end + 1]
        below = block[-1].bottom + GAP
        if not name:
            return (_left(block), below, _right(block), below + NAMELESS_HEIGHT)
        if end + 1 < len(segments) and normalise(segments[end + 1].text) == name:
            block.append(segments[end + 1])
            return (_left(block), below, _right(block), segments[end + 1].top - GAP)
    return None


def _match_title(segments: list[_Segment], start: int, title: str) -> int | None:
    """Index of the segment ending the title lines when they start at `start` (wrapping allowed)."""
    text = ""
    for index in range(start, len(segments)):
        text = normalise(f"{text} {segments[index].text}")
        if text == title:
            return index
        if not title.startswith(text + " "):
            return None
    return None


def _left(block: list[_Segment]) -> float:
    return min(s.x0 for s in block) - PAD


def _right(block: list[_Segment]) -> float:
    return max(s.x1 for s in block) + PAD


def _to_user_space(page_top: float, box: Rect) -> Rect:
    """A top-down box back to PDF user space (y up)."""
    x0, top, x1, bottom = box
    return (x0, page_top - bottom, x1, page_top - top)


def seal_rect(space: SignatureSpace, size: float | None = None) -> Rect:
    """The seal: a square centred on the space's left third (Decree 30), as high as the space
    or `size` points across (the seal's actual diameter)."""
    x1, y1, _, y2 = space.rect
    centre_x, centre_y = x1 + space.width / 3, (y1 + y2) / 2
    half = (size if size is not None else space.height) / 2
    return (centre_x - half, centre_y - half, centre_x + half, centre_y + half)


def field_name(prefix: str, name: str) -> str:
    """A readable ASCII field name: ("Chữ ký", "Nguyễn Văn Hiến") -> "Chu ky - Nguyen Van Hien"."""
    parts = [_ascii(prefix), _ascii(name)]
    return " - ".join(p for p in parts if p)


def _ascii(text: str) -> str:
    stripped = strip_diacritics(text)
    # A period separates the parts of a qualified field name in PDF: keep it out.
    return re.sub(r"\s+", " ", re.sub(r"[^A-Za-z0-9 _()-]+", " ", stripped)).strip()


def prepare_for_signing(
    pdf: bytes,
    *,
    title: str,
    author: str,
    subject: str,
    keywords: list[str],
    signer_field: str,
    seal_field: str | None,
    space: SignatureSpace,
    issue_blanks: tuple[IssueBlank, ...] = (),
    seal_size: float | None = None,
) -> bytes:
    """Set metadata and language, then add the empty signature fields (signer, seal).

    With `issue_blanks`, the Số and the date of issue become read-only text fields and the
    signer's field locks everything else: a signature on it allows filling those fields and
    the seal's signature, and nothing more (FieldMDP, DocMDP P=2). `seal_size` makes the seal's
    field its picture's size now, since resizing it after the signer signed would break them.
    """
    fields = [(signer_field, space.rect)]
    if seal_field is not None:
        fields.append((seal_field, seal_rect(space, seal_size)))
    issue_names = [blank.name for blank in issue_blanks]
    _check_field_names([f for f, _ in fields] + issue_names)
    described = _with_metadata(
        pdf, title, author, subject, keywords, space.page_index, issue_blanks
    )
    lock = None
    if issue_blanks:
        open_to = issue_names + ([seal_field] if seal_field else [])
        lock = FieldMDPSpec(FieldMDPAction.EXCLUDE, open_to)
    return _with_fields(described, space.page_index, fields, lock)


def _check_field_names(names: list[str]) -> None:
    for name in names:
        if not name or "." in name or not name.isascii() or not name.isprintable():
            raise ValueError(f"signature field name {name!r} must be printable ASCII without '.'")
    if len(set(names)) != len(names):
        raise ValueError(f"signature field names must differ: {names}")


def _with_metadata(
    pdf: bytes,
    title: str,
    author: str,
    subject: str,
    keywords: list[str],
    page_index: int,
    issue_blanks: tuple[IssueBlank, ...] = (),
) -> bytes:
    """Info dictionary and XMP in sync (PDF/A identification kept), /Lang vi-VN, issue fields."""
    try:
        document = pikepdf.open(io.BytesIO(pdf))
    except pikepdf.PdfError as exc:
        raise InvalidPdf(f"cannot read the PDF: {exc}") from exc
    with document:
        if not 0 <= page_index < len(document.pages):
            raise ValueError(
                f"signature page {page_index} is outside the PDF's {len(document.pages)} pages"
            )
        set_metadata(document, title, author, subject, keywords)
        if issue_blanks:
            add_issue_fields(document, issue_blanks)
        out = io.BytesIO()
        document.save(out)
    return out.getvalue()


def set_metadata(
    document: pikepdf.Pdf, title: str, author: str, subject: str, keywords: list[str]
) -> None:
    """Info dictionary and XMP in sync (PDF/A identification kept), and /Lang vi-VN."""
    with document.open_metadata() as meta:
        meta["dc:title"] = title
        meta["dc:creator"] = [author]
        meta["dc:description"] = subject
        meta["dc:language"] = [LANGUAGE]
        meta["pdf:Keywords"] = ", ".join(keywords)
    document.Root.Lang = pikepdf.String(LANGUAGE)


def _with_fields(
    pdf: bytes, page_index: int, fields: list[tuple[str, Rect]], lock: FieldMDPSpec | None
) -> bytes:
    """Append the empty signature fields in an incremental update; the first may be locked."""
    writer = open_incremental(pdf)
    try:
        for index, (name, box) in enumerate(fields):
            # pyHanko annotates the box as ints but writes any number as a PDF real.
            rect: Any = box
            locking: dict[str, Any] = {}
            if index == 0 and lock is not None:
                locking = {"field_mdp_spec": lock, "doc_mdp_update_value": MDPPerm.FILL_FORMS}
            spec = SigFieldSpec(sig_field_name=name, on_page=page_index, box=rect, **locking)
            append_signature_field(writer, spec)
        out = io.BytesIO()
        writer.write(out)
    except HankoPdfError as exc:
        raise InvalidPdf(f"cannot add the signature fields: {exc}") from exc
    return out.getvalue()
