"""Administering units: a key only for a unit that exists, another unit's profile is not there,
and what a member of staff cannot do is not offered."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from service.bulk.communes import provinces
from service.cli import main
from tests.conftest import csrf_of, signed_in
from tests.helpers import PASSPHRASE, make_key
from tests.unit.test_pages import HTML, UNIT, add_unit
from tests.unit.test_unit_council import COUNCIL


def test_a_signing_key_for_a_unit_that_does_not_exist_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("VB_DATA_DIR", str(tmp_path / "var"))
    (tmp_path / "key.p12").write_bytes(make_key()[0])
    (tmp_path / "pass").write_bytes(PASSPHRASE)
    code = main(["signing-key", "khong-co", str(tmp_path / "key.p12"),
                 "--passphrase-file", str(tmp_path / "pass")])
    assert code == 1
    assert capsys.readouterr().err.strip() == (
        "UnitNotFound: no unit 'khong-co'; make its profile first (/don-vi/moi)")
    assert not (tmp_path / "var" / "signing" / "khong-co").exists()


def with_two_units(make_app: Any) -> Any:
    """An app whose quản trị "quantri" has added Y Tịch and Thành Linh through the unit form."""
    app = make_app()
    client = signed_in(app, "quantri", "quan_tri")
    assert add_unit(client).status_code == 302
    assert add_unit(client, slug="thanh-linh", **{"issuer.agency": "Ủy ban nhân dân xã Thành Linh",
                                                  "issuer.place": "Thành Linh"}).status_code == 302
    return app


@pytest.fixture()
def admin(make_app: Any) -> Any:
    return with_two_units(make_app)


def test_another_units_profile_is_not_found_and_ones_own_is_forbidden(admin: Any) -> None:
    clerk = signed_in(admin, "lan", "van_thu", UNIT["slug"])
    other = clerk.get("/don-vi/thanh-linh", headers=HTML)
    assert other.status_code == 404 and "Không có đơn vị “thanh-linh”." in other.get_data(True)
    assert clerk.get(f"/don-vi/{UNIT['slug']}", headers=HTML).status_code == 403


def test_staff_who_cannot_manage_units_are_not_offered_to(admin: Any) -> None:
    clerk = signed_in(admin, "lan", "van_thu", UNIT["slug"])
    page = clerk.get("/don-vi", headers=HTML).get_data(as_text=True)
    assert "Ủy ban nhân dân xã Y Tịch" in page
    assert "+ Thêm đơn vị" not in page and ">Xóa<" not in page and "/don-vi/moi" not in page
    managed = signed_in(admin, "quan.tri2", "quan_tri").get("/don-vi", headers=HTML)
    assert "+ Thêm đơn vị" in managed.get_data(as_text=True)


def test_the_edit_form_shows_the_councils_stored_details(admin: Any) -> None:
    admin.extensions["vb_services"].units.save(
        {**admin.extensions["vb_services"].units.get(UNIT["slug"]).prefill(),
         "slug": UNIT["slug"], "council": COUNCIL}, old_slug=UNIT["slug"])
    client = signed_in(admin, "quan.tri3", "quan_tri")
    page = client.get(f"/don-vi/{UNIT['slug']}", headers=HTML).get_data(as_text=True)
    # A name takes the header's line breaks: a two-line box, like the agency's.
    assert re.search(r'<textarea id="f-council.agency" name="council.agency" rows="2"[^>]*>'
                     r"Hội đồng nhân dân xã Y Tịch</textarea>", page)
    assert 'name="council.chair_name" value="Hoàng Văn Thịnh"' in page


def test_the_unit_form_chooses_the_province_from_the_shipped_list_and_keeps_it(
    admin: Any,
) -> None:
    client = signed_in(admin, "quan.tri4", "quan_tri")
    form = client.get(f"/don-vi/{UNIT['slug']}", headers=HTML).get_data(as_text=True)
    options = re.findall(r"<option(?: selected)?>([^<]+)</option>",
                         form.split('id="f-province"')[1].split("</select>")[0])
    assert options == [str(p["name"]) for p in provinces()] and len(options) == 34
    assert '<option value="">(không)</option>' in form
    assert edit_unit(client, province="Lạng Sơn").status_code == 302
    form = client.get(f"/don-vi/{UNIT['slug']}", headers=HTML).get_data(as_text=True)
    assert "<option selected>Lạng Sơn</option>" in form
    assert admin.extensions["vb_services"].units.get(UNIT["slug"]).province == "Lạng Sơn"
    listed = client.get("/don-vi", headers=HTML).get_data(as_text=True)
    assert 'Y Tịch<br><small>Lạng Sơn</small></td>' in listed
    refused = edit_unit(client, province="Tỉnh Không Có")
    assert refused.status_code == 422
    assert "Phải là một trong: An Giang, Bắc Ninh" in refused.get_data(as_text=True)


def edit_unit(client: Any, **changes: str) -> Any:
    """POST the edit form of Y Tịch with its profile and the changes."""
    token = csrf_of(client.get(f"/don-vi/{UNIT['slug']}", headers=HTML).get_data(as_text=True))
    return client.post(f"/don-vi/{UNIT['slug']}",
                       data={"csrf_token": token, **UNIT, **changes}, headers=HTML)
