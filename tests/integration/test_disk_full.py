"""A disk that fills under a running service: 503 for an issue, bulk rows wait, nothing is lost.

The service runs with its data folder on a small tmpfs of its own (a private mount namespace,
made with `unshare`; no root needed on the host). A filler process in that namespace fills the
tmpfs while a bulk job runs; the test issues into the full disk, then frees the space: the
issue was refused with 503 and took no number, the job's rows waited and then all finished.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
import requests

from service.bulk.table import write_xlsx
from service.core.outages import DISK_FULL
from tests.conftest import bulk_base
from tests.helpers import plan
from tests.integration.servers import ROOT, bulk_env, free_port
from tests.integration.test_bulk import scenario_table

pytestmark = pytest.mark.integration
TMPFS_MB = 160  # the LibreOffice profile, the database, and room for a few rows
ROWS = 20


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture()
def service(tmp_path: Path) -> Iterator[tuple[str, Path, str]]:
    """The service on a tmpfs data folder: its URL, the folder of the filler's signals, a key."""
    if shutil.which("unshare") is None:
        pytest.fail("unshare (util-linux) is missing; run .ci/setup test", pytrace=False)
    data, token_file, port = tmp_path / "data", tmp_path / "token", free_port()
    data.mkdir()
    python = ROOT / ".venv/bin/python"
    # A filler beside the service, in its namespace: it fills the tmpfs when told to, and
    # empties it again (the tmpfs is invisible from outside the namespace).
    filler = (
        f'(until [ -e "{tmp_path}/fill" ]; do sleep 0.2; done; '
        f'dd if=/dev/zero of="{data}/filler" bs=64k 2>/dev/null; touch "{tmp_path}/full"; '
        f'until [ -e "{tmp_path}/free" ]; do sleep 0.2; done; '
        f'rm -f "{data}/filler"; touch "{tmp_path}/freed") &'
    )
    script = (
        f'mount -t tmpfs -o size={TMPFS_MB}m,mode=0700 tmpfs "{data}" && '
        f'"{python}" -m service api-key add tests --scope issue --scope bulk '
        f'--scope read_register | tail -1 > "{token_file}" && {filler} '
        f'exec "{python}" -m service serve'
    )
    # Batches of two rows (seed 000 has 3 pages): the job is still running, batch by batch,
    # when the disk fills, as a row-by-row job would be.
    env = bulk_env(data, port=port, pool_size=1, pool_base_port=3080, bulk_workers=1,
                   bulk_batch_pages=6)
    log = open(tmp_path / "service.log", "ab")
    process = subprocess.Popen(["unshare", "--user", "--map-root-user", "--mount", "sh", "-c",
                                script], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                               start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, process, tmp_path / "service.log")
        yield url, tmp_path, token_file.read_text().strip()
    finally:
        (tmp_path / "free").touch()  # a test that failed with the disk full lets its filler end
        stop(process)


def wait_healthy(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    """Until /health answers 200; fail with the log if the service dies or never does."""
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the service exited:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            if requests.get(url + "/health", timeout=2).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.5)
    pytest.fail(f"not healthy in 180 s:\n{log.read_text(errors='replace')[-3000:]}")


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the service (it stops its LibreOffice), then make sure of the whole group."""
    children = psutil.Process(process.pid).children(recursive=True) if process.poll() is None \
        else []
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
    psutil.wait_procs(children, timeout=15)


def signal_and_wait(flag: Path, done: Path) -> None:
    """Ask the filler inside the namespace to act (touch `flag`), wait until it has (`done`)."""
    flag.touch()
    deadline = time.monotonic() + 60
    while not done.exists():
        assert time.monotonic() < deadline, f"the filler did not answer {flag.name}"
        time.sleep(0.2)


def test_a_full_disk_refuses_an_issue_and_makes_bulk_rows_wait(service) -> None:
    url, signals, token = service
    table = scenario_table()
    table.rows = table.rows[:ROWS]
    base = json.dumps(bulk_base("seed_000_ke_hoach_y_tich")).encode()
    job = requests.post(f"{url}/api/jobs", headers=bearer(token), timeout=60, files={
        "base": ("base.json", base, "application/json"),
        "table": ("xa.xlsx", write_xlsx(table), "application/octet-stream"),
    })
    assert job.status_code == 202, job.text
    location = url + job.headers["Location"]
    while requests.get(location, headers=bearer(token), timeout=10).json()["done"] < 2:
        time.sleep(0.5)
    signal_and_wait(signals / "fill", signals / "full")
    refused = requests.post(f"{url}/api/register/issue/ke_hoach", json=plan(),
                            headers=bearer(token), timeout=120)
    assert refused.status_code == 503, refused.text
    assert refused.json()["message"] == DISK_FULL and refused.headers["Retry-After"] == "5"
    stalled = requests.get(location, headers=bearer(token), timeout=10).json()
    time.sleep(8)
    later = requests.get(location, headers=bearer(token), timeout=10).json()
    assert later["failed"] == 0 and later["state"] == "running", later
    assert later["done"] <= stalled["done"] + 1  # a row in flight may have been written
    signal_and_wait(signals / "free", signals / "freed")
    deadline = time.monotonic() + 600
    while (progress := requests.get(location, headers=bearer(token), timeout=10).json())[
            "state"] != "done" or not progress["outputs_ready"]:
        assert time.monotonic() < deadline, progress
        time.sleep(1)
    assert (progress["done"], progress["failed"]) == (ROWS, 0)
    issued = requests.post(f"{url}/api/register/issue/ke_hoach", json=plan(),
                           headers=bearer(token), timeout=120)
    assert issued.status_code == 201 and issued.json()["number"] == 1
