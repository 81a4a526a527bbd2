"""A unoserver started elsewhere (here: by hand, as another machine would) serves the pool."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from service.convert.pool import ConverterPool, PoolConfig
from service.core.documents import DocumentService
from tests.conftest import load_sample
from tests.integration.conftest import require_soffice
from tests.integration.test_documents_pdf import pdf_text

pytestmark = pytest.mark.integration


def test_pool_of_remote_address_only(tmp_path: Path) -> None:
    require_soffice()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "unoserver.server",
            "--port",
            "2580",
            "--uno-port",
            "2581",
            "--user-installation",
            str(tmp_path / "profile"),
            "--temp-dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    pool = ConverterPool(
        PoolConfig(
            size=0, remotes=("127.0.0.1:2580",), work_dir=tmp_path / "pool", startup_timeout=60
        )
    )
    try:
        pool.start()
        deadline = time.monotonic() + 60
        while not pool.health()["ok"] and time.monotonic() < deadline:
            time.sleep(0.5)
        health = pool.health()
        assert health["ok"] and health["instances"][0]["kind"] == "remote"
        service = DocumentService(pool)
        payload = load_sample("to_trinh_kinh_phi")
        pdf = service.to_pdf(service.render("to_trinh", payload))
        assert "TỜ TRÌNH" in pdf_text(pdf)
    finally:
        pool.close()
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=10)
    assert server.poll() is not None
