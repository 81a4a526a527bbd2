"""Who gets in, tried against the real service over HTTP: every route, every kind of caller."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

from service.web.auth import PUBLIC, RULES
from service.web.errors import JSON_PREFIXES
from tests.conftest import app_builder, grant_key
from tests.helpers import plan, routes, unit_profile
from tests.integration import calls
from tests.integration.servers import Proc, free_port, start_service

pytestmark = pytest.mark.integration
PASSWORD = "mat-khau-dung-thu"


@dataclass
class Service:
    """The running service and the keys made in its database, by name."""

    proc: Proc
    keys: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.proc.url

    @property
    def env(self) -> dict[str, str]:
        return self.proc.env


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """The service with two communes, a key and a văn thư for each, one revoked and one
    expired key of the first."""
    running = Service(start_service(tmp_path_factory.mktemp("var"), free_port(), pool_size=1,
                                    pool_base_port=3000))
    keys = running.keys
    with calls.services_of(running.env) as services:
        for slug in ("y-tich", "thanh-linh"):
            profile = unit_profile(slug)
            profile["issuer"] = {**profile["issuer"], "agency": f"Ủy ban nhân dân xã {slug}"}
            services.units.save(profile)
            services.accounts.create(f"vt-{slug}", "van_thu", slug, password=PASSWORD)
            keys[slug] = grant_key(services, name=slug, units=[slug])
        keys["revoked"] = grant_key(services, name="revoked", units=["y-tich"])
        (revoked,) = [k for k in services.api_keys.list() if k.name == "revoked"]
        services.api_keys.revoke(revoked.key_id)
        yesterday = dt.date.today() - dt.timedelta(days=2)
        services.api_keys.clock = lambda: dt.datetime.now(dt.UTC) - dt.timedelta(days=5)
        keys["expired"] = grant_key(services, name="expired", units=["y-tich"],
                                    last_day=yesterday)
    yield running
    running.proc.stop()


@pytest.fixture(scope="module")
def every_route(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, str, str]]:
    """(endpoint, method, URL) of each route, read from the app the service builds."""
    with app_builder(tmp_path_factory.mktemp("routes")) as build:
        return routes(build())


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize("caller", ["none", "wrong", "revoked", "expired"])
def test_every_api_route_refuses_a_caller_without_valid_credentials(
    service: Service, every_route: list[tuple[str, str, str]], caller: str
) -> None:
    headers = {
        "none": {},
        "wrong": bearer("vbk_000000000000_" + "x" * 43),
        "revoked": bearer(service.keys["revoked"]),
        "expired": bearer(service.keys["expired"]),
    }[caller]
    tried = 0
    for endpoint, method, url in every_route:
        if RULES[endpoint] == PUBLIC:
            continue
        answer = requests.request(method, service.url + url, headers=headers, timeout=30,
                                  allow_redirects=False)
        if url.startswith(JSON_PREFIXES):
            assert answer.status_code == 401, (caller, method, url, answer.text[:200])
            assert answer.json()["code"] == 401
        else:
            assert answer.status_code == (401 if caller != "none" else 302), (method, url)
        tried += 1
    assert tried == len([e for e, _, _ in every_route if RULES[e] != PUBLIC])


def test_a_forged_remote_user_gets_nothing(service: Service) -> None:
    for url in ("/api/register", "/api/audit", "/", "/don-vi"):
        answer = requests.get(service.url + url, headers={"X-Remote-User": "quantri"},
                              timeout=10, allow_redirects=False)
        assert answer.status_code == (401 if url.startswith("/api/") else 302), url


def test_another_units_key_and_account_see_404(service: Service) -> None:
    mine = bearer(service.keys["y-tich"])
    own = {k: v for k, v in plan().items() if k != "issuer"}  # the unit's issuer is prefilled
    issued = requests.post(service.url + "/api/register/issue/ke_hoach", json=own,
                           headers=mine, timeout=120)
    assert issued.status_code == 201, issued.text
    entry = issued.json()
    assert entry["issued_by"] == "key:y-tich" and entry["unit"] == "y-tich"
    other_key = bearer(service.keys["thanh-linh"])
    other_clerk = calls.session_of(service.url, "vt-thanh-linh", PASSWORD)
    own_clerk = calls.session_of(service.url, "vt-y-tich", PASSWORD)
    for link in entry["links"].values():
        assert requests.get(service.url + link, headers=mine, timeout=30).status_code == 200
        assert own_clerk.get(service.url + link, timeout=30).status_code == 200
        assert requests.get(service.url + link, headers=other_key, timeout=30).status_code == 404
        assert other_clerk.get(service.url + link, timeout=30).status_code == 404
    listed = other_clerk.get(service.url + "/api/register", timeout=30).json()
    assert listed["total"] == 0
    trail = requests.get(service.url + "/api/audit", headers=other_key, timeout=30).json()
    assert trail["total"] == 0


def test_a_cross_site_form_post_with_the_clerks_cookie_is_refused(service: Service) -> None:
    clerk = calls.session_of(service.url, "vt-y-tich", PASSWORD)
    files = {"base": ("base.json", b'{"doc_type": "ke_hoach"}', "application/json"),
             "table": ("xa.csv", "commune\nXã A\n".encode(), "text/csv")}
    forged = clerk.post(service.url + "/api/jobs", files=files, timeout=30,
                        headers={"Origin": "http://evil.example"})
    assert forged.status_code == 403
    assert forged.json()["message"].startswith("Yêu cầu từ trang khác bị từ chối")
    without_origin = clerk.post(service.url + "/api/jobs", files=files, timeout=30)
    assert without_origin.status_code == 403


def test_log_in_is_held_back_after_five_wrong_passwords(service: Service) -> None:
    with calls.services_of(service.env) as services:
        services.accounts.create("khoa-thu", "chuyen_vien", "y-tich", password=PASSWORD)
    http = requests.Session()

    def attempt(password: str, username: str = "khoa-thu") -> Any:
        page = http.get(service.url + "/dang-nhap", timeout=10).text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert token
        return http.post(service.url + "/dang-nhap", allow_redirects=False, timeout=30,
                         data={"username": username, "password": password,
                               "csrf_token": token.group(1)})

    assert [attempt("sai").status_code for _ in range(5)] == [401, 401, 401, 401, 429]
    refused = attempt(PASSWORD)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 14 * 60
    assert "Nhập sai mật khẩu nhiều lần từ máy này" in refused.text
    missing = [attempt("sai", "khong-ai-ten-the").status_code for _ in range(5)]
    assert missing == [401, 401, 401, 401, 429]  # a name that does not exist: the same


def test_the_session_cookie_is_http_only_and_same_site(service: Service) -> None:
    answer = requests.get(service.url + "/dang-nhap", timeout=10)
    cookie = answer.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_keys_are_not_stored_as_sent(service: Service, tmp_path: Path) -> None:
    database = Path(service.env["VB_DATA_DIR"]) / "vanban.db"
    content = database.read_bytes() + (database.parent / "vanban.db-wal").read_bytes()
    for token in service.keys.values():
        assert token.encode() not in content
    assert PASSWORD.encode() not in content
