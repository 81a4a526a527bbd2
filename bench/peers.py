"""Benchmark the service's JSON -> PDF path against Carbone and a bare unoserver, same LibreOffice.

All four paths convert the same DOCX (rendered by the service from each sample) in one run:

- service: the in-process DocumentService, render (JSON -> DOCX) + ConverterPool.convert, timed
  in this process (no HTTP: Carbone's converter is timed inside Node, so both leave out a web
  layer);
- service converter: the same pool converting the rendered DOCX, no render: the LibreOffice
  work (and its transport) the service's path cannot go below;
- bare unoserver: a stock `unoserver.server` and its UnoClient, update_index as the service
  asks for it (`--bare-update-index auto`: only when the DOCX holds an index);
- Carbone 3.x: its converter (`carbone/lib/converter`), one factory per LibreOffice process,
  driven by a small Node script that times each convertFile() and bursts of them.

Latency: 20 requests per path and sample, interleaved (rotating order), one LibreOffice each.
Throughput: 4 concurrent clients against 1 and os.cpu_count() LibreOffice processes per path.
Peak RSS per LibreOffice instance (its whole process tree) is sampled throughout.
Bulk: a job of 100 communes from seed 000's base at 1 and os.cpu_count() LibreOffice processes:
the service's embedded runner in batches and row by row on one pool, against Carbone converting
the DOCX files the service rendered for the job (bench_bulk).

Run from the project root:  .venv/bin/python bench/peers.py [--requests 20] [--out FILE]
(`--only-bulk` for the bulk step alone)
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import (  # noqa: E402  (bench/bench.py)
    BareUnoserver,
    MemorySampler,
    allocate_ports,
    log,
    percentile,
    pool_pids,
    sweep,
    tree,
)
from service.convert.pool import ConverterPool, PoolConfig  # noqa: E402
from service.core.documents import DocumentService  # noqa: E402
from service.core.pdf_checks import validate_pdf  # noqa: E402
from service.settings import Settings  # noqa: E402

SAMPLES = ("samples/seed_000_ke_hoach_y_tich.json", "samples/seed_002_ke_hoach_phuoc_long.json")
PEERS_DIR = ROOT / "bench" / ".peers"  # git-ignored: node_modules of Carbone
CARBONE = "carbone@3"
CLIENTS = 4
MiB = 1024 * 1024

# Reads JSON lines on stdin, answers one JSON line each on stdout.
DRIVER_JS = r"""
const converter = require('carbone/lib/converter');
const readline = require('readline');
const factories = parseInt(process.argv[2], 10);
const tempPath = process.argv[3];
function convert(input, output) {
  return new Promise((resolve, reject) => {
    converter.convertFile(input, 'writer_pdf_Export', '', output,
      (err) => err ? reject(err) : resolve());
  });
}
function answer(obj) { process.stdout.write(JSON.stringify(obj) + '\n'); }
converter.init({ factories: factories, startFactory: true, tempPath: tempPath }, () => {
  answer({ ready: true });
});
let n = 0;
readline.createInterface({ input: process.stdin }).on('line', async (line) => {
  const job = JSON.parse(line);
  try {
    if (job.op === 'convert') {
      const started = process.hrtime.bigint();
      await convert(job.input, job.output);
      answer({ seconds: Number(process.hrtime.bigint() - started) / 1e9 });
    } else if (job.op === 'files') {
      const started = process.hrtime.bigint();
      let next = 0;
      async function client() {
        while (next < job.inputs.length) {
          const input = job.inputs[next++];
          await convert(input, `${tempPath}/files-${n++}.pdf`);
        }
      }
      await Promise.all(Array.from({ length: job.clients }, client));
      answer({ seconds: Number(process.hrtime.bigint() - started) / 1e9 });
    } else if (job.op === 'pids') {
      answer({ pids: [process.pid] });
    }
  } catch (err) {
    answer({ error: String(err) });
  }
});
process.stdin.on('end', () => converter.exit(() => process.exit(0)));
"""


def install_carbone() -> str:
    """Install Carbone into bench/.peers (once) and return its version."""
    package = PEERS_DIR / "node_modules" / "carbone" / "package.json"
    if not package.exists():
        PEERS_DIR.mkdir(parents=True, exist_ok=True)
        log(f"installing {CARBONE} into {PEERS_DIR}")
        subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--prefix", str(PEERS_DIR), CARBONE],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    return str(json.loads(package.read_text(encoding="utf-8"))["version"])


def office_bin(work: Path) -> Path:
    """A folder for the front of Carbone's PATH: soffice(.bin) and a `python` beside them."""
    # Carbone runs soffice.bin on Linux and looks for `python` next to it; Debian's LibreOffice
    # has none, and its uno module belongs to /usr/bin/python3. Wrappers (not symlinks) keep
    # Carbone looking in this folder rather than in the one a link points to.
    folder = work / "office-bin"
    folder.mkdir()
    program = Path("/usr/lib/libreoffice/program")
    for name in ("soffice", "soffice.bin"):
        wrapper = folder / name
        wrapper.write_text(f'#!/bin/sh\nexec {program / name} "$@"\n', encoding="utf-8")
        wrapper.chmod(0o755)
    (folder / "python").symlink_to("/usr/bin/python3")
    return folder


