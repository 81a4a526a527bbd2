"""Batches without LibreOffice: the merged DOCX's structure, and the split of a made-up PDF."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import docx
import pikepdf
import pytest
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import parse_xml
from lxml import etree
from PIL import Image

from service.core import batch_pdf
from service.core.batch_docx import (
    DifferentTemplates,
    FootnotesOrSections,
    RunningCounter,
    batchable,
    bookmark_name,
    merge,
)
from service.core.batch_pdf import MissingDestination, UnorderedDestinations, split
from service.core.documents import DocumentService
from service.core.pdf_checks import validate_pdf
from tests.batches import commune_plans
from tests.conftest import load_sample
from tests.fakes import FakeConverter
from tests.helpers import errors_of
from tests.unit.test_ooxml import every_block_kind

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
PICTURE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/image"


@pytest.fixture(scope="module")
def plans() -> list[bytes]:
    """Three rows of seed 000 (three communes) as DOCX."""
    service = DocumentService(None)
    return [service.render("ke_hoach", plan).docx for plan in commune_plans(3)]


@pytest.fixture(scope="module")
def sectioned() -> bytes:
    """A plan with a footnote and three sections, the last landscape: converted alone."""
    return DocumentService(None).render("ke_hoach", every_block_kind()).docx


def part(data: bytes, name: str) -> Any:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return etree.fromstring(archive.read(name))


def sections(data: bytes) -> list[Any]:
    return list(part(data, "word/document.xml").iter(f"{W}sectPr"))


def page(section: Any) -> tuple[str | None, ...]:
    """A section's page: width, height, orientation, first number, first-page header."""
    size, numbers = section.find(f"{W}pgSz"), section.find(f"{W}pgNumType")
    start = None if numbers is None else numbers.get(f"{W}start")
    title = "titlePg" if section.find(f"{W}titlePg") is not None else None
    return size.get(f"{W}w"), size.get(f"{W}h"), size.get(f"{W}orient"), start, title


def test_each_document_keeps_its_section_and_numbers_its_pages_from_one(
    plans: list[bytes],
) -> None:
    alone = [page(s) for d in plans for s in sections(d)]
    assert alone == [("11906", "16838", None, None, "titlePg")] * 3  # what merging must change
    assert [page(s) for s in sections(merge(plans))] == [
        ("11906", "16838", None, "1", "titlePg")] * 3


def test_a_document_merged_alone_keeps_its_sections_and_footnotes(sectioned: bytes) -> None:
    merged = merge([sectioned])
    alone = [page(s) for s in sections(sectioned)]
    assert [p[2:4] for p in alone] == [(None, None), (None, "1"), ("landscape", "1")]
    assert [page(s) for s in sections(merged)] == [(*alone[0][:3], "1", "titlePg"), *alone[1:]]
    references = part(merged, "word/document.xml").iter(f"{W}footnoteReference")
    assert [r.get(f"{W}id") for r in references] == ["1"]
    assert etree.tostring(part(merged, "word/footnotes.xml")) == etree.tostring(
        part(sectioned, "word/footnotes.xml"))


def test_a_hidden_section_break_ends_each_document_but_the_last(plans: list[bytes]) -> None:
    body = part(merge(plans), "word/document.xml").find(f"{W}body")
    breaks = [i for i, child in enumerate(body) if child.find(f"{W}pPr/{W}sectPr") is not None]
    tables = [i for i, child in enumerate(body) if child.tag == f"{W}tbl"]
    # Seed 000 is a header table, paragraphs and a signature table: the break follows that
    # table in an empty, hidden paragraph, and the next document's header table follows.
    assert len(breaks) == 2 and body[-1].tag == f"{W}sectPr"
    assert [b - 1 in tables and b + 1 in tables for b in breaks] == [True, True]
    for at in breaks:
        assert [etree.QName(e).localname for e in body[at].iter()][:5] == [
            "p", "pPr", "rPr", "vanish", "sectPr"]


