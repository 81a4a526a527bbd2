"""Bulk core without LibreOffice: tables, overrides, the report, communes, outputs, state."""

from __future__ import annotations

import errno
import json
import time
import zipfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from service.bulk.check import check_table
from service.bulk.communes import commune_table, find_province, provinces
from service.bulk.embedded import EmbeddedRunner
from service.bulk.jobs import BulkJobs, TableRejected, eta
from service.bulk.outputs import JobFiles, ManifestRow, row_stem
from service.bulk.overrides import apply_overrides, resolve_column
from service.bulk.ports import RowOutcome, RowOutput
from service.bulk.table import Table, TableUnreadable, read_table, write_csv, write_xlsx
from service.bulk.work import BulkContext, assemble, process_row, run_row_with_retries
from service.bulk_cli import progress_line
from service.core.converter import ConversionFailed, ConverterUnavailable
from service.core.documents import DocumentService
from service.core.fields import split_items
from service.core.files import sha256
from service.core.outages import disk_full
from service.store.database import Database
from service.store.jobs import SqlJobStore
from tests.conftest import bulk_base, copy_of_migrated, docx_text, normalise, pdf_pages
from tests.fakes import FakeConverter, GatedConverter, blank_pdf

BASE = bulk_base("seed_000_ke_hoach_y_tich")


def test_csv_with_bom_semicolons_and_blank_lines() -> None:
    content = "\ufeffcommune;signer.name\r\nXã A;Lê Văn A\r\n;\r\nXã B;\r\n".encode()
    table = read_table(content, "csv")
    assert table.columns == ["commune", "signer.name"]
    assert table.rows == [{"commune": "Xã A", "signer.name": "Lê Văn A"},
                          {"commune": "Xã B", "signer.name": ""}]


def test_xlsx_and_csv_round_trip_keep_diacritics_and_lists() -> None:
    table = Table(["commune", "recipients"], [{"commune": "Xã Đoàn Kết", "recipients": ["A", "B"]}])
    for fmt, content in (("xlsx", write_xlsx(table)), ("csv", write_csv(table))):
        back = read_table(content, fmt)
        assert back.rows == [{"commune": "Xã Đoàn Kết", "recipients": "A; B"}], fmt


@pytest.mark.parametrize(
    ("content", "fmt", "message"),
    [
        ("Đà;x\n".encode("cp1258"), "csv", "UTF-8"),
        (b"a,,b\n1,2,3\n", "csv", "Cột thứ 2 không có tên"),
        (b"a,a\n1,2\n", "csv", "xuất hiện hai lần"),
        (b"a\n1,2\n", "csv", "Dòng 2 có nhiều ô hơn"),
        (b"not a zip", "xlsx", "XLSX không đọc được"),
        (b'{"a": 1}', "json", "danh sách các đối tượng"),
        (b"", "csv", "Bảng trống"),
    ],
)
def test_unreadable_tables_say_why(content: bytes, fmt: str, message: str) -> None:
    with pytest.raises(TableUnreadable, match=message):
        read_table(content, fmt)


def test_columns_resolve_to_fields_by_path(documents: DocumentService) -> None:
    catalog = documents.catalog
    assert resolve_column(catalog, "ke_hoach", "signer.name").field.type == "line"
    assert resolve_column(catalog, "ke_hoach", "kinh_gui.0").path == ("kinh_gui", 0)
    assert resolve_column(catalog, "ke_hoach", "date.day").field.type == "integer"
    for bad in ("signer.nam", "agency", "kinh_gui.first", "number.x", "doc_type"):
        with pytest.raises(LookupError):
            resolve_column(catalog, "ke_hoach", bad)