class Carbone:
    """Carbone's converter with `factories` LibreOffice processes, in a Node process of its own."""

    def __init__(self, factories: int, work: Path, name: str) -> None:
        self.work = work / name
        self.work.mkdir()
        driver = PEERS_DIR / "driver.js"
        driver.write_text(DRIVER_JS, encoding="utf-8")
        env = dict(os.environ, PATH=f"{office_bin(self.work)}:{os.environ['PATH']}")
        with open(self.work / "node.log", "wb") as node_log:
            self.popen = subprocess.Popen(
                ["node", str(driver), str(factories), str(self.work)],
                cwd=PEERS_DIR,
                env=env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=node_log,
                start_new_session=True,
                text=True,
            )
        self.lock = threading.Lock()
        if not self._read().get("ready"):
            raise RuntimeError("Carbone's converter did not start")

    def _read(self) -> dict[str, Any]:
        assert self.popen.stdout is not None
        line = self.popen.stdout.readline()
        if not line:
            raise RuntimeError(f"Carbone's driver exited: {(self.work / 'node.log').read_text()}")
        answer: dict[str, Any] = json.loads(line)
        if "error" in answer:
            raise RuntimeError(f"Carbone failed: {answer['error']}")
        return answer

    def ask(self, **job: Any) -> dict[str, Any]:
        with self.lock:
            assert self.popen.stdin is not None
            self.popen.stdin.write(json.dumps(job) + "\n")
            self.popen.stdin.flush()
            return self._read()

    def convert(self, docx_path: Path) -> float:
        output = self.work / "out.pdf"
        seconds = float(self.ask(op="convert", input=str(docx_path), output=str(output))["seconds"])
        validate_pdf(output.read_bytes())
        return seconds

    def burst(self, docx_path: Path, count: int, clients: int) -> float:
        return self.files([docx_path] * count, clients)

    def files(self, docx_paths: list[Path], clients: int) -> float:
        """Seconds to convert every file, `clients` conversions asked for at a time."""
        inputs = [str(path) for path in docx_paths]
        return float(self.ask(op="files", inputs=inputs, clients=clients)["seconds"])

    def office_pids(self) -> list[int]:
        return [p.pid for p in tree(self.popen.pid) if p.name().startswith("soffice")]

    def stop(self) -> None:
        try:
            os.killpg(self.popen.pid, signal.SIGKILL)  # its own session: node, python, soffice
        except ProcessLookupError:
            pass
        self.popen.wait(10)