def test_each_document_starts_with_its_bookmark(plans: list[bytes]) -> None:
    body = part(merge([*plans, plans[0]]), "word/document.xml").find(f"{W}body")
    starts = list(body.iter(f"{W}bookmarkStart"))
    assert [s.get(f"{W}name") for s in starts] == [bookmark_name(i) for i in range(4)]
    assert bookmark_name(3) == "vb_batch_0003"
    ids = [s.get(f"{W}id") for s in starts]
    assert len(set(ids)) == 4 and ids == [e.get(f"{W}id") for e in body.iter(f"{W}bookmarkEnd")]
    # Each in the first paragraph of its document: the header table's first cell.
    firsts = [body[0], *(body[i + 1] for i, c in enumerate(body)
                         if c.find(f"{W}pPr/{W}sectPr") is not None)]
    assert [next(t.iter(f"{W}p")).find(f"{W}bookmarkStart") for t in firsts] == starts


def with_picture(data: bytes, colour: str | None) -> bytes:
    """The document through python-docx, with a picture of that colour and a link if given."""
    document = docx.Document(io.BytesIO(data))
    if colour is not None:
        image = io.BytesIO()
        Image.new("RGB", (8, 8), colour).save(image, "PNG")
        document.add_picture(image)
        rid = document.part.relate_to(f"https://{colour}.example/", RT.HYPERLINK, is_external=True)
        document.add_paragraph()._p.append(parse_xml(
            f'<w:hyperlink xmlns:w="{W[1:-1]}" xmlns:r="{R[1:-1]}" r:id="{rid}"><w:r><w:t>'
            f"{colour}</w:t></w:r></w:hyperlink>"))
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_pictures_and_links_come_along_under_fresh_ids(plans: list[bytes]) -> None:
    merged = merge([with_picture(plans[0], None), with_picture(plans[1], "red"),
                    with_picture(plans[2], "blue")])
    rels = {r.get("Id"): r for r in part(merged, "word/_rels/document.xml.rels")}
    body = part(merged, "word/document.xml")
    pictures = [b.get(f"{R}embed") for b in body.iter("{*}blip")]
    links = [h.get(f"{R}id") for h in body.iter(f"{W}hyperlink")]
    assert len(set(pictures)) == 2 and len(set(links)) == 2
    assert [rels[p].get("Target") for p in pictures] == [
        "media/batch0001-image1.png", "media/batch0002-image1.png"]
    assert [rels[p].get("Type") for p in pictures] == [PICTURE, PICTURE]
    assert [(rels[k].get("Target"), rels[k].get("TargetMode")) for k in links] == [
        ("https://red.example/", "External"), ("https://blue.example/", "External")]
    with zipfile.ZipFile(io.BytesIO(merged)) as archive:
        colours = [Image.open(io.BytesIO(archive.read(f"word/{rels[p].get('Target')}")))
                   .getpixel((0, 0)) for p in pictures]
        types = archive.read("[Content_Types].xml")
    assert colours == [(255, 0, 0), (0, 0, 255)] and b'Extension="png"' in types
    # Every section still points at the template's one header.
    headers = {h.get(f"{R}id") for h in body.iter(f"{W}headerReference")}
    assert [rels[h].get("Target") for h in headers] == ["header1.xml"]


def test_the_merged_document_validates(sectioned: bytes, plans: list[bytes], tmp_path) -> None:
    assert errors_of(merge(plans), tmp_path, "plans.docx") == []
    assert errors_of(merge([sectioned]), tmp_path, "alone.docx") == []


def test_documents_of_other_templates_are_refused(plans: list[bytes]) -> None:
    decision = DocumentService(None).render(
        "quyet_dinh", load_sample("quyet_dinh_thanh_lap_hoi_dong")).docx
    with pytest.raises(DifferentTemplates, match=r"document 1's word/styles\.xml differs"):
        merge([plans[0], decision])


def test_footnotes_or_sections_keep_a_document_out_of_batches(
    sectioned: bytes, plans: list[bytes]
) -> None:
    appendix = DocumentService(None).render(
        "ke_hoach", load_sample("ke_hoach_phan_cong_phong_chong_duoi_nuoc")).docx
    footnote = DocumentService(None).render(
        "ke_hoach", load_sample("seed_001_ke_hoach_thanh_linh")).docx
    assert [batchable(d) for d in (plans[0], sectioned, appendix, footnote)] == [
        True, False, False, False]
    for other, at in ((sectioned, 0), (appendix, 2), (footnote, 1)):
        batch = [plans[0], plans[1]]
        batch.insert(at, other)
        with pytest.raises(FootnotesOrSections, match=f"document {at} has footnotes or"):
            merge(batch)


