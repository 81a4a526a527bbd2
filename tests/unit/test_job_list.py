"""The list of recent bulk jobs names each by its subject as the first row fills it, with
when and by whom it was started."""

from __future__ import annotations

import re
from typing import Any

from service.bulk.table import Table
from tests.conftest import bulk_base, signed_in
from tests.helpers import save_two_communes
from tests.unit.test_pages import HTML


def test_a_job_is_listed_by_its_filled_subject_its_start_and_its_starter(make_app: Any) -> None:
    app = make_app()
    save_two_communes(app.extensions["vb_services"].units)
    clerk = signed_in(app, "lan.vt", "van_thu", "y-tich", display_name="Lò Thị Lan")
    base = bulk_base("seed_000_ke_hoach_y_tich")
    base["subject"] = "Thực hiện xây dựng {ten_xa} phù hợp với trẻ em năm 2023"
    table = Table(["commune", "issuer.agency"], [
        {"commune": "Xã Thất Khê", "issuer.agency": "Ủy ban nhân dân xã Thất Khê"},
        {"commune": "Xã Na Sầm", "issuer.agency": "Ủy ban nhân dân xã Na Sầm"}])
    app.extensions["vb_services"].bulk.create(base, table, actor="lan.vt", unit="y-tich")
    page = clerk.get("/jobs", headers=HTML).get_data(as_text=True)
    (row,) = re.findall(r"<tr><td data-label=\"Văn bản\">.*?</tr>", page)
    assert ">Thực hiện xây dựng xã Thất Khê phù hợp với trẻ em năm 2023</a>" in row
    assert re.search(r'<td data-label="Tạo lúc">\d\d/\d\d/\d{4} \d\d:\d\d</td>', row)
    assert '<td data-label="Người tạo">Lò Thị Lan (lan.vt)</td>' in row