def docx_has_index(docx: bytes) -> bool:
    """Whether the DOCX's body holds a table of contents or another index field."""
    with zipfile.ZipFile(io.BytesIO(docx)) as archive:
        body = archive.read("word/document.xml").decode("utf-8", "replace")
    return (
        re.search(r"instrText[^>]*>\s*(TOC|INDEX|TOA)\b|fldSimple[^>]*\"\s*(TOC|INDEX)", body)
        is not None
    )


def start_pool(size: int, base_port: int, work: Path) -> ConverterPool:
    pool = ConverterPool(PoolConfig(size=size, base_port=base_port, work_dir=work / f"pool-{size}"))
    pool.start(wait=True)
    return pool


def p50_ms(seconds: list[float]) -> float:
    return round(percentile([s * 1000 for s in seconds], 50), 1)


def bench_latency(
    service: DocumentService,
    carbone: Carbone,
    bare: BareUnoserver,
    sample: str,
    work: Path,
    n: int,
    bare_update_index: str,
) -> dict[str, Any]:
    """Time n requests per path on one sample, the order of the paths rotating every round."""
    from unoserver.client import UnoClient

    payload = json.loads((ROOT / sample).read_text(encoding="utf-8"))
    doc_type = str(payload["doc_type"])
    docx = service.render(doc_type, payload).docx
    docx_path = work / (Path(sample).stem + ".docx")
    docx_path.write_bytes(docx)
    client = UnoClient(port=str(bare.port))
    update_index = (
        docx_has_index(docx) if bare_update_index == "auto" else bare_update_index == "on"
    )

    def via_service() -> float:
        started = time.perf_counter()
        pdf = service.to_pdf(service.render(doc_type, payload))  # the pool checks the PDF
        elapsed = time.perf_counter() - started
        validate_pdf(pdf)
        return elapsed

    def via_converter() -> float:
        assert service.converter is not None
        started = time.perf_counter()
        service.converter.convert(docx)  # the pool checks the PDF
        return time.perf_counter() - started

    def via_bare() -> float:
        started = time.perf_counter()
        pdf = client.convert(indata=docx, convert_to="pdf", update_index=update_index)
        elapsed = time.perf_counter() - started
        validate_pdf(bytes(pdf))
        return elapsed

    def via_carbone() -> float:
        return carbone.convert(docx_path)

    def render_only() -> float:  # the service's share that no converter pays
        started = time.perf_counter()
        service.render(doc_type, payload)
        return time.perf_counter() - started

    paths = {
        "service": via_service,
        "converter": via_converter,
        "bare": via_bare,
        "carbone": via_carbone,
    }
    for call in paths.values():
        for _ in range(3):  # warm-up
            call()
    times: dict[str, list[float]] = {name: [] for name in paths}
    names = list(paths)
    for i in range(n):
        for name in names[i % len(names) :] + names[: i % len(names)]:
            times[name].append(paths[name]())
    result = {name: p50_ms(values) for name, values in times.items()}
    result["render"] = p50_ms([render_only() for _ in range(n)])
    result["pages"] = validate_pdf(service.to_pdf(service.render(doc_type, payload)))
    result["index"] = docx_has_index(docx)
    result["bare_update_index"] = update_index
    return {"docx": docx_path, "p50_ms": result}


def burst(job: Callable[[], object], count: int, clients: int) -> float:
    """Seconds for `count` runs of job from `clients` threads."""
    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as executor:
        list(executor.map(lambda _: job(), range(count)))
    return time.perf_counter() - started


def throughput_paths(
    service: DocumentService, carbone: Carbone, sample: str, docx_path: Path
) -> dict[str, Callable[[int], float]]:
    """Per path, seconds for a burst of n documents: JSON -> PDF, the DOCX alone, Carbone."""
    payload = json.loads((ROOT / sample).read_text(encoding="utf-8"))
    doc_type, docx = str(payload["doc_type"]), docx_path.read_bytes()
    assert service.converter is not None
    converter = service.converter
    return {
        "service": lambda n: burst(
            lambda: service.to_pdf(service.render(doc_type, payload)), n, CLIENTS
        ),
        "converter": lambda n: burst(lambda: converter.convert(docx), n, CLIENTS),
        "carbone": lambda n: carbone.burst(docx_path, n, CLIENTS),
    }


