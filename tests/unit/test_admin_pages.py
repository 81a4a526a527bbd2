"""The quản trị's pages: accounts with one-time passwords, API keys shown once and revoked."""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any

import pytest

from service.web.admin_pages import vn_time
from tests.conftest import csrf_of, log_in

HTML = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
ADMIN, ADMIN_PASSWORD = "quantri", "mat-khau-quan-tri-1"
HOA = "Nguyễn Thị Hoà"  # "oà" as typed on a Vietnamese keyboard: must come back unchanged


def unit(slug: str, agency: str) -> dict[str, Any]:
    """A valid unit profile (the seed plan's commune, renamed)."""
    return {
        "slug": slug,
        "issuer": {"parent_agency": "UBND huyện Chi Lăng", "agency": agency,
                   "agency_short": agency, "agency_code": "UBND", "place": "Y Tịch"},
        "signer": {"title": "Chủ tịch", "name": "Vương Văn Sơn"},
    }


@pytest.fixture()
def app(make_app: Any) -> Any:
    """An app with a quản trị account and two communes."""
    app = make_app()
    services = app.extensions["vb_services"]
    services.accounts.create(ADMIN, "quan_tri", None, password=ADMIN_PASSWORD)
    services.units.save(unit("xa-a", "Ủy ban nhân dân xã A"))
    services.units.save(unit("xa-b", "Ủy ban nhân dân xã B"))
    return app


@pytest.fixture()
def services(app: Any) -> Any:
    return app.extensions["vb_services"]


def browser(app: Any) -> Any:
    """A test client with no credentials (the shared set-up may give clients an API key)."""
    client = app.test_client()
    client.environ_base.pop("HTTP_AUTHORIZATION", None)
    return client


def row_of(page: str, text: str) -> str:
    """The table row that contains the text."""
    found = [row for row in re.findall(r"<tr.*?</tr>", page, re.S) if text in row]
    assert len(found) == 1, f"{len(found)} rows with {text!r}"
    return found[0]


def key_named(services: Any, name: str) -> Any:
    (key,) = [k for k in services.api_keys.list() if k.name == name]
    return key


@pytest.fixture()
def admin(app: Any) -> tuple[Any, str]:
    """A client logged in as the quản trị, and its session's CSRF token."""
    client = browser(app)
    assert log_in(client, ADMIN, ADMIN_PASSWORD).status_code == 302
    # Logging in starts a fresh session (and token): take the token from a page after it.
    page = client.get("/quan-tri/tai-khoan/moi", headers=HTML).get_data(as_text=True)
    return client, csrf_of(page)


def new_account(admin: tuple[Any, str], **fields: Any) -> Any:
    client, csrf = admin
    data = {"username": "hoa", "display_name": HOA, "role": "chuyen_vien", "unit": "xa-a",
            "csrf_token": csrf, **fields}
    return client.post("/quan-tri/tai-khoan/moi", data=data, headers=HTML)


def one_time_password(page: str) -> str:
    found = re.search(r'Mật khẩu dùng một lần: <strong class="secret" id="mat-khau">([^<]+)<', page)
    assert found, "no one-time password on the page"
    return html.unescape(found.group(1))


def new_key(admin: tuple[Any, str], **fields: Any) -> Any:
    client, csrf = admin
    data = {"name": "Cổng dịch vụ công", "scopes": ["render"], "all_units": "1",
            "csrf_token": csrf, **fields}
    return client.post("/quan-tri/khoa-api/moi", data=data, headers=HTML)


def token_of(page: str) -> str:
    found = re.search(r'id="token" class="secret" value="([^"]+)"', page)
    assert found, "no token on the page"
    return html.unescape(found.group(1))


def test_new_account_shows_a_one_time_password_that_logs_in(app: Any, admin: Any,
                                                            services: Any) -> None:
    response = new_account(admin, extra_units=["xa-b"])
    page = response.get_data(as_text=True)
    assert response.status_code == 201
    assert response.headers["Cache-Control"] == "no-store"
    assert "Đã tạo tài khoản hoa" in page
    assert ", người dùng phải đổi khi đăng nhập lần đầu." in page
    password = one_time_password(page)
    account = services.accounts.get("hoa")
    assert (account.role, account.unit, account.extra_units) == ("chuyen_vien", "xa-a", ("xa-b",))
    assert account.must_change_password
    user = browser(app)
    login = log_in(user, "hoa", password)
    assert login.status_code == 302 and login.headers["Location"] == "/doi-mat-khau"


