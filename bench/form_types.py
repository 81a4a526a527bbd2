"""Render time of each form against a plan of the same length, in one run.

For each sample (or those named), the plan twin is a kế hoạch with the sample's issuer, date
and signer whose body holds every paragraph of the sample's own rendered text, so both carry
the same words. Both are rendered (the DOCX step) and converted by a one-instance pool,
interleaved, ROUNDS times after WARM_UP; prints p50 per step and the ratios form / plan, with
each side's characters and pages.

Run from the project root:  .venv/bin/python bench/form_types.py [SAMPLE ...] [--base-port 4600]
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import docx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from service.composition import build_services  # noqa: E402
from service.core.documents import DocumentService  # noqa: E402
from service.core.pdf_checks import validate_pdf  # noqa: E402
from service.settings import Settings  # noqa: E402
from tests.conftest import load_sample, sample_names  # noqa: E402

ROUNDS, WARM_UP = 12, 2
PLAN_KEYS = ("issuer", "date", "signer", "recipients", "archive", "number", "symbol")


def text_of(docx_bytes: bytes) -> list[str]:
    """Every non-empty paragraph of the body, tables included, in order."""
    document = docx.Document(io.BytesIO(docx_bytes))
    lines = [p.text for p in document.paragraphs]
    for table in document.tables[1:]:  # the first is the header
        lines += [cell.text for row in table.rows for cell in row.cells]
    return [line.strip() for line in lines if line.strip()]


def plan_twin(data: dict[str, Any], lines: list[str]) -> dict[str, Any]:
    """A plan with the sample's header and signer and its text as body paragraphs."""
    twin = {key: data[key] for key in PLAN_KEYS if key in data}
    twin["symbol"] = None  # the plan's own type code
    body = [{"kind": "paragraph", "text": line.replace("*", "\\*")} for line in lines]
    return {
        **twin,
        "doc_type": "ke_hoach",
        "subject": data.get("subject") or "Kế hoạch",
        "body": body,
        "end_mark": False,
    }


def timed(documents: DocumentService, data: dict[str, Any]) -> tuple[float, bytes]:
    """Seconds to validate and render the DOCX, and the DOCX."""
    began = time.perf_counter()
    document = documents.load(data["doc_type"], data)
    docx_bytes = documents.render_document(document, actor="bench", unit=None).docx
    return time.perf_counter() - began, docx_bytes


def main() -> int:
    """Pair each sample with its plan twin, time both steps interleaved, print the ratios."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("samples", nargs="*", help="sample names (default: every sample)")
    parser.add_argument("--base-port", type=int, default=4600)
    args = parser.parse_args()
    names = args.samples or [n for n in sample_names() if not n.startswith("edge_")]
    with tempfile.TemporaryDirectory(prefix="vb-forms-") as folder:
        settings = Settings.from_env(
            {"VB_DATA_DIR": folder, "VB_POOL_SIZE": "1", "VB_POOL_BASE_PORT": str(args.base_port)}
        )
        services = build_services(settings, wait=True)
        try:
            print(
                f"{'sample':44} {'chars form/plan':>16} {'pages':>6} "
                f"{'render ms':>14} {'ratio':>6} {'convert ms':>14} {'ratio':>6}"
            )
            for name in names:
                print(measure(services, name))
        finally:
            services.close()
    return 0


def measure(services: Any, name: str) -> str:
    """One line of the table: the sample against its plan twin."""
    documents, converter = services.documents, services.converter
    form = load_sample(name)
    _, form_docx = timed(documents, form)
    plan = plan_twin(form, text_of(form_docx))
    variants = {"form": form, "plan": plan}
    render: dict[str, list[float]] = {"form": [], "plan": []}
    convert: dict[str, list[float]] = {"form": [], "plan": []}
    pdfs: dict[str, bytes] = {}
    chars: dict[str, int] = {}
    for i in range(ROUNDS):
        for label in ("form", "plan") if i % 2 else ("plan", "form"):
            seconds, docx_bytes = timed(documents, variants[label])
            chars[label] = sum(len(line) for line in text_of(docx_bytes))
            began = time.perf_counter()
            pdfs[label] = converter.convert(docx_bytes)
            if i >= WARM_UP:
                render[label].append(seconds)
                convert[label].append(time.perf_counter() - began)
    r = {k: statistics.median(v) * 1000 for k, v in render.items()}
    c = {k: statistics.median(v) * 1000 for k, v in convert.items()}
    pages = "/".join(str(validate_pdf(pdfs[k])) for k in ("form", "plan"))
    return (
        f"{name:44} {chars['form']:>7}/{chars['plan']:<8} {pages:>6} "
        f"{r['form']:>6.1f}/{r['plan']:<7.1f} {r['form'] / r['plan']:>6.2f} "
        f"{c['form']:>6.0f}/{c['plan']:<7.0f} {c['form'] / c['plan']:>6.2f}"
    )


if __name__ == "__main__":
    raise SystemExit(main())