def bench_throughput(
    processes: int, samples: list[tuple[str, Path]], base_port: int, work: Path, count: int
) -> dict[str, Any]:
    """Docs/s with CLIENTS concurrent clients per path, `processes` LibreOffice each."""
    pool = start_pool(processes, base_port, work)
    carbone: Carbone | None = None
    result: dict[str, Any] = {}
    try:
        carbone = Carbone(processes, work, f"carbone-throughput-{processes}")
        service = DocumentService(pool)
        with MemorySampler() as memory:
            memory.track("service", lambda: pool_pids(pool))
            memory.track("carbone", carbone.office_pids)
            for sample, docx_path in samples:
                paths = throughput_paths(service, carbone, sample, docx_path)
                for run in paths.values():
                    run(processes * 2)  # warm-up
                rates: dict[str, list[float]] = {name: [] for name in paths}
                for block in range(2):  # alternating blocks: drift hits every path
                    for name in list(paths) if block == 0 else list(reversed(paths)):
                        rates[name].append(count / paths[name](count))
                result[Path(sample).stem] = {
                    name: round(sum(values) / len(values), 2) for name, values in rates.items()
                }
        result["peak_rss_mib_per_instance"] = {
            name: round(peak / MiB / processes, 1) for name, peak in memory.peaks.items()
        }
    finally:
        if carbone is not None:
            carbone.stop()
        pool.close()
    return result


def bench_bulk(
    processes: int, base_port: int, work: Path, rows: int, rounds: int
) -> dict[str, Any]:
    """Docs/s of a bulk job of `rows` communes, batched and row by row, against Carbone.

    One pool serves the service's embedded runner (2 threads per instance, as bench/bulk.py),
    which alternates batches of the service's default size with rows one by one; Carbone, with
    as many LibreOffice processes, converts the DOCX files the service rendered for the job,
    asked with 1, 2 and 4 conversions per process at a time. The paths' order rotates every
    round; the medians are compared.
    """
    from bulk import Embedded, communes, run_job  # bench/bulk.py

    batch_pages = Settings.from_env().bulk_batch_pages  # VB_BULK_BATCH_PAGES, as the service
    folder = work / f"bulk-{processes}"
    table = communes(rows)
    stack = Embedded(folder, processes, batch_pages, base_port=base_port)
    carbone: Carbone | None = None
    try:
        run_job(stack.jobs, communes(4))  # warm up LibreOffice and the templates
        first = run_job(stack.jobs, table)
        docx_paths = sorted((folder / "jobs" / first["job"]).glob("*.docx"))
        pages = [row.pages or 0 for row in stack.ctx.jobs.manifest(first["job"])]
        carbone = Carbone(processes, work, f"carbone-bulk-{processes}")
        carbone.files(docx_paths[:4], processes)  # warm-up
        options = [processes * factor for factor in (1, 2, 4)]

        def service(pages_per_batch: int) -> Callable[[], float]:
            def run() -> float:
                stack.runner.batch_pages = pages_per_batch
                return float(run_job(stack.jobs, table)["docs_per_second"])
            return run

        def peer(clients: int) -> Callable[[], float]:
            assert carbone is not None
            return lambda: len(docx_paths) / carbone.files(docx_paths, clients)

        paths = {"batched": service(batch_pages), "row_by_row": service(0)}
        paths |= {f"carbone_{clients}": peer(clients) for clients in options}
        rates: dict[str, list[float]] = {name: [] for name in paths}
        names = list(paths)
        for round_ in range(rounds):
            shift = round_ % len(names)
            for name in names[shift:] + names[:shift]:
                rates[name].append(round(paths[name](), 2))
    finally:
        if carbone is not None:
            carbone.stop()
        stack.close()
    medians = {name: statistics.median(values) for name, values in rates.items()}
    best = max(options, key=lambda clients: medians[f"carbone_{clients}"])
    carbone_rate = medians[f"carbone_{best}"]
    return {
        "rows": rows,
        "pages_per_row": sorted(set(pages)),
        "batch_pages": batch_pages,
        "docs_per_second": rates,
        "median_docs_per_second": medians,
        "carbone_best_clients": best,
        "batched_over_carbone": round(medians["batched"] / carbone_rate, 2),
        "batched_over_row_by_row": round(medians["batched"] / medians["row_by_row"], 2),
        "row_by_row_over_carbone": round(medians["row_by_row"] / carbone_rate, 2),
    }


