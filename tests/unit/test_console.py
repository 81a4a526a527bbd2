"""What the commands print: no library's warnings, and the first start's address and password."""

from __future__ import annotations

import ipaddress
import logging
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from service.cli import announce_first_admin, service_url
from tests.conftest import ROOT, log_in
from tests.helpers import lone_passwords


def test_a_command_that_loads_pyhanko_prints_no_warning(tmp_path: Path) -> None:
    env = {**os.environ, "VB_DATA_DIR": str(tmp_path / "var")}
    done = subprocess.run(  # -X importtime lists, on stderr too, every module the command loads
        [sys.executable, "-X", "importtime", "-m", "service", "user", "add", "lan",
         "--role", "quan_tri"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert re.search(r"\| +pyhanko\.sign\.signers\.pdf_cms$", done.stderr, re.MULTILINE)
    assert re.findall(r".*\w+Warning: .*", done.stderr) == []


def test_first_start_prints_the_address_and_the_password_on_lines_of_their_own(
    make_app: Any, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    app = make_app()
    services = app.extensions["vb_services"]
    with caplog.at_level(logging.INFO, logger="service.cli"):
        announce_first_admin(services.accounts, services.settings)
    console = capsys.readouterr().out
    url = f"http://{services.settings.host}:{services.settings.port}/dang-nhap"
    assert url in [line.strip() for line in console.splitlines()]
    [password] = lone_passwords(console)
    answer = log_in(app.test_client(token=None), "quantri", password)
    assert answer.status_code == 302 and answer.location.endswith("/doi-mat-khau")
    logged = [record.getMessage() for record in caplog.records]
    assert [m for m in logged if url in m] and not [m for m in logged if password in m]

    announce_first_admin(services.accounts, services.settings)  # a later start: nothing
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize("wildcard", ["0.0.0.0", "::"])
def test_a_service_listening_everywhere_names_an_address_a_browser_can_open(wildcard: str) -> None:
    class Listening:
        host, port = wildcard, 8000

    url = service_url(Listening())  # type: ignore[arg-type]
    host = url.removeprefix("http://").removesuffix(":8000")
    assert not ipaddress.ip_address(host).is_unspecified
    Listening.host = "127.0.0.1"
    assert service_url(Listening()) == "http://127.0.0.1:8000"  # type: ignore[arg-type]

