"""A bulk row prints its own commune: the short name and place follow its agency, and the check
reports the base commune's name a row would still print."""

from __future__ import annotations

import zipfile
from typing import Any

from service.bulk.check import check_table
from service.bulk.embedded import EmbeddedRunner
from service.bulk.jobs import BulkJobs
from service.bulk.outputs import row_stem
from service.bulk.row_document import row_document
from service.bulk.table import read_table
from service.core.documents import DocumentService
from tests.conftest import bulk_base, docx_text, load_sample, normalise
from tests.helpers import OTHER_COMMUNES, agency_and_place_csv, bulk_plan

SEED = "seed_000_ke_hoach_y_tich"  # the base commune: xã Y Tịch, huyện Chi Lăng


def test_each_row_prints_its_own_short_name_and_never_the_base_commune(
    bulk_jobs: BulkJobs,
) -> None:
    table = read_table(agency_and_place_csv(), "csv")
    job_id = bulk_jobs.create(bulk_plan(), table, actor="t")  # the check lets it run
    runner = bulk_jobs.runner
    assert isinstance(runner, EmbeddedRunner) and runner.wait(60)
    runner.stop()
    archive = zipfile.ZipFile(bulk_jobs.output(job_id, "zip"))
    for row, (kind, name) in enumerate(OTHER_COMMUNES, start=1):
        text = normalise(docx_text(archive.read(f"docx/{row_stem(row, name)}.docx")))
        assert "y tịch" not in text.lower(), (name, text)
        short = f"UBND {kind} {name}"
        assert f"{short} xây dựng kế hoạch triển khai" in text
        assert f"Trên đây là Kế hoạch của Ủy ban nhân dân {kind} {name}. Nơi nhận:" in text
        assert f"năm 2023 của {short})" in text  # the appendix's (Kèm theo …) line
        assert f"Các thôn của {kind} {name} thực hiện; địa danh {name}." in text
        assert f"{name}, ngày tháng 02 năm 2023" in text


def test_a_row_setting_only_its_agency_gets_its_own_short_name_and_place(
    documents: DocumentService,
) -> None:
    cells = {"issuer.agency": "Ủy ban nhân dân xã Thất Khê"}
    issuer = row_document(documents.catalog, "ke_hoach", load_sample(SEED), cells).document[
        "issuer"]
    assert issuer == {
        "parent_agency": "UBND huyện Chi Lăng",
        "agency": "Ủy ban nhân dân xã Thất Khê",
        "agency_short": "UBND xã Thất Khê",
        "agency_code": "UBND",
        "unit_code": None,
        "place": "Thất Khê",
    }


def test_only_what_the_base_derived_from_its_commune_follows_the_row(
    documents: DocumentService,
) -> None:
    """Derived: empty, the agency's abbreviation, or naming the commune. Chosen for all: kept."""
    that_khe = {"issuer.agency": "Ủy ban nhân dân xã Thất Khê"}
    cases = [  # base's (short name, place), the row's cells → the row's (short name, place)
        ((None, "Y Tịch"), that_khe, ("UBND xã Thất Khê", "Thất Khê")),
        (("UBND Y Tịch", "Y Tịch"), that_khe, ("UBND xã Thất Khê", "Thất Khê")),
        (("UBND xã Y Tịch", "Chi Lăng"), that_khe, ("UBND xã Thất Khê", "Chi Lăng")),
        (("Ban Chỉ đạo 389", "Y Tịch"), that_khe, ("Ban Chỉ đạo 389", "Thất Khê")),
        (("UBND xã Y Tịch", "Y Tịch"), {**that_khe, "issuer.agency_short": "UBND Thất Khê",
                                         "issuer.place": "Na Pàn"}, ("UBND Thất Khê", "Na Pàn")),
        (("UBND xã Y Tịch", "Y Tịch"), {"signer.name": "Lò Văn A"}, ("UBND xã Y Tịch", "Y Tịch")),
    ]
    for (short, place), cells, expected in cases:
        base = load_sample(SEED)
        base["issuer"].update(agency_short=short, place=place)
        issuer = row_document(documents.catalog, "ke_hoach", base, cells).document["issuer"]
        assert (issuer["agency_short"], issuer["place"]) == expected, (short, place, cells)


