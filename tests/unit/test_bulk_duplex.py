"""Duplex printing of a job's merged PDF: each commune's document starts on an odd page."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import pikepdf
import pytest

from service import cli
from service.bulk.merged import write_merged_pdf
from service.bulk.ports import RowOutput
from service.bulk.work import BulkContext, assemble
from service.core.documents import DocumentService
from service.core.files import sha256
from service.store.database import Database
from service.store.jobs import BulkJob, SqlJobStore
from service.web.context import EXTENSION
from tests.conftest import copy_of_migrated, load_sample, pdf_page_texts, pdf_pages
from tests.fakes import FakeConverter
from tests.unit.test_bulk_api import rows, wait_done

BASE = load_sample("seed_000_ke_hoach_y_tich")
PORTRAIT, LANDSCAPE = (595.28, 841.89), (841.89, 595.28)
Size = tuple[float, float]


def text_pdf(name: str, sizes: list[tuple[float, float]]) -> bytes:
    """A PDF whose page n reads "<name> p<n>", of the given sizes, with one outline entry."""
    with pikepdf.new() as pdf:
        font = pdf.make_indirect(pikepdf.Dictionary(
            Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica
        ))
        for number, (width, height) in enumerate(sizes, start=1):
            page = pdf.add_blank_page(page_size=(width, height))
            text = f"BT /F1 12 Tf 72 72 Td ({name} p{number}) Tj ET".encode()
            page.obj.Contents = pdf.make_stream(text)
            page.obj.Resources = pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font))
        with pdf.open_outline() as outline:
            outline.root.append(pikepdf.OutlineItem(name, 0))
        out = io.BytesIO()
        pdf.save(out)
    return out.getvalue()


def write_docs(folder: Path, docs: dict[str, list[tuple[float, float]]]) -> list[Path]:
    """Each document as a file, in order."""
    paths = []
    for name, sizes in docs.items():
        path = folder / f"{name}.pdf"
        path.write_bytes(text_pdf(name, sizes))
        paths.append(path)
    return paths


def layout(paths: list[Path], duplex: bool = False) -> tuple[list[str], list[Size], pikepdf.Pdf]:
    """Each page's text ("" for a blank page) and size, read back from the merged PDF."""
    out = io.BytesIO()
    write_merged_pdf(paths, out, duplex=duplex)
    merged = pikepdf.open(out)
    sizes = [(float(page.mediabox[2]), float(page.mediabox[3])) for page in merged.pages]
    return pdf_page_texts(out.getvalue()), sizes, merged


def outline_pages(pdf: pikepdf.Pdf) -> dict[str, int]:
    """Each top outline item's title and the index of the page it leads to."""
    with pdf.open_outline() as outline:
        return {item.title: pikepdf.Page(item.destination[0]).index for item in outline.root}


def test_one_two_three_pages_get_a_blank_after_the_odd_ones_but_the_last(tmp_path: Path) -> None:
    paths = write_docs(tmp_path, {"A": [LANDSCAPE], "B": [PORTRAIT] * 2, "C": [PORTRAIT] * 3})
    texts, sizes, _ = layout(paths, duplex=True)
    assert texts == ["A p1", "", "B p1", "B p2", "C p1", "C p2", "C p3"]
    assert sizes[1] == LANDSCAPE  # the blank page follows the landscape page before it
    assert [i for i, t in enumerate(texts) if t.endswith(" p1")] == [0, 2, 4]  # 0-based: even


def test_blanks_take_the_size_of_the_page_before_and_hold_nothing(tmp_path: Path) -> None:
    # A three-page plan ending on a landscape appendix, a one-page letter, a two-page report.
    paths = write_docs(
        tmp_path,
        {
            "C": [PORTRAIT, PORTRAIT, LANDSCAPE],
            "A": [PORTRAIT],
            "B": [PORTRAIT, LANDSCAPE],
        },
    )
    texts, sizes, reader = layout(paths, duplex=True)
    assert texts == ["C p1", "C p2", "C p3", "", "A p1", "", "B p1", "B p2"]
    assert (sizes[3], sizes[5]) == (LANDSCAPE, PORTRAIT)
    for blank, before in ((reader.pages[3], reader.pages[2]), (reader.pages[5], reader.pages[4])):
        assert "/Contents" not in blank.obj and "/Annots" not in blank.obj
        assert not blank.obj.Resources.keys()
        assert list(blank.mediabox) == list(before.mediabox)  # the very numbers, not rounded
    firsts = [i for i, t in enumerate(texts) if t.endswith(" p1")]
    assert firsts == [0, 4, 6] and all(i % 2 == 0 for i in firsts)
    # Each document's own outline is kept and points at its first page.
    assert outline_pages(reader) == {"C": 0, "A": 4, "B": 6}


