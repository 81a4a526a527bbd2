"""Fuzz a real `python -m service serve` (LibreOffice pool) over HTTP from its /openapi.json.

Every schemathesis check, positive and negative data, a small budget (`VB_FUZZ_EXAMPLES`);
bench/fuzz_openapi.py --serve runs the same with a large one.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator

import pytest
import requests

from bench.fuzz_openapi import config, from_url, fuzz
from tests.integration import calls
from tests.integration.servers import free_port, start_service

pytestmark = pytest.mark.integration
POOL_BASE_PORT = 3210  # the fuzzers' range (3200-3299), clear of the other suites
# Every route, but render and issue of three types: real conversions take time.
FUZZED = r"^(?!/api/(documents|register/issue)/(?!(ke_hoach|quyet_dinh|cong_van)$))"


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[str]:
    """The service on a one-instance pool, without a rate limit (429 would answer most calls)."""
    service = start_service(
        tmp_path_factory.mktemp("var"), free_port(), pool_size=1,
        pool_base_port=POOL_BASE_PORT, rate_limit=0,
    )
    yield service.url
    assert not service.stop(), "processes left running after SIGTERM"


def test_fuzzing_a_running_service_finds_nothing(server) -> None:
    examples = int(os.environ.get("VB_FUZZ_EXAMPLES", "3"))
    cfg = config(examples, 7, calls.auth(server), phases=("examples", "fuzzing"))
    figures = fuzz(from_url(server, cfg), only=FUZZED)
    assert figures.failures == []
    assert figures.server_errors(allowed=(503,)) == {}
    assert figures.by_operation["POST /api/documents/ke_hoach"] > 0
    assert figures.by_operation["POST /api/register/issue/cong_van"] > 0
    assert figures.statuses[200] > 0 and figures.statuses[422] > 0
    doc = requests.get(f"{server}/openapi.json", timeout=30).json()
    fuzzed = {f"{method.upper()} {path}" for path, item in doc["paths"].items()
              for method in item if method != "parameters" and re.search(FUZZED, path)}
    # Without inputs, /openapi.json is not always called.
    assert set(figures.by_operation) | {"GET /openapi.json"} == fuzzed
    assert {"POST /api/documents/quyet_dinh", "POST /api/drafts/{draft_id}/signed"} <= fuzzed
    assert len(fuzzed) == 37  # 24; the drafts' 10: list, save, read, version, submit, return,
    # signed upload, paper signature, issue, their PDFs; an entry's scans: keep, read; the book
