"""HTTP calls to a service under test, carrying the API key made for it (every scope)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import requests

from service.settings import Settings

TOKENS: dict[str, str] = {}  # base URL → the test key's token
ENVS: dict[str, dict[str, str]] = {}  # base URL → the service's environment


@contextmanager
def services_of(env: dict[str, str]) -> Iterator[Any]:
    """The running service's parts on its own database (no converter), to make keys and accounts."""
    from service.composition import build_services

    services = build_services(Settings.from_env(env), convert=False)
    try:
        yield services
    finally:
        services.close()


def grant(url: str, env: dict[str, str]) -> str:
    """Make a key with every API scope over every unit in the service's database."""
    from tests.conftest import grant_key

    with services_of(env) as services:
        TOKENS[url] = grant_key(services, name="integration")
    ENVS[url] = env
    return TOKENS[url]


def services_at(url: str) -> Any:
    """The parts of the service running at this URL (started with start_service)."""
    return services_of(ENVS[url])


def add_account(env: dict[str, str], username: str, role: str, password: str,
                unit: str | None = None) -> None:
    """Make a staff account in the service's database."""
    with services_of(env) as services:
        services.accounts.create(username, role, unit, password=password)


def auth(url: str) -> dict[str, str]:
    """The Authorization header for the service this URL belongs to."""
    for base, token in TOKENS.items():
        if url.startswith(base):
            return {"Authorization": f"Bearer {token}"}
    raise LookupError(f"no test key for {url}: start the service with start_service")


def get(url: str, **options: Any) -> requests.Response:
    """GET with the service's test key."""
    return requests.get(url, headers={**auth(url), **options.pop("headers", {})}, **options)


def post(url: str, **options: Any) -> requests.Response:
    """POST with the service's test key."""
    return requests.post(url, headers={**auth(url), **options.pop("headers", {})}, **options)


def session_of(
    base: str, username: str, password: str, *, csrf: bool = False
) -> requests.Session:
    """A browser-like session logged in through the log-in form; with `csrf`, it sends the
    pages' X-CSRF-Token on every call, as the pages' own scripts do."""
    http = requests.Session()
    page = http.get(base + "/dang-nhap", timeout=10).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token
    answer = http.post(base + "/dang-nhap", timeout=30, allow_redirects=False,
                       data={"username": username, "password": password,
                             "csrf_token": token.group(1)})
    assert answer.status_code == 302, answer.text[:500]
    if csrf:
        home = http.get(base + "/", timeout=10).text
        front = re.search(r'name="csrf_token" value="([^"]+)"', home)
        assert front
        http.headers["X-CSRF-Token"] = front.group(1)
    return http
