"""A bulk row prints its own commune: the short name and place follow its agency."""

from __future__ import annotations

import zipfile

from service.bulk.embedded import EmbeddedRunner
from service.bulk.jobs import BulkJobs
from service.bulk.outputs import row_stem
from service.bulk.row_document import row_document
from service.bulk.table import read_table
from service.core.documents import DocumentService
from tests.conftest import docx_text, load_sample, normalise
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
