"""End-to-end fixtures: the real service (real LibreOffice pool) and Debian's real Chromium."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.integration import calls
from tests.integration.servers import free_port, start_service

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
# Without the background-networking flags Chromium's own connections fail on a closed network.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
CLERK, CLERK_PASSWORD = "quantri-e2e", "mat-khau-e2e-quan-tri"
POOL_BASE_PORT = 2700  # this suite's unoserver ports: 2700–2760
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The service the suites share, on a free port."""
    with service_on(tmp_path_factory.mktemp("var"), free_port(), POOL_BASE_PORT) as url:
        yield url


def own_server(port: int, pool_base_port: int) -> Any:
    """A suite's own `server` fixture (module scope): the service on that suite's ports."""

    @pytest.fixture(scope="module")
    def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
        with service_on(tmp_path_factory.mktemp("var"), port, pool_base_port) as url:
            yield url

    return server


@contextmanager
def service_on(folder: Path, port: int, pool_base_port: int) -> Iterator[str]:
    """`python -m service serve` with a one-instance pool and the quản trị the shared steps log
    in as; its processes are checked at the end."""
    service = start_service(folder, port, pool_size=1, pool_base_port=pool_base_port)
    calls.add_account(service.env, CLERK, "quan_tri", CLERK_PASSWORD)
    yield service.url
    assert not service.stop(), "processes left running after SIGTERM"


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright (never a downloaded browser)."""
    if not CHROMIUM.exists():
        pytest.fail("Chromium is not installed (/usr/bin/chromium); run .ci/setup test")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture()
def page(browser: Any, server: str) -> Iterator[Any]:
    """A fresh page (own storage) at 1366×768, logged in, accepting downloads and dialogs."""
    with logged_in_page(browser, server, accept_dialogs=True) as tab:
        yield tab


@contextmanager
def logged_in_page(
    browser: Any,
    server: str,
    username: str = CLERK,
    password: str = CLERK_PASSWORD,
    *,
    timeout_ms: int = 60_000,
    accept_dialogs: bool = False,
) -> Iterator[Any]:
    """A page of its own browser context (own storage) at desktop size, accepting downloads,
    logged in as this account."""
    context = browser.new_context(viewport=DESKTOP, accept_downloads=True, locale="vi-VN")
    context.set_default_timeout(timeout_ms)
    tab = context.new_page()
    if accept_dialogs:
        tab.on("dialog", lambda dialog: dialog.accept())
    log_in(tab, server, username, password)
    try:
        yield tab
    finally:
        context.close()


def log_in(tab: Any, server: str, username: str = CLERK, password: str = CLERK_PASSWORD) -> None:
    """Log in through the log-in page, as a clerk starts the day."""
    tab.goto(server + "/dang-nhap")
    tab.get_by_label("Tên đăng nhập").fill(username)
    tab.get_by_label("Mật khẩu").fill(password)
    tab.get_by_role("button", name="Đăng nhập").click()
    tab.wait_for_url(server + "/")


def screenshot(page: Any, name: str) -> Path:
    """Save a full-page screenshot under test-artifacts/screenshots/."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
