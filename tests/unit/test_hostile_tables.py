"""Hostile tables are refused fast with a clerk's message; outputs are formula-safe and private."""

from __future__ import annotations

import csv
import io
import json
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from service.bulk import xlsx
from service.bulk.outputs import JobFiles, ManifestRow
from service.bulk.rows import MAX_CELLS
from service.bulk.table import (
    MAX_CELL,
    MAX_COLUMNS,
    Table,
    TableTooLarge,
    TableUnreadable,
    TooManyRows,
    read_table,
    write_csv,
    write_xlsx,
)
from service.core.preview import PreviewStore
from service.store.database import Database
from tests.conftest import load_sample
from tests.fakes import blank_pdf
from tests.hostile import shared_strings_workbook

BASE = load_sample("seed_000_ke_hoach_y_tich")
SHEET = "xl/worksheets/sheet1.xml"
SHEET_OPEN = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
              '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
              '<dimension ref="A1"/><sheetData>')
DIMENSION = '<dimension ref="A1"/>'


def xlsx_with_sheet(sheet: bytes | None = None, rows: int = 0, dimension: bool = True) -> bytes:
    """A real workbook whose first sheet is replaced by `sheet`, or by `rows` streamed rows."""
    source = zipfile.ZipFile(io.BytesIO(write_xlsx(Table(["commune"], [{"commune": "Xã A"}]))))
    out = io.BytesIO()
    with source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for part in source.infolist():
            if part.filename != SHEET:
                target.writestr(part, source.read(part))
            elif sheet is not None:
                target.writestr(SHEET, sheet)
            else:
                with target.open(SHEET, "w", force_zip64=True) as handle:
                    opening = SHEET_OPEN if dimension else SHEET_OPEN.replace(DIMENSION, "")
                    handle.write(opening.encode())
                    line = b'<row><c t="inlineStr"><is><t>X</t></is></c></row>'
                    for _ in range(rows // 10_000):
                        handle.write(line * 10_000)
                    handle.write(b"</sheetData></worksheet>")
    return out.getvalue()


def post_table(client: Any, name: str, content: bytes) -> tuple[Any, float]:
    """POST /api/jobs with the sample base and the table; the answer and its seconds."""
    started = time.perf_counter()
    answer = client.post(
        "/api/jobs",
        data={"base": (io.BytesIO(json.dumps(BASE).encode()), "base.json"),
              "table": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )
    return answer, time.perf_counter() - started


def test_a_zip_bomb_workbook_is_413_before_anything_is_parsed(make_app: Any) -> None:
    bomb = xlsx_with_sheet(rows=3_000_000)  # ~150 MB of sheet XML
    assert len(bomb) < 1024 * 1024
    answer, seconds = post_table(make_app().test_client(), "xa.xlsx", bomb)
    assert answer.status_code == 413, answer.get_json()
    assert "giải nén quá lớn" in answer.get_json()["message"]
    assert seconds < 2


def test_a_part_far_more_compressed_than_a_sheet_is_refused() -> None:
    sheet = SHEET_OPEN.encode() + b" " * (20 * 1024 * 1024) + b"</sheetData></worksheet>"
    with pytest.raises(TableTooLarge, match="nén bất thường"):
        read_table(xlsx_with_sheet(sheet), "xlsx")


@pytest.mark.parametrize(
    "declaration",
    [
        '<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">]>',
        "<!-- " + "x" * 100_000 + ' --><!DOCTYPE x [<!ENTITY a "b">]>',  # past a first read
    ],
)
def test_a_workbook_declaring_entities_is_422(make_app: Any, declaration: str) -> None:
    sheet = SHEET_OPEN.replace("<worksheet", declaration + "<worksheet", 1)
    content = xlsx_with_sheet((sheet + "</sheetData></worksheet>").encode())
    answer, seconds = post_table(make_app().test_client(), "xa.xlsx", content)
    assert answer.status_code == 422
    assert "DOCTYPE/ENTITY" in answer.get_json()["errors"]["table"][0]
    assert seconds < 2


def test_a_dtd_in_utf16_is_seen_too() -> None:
    sheet = ('<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE x [<!ENTITY a "b">]>'
             + SHEET_OPEN.split("?>", 1)[1] + "</sheetData></worksheet>")
    with pytest.raises(TableUnreadable, match="DOCTYPE"):
        read_table(xlsx_with_sheet(sheet.encode("utf-16")), "xlsx")


def test_openpyxl_parses_workbooks_through_defusedxml() -> None:
    import openpyxl

    assert openpyxl.DEFUSEDXML


def test_entity_expansion_in_the_workbook_part_is_refused_fast() -> None:
    # openpyxl reads this part with lxml, not defusedxml: libxml2 stops the amplification.
    levels = "".join(f'<!ENTITY e{n} "{f"&e{n - 1};" * 10}">' for n in range(1, 10))
    bomb = f'<!DOCTYPE x [<!ENTITY e0 "lol">{levels}]>'
    source = zipfile.ZipFile(io.BytesIO(write_xlsx(Table(["xã"], [{"xã": "Xã A"}]))))
    out = io.BytesIO()
    with source, zipfile.ZipFile(out, "w") as target:
        for part in source.infolist():
            data = source.read(part)
            if part.filename == "xl/workbook.xml":
                data = data.replace(b"<workbook", bomb.encode() + b"<workbook", 1)
                data = data.replace(b'name="', b'name="&e9;', 1)
            target.writestr(part, data)
    started = time.perf_counter()
    with pytest.raises(TableUnreadable, match="XLSX không đọc được"):
        read_table(out.getvalue(), "xlsx")
    assert time.perf_counter() - started < 0.5


def test_a_large_sheet_without_its_size_is_refused_before_openpyxl_reads_it_whole() -> None:
    content = xlsx_with_sheet(rows=50_000, dimension=False)
    started = time.perf_counter()
    with pytest.raises(TableUnreadable, match="dimension"):
        read_table(content, "xlsx")
    assert time.perf_counter() - started < 0.5


def test_a_malformed_sheet_is_422_not_500() -> None:
    with pytest.raises(TableUnreadable, match="XLSX không đọc được"):
        read_table(xlsx_with_sheet(SHEET_OPEN.encode() + b"<row><c>"), "xlsx")


def test_a_huge_csv_cell_is_422_naming_its_row_and_column(make_app: Any) -> None:
    content = ("commune,signer.name\nXã A,An\nXã B," + "x" * 200_000 + "\n").encode()
    answer, _ = post_table(make_app().test_client(), "xa.csv", content)
    assert answer.status_code == 422
    message = answer.get_json()["errors"]["table"][0]
    assert "Ô B3 (dòng 3, cột B)" in message and "10.000" in message


def test_a_long_cell_within_csv_bounds_is_measured_exactly() -> None:
    content = ("a,b\nu,v\n" + "x" * (MAX_CELL + 1) + ",y\n").encode()
    with pytest.raises(TableUnreadable, match=r"Ô A3 .* có 10\.001 ký tự"):
        read_table(content, "csv")


def test_too_many_columns_are_refused() -> None:
    header = ",".join(f"c{i}" for i in range(MAX_COLUMNS + 1))
    with pytest.raises(TableUnreadable, match="tối đa 200 cột"):
        read_table(f"{header}\n".encode(), "csv")
    wide = Table([f"c{i}" for i in range(MAX_COLUMNS + 5)], [])
    with pytest.raises(TableUnreadable, match="tối đa 200 cột"):
        read_table(write_xlsx(wide), "xlsx")


def test_one_row_over_the_limit_is_413_without_reading_the_rest(make_app: Any) -> None:
    app = make_app(bulk_max_rows=50)
    lines = "\n".join(f"Xã {i},An" for i in range(100_000))
    answer, seconds = post_table(app.test_client(), "xa.csv", f"commune,signer.name\n{lines}\n"
                                 .encode())
    assert answer.status_code == 413
    assert "hơn 50 dòng" in answer.get_json()["message"]
    assert seconds < 2
    exactly = "\n".join(f"Xã {i}" for i in range(50))
    with pytest.raises(TooManyRows):
        read_table(f"commune\n{exactly}\nXã cuối\n".encode(), "csv", max_rows=50)
    assert len(read_table(f"commune\n{exactly}\n".encode(), "csv", max_rows=50).rows) == 50


def test_a_long_xlsx_stops_at_the_limit() -> None:
    content = xlsx_with_sheet(rows=150_000)
    started = time.perf_counter()
    with pytest.raises(TooManyRows):
        read_table(content, "xlsx", max_rows=5000)
    assert time.perf_counter() - started < 2


def test_shared_strings_that_unpack_far_past_a_tables_are_413_before_parsing(make_app) -> None:
    bomb = shared_strings_workbook(49)  # the shape found: ~600 kB unpacking to 49 MB at 75:1
    answer, _ = post_table(make_app().test_client(), "xa.xlsx", bomb)
    assert answer.status_code == 413
    assert answer.get_json()["message"] == (
        "Tệp XLSX có bảng chữ dùng chung quá lớn (49 MB khi giải nén; tối đa 8 MB). Hãy sao "
        "chép các dòng cần dùng sang một bảng tính mới rồi lưu lại, hoặc lưu thành CSV UTF-8."
    )


def test_a_workbook_whose_reading_crosses_the_memory_budget_is_too_large(monkeypatch) -> None:
    monkeypatch.setattr(xlsx, "MEMORY_BUDGET", 16 * 1024 * 1024)
    with pytest.raises(TableTooLarge) as caught:
        read_table(shared_strings_workbook(6), "xlsx")
    assert str(caught.value).startswith("Đọc tệp XLSX này cần hơn 16 MB bộ nhớ, mức tối đa")


def test_more_cells_than_the_bound_are_413_whatever_the_row_count(make_app) -> None:
    columns = ",".join(f"c{n}" for n in range(100))
    rows = "\n".join(",".join("x" * 100) for _ in range(MAX_CELLS // 100 + 1))
    answer, _ = post_table(make_app().test_client(), "xa.csv", f"{columns}\n{rows}\n".encode())
    assert answer.status_code == 413
    assert answer.get_json()["message"].startswith("Bảng có hơn 250.000 ô (số dòng × số cột)")


def test_formulas_are_quoted_in_spreadsheets_and_come_back_as_typed(tmp_path: Path) -> None:
    cells = ['=HYPERLINK("x")', "+cmd|' /C calc'!A0", "-1", "@SUM(1)", "\tx", "Xã A"]
    files = JobFiles(tmp_path / "job")
    files.assemble([ManifestRow(i, c, "failed", c, None, None, None, None, None, 1)
                    for i, c in enumerate(cells, start=1)])
    text = (tmp_path / "job" / "manifest.csv").read_text("utf-8-sig")
    manifest = list(csv.DictReader(io.StringIO(text)))
    assert [r["Xã/đơn vị"] for r in manifest] == ["'" + c for c in cells[:-1]] + ["Xã A"]
    assert manifest[0]["Lý do lỗi"] == '\'=HYPERLINK("x")' and manifest[0]["STT"] == "1"
    raw = json.loads((tmp_path / "job" / "manifest.json").read_text("utf-8"))
    assert raw["rows"][0]["commune"] == '=HYPERLINK("x")'

    table = Table(["commune"], [{"commune": c} for c in cells])
    sheet = load_workbook(io.BytesIO(write_xlsx(table))).active
    assert sheet is not None and sheet["A2"].value == '\'=HYPERLINK("x")'
    assert sheet["A2"].data_type == "s"  # text, not a formula
    assert "'=HYPERLINK" in write_csv(table).decode("utf-8-sig")
    for fmt, content in (("xlsx", write_xlsx(table)), ("csv", write_csv(table))):
        assert [r["commune"] for r in read_table(content, fmt).rows] == cells, fmt


def private(path: Path) -> bool:
    return path.stat().st_mode & 0o077 == 0


def test_the_services_files_are_private(tmp_path: Path) -> None:
    data = tmp_path / "data"
    database = Database(f"sqlite:///{data / 'vanban.db'}")
    database.upgrade()
    for path in (data, data / "vanban.db", data / "vanban.db-wal", data / "vanban.db-shm"):
        assert not path.exists() or private(path), path
    database.dispose()

    files = JobFiles(tmp_path / "jobs" / "abc")
    files.write_row(1, "Xã A", b"docx", blank_pdf())
    files.assemble([ManifestRow(1, "Xã A", "done", None, "0001-xa-a.docx", "0001-xa-a.pdf",
                                None, None, 1, 1)])
    assert all(private(p) for p in (tmp_path / "jobs", files.folder, *files.folder.iterdir()))

    previews = PreviewStore(tmp_path / "previews")
    stored = previews.save(blank_pdf(), b"docx", {"pdf": "a.pdf"}, BASE)
    previews.page_png(stored.token, 1, visible=lambda owner: True)
    folder, kept = tmp_path / "previews" / stored.token, previews.documents.path(stored.token)
    assert all(private(p) for p in (tmp_path / "previews", folder, *folder.iterdir(),
                                    kept.parent, kept, *kept.iterdir()))