def test_overrides_coerce_cells_and_keep_the_base_for_empty_ones(
    documents: DocumentService,
) -> None:
    cells = {
        "commune": "Xã A",
        "issuer.agency": "Ủy ban nhân dân xã A & B <1>",
        "date.day": 5.0,  # Excel's numbers arrive as floats
        "number": "7",
        "recipients": "UBND tỉnh (b/c);  TT Đảng ủy\nLưu VT",
        "kinh_gui.0": "Các phòng",
        "signer.name": "",
        "end_mark": "không",
    }
    document, errors = apply_overrides(documents.catalog, "ke_hoach", BASE, cells)
    assert errors == {}
    assert document["issuer"]["agency"] == "Ủy ban nhân dân xã A & B <1>"
    assert document["date"] == {"day": 5, "month": 2, "year": 2023}
    assert document["number"] == 7 and document["end_mark"] is False
    assert document["recipients"] == ["UBND tỉnh (b/c)", "TT Đảng ủy", "Lưu VT"]
    assert document["kinh_gui"] == ["Các phòng"]
    assert document["signer"]["name"] == BASE["signer"]["name"]  # empty cell: base kept
    assert BASE["kinh_gui"] == []  # the base itself is untouched
    _, errors = apply_overrides(documents.catalog, "ke_hoach", BASE, {"kinh_gui.2": "x"})
    assert "chỉ có 0 mục" in errors["kinh_gui.2"][0]
    assert split_items("a | b\nc", "|") == ["a", "b", "c"]


def test_report_names_unknown_columns(documents: DocumentService) -> None:
    table = Table(["commune", "signer.nam"], [{"commune": "Xã A", "signer.nam": "X"}])
    report = check_table(documents, "ke_hoach", BASE, table)
    assert report.blocking and report.unknown_columns[0]["column"] == "signer.nam"
    assert "không có trường 'nam'" in report.unknown_columns[0]["message"]


def test_report_gives_row_column_and_vietnamese_reason_and_duplicates(
    documents: DocumentService,
) -> None:
    rows = [
        {"commune": "Xã A", "date.day": "12", "number": "3", "issuer.agency": "UBND xã A"},
        {"commune": "Xã B", "date.day": "45", "number": "3", "issuer.agency": "UBND xã B"},
        {"commune": "Xã C", "date.day": "1", "number": "ba", "issuer.agency": "UBND xã C"},
        {"commune": "xã  a", "date.day": "2", "number": "4", "issuer.agency": "UBND xã A2"},
        {"commune": "Xa A", "date.day": "2", "number": "4", "issuer.agency": "UBND xã A3"},
        {"commune": "Xã D", "date.day": "2", "number": "5", "issuer.agency": " "},
    ]
    report = check_table(documents, "ke_hoach", BASE, Table(list(rows[0]), rows))
    assert not report.ok and not report.blocking
    found = {(p.row, p.column): p.message for p in report.problems}
    assert found[(2, "date.day")] == "Phải từ 1 đến 31."
    assert found[(3, "number")] == "Phải là số nguyên."  # the form's words; the cell is shown
    assert (6, "issuer.agency") not in found  # blank keeps the base's agency
    assert report.as_dict()["duplicates"] == [  # case and spaces ignored; "Xa A" is another
        {"rows": [1, 4], "commune": "xã  a",
         "message": "Xã/phường 'xã  a' trùng với dòng 1; dòng này không được tạo."}
    ]
    assert report.as_dict()["valid_rows"] == 3
    assert report.flat()["rows.2.date.day"] == ["Phải từ 1 đến 31."]


def test_a_broken_base_blocks_with_its_paths(documents: DocumentService) -> None:
    base = dict(BASE, issuer=dict(BASE["issuer"], agency=""))
    report = check_table(documents, "ke_hoach", base, Table(["commune"], [{"commune": "A"}]))
    assert report.blocking and report.flat() == {"base.issuer.agency": ["Không được để trống."]}


def test_commune_table_for_a_province_after_the_2025_merger() -> None:
    assert len(provinces()) == 34
    assert find_province("lang son").name == find_province("20").name == "Lạng Sơn"
    table = commune_table("Lạng Sơn")
    assert len(table.rows) == 65
    rows = {r["commune"]: r for r in table.rows}
    assert rows["Xã Thất Khê"]["issuer.agency"] == "Ủy ban nhân dân xã Thất Khê"
    assert rows["Xã Thất Khê"]["issuer.place"] == "Thất Khê"
    assert rows["Xã Thất Khê"]["issuer.parent_agency"] == "UBND tỉnh Lạng Sơn"
    hanoi = commune_table("Hà Nội").rows
    assert hanoi[0]["issuer.parent_agency"] == "UBND thành phố Hà Nội"
    assert any(r["issuer.agency"].startswith("Ủy ban nhân dân phường ") for r in hanoi)