def print_bulk(bulk: dict[int, Any]) -> None:
    """The bulk step's table: medians of docs/s and their ratios, per process count."""
    if not bulk:
        return
    first = next(iter(bulk.values()))
    print(
        f"Bulk, {first['rows']} communes of seed 000 ({'/'.join(map(str, first['pages_per_row']))}"
        f" pages each), batches of {first['batch_pages']} pages, median docs/s:"
    )
    print(
        "| LibreOffice processes | service batched | service row by row | Carbone (clients) "
        "| batched / Carbone | batched / row by row | row by row / Carbone |"
    )
    print("|---|---|---|---|---|---|---|")
    for processes, row in bulk.items():
        medians, best = row["median_docs_per_second"], row["carbone_best_clients"]
        print(
            f"| {processes} | {medians['batched']:.2f} | {medians['row_by_row']:.2f} "
            f"| {medians[f'carbone_{best}']:.2f} ({best}) | {row['batched_over_carbone']:.2f} "
            f"| {row['batched_over_row_by_row']:.2f} | {row['row_by_row_over_carbone']:.2f} |"
        )
    print("Carbone by concurrent clients, median docs/s:")
    for processes, row in bulk.items():
        found = {name.split("_")[1]: value for name, value in
                 row["median_docs_per_second"].items() if name.startswith("carbone_")}
        print(f"  {processes} process(es): " + ", ".join(f"{c} clients {v:.2f}"
                                                          for c, v in found.items()))
    print()