def test_a_vietnamese_display_name_round_trips_exactly(admin: Any, services: Any) -> None:
    assert new_account(admin).status_code == 201
    assert services.accounts.get("hoa").display_name == HOA
    client, _ = admin
    listing = client.get("/quan-tri/tai-khoan", headers=HTML).get_data(as_text=True)
    assert f'<td data-label="Họ tên">{HOA}</td>' in listing
    form = client.get("/quan-tri/tai-khoan/hoa", headers=HTML).get_data(as_text=True)
    assert f'name="display_name" value="{HOA}"' in form


def test_account_list_shows_role_units_state_and_last_log_in(admin: Any, services: Any) -> None:
    services.accounts.create("huyen", "lanh_dao", "xa-a", extra_units=["xa-b"],
                             password="mat-khau-huyen-1")
    services.accounts.create("nghi", "van_thu", "xa-b", password="mat-khau-nghi-1")
    services.accounts.update("nghi", role="van_thu", unit="xa-b", active=False)
    client, _ = admin
    page = client.get("/quan-tri/tai-khoan", headers=HTML).get_data(as_text=True)
    assert "<caption>Các tài khoản đã có</caption>" in page
    assert 'href="/quan-tri/tai-khoan/moi">+ Thêm tài khoản</a>' in page
    assert "Lãnh đạo" in page and "Văn thư" in page and "Quản trị" in page
    assert "Được giao: Ủy ban nhân dân xã B" in page
    state = '<td data-label="Trạng thái">'
    assert len(re.findall(state + "hoạt động", page)) == 2 and state + "ngừng" in page
    last = r'<td data-label="Đăng nhập lần cuối">\d\d:\d\d \d\d/\d\d/\d{4}</td>'
    assert re.search(last, page)  # the quản trị's own log-in
    assert "chưa đăng nhập" in page


def test_invalid_account_is_shown_again_with_its_errors(admin: Any, services: Any) -> None:
    response = new_account(admin, username="Hoa Nguyen", unit="", role="van_thu")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'class="alert error-summary"' in page
    assert '<a href="#username">Tên đăng nhập</a>: Tên đăng nhập 2–60 ký tự' in page
    assert '<a href="#unit">Đơn vị</a>: Tài khoản này phải thuộc một đơn vị.' in page
    assert page.index('href="#username"') < page.index('href="#unit"')  # in the page's order
    assert '<div class="field has-error">' in page
    assert 'aria-invalid="true" aria-describedby="username-loi"' in page
    assert '<p class="error" id="unit-loi">Tài khoản này phải thuộc một đơn vị.</p>' in page
    assert 'value="Hoa Nguyen"' in page and f'value="{HOA}"' in page
    assert '<option value="van_thu" selected>Văn thư</option>' in page
    assert services.accounts.count() == 1


def test_a_taken_username_is_refused(admin: Any) -> None:
    assert new_account(admin).status_code == 201
    again = new_account(admin)
    assert again.status_code == 422
    assert "Tên đăng nhập “hoa” đã có người dùng." in again.get_data(as_text=True)


def test_edit_changes_the_account_and_disabling_stops_its_log_in(app: Any, admin: Any,
                                                                 services: Any) -> None:
    services.accounts.create("huyen", "chuyen_vien", "xa-a", password="mat-khau-huyen-1")
    client, csrf = admin
    form = client.get("/quan-tri/tai-khoan/huyen", headers=HTML).get_data(as_text=True)
    assert 'id="active" name="active" value="1" checked' in form
    data = {"csrf_token": csrf, "display_name": HOA, "role": "van_thu", "unit": "xa-a",
            "extra_units": ["xa-b"]}  # "active" unticked
    response = client.post("/quan-tri/tai-khoan/huyen", data=data)
    assert response.status_code == 303 and response.headers["Location"] == "/quan-tri/tai-khoan"
    listing = client.get("/quan-tri/tai-khoan", headers=HTML).get_data(as_text=True)
    assert "Đã lưu tài khoản huyen." in listing
    account = services.accounts.get("huyen")
    assert (account.role, account.extra_units, account.display_name) == ("van_thu", ("xa-b",), HOA)
    assert not account.active
    assert log_in(browser(app), "huyen", "mat-khau-huyen-1").status_code == 401