def test_the_api_refuses_a_row_that_would_print_the_base_commune(make_app: Any) -> None:
    """The seed says "UBND xã Y Tịch" in its text: Thất Khê's plan would print it; Y Tịch's not."""
    rows = [{"issuer.agency": "Ủy ban nhân dân xã Thất Khê", "issuer.place": "Thất Khê"},
            {"issuer.agency": "UBND xã Y Tịch", "issuer.place": "Y Tịch"}]
    answer = make_app().test_client().post(
        "/api/jobs", json={"base": load_sample(SEED), "rows": rows})
    assert answer.status_code == 422
    assert answer.get_json()["errors"] == {
        "rows.1.intro.0": [
            "Văn bản gốc ghi “UBND xã Y Tịch” ở intro.0 nên văn bản của xã Thất Khê sẽ in tên "
            "xã Y Tịch. Trong văn bản gốc, viết {co_quan_viet_tat} thay cho “UBND xã Y Tịch”, "
            "hoặc điền cột intro.0 cho dòng này (thêm cột nếu bảng chưa có)."],
        "rows.1.closing.0": [
            "Văn bản gốc ghi “Ủy ban nhân dân xã Y Tịch” ở closing.0 nên văn bản của xã Thất "
            "Khê sẽ in tên xã Y Tịch. Trong văn bản gốc, viết {co_quan} thay cho “Ủy ban nhân "
            "dân xã Y Tịch”, hoặc điền cột closing.0 cho dòng này (thêm cột nếu bảng chưa có)."],
    }


def test_the_check_names_cells_and_places_but_not_the_district_or_the_base_commune_itself(
    documents: DocumentService,
) -> None:
    """A base in thị trấn Chi Lăng of huyện Chi Lăng: the district's name is every row's."""
    base = bulk_base(SEED)
    base["issuer"].update(agency="Ủy ban nhân dân thị trấn Chi Lăng",
                          agency_short="UBND thị trấn Chi Lăng", place="Chi Lăng")
    assert "Ủy ban nhân dân huyện Chi Lăng" in base["legal_bases"][0]
    table = read_table((
        "issuer.agency,issuer.agency_short,issuer.place\n"
        "Ủy ban nhân dân xã Thất Khê,,Thất Khê\n"
        "Ủy ban nhân dân xã Đồng Đăng,UBND thị trấn Chi Lăng,\n"
        "Ủy ban nhân dân Na Sầm,,\n"
        "UBND thị trấn Chi Lăng,,\n"
        "Ủy ban nhân dân thị trấn Chi Lăng Mới,,\n"
    ).encode(), "csv")
    report = check_table(documents, "ke_hoach", base, table)
    assert report.flat() == {
        "rows.3.issuer.agency_short": [
            "Ô này ghi “UBND thị trấn Chi Lăng”, tên của thị trấn Chi Lăng trong văn bản gốc, "
            "nhưng dòng này là của xã Đồng Đăng. Sửa ô cho đúng với xã Đồng Đăng."],
        "rows.4.issuer.place": [
            "Văn bản của UBND Na Sầm vẫn in địa danh “Chi Lăng” của văn bản gốc ở dòng ngày "
            "tháng, vì tên cơ quan của dòng không cho biết địa danh. Hãy điền cột issuer.place "
            "cho dòng này (thêm cột nếu bảng chưa có)."],
    }
    assert [(p.row, p.value) for p in report.problems] == [
        (3, "UBND thị trấn Chi Lăng"), (4, "")]
    assert report.as_dict()["valid_rows"] == 3
