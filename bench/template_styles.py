"""What the templates' styles cost LibreOffice: the same DOCX with another revision's styles.xml.

Renders each seed with the work tree, then makes a twin of the DOCX whose `word/styles.xml` is
the one of REV's template (python-docx's blank document carried about a hundred unused table
styles until they were dropped). A one-instance pool converts both, interleaved, 20 times each
after two warm-up rounds; prints p50 per variant and the ratio work tree / REV.

Run from the project root:  .venv/bin/python bench/template_styles.py [REV] [--base-port 3880]
"""

from __future__ import annotations

import argparse
import io
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from service.composition import build_services  # noqa: E402
from service.settings import Settings  # noqa: E402
from tests.conftest import load_sample  # noqa: E402

SEEDS = ("seed_000_ke_hoach_y_tich", "seed_002_ke_hoach_phuoc_long")
TEMPLATE = "doc_templates/van_ban_co_ten_loai.docx"
ROUNDS, WARM_UP = 22, 2


def styles_of(rev: str) -> bytes:
    """The styles part of the plan template at a revision."""
    template = subprocess.run(["git", "show", f"{rev}:{TEMPLATE}"], cwd=ROOT, check=True,
                              capture_output=True).stdout
    return zipfile.ZipFile(io.BytesIO(template)).read("word/styles.xml")


def with_styles(docx: bytes, styles: bytes) -> bytes:
    """The DOCX with its styles part replaced."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(docx)) as src, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            dst.writestr(item, styles if item.filename == "word/styles.xml" else src.read(item))
    return out.getvalue()


def main() -> int:
    """Render, convert both twins interleaved, print the medians."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("rev", nargs="?", default="047e564", help="the revision to compare with")
    parser.add_argument("--base-port", type=int, default=3880)
    args = parser.parse_args()
    old_styles = styles_of(args.rev)
    with tempfile.TemporaryDirectory(prefix="vb-styles-") as folder:
        settings = Settings.from_env({"VB_DATA_DIR": folder, "VB_POOL_SIZE": "1",
                                      "VB_POOL_BASE_PORT": str(args.base_port)})
        services = build_services(settings, wait=True)
        try:
            for name in SEEDS:
                data = load_sample(name)
                document = services.documents.load(data["doc_type"], data)
                new = services.documents.render_document(document, actor="bench", unit=None).docx
                twins = {"rev": with_styles(new, old_styles), "tree": new}
                times: dict[str, list[float]] = {"rev": [], "tree": []}
                for i in range(ROUNDS):
                    for label in ("rev", "tree") if i % 2 else ("tree", "rev"):
                        began = time.perf_counter()
                        services.converter.convert(twins[label])
                        if i >= WARM_UP:
                            times[label].append(time.perf_counter() - began)
                old, now = (statistics.median(times[k]) * 1000 for k in ("rev", "tree"))
                print(f"{name}: styles.xml {len(old_styles) // 1024} KB → "
                      f"{len(zipfile.ZipFile(io.BytesIO(new)).read('word/styles.xml')) // 1024} KB"
                      f"; p50 {old:.0f} → {now:.0f} ms, ratio {now / old:.2f} "
                      f"({ROUNDS - WARM_UP} each, interleaved)")
        finally:
            services.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