def test_outputs_are_keyed_by_row_and_assembled(tmp_path: Path) -> None:
    files = JobFiles(tmp_path / "job")
    first = files.write_row(7, "Xã Thất Khê", b"PK docx", blank_pdf())
    again = files.write_row(7, "Xã Thất Khê", b"PK docx", blank_pdf())  # a redo: same names
    assert first == again == ("0007-xa-that-khe.docx", "0007-xa-that-khe.pdf")
    assert row_stem(12, "Phường Đông Kinh") == "0012-phuong-dong-kinh"
    rows = [
        ManifestRow(7, "Xã Thất Khê", "done", None, *first, sha256(b"PK docx"),
                    sha256(blank_pdf()), 1, 2),
        ManifestRow(8, "Xã Lỗi", "failed", "date.day: Phải từ 1 đến 31.", None, None, None,
                    None, None, 1),
    ]
    files.assemble(rows)
    assert files.assembled()
    assert not list(files.folder.glob(".*.part"))  # no temporary file left behind
    manifest = json.loads((files.folder / "manifest.json").read_text(encoding="utf-8"))
    assert (manifest["done"], manifest["failed"], manifest["pages"]) == (1, 1, 1)
    text = (files.folder / "manifest.csv").read_text(encoding="utf-8-sig")
    assert text.splitlines()[0] == ("STT,Xã/đơn vị,Trạng thái,Lý do lỗi,Tệp DOCX,Tệp PDF,"
                                    "SHA-256 của DOCX,SHA-256 của PDF,Số trang,Số lần chạy")
    assert "8,Xã Lỗi,lỗi,date.day: Phải từ 1 đến 31." in text  # clerks read it in Vietnamese
    archive = zipfile.ZipFile(files.folder / "all.zip")
    members = {member.filename: member.compress_type for member in archive.infolist()}
    # The documents are compressed already and go in as they are; the manifests are deflated.
    assert members == {"docx/0007-xa-that-khe.docx": zipfile.ZIP_STORED,
                       "pdf/0007-xa-that-khe.pdf": zipfile.ZIP_STORED,
                       "manifest.csv": zipfile.ZIP_DEFLATED, "manifest.json": zipfile.ZIP_DEFLATED}
    assert pdf_pages(files.folder / "merged.pdf") == 1