def test_without_duplex_the_documents_follow_each_other(tmp_path: Path) -> None:
    paths = write_docs(tmp_path, {"A": [PORTRAIT], "B": [PORTRAIT] * 2, "C": [PORTRAIT]})
    texts, _, reader = layout(paths)
    assert texts == ["A p1", "B p1", "B p2", "C p1"]
    assert outline_pages(reader) == {"A": 0, "B": 1, "C": 3}


def test_a_job_with_nothing_done_still_gets_one_a4_page(tmp_path: Path) -> None:
    texts, sizes, _ = layout([], duplex=True)
    assert (texts, sizes) == ([""], [PORTRAIT])


def test_assembling_a_stored_duplex_job_pads_between_its_done_rows(tmp_path: Path) -> None:
    # work.assemble is what both runners call: the embedded one, and Celery's finishing task.
    store = SqlJobStore(Database(f"sqlite:///{copy_of_migrated(tmp_path / 'db.sqlite')}"))
    ctx = BulkContext(store, DocumentService(None), tmp_path / "jobs")
    communes = [(f"Xã {i}", {}) for i in range(1, 5)]
    job_id = store.create_job(
        doc_type="cong_van",
        base=BASE,
        columns=["commune"],
        rows=communes,
        backend="embedded",
        actor="t",
        separator=";",
        duplex=True,
    )
    assert store.fail_row(job_id, 2, "Dữ liệu chưa hợp lệ")
    for index, sizes in ((1, [PORTRAIT]), (3, [PORTRAIT] * 3), (4, [PORTRAIT] * 2)):
        pdf = text_pdf(f"X{index}", sizes)
        docx_name, pdf_name = ctx.files(job_id).write_row(index, f"Xã {index}", b"PK", pdf)
        assert store.claim_row(job_id, index, "w")
        output = RowOutput(docx_name, pdf_name, sha256(b"PK"), sha256(pdf), len(sizes))
        assert store.complete_row(job_id, index, output)
    assert assemble(ctx, job_id)
    texts = pdf_page_texts(ctx.files(job_id).path("merged.pdf"))
    assert texts == ["X1 p1", "", "X3 p1", "X3 p2", "X3 p3", "", "X4 p1", "X4 p2"]
    job = store.get_job(job_id)
    assert job is not None and (job.state, job.duplex) == ("done", True)


# -- the API and the page --------------------------------------------------------------------


def stored_duplex(app: Any, job_id: str) -> bool:
    """The job's option as the job store reads it back from the database."""
    job = app.extensions[EXTENSION].bulk.ctx.jobs.get_job(job_id)
    assert job is not None
    return bool(job.duplex)


def test_api_json_duplex_is_stored_reported_and_lays_out_the_merged_pdf(make_app: Any) -> None:
    app = make_app()
    client = app.test_client()
    answer = client.post("/api/jobs", json={"base": BASE, "rows": rows(3), "duplex": True})
    assert answer.status_code == 202 and answer.get_json()["duplex"] is True
    body = wait_done(client, answer.headers["Location"])
    assert body["duplex"] is True and stored_duplex(app, body["id"]) is True
    # The fake converter makes one page per row: a blank page after each but the last.
    assert pdf_pages(client.get(body["links"]["merged.pdf"]).data) == 5
    plain = client.post("/api/jobs", json={"base": BASE, "rows": rows(3)})
    assert plain.status_code == 202 and plain.get_json()["duplex"] is False
    body = wait_done(client, plain.headers["Location"])
    assert stored_duplex(app, body["id"]) is False
    assert pdf_pages(client.get(body["links"]["merged.pdf"]).data) == 3


@pytest.mark.parametrize("value", ["yes", 1, None, "true"])
def test_api_json_duplex_must_be_a_boolean(make_app: Any, value: Any) -> None:
    client = make_app().test_client()
    answer = client.post("/api/jobs", json={"base": BASE, "rows": rows(1), "duplex": value})
    assert answer.status_code == 422
    assert answer.get_json()["errors"] == {"duplex": ["In hai mặt phải là true hoặc false."]}