def test_invalid_edit_is_422_and_keeps_the_values(admin: Any, services: Any) -> None:
    services.accounts.create("huyen", "chuyen_vien", "xa-a", password="mat-khau-huyen-1")
    client, csrf = admin
    data = {"csrf_token": csrf, "display_name": HOA, "role": "van_thu", "unit": "", "active": "1"}
    response = client.post("/quan-tri/tai-khoan/huyen", data=data, headers=HTML)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert '<p class="error" id="unit-loi">Tài khoản này phải thuộc một đơn vị.</p>' in page
    assert f'value="{HOA}"' in page
    assert services.accounts.get("huyen").role == "chuyen_vien"


def test_the_admin_cannot_lock_herself_out(admin: Any, services: Any) -> None:
    client, csrf = admin
    data = {"csrf_token": csrf, "role": "chuyen_vien", "unit": "xa-a", "active": "1"}
    demoted = client.post(f"/quan-tri/tai-khoan/{ADMIN}", data=data, headers=HTML)
    assert demoted.status_code == 422
    assert "Không thể tự bỏ vai trò quản trị của chính mình." in demoted.get_data(as_text=True)
    data = {"csrf_token": csrf, "role": "quan_tri", "unit": ""}
    disabled = client.post(f"/quan-tri/tai-khoan/{ADMIN}", data=data, headers=HTML)
    assert disabled.status_code == 422
    assert "Không thể tự khóa tài khoản của chính mình." in disabled.get_data(as_text=True)
    assert services.accounts.get(ADMIN).active


def test_unknown_accounts_are_404(admin: Any) -> None:
    client, csrf = admin
    page = client.get("/quan-tri/tai-khoan/khong-co", headers=HTML)
    assert page.status_code == 404
    assert "Không có tài khoản “khong-co”." in page.get_data(as_text=True)
    data = {"csrf_token": csrf, "role": "chuyen_vien", "unit": "xa-a"}
    assert client.post("/quan-tri/tai-khoan/khong-co", data=data).status_code == 404
    reset = client.post("/quan-tri/tai-khoan/khong-co/dat-lai-mat-khau", data={"csrf_token": csrf})
    assert reset.status_code == 404


def test_reset_shows_a_new_one_time_password(app: Any, admin: Any, services: Any) -> None:
    services.accounts.create("hoa", "chuyen_vien", "xa-a", password="mat-khau-cua-hoa")
    client, csrf = admin
    response = client.post("/quan-tri/tai-khoan/hoa/dat-lai-mat-khau", data={"csrf_token": csrf})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert "Đã đặt lại mật khẩu cho hoa" in page
    login = log_in(browser(app), "hoa", one_time_password(page))
    assert login.status_code == 302 and login.headers["Location"] == "/doi-mat-khau"
    assert log_in(browser(app), "hoa", "mat-khau-cua-hoa").status_code == 401


def test_a_new_key_is_shown_once_and_works_until_revoked(app: Any, admin: Any,
                                                        services: Any) -> None:
    response = new_key(admin)
    page = response.get_data(as_text=True)
    assert response.status_code == 201 and response.headers["Cache-Control"] == "no-store"
    token = token_of(page)
    assert "readonly" in page and "Chỉ hiện một lần; hãy lưu lại ngay." in page
    example = f'curl -H "Authorization: Bearer {token}" http://localhost/api/types'
    assert example in html.unescape(page)
    caller = browser(app)
    bearer = {"Authorization": "Bearer " + token}
    assert caller.get("/api/types", headers=bearer).status_code == 200
    key_id = key_named(services, "Cổng dịch vụ công").key_id
    client, csrf = admin
    listing = client.get("/quan-tri/khoa-api", headers=HTML).get_data(as_text=True)
    assert token not in listing
    assert f"/quan-tri/khoa-api/{key_id}/thu-hoi" in row_of(listing, key_id)
    revoked = client.post(f"/quan-tri/khoa-api/{key_id}/thu-hoi", data={"csrf_token": csrf})
    assert revoked.status_code == 303 and revoked.headers["Location"] == "/quan-tri/khoa-api"
    listing = client.get("/quan-tri/khoa-api", headers=HTML).get_data(as_text=True)
    assert f"Đã thu hồi khóa API {key_id}" in listing
    row = row_of(listing, key_id)
    assert '<td data-label="Trạng thái">đã thu hồi</td>' in row and "Thu hồi</button>" not in row
    assert caller.get("/api/types", headers=bearer).status_code == 401


