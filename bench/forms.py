"""A clerk's submit → preview time on a warm pool, as a ratio to the bare conversion (one run).

The service runs in this process on a real HTTP server (waitress) with a one-instance pool
on ports 2700–2701. Each round, interleaved so drift on a shared machine falls on both:
  bare     the pool converts the seed's DOCX (what any PDF of it costs at least);
  preview  a real HTTP client posts the seed's form (CSRF token, session cookie) and then
           fetches the first page image, i.e. until the clerk sees the preview.
"""

from __future__ import annotations

import argparse
import datetime
import json
import re
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from service.composition import build_services  # noqa: E402
from service.core.form_model import FormModel, prefill, typed_fields  # noqa: E402
from service.settings import Settings  # noqa: E402
from service.usecases.units import PROFILE_FIELDS  # noqa: E402
from service.web.app import create_app  # noqa: E402

SAMPLE = "seed_000_ke_hoach_y_tich"


def serve(app: Any) -> tuple[str, Any]:
    """Serve the app on a free port in a thread; return its base URL and the server."""
    from waitress.server import create_server

    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    threading.Thread(target=server.run, daemon=True).start()
    return f"http://127.0.0.1:{server.effective_port}", server


def log_in(base: str, services: Any) -> requests.Session:
    """A session of the quản trị logged in through the log-in page, as a clerk's browser."""
    password = "mat-khau-do-hieu-nang"
    services.accounts.create("bench", "quan_tri", None, password=password)
    http = requests.Session()
    page = http.get(base + "/dang-nhap", timeout=30).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token, "no CSRF token on the log-in page"
    answer = http.post(base + "/dang-nhap", timeout=30, allow_redirects=False,
                       data={"username": "bench", "password": password, "csrf_token": token[1]})
    assert answer.status_code == 302, answer.text[:500]
    return http


def main() -> int:
    """Print the field count, the median times and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    seed = json.loads((ROOT / "samples" / f"{SAMPLE}.json").read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory(prefix="vb-forms-") as work:
        settings = Settings.from_env(
            {}, data_dir=Path(work), pool_size=1, pool_base_port=2700, acquire_timeout=60.0
        )
        services = build_services(settings, wait=True)
        documents, pool = services.documents, services.converter
        assert pool is not None
        try:
            base, server = serve(create_app(services))
            model = FormModel(documents.catalog, documents.catalog.get("ke_hoach"))
            profile = {name: seed[name] for name in PROFILE_FIELDS}
            start = model.to_flat(prefill(model, profile, datetime.date(2023, 2, 27)))
            wanted = model.to_flat(seed)
            print(
                f"fields to fill for {SAMPLE} with a unit profile: "
                f"{len(typed_fields(start, wanted))}"
            )
            docx = documents.render("ke_hoach", seed).docx
            http = log_in(base, services)
            page = http.get(base + "/van-ban/ke_hoach", headers={"Accept": "text/html"},
                            timeout=30)
            match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
            assert match, "no CSRF token"
            form = {"csrf_token": match.group(1), "_action": "preview", **wanted}

            def preview() -> float:
                began = time.perf_counter()
                answer = http.post(base + "/van-ban/ke_hoach", data=form, timeout=120)
                assert answer.status_code == 200, answer.text[:500]
                image = re.search(r'src="(/xem-truoc/[^"]+/trang-1\.png)"', answer.text)
                assert image, "no preview image"
                png = http.get(base + image.group(1), timeout=60)
                assert png.content.startswith(b"\x89PNG")
                return time.perf_counter() - began

            def bare() -> float:
                began = time.perf_counter()
                pool.convert(docx)
                return time.perf_counter() - began

            for _ in range(3):  # warm the pool, the templates and the schema caches
                bare()
                preview()
            times: dict[str, list[float]] = {"bare": [], "preview": []}
            for _ in range(args.rounds):
                times["bare"].append(bare())
                times["preview"].append(preview())
            http.close()  # before the server: its kept-alive channel would outlive the trigger
            server.close()
        finally:
            services.close()
    bare_ms = statistics.median(times["bare"]) * 1000
    preview_ms = statistics.median(times["preview"]) * 1000
    print(f"rounds: {args.rounds} (medians)")
    print(f"bare conversion through the pool: {bare_ms:7.0f} ms")
    print(f"submit → first page image:        {preview_ms:7.0f} ms")
    print(f"ratio preview / bare:             {preview_ms / bare_ms:7.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