def upload(**fields: Any) -> dict[str, Any]:
    """A multipart job: the seed plan and a two-row CSV, plus the given fields."""
    table = "commune,signer.name\nXã A,Lê Văn A\nXã B,Lê Văn B\n".encode()
    return {
        "base": (io.BytesIO(json.dumps(BASE).encode()), "base.json"),
        "table": (io.BytesIO(table), "xa.csv"),
        **fields,
    }


def test_api_form_duplex_one_zero_and_a_bad_value(make_app: Any) -> None:
    app = make_app()
    client = app.test_client()
    for value, expected in (("1", True), ("0", False)):
        answer = client.post(
            "/api/jobs", data=upload(duplex=value), content_type="multipart/form-data"
        )
        assert answer.status_code == 202
        assert answer.get_json()["duplex"] is expected
        assert stored_duplex(app, answer.get_json()["id"]) is expected
    bad = client.post("/api/jobs", data=upload(duplex="có"), content_type="multipart/form-data")
    assert bad.status_code == 422
    assert bad.get_json()["errors"] == {"duplex": ["In hai mặt phải là 1 hoặc 0."]}


def test_page_has_the_checkbox_and_stores_what_is_ticked(make_app: Any) -> None:
    app = make_app()
    client = app.test_client()
    html = client.get("/jobs").data.decode()
    assert '<input type="checkbox" id="duplex" name="duplex" value="1"' in html
    assert '<label for="duplex">In hai mặt: mỗi xã bắt đầu ở trang lẻ</label>' in html
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]
    ticked = client.post(
        "/jobs", data=upload(csrf_token=token, duplex="1"), content_type="multipart/form-data"
    )
    assert ticked.status_code == 303
    job_id = ticked.headers["Location"].rsplit("/", 1)[1]
    assert stored_duplex(app, job_id) is True
    detail = client.get(ticked.headers["Location"]).data.decode()
    assert '<p id="in-hai-mat">PDF gộp: in hai mặt, mỗi xã bắt đầu ở trang lẻ.</p>' in detail
    unticked = client.post(
        "/jobs", data=upload(csrf_token=token), content_type="multipart/form-data"
    )
    assert unticked.status_code == 303
    assert stored_duplex(app, unticked.headers["Location"].rsplit("/", 1)[1]) is False
    detail = client.get(unticked.headers["Location"]).data.decode()
    assert '<p id="in-hai-mat">PDF gộp: in một mặt, các văn bản nối tiếp nhau.</p>' in detail
    # A refused attempt keeps the box ticked.
    refused = client.post(
        "/jobs",
        data=upload(
            csrf_token=token,
            duplex="1",
            table=(io.BytesIO(b"commune,date.day\nX\xc3\xa3 A,45\n"), "xa.csv"),
        ),
        content_type="multipart/form-data",
    )
    assert refused.status_code == 422
    assert 'name="duplex" value="1" checked' in refused.data.decode()


# -- the command line ------------------------------------------------------------------------


@pytest.mark.parametrize(("flag", "pages"), [(["--duplex"], 5), ([], 3)])
def test_cli_duplex_flag(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, flag: list[str], pages: int
) -> None:
    import service.bulk_cli as bulk_cli

    real = bulk_cli.build_services
    monkeypatch.setattr(
        bulk_cli, "build_services", lambda *a, **k: real(*a, converter=FakeConverter(), **k)
    )
    monkeypatch.setenv("VB_DATA_DIR", str(tmp_path / "var"))
    base, table = tmp_path / "base.json", tmp_path / "xa.csv"
    base.write_text(json.dumps(BASE), encoding="utf-8")
    table.write_text("commune\nXã A\nXã B\nXã C\n", encoding="utf-8")
    out = tmp_path / "out"
    assert cli.main(["bulk", str(base), str(table), "-o", str(out), *flag]) == 0
    assert pdf_pages(out / "merged.pdf") == pages
    database = Database(f"sqlite:///{out / '.bulk.sqlite'}")
    try:
        with database.session() as session:
            assert [j.duplex for j in session.query(BulkJob)] == [bool(flag)]
    finally:
        database.dispose()