def test_key_list_shows_scope_units_types_and_creator(admin: Any, services: Any) -> None:
    new_key(admin, name="Hệ thống một cửa", scopes=["render", "issue"], all_units="",
            units=["xa-a"], doc_types=["ke_hoach"])
    new_key(admin, name="Kho lưu trữ", scopes=["read_register"])
    client, _ = admin
    page = client.get("/quan-tri/khoa-api", headers=HTML).get_data(as_text=True)
    assert "<caption>Các khóa API đã tạo</caption>" in page
    assert 'href="/quan-tri/khoa-api/moi">+ Tạo khóa API</a>' in page
    scoped = row_of(page, "Hệ thống một cửa")
    assert ('<td data-label="Quyền">Soạn, xem trước, tải văn bản; Cấp số, ban hành, đóng dấu '
            "số</td>") in scoped
    assert '<td data-label="Đơn vị">Ủy ban nhân dân xã A</td>' in scoped
    assert '<td data-label="Loại văn bản">Kế hoạch</td>' in scoped
    assert f'<td data-label="Tạo bởi">{ADMIN}<br>' in scoped
    assert '<td data-label="Trạng thái">còn hiệu lực</td>' in scoped
    assert "Thu hồi</button>" in scoped
    archive = row_of(page, "Kho lưu trữ")
    assert '<td data-label="Đơn vị">Tất cả đơn vị</td>' in archive
    assert '<td data-label="Loại văn bản">Tất cả</td>' in archive
    assert '<td data-label="Hết hạn">không hết hạn</td>' in archive
    assert '<td data-label="Dùng lần cuối">chưa dùng</td>' in archive
    key = key_named(services, "Hệ thống một cửa")
    assert (key.scopes, key.units, key.doc_types) == (("issue", "render"), ("xa-a",),
                                                      ("ke_hoach",))
    key = key_named(services, "Kho lưu trữ")
    assert (key.units, key.doc_types, key.created_by) == (None, None, ADMIN)


def test_key_expiry_is_the_end_of_that_day_in_vietnam(admin: Any, services: Any) -> None:
    assert new_key(admin, expires_at="2099-12-31").status_code == 201
    key = key_named(services, "Cổng dịch vụ công")
    assert key.expires_at == dt.datetime(2099, 12, 31, 16, 59, 59, tzinfo=dt.UTC)
    client, _ = admin
    page = client.get("/quan-tri/khoa-api", headers=HTML).get_data(as_text=True)
    assert '<td data-label="Hết hạn">23:59 31/12/2099</td>' in row_of(page, key.key_id)


