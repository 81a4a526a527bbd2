"""A bulk job on real LibreOffice: no row's PDF prints the base's commune, and a base that would
make it print one is refused by row before anything converts."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from service.core import vn
from tests.conftest import load_sample, normalise
from tests.helpers import OTHER_COMMUNES, agency_and_place_csv, bulk_plan
from tests.integration import calls
from tests.integration.conftest import require_soffice
from tests.integration.servers import Proc, free_port, start_service
from tests.integration.test_bulk import finished, wait_for
from tests.integration.test_documents_pdf import pdf_text

pytestmark = pytest.mark.integration
POOL_BASE_PORT = 3500  # this module's unoservers: 3500-3519, clear of the other suites


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Proc]:
    """The service with the embedded runner and one LibreOffice, on this module's ports."""
    require_soffice()
    data_dir = tmp_path / "var"
    data_dir.mkdir()
    proc = start_service(data_dir, free_port(), pool_size=1, pool_base_port=POOL_BASE_PORT,
                         bulk_workers=1)
    yield proc
    proc.stop()


def post(server: str, base: dict[str, Any]) -> requests.Response:
    """POST the base (JSON) and the table setting only each commune's agency and place."""
    files = {"base": ("ke-hoach.json", json.dumps(base).encode(), "application/json"),
             "table": ("xa.csv", agency_and_place_csv(), "text/csv")}
    return calls.post(f"{server}/api/jobs", files=files, timeout=60)


def test_no_row_pdf_prints_the_base_commune(service: Proc) -> None:
    server = service.url
    refused = post(server, load_sample("seed_000_ke_hoach_y_tich"))  # "UBND xã Y Tịch" as text
    assert refused.status_code == 422, refused.text
    assert sorted(refused.json()["errors"]) == [
        f"rows.{line}.{path}" for line in (2, 3, 4) for path in ("closing.0", "intro.0")]

    accepted = post(server, bulk_plan())
    assert accepted.status_code == 202, accepted.text
    progress = wait_for(server, accepted.headers["Location"], finished, timeout=600, what="done")
    assert (progress["done"], progress["failed"]) == (len(OTHER_COMMUNES), 0)
    for row, (kind, name) in zip(progress["rows"], OTHER_COMMUNES, strict=True):
        printed = normalise(pdf_text(calls.get(server + row["pdf"], timeout=60).content))
        assert "y tịch" not in vn.lower_vn(printed), (name, printed[:600])
        assert f"UBND {kind} {name} xây dựng kế hoạch" in printed, (name, printed[:600])
        assert f"của UBND {kind} {name})" in printed  # the appendix's (Kèm theo …) line