def test_a_row_completes_once_however_often_it_is_claimed(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{copy_of_migrated(tmp_path / 'db.sqlite')}")
    store = SqlJobStore(database)
    job_id = store.create_job(doc_type="ke_hoach", base=BASE, columns=["commune"],
                              rows=[("Xã A", {}), ("Xã B", {})], backend="embedded",
                              actor="t", separator=";")
    output = RowOutput("a.docx", "a.pdf", "0" * 64, "1" * 64, 2)
    assert store.claim_row(job_id, 1, "w1")
    assert store.claim_row(job_id, 1, "w2")  # a redelivery of a row in flight
    assert store.complete_row(job_id, 1, output)
    assert not store.complete_row(job_id, 1, output)  # the slower one: no change
    assert store.claim_row(job_id, 1, "w3") is None  # done rows are not redone
    row = store.rows(job_id)[0]
    assert (row.index, row.attempts, row.completions) == (1, 2, 1)
    assert store.row_file(job_id, 1, "pdf") == "a.pdf" and store.row_file(job_id, 2, "pdf") is None
    assert store.open_row_indexes(job_id) == [2]
    assert store.cancel_job(job_id)
    assert store.status_counts(job_id) == {"done": 1, "skipped": 1}  # the stored values
    assert not store.cancel_job(job_id)
    assert store.claim_row(job_id, 2, "w4") is None  # a cancelled job runs nothing more


def test_a_batch_claims_and_completes_only_its_open_rows_once(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{copy_of_migrated(tmp_path / 'db.sqlite')}")
    store = SqlJobStore(database)
    job_id = store.create_job(doc_type="ke_hoach", base=BASE, columns=["commune"],
                              rows=[(f"Xã {n}", {"n": n}) for n in "ABCD"], backend="embedded",
                              actor="t", separator=";")
    output = RowOutput("a.docx", "a.pdf", "0" * 64, "1" * 64, 2)
    assert store.complete_row(job_id, 2, output)  # row 2 finished before the batch
    claimed = store.claim_rows(job_id, [1, 2, 3], "w1")
    assert sorted(claimed) == [1, 3]
    assert (claimed[3].commune, claimed[3].cells) == ("Xã C", {"n": "C"})
    assert sorted(store.claim_rows(job_id, [1, 3, 4], "w2")) == [1, 3, 4]  # a redelivery
    assert store.complete_rows(job_id, {1: output, 2: output, 3: output}) == {1, 3}
    assert store.complete_rows(job_id, {1: output, 3: output}) == set()  # the slower one
    assert store.open_row_indexes(job_id) == [4]
    assert [(row.index, row.attempts, row.completions) for row in store.rows(job_id)] == [
        (1, 2, 1), (2, 0, 1), (3, 2, 1), (4, 1, 0)]
    assert store.claim_rows(job_id, [1, 2, 3], "w3") == {}  # done rows are not redone
    assert store.cancel_job(job_id)
    assert store.claim_rows(job_id, [4], "w4") == {}  # a cancelled job runs nothing more


def test_embedded_runner_renders_each_row_and_fails_the_bad_one_alone(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{copy_of_migrated(tmp_path / 'db.sqlite')}")
    ctx = BulkContext(SqlJobStore(database), DocumentService(FakeConverter()), tmp_path / "jobs")
    runner = EmbeddedRunner(ctx, workers=3)
    jobs = BulkJobs(ctx, runner)
    rows = [{"commune": f"Xã Số {i}", "issuer.agency": f"Ủy ban nhân dân xã Số {i}",
             "signer.name": f"Lò Văn {i}", "date.day": str(i)} for i in range(1, 9)]
    rows[4]["date.day"] = "32"
    table = Table(list(rows[0]), rows)
    with pytest.raises(TableRejected) as refused:
        jobs.create(BASE, table, actor="t")
    assert refused.value.report.flat() == {"rows.5.date.day": ["Phải từ 1 đến 31."]}
    job_id = jobs.create(BASE, table, actor="t", allow_invalid=True)
    assert runner.wait(60)
    runner.stop()
    progress = jobs.progress(job_id)
    assert progress is not None
    assert (progress["state"], progress["done"], progress["failed"]) == ("done", 7, 1)
    assert progress["outputs_ready"] and progress["eta_seconds"] == 0
    assert jobs.failures(job_id) == [{
        "row": 5, "commune": "Xã Số 5",
        "error": "Dữ liệu chưa hợp lệ: dòng 5 của bảng, cột date.day: Phải từ 1 đến 31."}]
    archive = zipfile.ZipFile(jobs.output(job_id, "zip"))
    for i in (1, 2, 3, 4, 6, 7, 8):
        text = normalise(docx_text(archive.read(f"docx/{i:04d}-xa-so-{i}.docx")))
        assert f"XÃ SỐ {i}" in text and f"Lò Văn {i}" in text
    # The fake converter makes one page per row.
    assert pdf_pages(jobs.output(job_id, "merged.pdf")) == 7


class StoppedRunner:
    """A runner that takes jobs and runs nothing: the test runs their rows."""

    backend = "embedded"

    def submit(self, job_id: str) -> None:
        """Run nothing."""


def test_assembling_removes_the_files_of_writes_a_kill_cut_short(bulk_jobs: BulkJobs) -> None:
    jobs = BulkJobs(bulk_jobs.ctx, StoppedRunner())  # type: ignore[arg-type]
    job_id = jobs.create(BASE, Table(["commune"], [{"commune": "Xã A"}]), actor="t")
    folder = jobs.ctx.files(job_id).folder
    folder.mkdir(parents=True)
    # What a service killed while writing a row's PDF and an earlier ZIP leaves behind.
    cut = [folder / f".0001-xa-a.pdf.{'a' * 32}.part", folder / f".all.zip.{'0' * 32}.part"]
    for path in cut:
        path.write_bytes(b"%PDF-1.7 half")
    (folder / ".notes.part").write_bytes(b"not the service's")
    assert process_row(jobs.ctx, job_id, 1) == RowOutcome.DONE
    assert assemble(jobs.ctx, job_id)
    assert not any(path.exists() for path in cut)
    assert (folder / ".notes.part").exists() and jobs.ctx.files(job_id).assembled()


class FlakyConverter(FakeConverter):
    """Raises each of `errors` once, in order, then converts."""

    def __init__(self, *errors: Exception) -> None:
        super().__init__()
        self.errors = list(errors)

    def convert(self, docx: bytes, *, pdf_version: int | None = None) -> bytes:
        """The next planned error, else a blank PDF."""
        if self.errors:
            self.calls.append((docx, pdf_version))
            raise self.errors.pop(0)
        return super().convert(docx, pdf_version=pdf_version)


@pytest.mark.parametrize(
    ("errors", "outcome", "pauses"),
    [
        # A busy or restarting pool never uses up an attempt: the row waits its turn.
        ([ConverterUnavailable("busy")] * 5, RowOutcome.DONE, [1.0, 2.0, 3.0, 4.0, 5.0]),
        # Failed conversions do: the third one fails the row.
        ([ConversionFailed("crash")] * 3, RowOutcome.FAILED, [2.0, 4.0]),
        ([ConverterUnavailable("busy"), ConversionFailed("crash")] * 2, RowOutcome.DONE,
         [1.0, 2.0, 2.0, 4.0]),
    ],
)
def test_bulk_rows_wait_for_a_free_converter_but_fail_after_three_failed_conversions(
    tmp_path: Path, errors: list[Exception], outcome: RowOutcome, pauses: list[float]
) -> None:
    database = Database(f"sqlite:///{copy_of_migrated(tmp_path / 'db.sqlite')}")
    converter = FlakyConverter(*errors)
    ctx = BulkContext(SqlJobStore(database), DocumentService(converter), tmp_path / "jobs")
    job_id = ctx.jobs.create_job(doc_type="ke_hoach", base=BASE, columns=["commune"],
                                 rows=[("Xã A", {})], backend="embedded", actor="t",
                                 separator=";")
    waited: list[float] = []
    assert run_row_with_retries(ctx, job_id, 1, 3, lambda s: waited.append(s) is True) == outcome
    assert waited == pauses
    assert ctx.jobs.rows(job_id)[0].attempts == len(errors) + (outcome == RowOutcome.DONE)


def test_progress_line_and_eta() -> None:
    line = progress_line({"total": 10, "done": 4, "failed": 1, "eta_seconds": 12.4})
    assert line.startswith("[" + "#" * 15 + "." * 15 + "]") and "5/10" in line
    assert "1 lỗi" in line and "còn ~12 s" in line
    assert eta(None, 0, 5) is None and eta(None, 5, 0) == 0.0


def commune_rows(prefix: str, count: int) -> Table:
    """A table of `count` communes named prefix 1 … prefix count."""
    rows = [{"commune": f"Xã {prefix} {i}", "issuer.agency": f"Ủy ban nhân dân xã {prefix} {i}"}
            for i in range(1, count + 1)]
    return Table(list(rows[0]), rows)


def test_jobs_take_turns_and_a_cancelled_job_leaves_the_queue_at_once(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{copy_of_migrated(tmp_path / 'db.sqlite')}")
    converter = GatedConverter()
    ctx = BulkContext(SqlJobStore(database), DocumentService(converter), tmp_path / "jobs")
    runner = EmbeddedRunner(ctx, workers=1)
    jobs = BulkJobs(ctx, runner)
    try:
        big = jobs.create(BASE, commune_rows("Lớn", 40), actor="a")
        small = jobs.create(BASE, commune_rows("Nhỏ", 3), actor="b")
        converter.let(8)
        deadline = time.monotonic() + 30
        while (jobs.progress(small) or {}).get("state") != "done":
            assert time.monotonic() < deadline, jobs.progress(small)
            time.sleep(0.05)
        # The later, smaller job finished after a few rows of the big one, not after all 40.
        assert (jobs.progress(big) or {})["done"] <= 5
        assert jobs.cancel(big)
        converter.let()  # the row in flight, if any, may finish
        assert runner.wait(10)
        assert len(converter.calls) <= 9
    finally:
        converter.open()
        runner.stop()


def test_a_full_disk_makes_a_row_wait_not_fail(tmp_path: Path, monkeypatch) -> None:
    database = Database(f"sqlite:///{copy_of_migrated(tmp_path / 'db.sqlite')}")
    ctx = BulkContext(SqlJobStore(database), DocumentService(FakeConverter()), tmp_path / "jobs")
    job_id = ctx.jobs.create_job(doc_type="ke_hoach", base=BASE, columns=["commune"],
                                 rows=[("Xã A", {})], backend="embedded", actor="t",
                                 separator=";")
    original = JobFiles.write_row
    full = [OSError(errno.ENOSPC, "No space left on device")]

    def write_row(self: JobFiles, *args: Any) -> tuple[str, str]:
        if full:
            raise full.pop()
        return original(self, *args)

    monkeypatch.setattr(JobFiles, "write_row", write_row)
    waited: list[float] = []
    outcome = run_row_with_retries(ctx, job_id, 1, 3, lambda s: waited.append(s) is True)
    assert (outcome, waited) == (RowOutcome.DONE, [1.0])
    assert ctx.jobs.rows(job_id)[0].status == "done"


@pytest.mark.parametrize(("disk_low", "outcome", "status"), [
    (True, RowOutcome.WAIT, "running"), (False, RowOutcome.FAILED, "failed"),
])
def test_a_conversion_failing_on_a_full_disk_waits(
    tmp_path: Path, monkeypatch, disk_low: bool, outcome: RowOutcome, status: str
) -> None:
    """LibreOffice failing for want of room is the disk's fault: the row stays open to wait."""
    database = Database(f"sqlite:///{copy_of_migrated(tmp_path / 'db.sqlite')}")
    converter = FakeConverter(ConversionFailed("export failed"))
    ctx = BulkContext(SqlJobStore(database), DocumentService(converter), tmp_path / "jobs")
    job_id = ctx.jobs.create_job(doc_type="ke_hoach", base=BASE, columns=["commune"],
                                 rows=[("Xã A", {})], backend="embedded", actor="t",
                                 separator=";")
    monkeypatch.setattr("service.bulk.work.low_disk", lambda folder: disk_low)
    assert process_row(ctx, job_id, 1, last_attempt=True) == outcome
    assert ctx.jobs.rows(job_id)[0].status == status


def test_a_database_full_while_rendering_makes_a_row_wait(tmp_path: Path) -> None:
    """The render's audit write refused for want of room is the machine's fault: the row waits."""
    from sqlalchemy.exc import OperationalError

    from service.core.outages import explain_with
    from service.store.database import database_outage

    class FullAudit:
        def record(self, *args: Any, **kwargs: Any) -> None:
            raise OperationalError("INSERT", {}, Exception("database or disk is full"))

    database = Database(f"sqlite:///{copy_of_migrated(tmp_path / 'db.sqlite')}")
    documents = DocumentService(FakeConverter(), audit=FullAudit())
    outage = explain_with(database_outage)
    ctx = BulkContext(SqlJobStore(database), documents, tmp_path / "jobs", outage=outage)
    job_id = ctx.jobs.create_job(doc_type="ke_hoach", base=BASE, columns=["commune"],
                                 rows=[("Xã A", {})], backend="embedded", actor="t",
                                 separator=";")
    assert process_row(ctx, job_id, 1, last_attempt=True) == RowOutcome.WAIT
    assert ctx.jobs.rows(job_id)[0].status == "running"
    assert process_row(replace(ctx, outage=disk_full), job_id, 1) == RowOutcome.FAILED
