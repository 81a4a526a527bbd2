"""End-to-end fixtures: the real service (real LibreOffice pool) and Debian's real Chromium."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest
import requests

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
POOL_BASE_PORT = 2700  # this suite's unoserver ports: 2700–2760
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`python -m service serve` with a one-instance pool; its processes are checked at the end."""
    if shutil.which("soffice") is None:
        pytest.fail("LibreOffice (soffice) is not installed; run .ci/setup", pytrace=False)
    port = free_port()
    data_dir = tmp_path_factory.mktemp("var")
    env = {
        **os.environ,
        "VB_PORT": str(port),
        "VB_POOL_SIZE": "1",
        "VB_POOL_BASE_PORT": str(POOL_BASE_PORT),
        "VB_DATA_DIR": str(data_dir),
    }
    log = (data_dir / "server.log").open("wb")
    process = subprocess.Popen(
        [str(ROOT / ".venv/bin/python"), "-m", "service", "serve"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            if requests.get(base + "/health", timeout=2).status_code == 200:
                break
        except requests.ConnectionError:
            pass
        if process.poll() is not None:
            pytest.fail(f"server exited during start-up; see {data_dir / 'server.log'}")
        time.sleep(0.5)
    else:
        process.kill()
        pytest.fail("service did not become healthy in 180 s")
    children = psutil.Process(process.pid).children(recursive=True)
    yield base
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=30)
    _, alive = psutil.wait_procs(children, timeout=15)
    log.close()
    assert not alive, f"left running after shutdown: {[p.pid for p in alive]}"


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
def page(browser: Any) -> Iterator[Any]:
    """A fresh page (own storage) at 1366×768 that accepts downloads and confirms dialogs."""
    context = browser.new_context(viewport=DESKTOP, accept_downloads=True, locale="vi-VN")
    context.set_default_timeout(60_000)
    tab = context.new_page()
    tab.on("dialog", lambda dialog: dialog.accept())
    yield tab
    context.close()


def screenshot(page: Any, name: str) -> Path:
    """Save a full-page screenshot under test-artifacts/screenshots/."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
