"""The first start of `python -m service serve` on an empty data folder, as its console reads."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.helpers import lone_passwords
from tests.integration import calls
from tests.integration.servers import start_service

pytestmark = pytest.mark.integration
PORT, POOL_BASE_PORT = 3538, 3522  # this test's ports: the service, then its unoserver pool


def test_the_first_start_shows_the_address_and_the_password_on_lines_of_their_own(
    tmp_path: Path,
) -> None:
    service = start_service(tmp_path, PORT, pool_size=1, pool_base_port=POOL_BASE_PORT)
    try:
        console = service.log.read_text(encoding="utf-8")  # its stdout and stderr
        url = f"{service.url}/dang-nhap"
        assert url in [line.strip() for line in console.splitlines()]
        [password] = lone_passwords(console)
        first = calls.session_of(service.url, "quantri", password)
        assert first.get(service.url + "/", allow_redirects=False).headers["Location"] == (
            "/doi-mat-khau")
    finally:
        assert not service.stop(), "processes left running after SIGTERM"
    assert re.findall(r".*\w+Warning: .*", console) == []
    # No library's start-up chatter: pikepdf's logger bridge, alembic's plugin list.
    assert [line for line in console.splitlines()
            if "pikepdf" in line or "setup plugin" in line] == []
    logged = [json.loads(line) for line in console.splitlines() if line.startswith("{")]
    said = [entry["msg"] for entry in logged if entry["logger"] == "service.cli"]
    assert len(said) == 1 and url in said[0]
    assert not [entry for entry in logged if password in json.dumps(entry)]