def test_a_numbered_list_is_refused(plans: list[bytes]) -> None:
    numbered = _rewritten(plans[1], {"word/document.xml": lambda x: x.replace(
        b'<w:pStyle w:val="VBBody"/>',
        b'<w:pStyle w:val="VBBody"/><w:numPr><w:ilvl w:val="0"/><w:numId w:val="1"/></w:numPr>',
        1)})
    with pytest.raises(RunningCounter, match="document 1's word/document.xml numbers a list"):
        merge([plans[0], numbered])


def test_an_empty_batch_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one document"):
        merge([])


def _rewritten(data: bytes, changes: dict[str, Any]) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with source, zipfile.ZipFile(out, "w") as target:
        for name in source.namelist():
            content = source.read(name)
            target.writestr(name, changes[name](content) if name in changes else content)
    return out.getvalue()


def batch(starts: dict[int, int], pages: int = 6, in_tree: tuple[int, ...] = (1,)) -> bytes:
    """A PDF of `pages` pages, each with its text and font, and a destination where each
    document starts: LibreOffice's names in /Dests, the plain ones of `in_tree` in /Names."""
    pdf = pikepdf.new()
    fonts = pikepdf.Dictionary({f"/F{number}": pdf.make_indirect(pikepdf.Dictionary(
        Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1,
        BaseFont=pikepdf.Name(f"/Font{number}"))) for number in range(pages)})
    shared = pdf.make_indirect(pikepdf.Dictionary(Font=fonts))  # as LibreOffice writes them
    for number in range(pages):
        pdf.add_blank_page(page_size=(595, 842))
        pdf.pages[number].Resources = shared
        pdf.pages[number].Contents = pdf.make_stream(content(number))
    pages_ = pdf.pages

    def to(number: int) -> pikepdf.Array:
        return pikepdf.Array([pages_[number].obj, pikepdf.Name.XYZ, None, None, 0])

    tree = pikepdf.NameTree.new(pdf)
    pdf.Root.Dests = pikepdf.Dictionary()
    for index, number in starts.items():
        plain, written = batch_pdf.destination_names(index)
        if index in in_tree:
            tree[plain] = to(number)
        else:
            pdf.Root.Dests[f"/{written}"] = to(number)
    pdf.Root.Names = pikepdf.Dictionary(Dests=tree.obj)
    with pdf.open_outline() as outline:
        outline.root.append(pikepdf.OutlineItem("Document 2", 2))
    pdf.Root.OpenAction = to(0)
    pdf.Root.Lang = pikepdf.String("vi-VN")
    pdf.docinfo["/Title"] = "Batch"
    for source, target in ((0, 3), (2, 4)):  # the first leaves its document, the second not
        link = pikepdf.Dictionary(Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Link,
                                  Rect=[0, 0, 10, 10], Dest=to(target))
        pages_[source].Annots = pdf.make_indirect(pikepdf.Array([pdf.make_indirect(link)]))
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def content(number: int) -> bytes:
    return f"BT /F{number} 12 Tf 72 720 Td (page {number}) Tj ET".encode()


def test_split_cuts_at_each_documents_destination() -> None:
    parts = [pikepdf.open(io.BytesIO(p)) for p in split(batch({0: 0, 1: 2, 2: 5}), 3)]
    assert [len(p.pages) for p in parts] == [2, 3, 1]
    assert [[pg.Contents.read_bytes() for pg in p.pages] for p in parts] == [
        [content(0), content(1)], [content(2), content(3), content(4)], [content(5)]]
    # The pages share one resource dictionary, as in the batch, naming the part's fonts only.
    fonts = [sorted(str(f.BaseFont) for _, f in p.pages[0].Resources.Font.items()) for p in parts]
    assert fonts == [["/Font0", "/Font1"], ["/Font2", "/Font3", "/Font4"], ["/Font5"]]
    assert [len({pg.Resources.objgen for pg in p.pages}) for p in parts] == [1, 1, 1]
    written = [[o for o in p.objects if isinstance(o, pikepdf.Dictionary)
                and o.get("/Type") == "/Font"] for p in parts]
    assert [len(fonts) for fonts in written] == [2, 3, 1]


