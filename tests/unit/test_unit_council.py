"""A unit profile holds its Hội đồng nhân dân: a nghị quyết made for the unit is the council's."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any

import pytest
from docx import Document as open_docx

from service.core.documents import DocumentService
from service.store.database import Database
from service.usecases.issuing import Issuer
from tests.conftest import load_sample, signed_in
from tests.helpers import SignableConverter, make_issuer, plan, unit_profile
from tests.unit.test_pages import HTML, UNIT, add_unit
from tests.unit.test_register import Today, make_database

COUNCIL = {"agency": "Hội đồng nhân dân xã Y Tịch", "agency_code": "HĐND",
           "chair_title": "Chủ tịch", "chair_name": "Hoàng Văn Thịnh"}


@pytest.fixture()
def issuer(tmp_path: Path) -> Issuer:
    database: Database = make_database(tmp_path)
    made = make_issuer(database, DocumentService(SignableConverter()), tmp_path,
                       Today(dt.date(2026, 3, 5)))
    made.units.save({**unit_profile(), "council": COUNCIL})
    return made


def resolution() -> dict[str, Any]:
    """The sample nghị quyết without who issues and signs it: the unit's profile says."""
    payload = load_sample("nghi_quyet_chu_truong_dau_tu")
    for key in ("issuer", "signer", "number", "authority"):
        payload.pop(key)
    return payload


def test_a_resolution_made_for_the_unit_is_its_councils(issuer: Issuer) -> None:
    prefill = issuer.units.prefill("y-tich", issuer.documents.catalog.get("nghi_quyet"))
    assert prefill["issuer"]["agency"] == "Hội đồng nhân dân xã Y Tịch"
    assert (prefill["issuer"]["agency_code"], prefill["issuer"]["place"]) == ("HĐND", "Y Tịch")
    assert prefill["signer"] == {"collective": "Hội đồng nhân dân", "mode": None,
                                 "head_title": None, "title": "Chủ tịch",
                                 "name": "Hoàng Văn Thịnh"}
    # Every other type stays the committee's.
    assert issuer.units.prefill("y-tich", issuer.documents.catalog.get("ke_hoach"))[
        "issuer"]["agency"] == plan()["issuer"]["agency"]


def test_the_resolution_prints_the_council_above_and_in_the_signature(issuer: Issuer) -> None:
    nghi_quyet = issuer.documents.catalog.get("nghi_quyet")
    payload = {**resolution(), **issuer.units.prefill("y-tich", nghi_quyet), "number": 1}
    docx = DocumentService().render("nghi_quyet", payload).docx
    document = open_docx(io.BytesIO(docx))
    texts = [p.text for p in document.paragraphs]
    cells = [p.text for t in document.tables for c in t._cells for p in c.paragraphs]
    assert "HỘI ĐỒNG NHÂN DÂN XÃ Y TỊCH" in texts and "QUYẾT NGHỊ:" in texts
    assert "HỘI ĐỒNG NHÂN DÂN\nXÃ Y TỊCH" in cells and "Số: 01/NQ-HĐND" in cells
    assert cells.index("TM. HỘI ĐỒNG NHÂN DÂN") + 1 == cells.index("CHỦ TỊCH")


def test_the_unit_page_keeps_a_council_or_none(make_app: Any) -> None:
    app = make_app()
    client = signed_in(app, "quantri", "quan_tri")
    assert add_unit(client).status_code == 302  # left blank, the unit has no council
    units = app.extensions["vb_services"].units
    assert units.get(UNIT["slug"]).council is None
    council = {f"council.{k}": v for k, v in COUNCIL.items()}
    saved = client.post(f"/don-vi/{UNIT['slug']}", headers=HTML, data={
        **UNIT, **council, "csrf_token": _token(client, f"/don-vi/{UNIT['slug']}")})
    assert saved.status_code == 302
    assert units.get(UNIT["slug"]).council == COUNCIL


def _token(client: Any, path: str) -> str:
    from tests.unit.test_pages import token

    return token(client.get(path, headers=HTML).get_data(as_text=True))



def test_the_councils_name_keeps_its_header_break(issuer: Issuer) -> None:
    council = issuer.documents.schemas.part_schema("council", ())().load(
        {**COUNCIL, "agency": "Hội đồng nhân dân\r\nxã  Y Tịch"})
    assert council["agency"] == "Hội đồng nhân dân\nxã Y Tịch"  # the break kept, spaces folded
    issuer.units.save({**unit_profile(), "slug": "y-tich-hdnd", "council": {
        **COUNCIL, "agency": "Hội đồng nhân dân\nxã Y Tịch"}})
    nghi_quyet = issuer.documents.catalog.get("nghi_quyet")
    payload = {**resolution(), **issuer.units.prefill("y-tich-hdnd", nghi_quyet), "number": 1}
    document = open_docx(io.BytesIO(DocumentService().render("nghi_quyet", payload).docx))
    header = [p.text for c in document.tables[0]._cells for p in c.paragraphs]
    assert "HỘI ĐỒNG NHÂN DÂN\nXÃ Y TỊCH" in header
    texts = [p.text for p in document.paragraphs]
    assert "HỘI ĐỒNG NHÂN DÂN XÃ Y TỊCH" in texts  # the authority line, on one line