def print_report(
    versions: dict[str, str], latency: dict[str, Any], throughput: dict[int, Any]
) -> None:
    print(f"Carbone {versions['carbone']}, unoserver {versions['unoserver']}, {versions['office']}")
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")
    print()
    if not latency:
        return
    print(
        "| sample | service JSON → PDF p50 | service converter p50 | bare unoserver p50 "
        "| Carbone p50 | service / Carbone | converter / Carbone | service / bare "
        "| of which render |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for sample, row in latency.items():
        print(
            f"| {sample} ({row['pages']} pages{', index' if row['index'] else ''}) "
            f"| {row['service']:.0f} ms | {row['converter']:.0f} ms | {row['bare']:.0f} ms "
            f"| {row['carbone']:.0f} ms | {row['service'] / row['carbone']:.2f} "
            f"| {row['converter'] / row['carbone']:.2f} | {row['service'] / row['bare']:.2f} "
            f"| {row['render']:.0f} ms |"
        )
    print()
    print(f"Throughput, {CLIENTS} concurrent clients, docs/s:")
    print(
        "| LibreOffice processes | sample | service | service converter | Carbone "
        "| service / Carbone | converter / Carbone |"
    )
    print("|---|---|---|---|---|---|---|")
    for processes, rows in throughput.items():
        for sample, row in rows.items():
            if sample.startswith("peak"):
                continue
            print(
                f"| {processes} | {sample} | {row['service']:.2f} | {row['converter']:.2f} "
                f"| {row['carbone']:.2f} | {row['service'] / row['carbone']:.2f} "
                f"| {row['converter'] / row['carbone']:.2f} |"
            )
    print()
    print("Peak RSS per LibreOffice instance (MiB, process tree):")
    for processes, rows in throughput.items():
        peaks = rows["peak_rss_mib_per_instance"]
        print(f"  {processes} process(es): service {peaks['service']}, Carbone {peaks['carbone']}")


def run_latency(
    args: argparse.Namespace, work: Path, latency: dict[str, Any]
) -> list[tuple[str, Path]]:
    """Fill `latency` per sample, one LibreOffice per path; each sample's rendered DOCX."""
    ((bare_port, bare_uno),) = allocate_ports(args.base_port + 50, 1)
    pool = start_pool(1, args.base_port, work)
    carbone = Carbone(1, work, "carbone-latency")
    bare = BareUnoserver(bare_port, bare_uno, work / "bare")
    bare.spawn()
    try:
        bare.wait_ready()
        service = DocumentService(pool)
        docx_paths = []
        for sample in SAMPLES:
            log(f"latency: {sample}")
            found = bench_latency(
                service,
                carbone,
                bare,
                sample,
                work,
                args.requests,
                bare_update_index=args.bare_update_index,
            )
            latency[Path(sample).stem] = found["p50_ms"]
            docx_paths.append((sample, found["docx"]))
    finally:
        bare.stop()
        carbone.stop()
        pool.close()
    return docx_paths


def office_version() -> str:
    found = subprocess.run(
        ["/usr/bin/soffice", "--version"], capture_output=True, text=True, timeout=60
    )
    return found.stdout.strip().split(" (")[0] or "LibreOffice"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20, help="per path and sample")
    parser.add_argument("--burst", type=int, default=16, help="documents per throughput block")
    parser.add_argument("--base-port", type=int, default=3800, help="ports 3800-3899 by default")
    parser.add_argument(
        "--bare-update-index",
        choices=("auto", "on", "off"),
        default="auto",
        help="the bare client's update_index: auto = only when the DOCX holds an index",
    )
    parser.add_argument("--bulk-rows", type=int, default=100, help="communes of the bulk job")
    parser.add_argument("--bulk-rounds", type=int, default=3, help="rounds of the bulk paths")
    parser.add_argument("--only-bulk", action="store_true", help="the bulk step alone")
    parser.add_argument("--out", type=Path, help="also write the results as JSON")
    args = parser.parse_args(argv)
    from importlib import metadata

    versions = {
        "carbone": install_carbone(),
        "unoserver": metadata.version("unoserver"),
        "office": office_version(),
    }
    work = Path(tempfile.mkdtemp(prefix="vb-peers-"))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    latency: dict[str, Any] = {}
    throughput: dict[int, Any] = {}
    bulk: dict[int, Any] = {}
    try:
        if not args.only_bulk:
            docx_paths = run_latency(args, work, latency)
            for processes in sorted({1, os.cpu_count() or 1}):
                log(f"throughput: {processes} LibreOffice process(es) each")
                throughput[processes] = bench_throughput(
                    processes, docx_paths, args.base_port + 10, work, args.burst
                )
        for processes in sorted({1, os.cpu_count() or 1}):
            log(f"bulk: {processes} LibreOffice process(es) each")
            bulk[processes] = bench_bulk(
                processes, args.base_port + 20, work, args.bulk_rows, args.bulk_rounds
            )
    finally:
        leftovers = sweep(work)
        shutil.rmtree(work, ignore_errors=True)
        if leftovers:
            log(f"killed leftovers: {leftovers}")
    print_report(versions, latency, throughput)
    print_bulk(bulk)
    if args.out:
        args.out.write_text(
            json.dumps(
                {"versions": versions, "latency": latency, "throughput": throughput,
                 "bulk": bulk},
                indent=2,
                default=str,
            ),
            encoding="utf-8",
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