def test_a_page_selects_the_fonts_of_its_content_streams_and_forms() -> None:
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(595, 842))
    page = pdf.pages[0]
    form = pdf.make_stream(b"BT /F4 9 Tf (x) Tj ET", Type=pikepdf.Name.XObject,
                           Subtype=pikepdf.Name.Form, BBox=[0, 0, 10, 10])
    page.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(X0=form))
    page.Contents = pikepdf.Array([
        pdf.make_stream(b"BT /F#31 12 Tf (a) Tj\n/F2 -9.5 Tf <0041> Tj ET"),
        pdf.make_stream(b"q /X0 Do Q BT /F3\n7\nTf /F5 8 TfX ET"),  # TfX: no operator
    ])
    assert batch_pdf._font_names(page) == {"/F1", "/F2", "/F3", "/F4"}


def test_a_part_holds_nothing_of_the_other_documents() -> None:
    parts = [pikepdf.open(io.BytesIO(p)) for p in split(batch({0: 0, 1: 2, 2: 5}), 3)]
    streams = [sorted(o.read_bytes() for o in p.objects if isinstance(o, pikepdf.Stream))
               for p in parts]
    assert streams == [[content(0), content(1)], [content(2), content(3), content(4)],
                       [content(5)]]
    for part_ in parts:
        assert sorted(part_.Root.keys()) == ["/Lang", "/OpenAction", "/Pages", "/Type"]
        assert part_.Root.OpenAction[0].objgen == part_.pages[0].objgen
        assert "/Info" not in part_.trailer and part_.Root.Lang == "vi-VN"
    # The link out of document 1 is gone; the one inside document 2 points at its own page.
    assert "/Annots" not in parts[0].pages[0] or len(parts[0].pages[0].Annots) == 0
    (link,) = parts[1].pages[0].Annots
    assert link.Dest[0].objgen == parts[1].pages[2].objgen


def test_split_lets_the_caller_change_each_part_before_it_is_written() -> None:
    def finish(index: int, part: pikepdf.Pdf) -> None:
        part.docinfo["/Title"] = f"Document {index}"

    parts = [pikepdf.open(io.BytesIO(p)) for p in split(batch({0: 0, 1: 2, 2: 5}), 3, finish)]
    assert [str(p.docinfo["/Title"]) for p in parts] == ["Document 0", "Document 1", "Document 2"]
    assert [len(p.pages) for p in parts] == [2, 3, 1]


def test_split_names_the_missing_destination() -> None:
    with pytest.raises(MissingDestination, match="no destination vb_batch_0001"):
        split(batch({0: 0, 2: 5}), 3)


@pytest.mark.parametrize("starts", [{0: 0, 1: 4, 2: 2}, {0: 1, 1: 2, 2: 5}, {0: 0, 1: 2, 2: 2}])
def test_split_refuses_destinations_out_of_order(starts: dict[int, int]) -> None:
    with pytest.raises(UnorderedDestinations, match="documents start on pages"):
        split(batch(starts), 3)


def test_split_of_no_document_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one document"):
        split(batch({0: 0}), 0)


def test_destination_names_as_the_docx_and_libreoffice_write_them() -> None:
    assert batch_pdf.destination_names(3) == ("vb_batch_0003", "vb5Fbatch5F0003")


def test_the_fake_converter_gives_a_batch_that_split_cuts(plans: list[bytes]) -> None:
    fake = FakeConverter()
    parts = split(fake.convert(merge(plans), destinations=True), 3)
    assert [validate_pdf(p) for p in parts] == [1, 1, 1]
    assert validate_pdf(fake.convert(plans[0])) == 1 and len(fake.calls) == 2
    with pytest.raises(MissingDestination, match="vb_batch_0000"):
        split(fake.convert(plans[0]), 1)  # asked without destinations: none to cut at
