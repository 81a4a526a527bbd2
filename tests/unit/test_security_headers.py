"""Every answer carries the browser protections; session cookies are HttpOnly and SameSite."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

TEMPLATES = Path(__file__).resolve().parents[2] / "service" / "web" / "templates"
HTML = {"Accept": "text/html"}


@pytest.fixture()
def client(make_app) -> Any:
    return make_app().test_client()


@pytest.mark.parametrize("path", ["/", "/van-ban/ke_hoach", "/don-vi", "/jobs", "/api/types"])
def test_pages_and_api_carry_the_policy(client, path: str) -> None:
    response = client.get(path, headers=HTML)
    assert response.status_code == 200
    policy = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy and "default-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_errors_carry_the_policy_too(client) -> None:
    response = client.get("/van-ban/khong-co", headers=HTML)
    assert response.status_code == 404
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_only_the_api_docs_may_run_their_inline_script(client) -> None:
    response = client.get("/docs")
    assert response.status_code == 200
    assert "script-src 'self' 'unsafe-inline'" in response.headers["Content-Security-Policy"]


def test_no_template_needs_inline_script_or_style() -> None:
    for template in TEMPLATES.glob("*.html"):
        text = template.read_text(encoding="utf-8")
        assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", text) == [], template.name
        assert " style=" not in text and "<style" not in text, template.name
        assert not re.search(r"\son[a-z]+=", text), template.name


def session_cookie(response: Any) -> str:
    """The Set-Cookie header of the session."""
    return next(v for v in response.headers.getlist("Set-Cookie") if v.startswith("session="))


def test_session_cookie_is_httponly_and_samesite_lax(client) -> None:
    cookie = session_cookie(client.get("/van-ban/ke_hoach", headers=HTML))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # plain HTTP on the intranet: a Secure cookie would be lost


def test_session_cookie_is_secure_over_https(client) -> None:
    response = client.get("/van-ban/ke_hoach", headers=HTML, base_url="https://vanban.example")
    cookie = session_cookie(response)
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_method_not_allowed_says_what_is(client) -> None:
    response = client.put("/api/register")
    assert response.status_code == 405
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}
    assert response.json["message"] == "Địa chỉ này không nhận thao tác vừa gửi."
