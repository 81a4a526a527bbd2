"""Who may do what: every route's rule, credentials, roles, unit scope, sessions, lockout."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from typing import Any

import pytest

from service.core.rate_limit import RateLimiter
from service.usecases.access import ROLE_LABELS, Permission
from service.usecases.issuing import agency_key
from service.web.auth import PUBLIC, RULES, SESSION_SEEN, header_text
from service.web.errors import JSON_PREFIXES
from tests.conftest import (
    TEST_PASSWORD,
    client_as,
    csrf_of,
    grant_key,
    load_sample,
    log_in,
    signed_in,
)
from tests.helpers import SignableConverter, plan, routes, save_two_communes, unit_profile

HTML = {"Accept": "text/html"}


@pytest.fixture()
def app(make_app) -> Any:
    app = make_app(SignableConverter())
    save_two_communes(app.extensions["vb_services"].units)
    return app


def test_every_route_has_an_access_rule_and_every_rule_a_route(app) -> None:
    endpoints = {endpoint for endpoint, _, _ in routes(app)}
    assert endpoints - set(RULES) == set()
    assert set(RULES) - endpoints == set()


def test_without_credentials_the_api_answers_401_and_the_pages_send_to_log_in(app) -> None:
    anonymous = app.test_client(token=None)
    for endpoint, method, url in routes(app):
        if RULES[endpoint] == PUBLIC:
            continue
        response = anonymous.open(url, method=method, headers=HTML)
        if url.startswith(JSON_PREFIXES):
            assert response.status_code == 401, (method, url)
            assert response.headers["WWW-Authenticate"] == "Bearer"
            assert response.json["message"].startswith("Cần đăng nhập")
        elif method == "GET":
            assert response.status_code == 302, (method, url)
            assert response.headers["Location"].startswith("/dang-nhap?next=")
        else:  # a POST without a session: sent to log in too, nothing done
            assert response.status_code == 302, (method, url)


@pytest.mark.parametrize("header", ["Bearer vbk_abc_wrong", "Bearer nonsense", "Basic dTpw"])
def test_a_wrong_key_is_401_on_every_api_route(app, header) -> None:
    client = app.test_client(token=None)
    for endpoint, method, url in routes(app):
        if RULES[endpoint] == PUBLIC or not url.startswith(JSON_PREFIXES):
            continue
        response = client.open(url, method=method, headers={"Authorization": header})
        assert response.status_code == 401, (method, url)
        assert response.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'


def test_revoked_and_expired_keys_are_refused(app) -> None:
    services = app.extensions["vb_services"]
    token = grant_key(services, name="mot-cua", last_day=dt.date.today() + dt.timedelta(days=1))
    client = app.test_client(token=token)
    assert client.get("/api/types").status_code == 200
    services.api_keys.clock = lambda: dt.datetime.now(dt.UTC) + dt.timedelta(days=3)
    assert client.get("/api/types").status_code == 401
    services.api_keys.clock = lambda: dt.datetime.now(dt.UTC)
    assert client.get("/api/types").status_code == 200
    (key,) = [k for k in services.api_keys.list() if k.name == "mot-cua"]
    services.api_keys.revoke(key.key_id)
    assert client.get("/api/types").status_code == 401
    stored = json.dumps([str(k) for k in services.api_keys.list()])
    assert key.digest != token and token not in stored


def test_a_forged_remote_user_header_changes_nothing(app) -> None:
    anonymous = app.test_client(token=None)
    response = anonymous.get("/api/register", headers={"X-Remote-User": "quantri"})
    assert response.status_code == 401
    issued = client_as(app, "mot-cua").post(
        "/api/register/issue/ke_hoach?unit=y-tich", json=plan(),
        headers={"X-Remote-User": "chu-tich"},
    )
    assert issued.status_code == 201 and issued.json["issued_by"] == "key:mot-cua"


def test_a_trusted_proxy_names_an_account_and_no_other_address_may(make_app) -> None:
    app = make_app(SignableConverter(), trusted_proxies=("10.0.0.5",))
    services = app.extensions["vb_services"]
    services.units.save(unit_profile("y-tich"))
    services.accounts.create("lan", "van_thu", "y-tich", password=TEST_PASSWORD)
    client = app.test_client(token=None)
    proxy, stranger = {"REMOTE_ADDR": "10.0.0.5"}, {"REMOTE_ADDR": "10.0.0.6"}
    proxied = client.post("/api/register/issue/ke_hoach", json=plan(),
                          headers={"X-Remote-User": "lan"}, environ_base=proxy)
    assert proxied.status_code == 201 and proxied.json["issued_by"] == "lan"
    assert proxied.json["unit"] == "y-tich"  # the account's own unit
    elsewhere = client.post("/api/register/issue/ke_hoach", json=plan(),
                            headers={"X-Remote-User": "lan"}, environ_base=stranger)
    assert elsewhere.status_code == 401
    unknown = client.get("/api/register", headers={"X-Remote-User": "ai-do"},
                         environ_base=proxy)
    assert unknown.status_code == 401
    # A proxy's UTF-8 name arrives as Latin-1 from WSGI; it is read back, not garbled.
    assert header_text("Nguyễn".encode().decode("latin-1")) == "Nguyễn"
    utf8 = client.get("/api/register", environ_base=proxy,
                      headers={"X-Remote-User": "Nguyễn".encode().decode("latin-1")})
    assert utf8.status_code == 401


@pytest.mark.parametrize(
    ("role", "allowed", "refused"),
    [
        ("chuyen_vien", {Permission.RENDER, Permission.BULK},
         {Permission.ISSUE, Permission.READ_REGISTER, Permission.READ_AUDIT, Permission.MANAGE}),
        ("van_thu", {Permission.RENDER, Permission.ISSUE, Permission.READ_REGISTER},
         {Permission.MANAGE}),
        ("lanh_dao", {Permission.READ_REGISTER, Permission.READ_AUDIT},
         {Permission.ISSUE, Permission.BULK, Permission.MANAGE}),
        ("quan_tri", {Permission.MANAGE, Permission.READ_AUDIT},
         {Permission.ISSUE, Permission.READ_REGISTER, Permission.BULK}),
    ],
)
def test_roles_open_their_routes_and_only_those(app, role, allowed, refused) -> None:
    client = signed_in(app, "nguoi-dung", role, None if role == "quan_tri" else "y-tich")
    sample = {
        Permission.RENDER: ("GET", "/van-ban/ke_hoach"),
        Permission.ISSUE: ("POST", "/api/register/issue/ke_hoach"),
        Permission.READ_REGISTER: ("GET", "/api/register"),
        Permission.READ_AUDIT: ("GET", "/api/audit"),
        Permission.BULK: ("GET", "/jobs"),
        Permission.MANAGE: ("GET", "/don-vi/moi"),
    }
    origin = {"Origin": "http://localhost", **HTML}
    for permission in allowed:
        method, url = sample[permission]
        answer = client.open(url, method=method, json=plan(), headers=origin)
        assert answer.status_code in {"GET": (200,), "POST": (201,)}[method], (role, url)
    for permission in refused:
        method, url = sample[permission]
        answer = client.open(url, method=method, json=plan(), headers=origin)
        assert answer.status_code == 403, (role, url)
        assert "không có quyền" in answer.get_data(as_text=True)


def test_another_units_records_are_404_everywhere(app) -> None:
    mine = client_as(app, "y-tich", units=["y-tich"])
    theirs = client_as(app, "thanh-linh", units=["thanh-linh"])
    entry = mine.post("/api/register/issue/ke_hoach", json=plan()).json
    assert entry["unit"] == "y-tich"
    for url in (entry["links"]["self"], entry["links"]["pdf"], entry["links"]["docx"]):
        assert mine.get(url).status_code == 200
        refused = theirs.get(url)
        assert refused.status_code == 404 and refused.json["code"] == 404
    assert mine.get("/api/register").json["total"] == 1
    assert theirs.get("/api/register").json["total"] == 0
    assert theirs.get("/api/register?unit=y-tich").json["total"] == 0
    assert mine.get("/api/audit").json["total"] == 2  # the render and the issue
    assert theirs.get("/api/audit").json["total"] == 0
    # Issuing for another unit is refused as if the unit did not exist.
    other = theirs.post("/api/register/issue/ke_hoach?unit=y-tich", json=plan())
    assert other.status_code == 404 and other.json["errors"]["unit"] == [  # was a 422
        "Không có đơn vị có mã 'y-tich'."
    ]


def test_another_units_bulk_job_is_404(app) -> None:
    mine = client_as(app, "y-tich", units=["y-tich"])
    theirs = client_as(app, "thanh-linh", units=["thanh-linh"])
    base = {**plan(), "doc_type": "ke_hoach"}
    files = {"base": (io.BytesIO(json.dumps(base).encode()), "base.json"),
             "table": (io.BytesIO("commune\nXã A\n".encode()), "xa.csv")}
    created = mine.post("/api/jobs", data=files, content_type="multipart/form-data")
    assert created.status_code == 202, created.json
    job = created.headers["Location"]
    assert mine.get(job).status_code == 200
    for url in (job, job + "/manifest.json", job + "/rows/1.pdf"):
        assert theirs.get(url).status_code == 404
    assert theirs.post(job + "/cancel").status_code == 404


def test_a_key_for_two_units_reads_the_job_it_made(app) -> None:
    both = client_as(app, "huyen", units=["y-tich", "thanh-linh"])
    body = {"base": {**plan(), "doc_type": "ke_hoach"}, "rows": [{"commune": "Xã A"}]}
    unnamed = both.post("/api/jobs", json=body)
    assert (unnamed.status_code, list(unnamed.json["errors"])) == (422, ["unit"])
    created = both.post("/api/jobs", json={**body, "unit": "y-tich"})
    assert created.status_code == 202
    # Was 202, then 404 on its own Location: the job belonged to no unit the key sees.
    assert both.get(created.headers["Location"]).status_code == 200
    stranger = both.post("/api/jobs", json={**body, "unit": "chi-lang"})
    assert (stranger.status_code, list(stranger.json["errors"])) == (422, ["unit"])


def test_a_district_account_sees_the_communes_it_is_given(app) -> None:
    district = signed_in(app, "huyen", "van_thu", "y-tich", extra_units=["thanh-linh"])
    commune = signed_in(app, "xa", "van_thu", "thanh-linh")
    origin = {"Origin": "http://localhost"}
    own = {k: v for k, v in plan().items() if k != "issuer"}  # the unit's issuer is prefilled
    entry = commune.post("/api/register/issue/ke_hoach", json=own, headers=origin).json
    assert entry["agency"] == "Ủy ban nhân dân xã Thành Linh"
    assert district.get(entry["links"]["self"]).status_code == 200
    units_page = commune.get("/don-vi", headers=HTML).get_data(as_text=True)
    assert "thanh-linh" in units_page and "y-tich" not in units_page
    assert "y-tich" in district.get("/don-vi", headers=HTML).get_data(as_text=True)


def test_a_unit_cannot_issue_in_another_agencys_series(app) -> None:
    services = app.extensions["vb_services"]
    theirs = client_as(app, "thanh-linh", units=["thanh-linh"])
    refused = theirs.post("/api/register/issue/ke_hoach?unit=thanh-linh", json=plan())
    assert refused.status_code == 422
    assert refused.json["errors"] == {"issuer.agency": [
        "Văn bản của đơn vị này phải do “Ủy ban nhân dân xã Thành Linh” ban hành; số văn bản "
        "lấy theo sổ của đơn vị. Để ban hành cho đơn vị khác, hãy chọn đơn vị đó."
    ]}
    mine = client_as(app, "y-tich", units=["y-tich"])
    issued = mine.post("/api/register/issue/ke_hoach", json=plan()).json
    assert issued["number"] == 1  # the refusal took no number from Y Tịch's series
    series = agency_key(plan()["issuer"])
    assert services.issuer.register.last_number(series, issued["year"]) == 1


REFUSED_TYPE = "Khóa API này không được dùng cho loại văn bản 'ke_hoach'."


def test_a_type_limited_key_is_refused_on_every_route_of_another_type(app) -> None:
    client = client_as(app, "chi-bao-cao", doc_types=["bao_cao"])
    typed = [(e, m, u) for e, m, u in routes(app) if "/ke_hoach" in u]
    assert {e for e, _, _ in typed} >= {"documents.Render", "register.Issue", "pages.form",
                                        "pages.submit"}
    for endpoint, method, url in typed:
        response = client.open(url, method=method, json=plan())
        # /van-ban/ke_hoach answered 200 before, with a preview to download.
        assert response.status_code == 403, (endpoint, method, url, response.status_code)
        assert response.json["message"] == REFUSED_TYPE
    job = client.post("/api/jobs", json={"base": {**plan(), "doc_type": "ke_hoach"},
                                         "rows": [{"commune": "Xã A"}]})
    assert job.status_code == 403  # was 202, and the rows' PDFs came out
    base = {**load_sample("bao_cao_ket_qua_tre_em_2023"), "doc_type": "bao_cao"}
    assert client.post("/api/jobs", json={"base": base, "rows": [{"commune": "Xã A"}]}
                       ).status_code == 202


def test_a_key_bound_to_document_types_renders_only_those(app) -> None:
    client = client_as(app, "chi-ke-hoach", doc_types=["ke_hoach"])
    assert client.post("/api/documents/ke_hoach?format=docx", json=plan()).status_code == 200
    refused = client.post("/api/documents/bao_cao?format=docx", json=plan())
    assert refused.status_code == 403
    assert refused.json["message"] == "Khóa API này không được dùng cho loại văn bản 'bao_cao'."


def test_a_cross_site_form_post_with_the_cookie_is_refused(app) -> None:
    clerk = signed_in(app, "lan", "van_thu", "y-tich")
    files = {"base": (io.BytesIO(b"{}"), "base.json"), "table": (io.BytesIO(b"commune\n"), "t.csv")}
    forged = clerk.post("/api/jobs", data=files, content_type="multipart/form-data",
                        headers={"Origin": "http://evil.example"})
    assert forged.status_code == 403
    cancel = clerk.post("/api/jobs/" + "0" * 32 + "/cancel", headers={"Origin": "http://evil.example"})
    assert cancel.status_code == 403


def test_a_copied_session_cookie_is_dead_after_logging_out(app) -> None:
    clerk = signed_in(app, "lan", "van_thu", "y-tich")
    copied = app.test_client(token=None)
    cookie = clerk.get_cookie("session")
    assert cookie is not None
    copied.set_cookie("session", cookie.value)
    assert copied.get("/api/register").status_code == 200
    page = clerk.get("/", headers=HTML).get_data(as_text=True)
    assert clerk.post("/dang-xuat", data={"csrf_token": csrf_of(page)},
                      headers=HTML).status_code == 302
    # Was 200: the session ended in the browser only.
    assert copied.get("/api/register").status_code == 401
    assert copied.get("/", headers=HTML).status_code == 302
    again = signed_in_again(app, "lan")
    assert again.get("/api/register").status_code == 200  # logging in again works


def signed_in_again(app, username: str):
    client = app.test_client(token=None)
    assert log_in(client, username, TEST_PASSWORD).status_code == 302
    return client


def test_wrong_passwords_hold_back_the_name_from_that_address_only(app) -> None:
    services = app.extensions["vb_services"]
    services.accounts.create("lan", "van_thu", "y-tich", password=TEST_PASSWORD)
    now = [1000.0]
    app.extensions["vb_login_throttle"].clock = lambda: now[0]
    app.extensions["vb_login_limits"] = RateLimiter(0)  # the address's own rate: not tested here
    here, elsewhere = app.test_client(token=None), app.test_client(token=None)
    elsewhere.environ_base["REMOTE_ADDR"] = "10.1.2.3"

    def statuses(client: Any, name: str, password: str, times: int) -> list[int]:
        return [log_in(client, name, password).status_code for _ in range(times)]

    # A name that exists and one that does not answer alike: nothing tells which exist.
    assert statuses(here, "lan", "sai-mat-khau", 5) == [401] * 4 + [429]
    assert statuses(here, "khong-co-ai", "sai-mat-khau", 5) == [401] * 4 + [429]
    held = log_in(here, "lan", TEST_PASSWORD)
    assert held.status_code == 429 and held.headers["Retry-After"] == str(15 * 60)
    assert "Nhập sai mật khẩu nhiều lần từ máy này" in held.get_data(as_text=True)
    # The owner elsewhere is not locked out (before, five wrong passwords locked anyone out).
    assert log_in(elsewhere, "lan", TEST_PASSWORD).status_code == 302
    now[0] += 15 * 60 + 1
    assert statuses(here, "lan", "sai-mat-khau", 5) == [401] * 4 + [429]
    again = log_in(here, "lan", TEST_PASSWORD)
    assert again.headers["Retry-After"] == str(30 * 60)  # each wait twice the last
    now[0] += 30 * 60 + 1
    assert log_in(here, "lan", TEST_PASSWORD).status_code == 302


def test_an_idle_session_ends_and_a_password_change_ends_the_others(app) -> None:
    first = signed_in(app, "lan", "van_thu", "y-tich")
    assert first.get("/api/register", headers={"Origin": "http://localhost"}).status_code == 200
    with first.session_transaction() as session:
        session[SESSION_SEEN] -= 31 * 60
    assert first.get("/api/register").status_code == 401
    second = app.test_client(token=None)
    log_in(second, "lan", TEST_PASSWORD)
    assert second.get("/api/register").status_code == 200
    app.extensions["vb_services"].accounts.change_password("lan", TEST_PASSWORD, "mat-khau-moi-123")
    assert second.get("/api/register").status_code == 401


def test_the_log_in_page_speaks_to_every_member_of_staff(app) -> None:
    page = app.test_client(token=None).get("/dang-nhap", headers=HTML).get_data(as_text=True)
    lead = re.search(r'<p class="lead">(.*?)</p>', page, re.DOTALL)
    assert lead, page
    assert [r for r in ROLE_LABELS.values() if r.lower() not in lead.group(1).lower()] == []
    assert "quản trị viên" not in page


def test_an_account_with_a_one_time_password_must_change_it_first(app) -> None:
    services = app.extensions["vb_services"]
    _, one_time = services.accounts.create("moi", "chuyen_vien", "y-tich")
    client = app.test_client(token=None)
    before = csrf_of(client.get("/dang-nhap").get_data(as_text=True))
    logged = log_in(client, "moi", one_time)
    assert logged.headers["Location"] == "/doi-mat-khau"
    assert client.get("/van-ban/ke_hoach").headers["Location"] == "/doi-mat-khau"
    # A new session at log-in: the token of the page before it no longer counts.
    token = csrf_of(client.get("/doi-mat-khau").get_data(as_text=True))
    assert token != before
    changed = client.post("/doi-mat-khau", data={"current": one_time, "new": "Mot-mat-khau-dai",
                                                 "repeat": "Mot-mat-khau-dai", "csrf_token": token})
    assert changed.status_code == 302
    assert client.get("/van-ban/ke_hoach").status_code == 200
