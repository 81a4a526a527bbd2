"""Conversions one by one against batches of k documents in one LibreOffice load, in one run.

For N = 20 and N = 50 rows of seed 000 (real communes, 3 to 5 pages: tests/batches.py), the
same pool converts the N DOCX files one by one, then in batches (merged with
service.core.batch_docx, each batch up to --pages pages, split with service.core.batch_pdf),
then in batches, then one by one (ABBA), --rounds times; the batches are as few as hold the
rows at about --pages pages each, evened out. Rendering is done once beforehand and
not timed. Reported: each mode's median seconds for all N rows, the ratio batch / single within
each round and its median, and the median cost per batch of merging and of splitting. Every
split part is checked to have the pages of the document's own conversion.

Run from the project root:  .venv/bin/python bench/batch_convert.py [--rounds 3] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from service.convert.pool import ConverterPool, PoolConfig  # noqa: E402
from service.core.batch_docx import merge  # noqa: E402
from service.core.batch_pdf import split  # noqa: E402
from service.core.documents import DocumentService  # noqa: E402
from service.core.pdf_checks import validate_pdf  # noqa: E402
from tests.batches import commune_plans  # noqa: E402

BASE_PORT = 3550  # clear of the batch fidelity test's 3540 (ports in use are skipped anyway)


def by_pages(pages: list[int], budget: int) -> list[range]:
    """Consecutive rows in as few batches of about `budget` pages as hold them, evened out."""
    total = sum(pages)
    count = -(-total // budget)  # ceiling
    batches: list[range] = []
    start = done = 0
    for index, pages_of_row in enumerate(pages):
        done += pages_of_row
        if done * count >= total * (len(batches) + 1) and index + 1 < len(pages):
            batches.append(range(start, index + 1))
            start = index + 1
    return [*batches, range(start, len(pages))]


class Timed:
    """Seconds spent in each named step, appended per call."""

    def __init__(self) -> None:
        self.spent: dict[str, list[float]] = {}

    def run(self, name: str, step: Callable[[], Any]) -> Any:
        """Run the step and note its time under the name."""
        began = time.perf_counter()
        result = step()
        self.spent.setdefault(name, []).append(time.perf_counter() - began)
        return result


def one_by_one(pool: ConverterPool, docxs: list[bytes]) -> list[int]:
    """Convert each document alone; return their page counts."""
    return [validate_pdf(pool.convert(docx)) for docx in docxs]


def in_batches(
    pool: ConverterPool, docxs: list[bytes], batches: list[range], timed: Timed
) -> list[int]:
    """Convert the documents batch by batch; return the page count of each split part."""
    pages = []
    for rows in batches:
        merged = timed.run("merge", lambda rows=rows: merge([docxs[i] for i in rows]))
        pdf = pool.convert(merged, destinations=True)
        parts = timed.run("split", lambda pdf=pdf, rows=rows: split(pdf, len(rows)))
        pages += [validate_pdf(part) for part in parts]
    return pages


def measure(pool: ConverterPool, count: int, budget: int, rounds: int) -> dict[str, Any]:
    """Time `count` rows one by one and in batches, alternating, `rounds` times."""
    service = DocumentService(None)
    docxs = [service.render("ke_hoach", plan).docx for plan in commune_plans(count)]
    pages = one_by_one(pool, docxs)  # warms the instance, and gives the batches their pages
    batches = by_pages(pages, budget)
    timed = Timed()
    single: list[float] = []
    batched: list[float] = []
    for round_ in range(rounds):
        order = ("single", "batch") if round_ % 2 == 0 else ("batch", "single")
        for mode in order:
            began = time.perf_counter()
            if mode == "single":
                assert one_by_one(pool, docxs) == pages
                single.append(time.perf_counter() - began)
            else:
                assert in_batches(pool, docxs, batches, timed) == pages
                batched.append(time.perf_counter() - began)
        print(f"N={count} round {round_ + 1}: single {single[-1]:.2f} s, "
              f"batches {batched[-1]:.2f} s", file=sys.stderr)
    return {
        "rows": count,
        "pages": sum(pages),
        "batches": [len(rows) for rows in batches],
        "batch_pages": [sum(pages[i] for i in rows) for rows in batches],
        "single_s": statistics.median(single),
        "batch_s": statistics.median(batched),
        "ratio_per_round": [b / s for s, b in zip(single, batched, strict=True)],
        "ratio": statistics.median(b / s for s, b in zip(single, batched, strict=True)),
        "merge_ms_per_batch": statistics.median(timed.spent["merge"]) * 1000,
        "split_ms_per_batch": statistics.median(timed.spent["split"]) * 1000,
    }


def main() -> int:
    """Measure and print the figures; write them as JSON with --out."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, nargs="+", default=[20, 50])
    parser.add_argument("--pages", type=int, default=60, help="pages a batch holds at most")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--base-port", type=int, default=BASE_PORT)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="vb-batch-") as folder:
        pool = ConverterPool(PoolConfig(size=1, base_port=args.base_port, work_dir=Path(folder)))
        try:
            pool.start(wait=True)
            results = [measure(pool, n, args.pages, args.rounds) for n in args.rows]
        finally:
            pool.close()
    print(f"{'rows':>5} {'pages':>6} {'batches':>8} {'single s':>9} {'batch s':>8} "
          f"{'batch/single':>13} {'merge ms':>9} {'split ms':>9}")
    for r in results:
        print(f"{r['rows']:>5} {r['pages']:>6} {len(r['batches']):>8} {r['single_s']:>9.2f} "
              f"{r['batch_s']:>8.2f} {r['ratio']:>13.2f} {r['merge_ms_per_batch']:>9.1f} "
              f"{r['split_ms_per_batch']:>9.1f}")
    if args.out:
        args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