def test_an_expired_key_is_listed_as_expired(admin: Any, services: Any) -> None:
    assert new_key(admin, expires_at="2099-12-31").status_code == 201
    key = key_named(services, "Cổng dịch vụ công")
    services.api_keys.store.update(key.key_id, expires_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    client, _ = admin
    page = client.get("/quan-tri/khoa-api", headers=HTML).get_data(as_text=True)
    row = row_of(page, key.key_id)
    assert '<td data-label="Trạng thái">đã hết hạn</td>' in row and "Thu hồi</button>" not in row


def test_invalid_key_is_shown_again_with_its_errors(admin: Any, services: Any) -> None:
    before = len(services.api_keys.list())
    response = new_key(admin, name=" ", scopes=[], all_units="", doc_types=["ke_hoach"],
                       expires_at="2000-01-01")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'class="alert error-summary"' in page
    assert '<a href="#name">Tên khóa</a>: Tên khóa từ 1 đến 120 ký tự' in page
    assert '<p class="error" id="scopes-loi">Chọn ít nhất một quyền.</p>' in page
    assert '<p class="error" id="units-loi">Chọn ít nhất một đơn vị.</p>' in page
    assert '<p class="error" id="expires_at-loi">Ngày hết hạn phải từ hôm nay trở đi.</p>' in page
    assert 'value="ke_hoach" checked' in page and 'value="2000-01-01"' in page
    assert len(services.api_keys.list()) == before


def test_a_key_date_that_is_not_a_date_is_refused(admin: Any) -> None:
    response = new_key(admin, expires_at="31/12/2099")
    assert response.status_code == 422
    assert "Ngày hết hạn phải là một ngày" in response.get_data(as_text=True)


def test_revoking_an_unknown_key_is_404(admin: Any) -> None:
    client, csrf = admin
    response = client.post("/quan-tri/khoa-api/khongco/thu-hoi", data={"csrf_token": csrf},
                           headers=HTML)
    assert response.status_code == 404
    assert "Không có khóa API “khongco”." in response.get_data(as_text=True)


def test_a_chuyen_vien_is_refused_the_admin_pages(app: Any, services: Any) -> None:
    services.accounts.create("hoa", "chuyen_vien", "xa-a", password="mat-khau-cua-hoa")
    client = browser(app)
    assert log_in(client, "hoa", "mat-khau-cua-hoa").status_code == 302
    for path in ("/quan-tri/tai-khoan", "/quan-tri/khoa-api", "/quan-tri/tai-khoan/moi",
                 "/quan-tri/khoa-api/moi", f"/quan-tri/tai-khoan/{ADMIN}"):
        assert client.get(path, headers=HTML).status_code == 403, path
    assert 'href="/quan-tri' not in client.get("/", headers=HTML).get_data(as_text=True)


def test_a_visitor_is_sent_to_log_in(app: Any) -> None:
    response = browser(app).get("/quan-tri/khoa-api", headers=HTML)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/dang-nhap?next=/quan-tri/khoa-api")


def test_a_post_without_the_csrf_token_is_refused(admin: Any, services: Any) -> None:
    client, _ = admin
    data = {"username": "hoa", "display_name": HOA, "role": "chuyen_vien", "unit": "xa-a"}
    assert client.post("/quan-tri/tai-khoan/moi", data=data).status_code == 400
    assert client.post("/quan-tri/tai-khoan/moi",
                       data={**data, "csrf_token": "gia-mao"}).status_code == 400
    assert client.post(f"/quan-tri/tai-khoan/{ADMIN}/dat-lai-mat-khau").status_code == 400
    assert client.post("/quan-tri/khoa-api/moi",
                       data={"name": "x", "scopes": "render", "all_units": "1"}).status_code == 400
    assert services.accounts.count() == 1
    assert not [k for k in services.api_keys.list() if k.name == "x"]


def test_times_are_shown_in_vietnam_time() -> None:
    assert vn_time(dt.datetime(2026, 3, 5, 17, 30, tzinfo=dt.UTC)) == "00:30 06/03/2026"
    assert vn_time(None) == "—" and vn_time(None, "chưa dùng") == "chưa dùng"


def test_a_new_account_starts_in_the_quan_tris_own_unit(
    app: Any, admin: tuple[Any, str]
) -> None:
    page = admin[0].get("/quan-tri/tai-khoan/moi", headers=HTML).get_data(as_text=True)
    assert 'selected' not in unit_select(page)  # a quản trị of no unit: no unit is guessed
    app.extensions["vb_services"].accounts.create(
        "quantri.xa.b", "quan_tri", "xa-b", password=ADMIN_PASSWORD)
    client = browser(app)
    assert log_in(client, "quantri.xa.b", ADMIN_PASSWORD).status_code == 302
    page = client.get("/quan-tri/tai-khoan/moi", headers=HTML).get_data(as_text=True)
    assert re.findall(r"<option[^>]*selected[^>]*>([^<]*)<", unit_select(page)) == [
        "Ủy ban nhân dân xã B"]


def unit_select(page: str) -> str:
    """The new-account form's unit selector."""
    return page.split('<select id="unit" name="unit"')[1].split("</select>")[0]
