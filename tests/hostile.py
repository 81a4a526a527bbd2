"""Uploads built to cost memory: workbooks of expanding shared strings, PDFs of deflate bombs."""

from __future__ import annotations

import functools
import io
import zipfile
import zlib

from service.bulk.table import Table, write_xlsx

MiB = 1024 * 1024
STRINGS = "xl/sharedStrings.xml"
SHEET = "xl/worksheets/sheet1.xml"


REPEAT = 12  # each string (and cell) repeated this often: about 75:1, under the 100:1 check


@functools.cache
def shared_strings_workbook(megabytes: int, sheet_megabytes: int = 0) -> bytes:
    """A workbook whose shared strings unpack to `megabytes` MB of short strings, at ~75:1.

    With `sheet_megabytes`, its sheet holds that many MB of cells naming them (200 a row), so
    reading it builds the cells as well as the strings.
    """
    count = megabytes * MiB // len("<si><t>0000000</t></si>")
    strings = "".join(f"<si><t>{n // REPEAT:07d}</t></si>" for n in range(count))
    source = zipfile.ZipFile(io.BytesIO(write_xlsx(Table(["ten_xa"], [{"ten_xa": "Xã A"}]))))
    out = io.BytesIO()
    with source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for part in source.infolist():
            data = source.read(part)
            if part.filename == "[Content_Types].xml":
                data = data.replace(b"</Types>", (
                    b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                    b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
                    b"</Types>"))
            if part.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(b"</Relationships>", (
                    b'<Relationship Id="rIdS" Type="http://schemas.openxmlformats.org/'
                    b'officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
                    b"</Relationships>"))
            if part.filename == SHEET and sheet_megabytes:
                data = _sheet(sheet_megabytes * MiB, count)
            target.writestr(part, data)
        target.writestr(STRINGS, '<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://'
                        f'schemas.openxmlformats.org/spreadsheetml/2006/main" count="{count}" '
                        f'uniqueCount="{count}">{strings}</sst>')
    return out.getvalue()


def _sheet(size: int, strings: int) -> bytes:
    """A sheet of about `size` bytes: rows of 200 cells naming shared strings in turn."""
    cell = len('<c t="s"><v>0000000</v></c>')
    cells = [f'<c t="s"><v>{(n // REPEAT) % strings}</v></c>' for n in range(size // cell)]
    header = "".join(f'<c t="inlineStr"><is><t>c{n}</t></is></c>' for n in range(200))
    rows = [f"<row>{header}</row>"]
    rows += ["<row>" + "".join(cells[at:at + 200]) + "</row>" for at in range(0, len(cells), 200)]
    return ('<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxml'
            f'formats.org/spreadsheetml/2006/main"><dimension ref="A1:GR{len(rows)}"/>'
            "<sheetData>" + "".join(rows) + "</sheetData></worksheet>").encode()


@functools.cache
def deflate_bomb_pdf(megabytes: int, prefix: bytes = b"") -> bytes:
    """A PDF (or an update of `prefix`) whose cross-reference stream inflates to `megabytes` MB."""
    compressor = zlib.compressobj(9)
    chunk = bytes(MiB)
    stream = b"".join(compressor.compress(chunk) for _ in range(megabytes)) + compressor.flush()
    head = prefix or (b"%PDF-1.7\n1 0 obj <</Type/Catalog/Pages 2 0 R>> endobj\n"
                      b"2 0 obj <</Type/Pages/Kids[]/Count 0>> endobj\n")
    offset = len(head)
    # /Size declares as many 7-byte entries as the stream inflates to, so no reader's bound
    # on a stream's size from its dictionary refuses it before inflating.
    entries = megabytes * MiB // 7
    xref = (b"9 0 obj <</Type/XRef/Size %d/W[1 4 2]/Root 1 0 R/Filter/FlateDecode/Length %d>>\n"
            b"stream\n" % (entries, len(stream)) + stream + b"\nendstream endobj\n")
    return head + xref + b"startxref\n" + str(offset).encode() + b"\n%%EOF\n"
