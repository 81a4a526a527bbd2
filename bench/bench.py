"""Benchmark the document service: rendering, warm-pool latency, pool throughput, memory.

Everything is measured in one run so the ratios compare like with like on a noisy machine:

1. render-only: DOCX documents per second of DocumentService(None).render();
2. warm-pool latency, JSON -> PDF through the real HTTP service (VB_POOL_SIZE=1) against a bare
   `unoserver.server` converting the same DOCX with the stock UnoClient; the two series alternate
   request by request (ABBA order) so drift hits both alike;
3. throughput of a ConverterPool of size 1 against size N = os.cpu_count(), both fed from N*2
   threads, in alternating blocks;
4. `soffice --headless --convert-to pdf`, one fresh process per document, against pool(N);
5. peak RSS of each process tree (server + unoserver + soffice.bin), sampled every 0.2 s.

Run from the project root:  .venv/bin/python bench/bench.py [--quick] [--out bench/results.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import xmlrpc.client
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import psutil
import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from service.convert.pool import ConverterPool, PoolConfig  # noqa: E402
from service.convert.slots import port_is_free  # noqa: E402
from service.core.documents import DocumentService  # noqa: E402
from service.core.pdf_checks import validate_pdf  # noqa: E402

MAIN_SAMPLE = "samples/seed_000_ke_hoach_y_tich.json"
EXTRA_SAMPLE = "samples/seed_001_ke_hoach_thanh_linh.json"
CPUS = os.cpu_count() or 1
MiB = 1024 * 1024

# Sizes per run mode; "extra" is the second, longer sample.
SIZES = {
    "full": {
        "render": 200,
        "render_extra": 100,
        "warmup": 5,
        "latency": 40,
        "latency_extra": 20,
        "throughput": 40,
        "throughput_extra": 20,
        "soffice": 8,
        "soffice_extra": 4,
    },
    "quick": {
        "render": 40,
        "render_extra": 20,
        "warmup": 2,
        "latency": 12,
        "latency_extra": 6,
        "throughput": 12,
        "throughput_extra": 6,
        "soffice": 3,
        "soffice_extra": 2,
    },
}


def free_tcp_port() -> int:
    """A port nobody listens on now (the kernel's choice)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def allocate_ports(base: int, count: int) -> list[tuple[int, int]]:
    """`count` pairs of free ports (p, p+1) from `base` up, for the run's servers and pools."""
    pairs: list[tuple[int, int]] = []
    port = base
    while len(pairs) < count:
        if port_is_free(port) and port_is_free(port + 1):
            pairs.append((port, port + 1))
        port += 2
    return pairs


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def percentile(values: list[float], pct: float) -> float:
    """Linear-interpolated percentile (pct in 0..100)."""
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    pos = (len(ordered) - 1) * pct / 100
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def summary_ms(seconds: list[float]) -> dict[str, float]:
    ms = [s * 1000 for s in seconds]
    return {
        "n": len(ms),
        "p50_ms": round(percentile(ms, 50), 1),
        "p95_ms": round(percentile(ms, 95), 1),
        "mean_ms": round(statistics.fmean(ms), 1),
        "min_ms": round(min(ms), 1),
        "max_ms": round(max(ms), 1),
    }


# -- process trees and memory ---------------------------------------------------------------


def tree(pid: int) -> list[psutil.Process]:
    """The process and all its descendants (empty if it is gone)."""
    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.Error:
        return []


def tree_rss(pids: Iterable[int]) -> int:
    total = 0
    seen: set[int] = set()
    for pid in pids:
        for proc in tree(pid):
            if proc.pid in seen:
                continue
            seen.add(proc.pid)
            try:
                total += proc.memory_info().rss
            except psutil.Error:
                pass
    return total


class MemorySampler:
    """Samples the RSS sum of named process trees every `interval` seconds; keeps the peaks."""

    def __init__(self, interval: float = 0.2) -> None:
        self.interval = interval
        self.targets: dict[str, Callable[[], list[int]]] = {}
        self.peaks: dict[str, int] = {}
        self.samples = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def track(self, name: str, roots: Callable[[], list[int]]) -> None:
        with self._lock:
            self.targets[name] = roots
            self.peaks.setdefault(name, 0)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def sample(self) -> None:
        with self._lock:
            targets = list(self.targets.items())
        for name, roots in targets:
            try:
                rss = tree_rss(roots())
            except Exception:  # a pool being stopped, a process gone: skip this sample
                continue
            with self._lock:
                self.peaks[name] = max(self.peaks[name], rss)
        self.samples += 1

    def __enter__(self) -> MemorySampler:
        self._thread = threading.Thread(target=self._run, name="mem-sampler", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)

    def peaks_mib(self) -> dict[str, float]:
        return {name: round(peak / MiB, 1) for name, peak in self.peaks.items()}


def pool_pids(pool: ConverterPool) -> list[int]:
    return [i["pid"] for i in pool.health()["instances"] if i["pid"]]


# -- subprocesses -----------------------------------------------------------------------------


def stop_process(popen: subprocess.Popen[bytes], sig: int, grace: float) -> list[int]:
    """Signal a process, wait, then SIGKILL it and any descendant still alive (by pid).

    Returns the pids that had to be SIGKILLed.
    """
    descendants = tree(popen.pid)[1:]
    killed: list[int] = []
    try:
        if popen.poll() is None:
            popen.send_signal(sig)
            popen.wait(grace)
    except (subprocess.TimeoutExpired, ProcessLookupError):
        pass
    finally:  # even when a signal interrupts the wait
        if popen.poll() is None:
            popen.kill()
            popen.wait(10)
            killed.append(popen.pid)
        # Give orphans a moment to follow their parent down, then make sure.
        _, alive = psutil.wait_procs(descendants, timeout=5)
        killed.extend(kill_all(alive))
    return killed


def kill_all(procs: Iterable[psutil.Process]) -> list[int]:
    """SIGKILL these processes (psutil checks each is still the one we saw); return the pids."""
    killed = []
    procs = list(procs)
    for proc in procs:
        try:
            proc.kill()
            killed.append(proc.pid)
        except psutil.Error:
            pass
    psutil.wait_procs(procs, timeout=5)
    return killed


def sweep(tmp: Path) -> list[int]:
    """Kill whatever this run started and is still alive: our children, and any process whose
    command line names our temporary directory (unoservers and soffice orphaned by a crash)."""
    ours = set(psutil.Process().children(recursive=True))
    for proc in psutil.process_iter(["cmdline"]):
        if str(tmp) in " ".join(proc.info["cmdline"] or ()):
            ours.add(proc)
            try:
                ours.update(proc.children(recursive=True))
            except psutil.Error:
                pass
    ours.discard(psutil.Process())
    for proc in ours:
        try:
            proc.terminate()
        except psutil.Error:
            pass
    _, alive = psutil.wait_procs(ours, timeout=5)
    return kill_all(alive)


def grant_key(env: dict[str, str], scopes: tuple[str, ...] = ("render",)) -> str:
    """An API key with these scopes, made in the service's own database."""
    from service.composition import build_services
    from service.settings import Settings

    services = build_services(Settings.from_env(env), convert=False)
    try:
        catalog = services.documents.catalog
        _, token = services.api_keys.create("bench", list(scopes), units=None, created_by="bench",
                                            known_types=catalog.types)
    finally:
        services.close()
    return token


class ServiceProcess:
    """`python -m service serve` on its own ports and data dir."""

    def __init__(self, http_port: int, pool_base: int, data_dir: Path, root: Path = ROOT,
                 **settings: Any) -> None:
        self.settings = {"pool_size": 1, **settings}  # VB_* settings, by their lower-case name
        self.root = root  # the checkout whose service runs (another commit's, to compare)
        self.http_port = http_port
        self.pool_base = pool_base
        self.data_dir = data_dir
        self.url = f"http://127.0.0.1:{http_port}"
        self.popen: subprocess.Popen[bytes] | None = None
        self.log_path = data_dir / "service.log"
        self.force_killed: list[int] = []
        self.headers: dict[str, str] = {}  # the API key made for the run, once started

    def start(self, timeout: float = 120.0) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        env = dict(
            os.environ,
            VB_HOST="127.0.0.1",
            VB_PORT=str(self.http_port),
            VB_POOL_BASE_PORT=str(self.pool_base),
            VB_DATA_DIR=str(self.data_dir),
            **{f"VB_{name.upper()}": str(value) for name, value in self.settings.items()},
        )
        with open(self.log_path, "wb") as logfile:
            self.popen = subprocess.Popen(
                [sys.executable, "-m", "service", "serve"],
                cwd=self.root,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=logfile,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.popen.poll() is not None:
                raise RuntimeError(f"service exited with {self.popen.returncode}: {self.tail()}")
            try:
                if requests.get(self.url + "/health", timeout=2).status_code == 200:
                    self.headers = {"Authorization": f"Bearer {grant_key(env)}"}
                    return
            except requests.RequestException:
                pass
            time.sleep(0.25)
        raise RuntimeError(f"service not healthy within {timeout:g} s: {self.tail()}")

    def tail(self, limit: int = 800) -> str:
        try:
            return self.log_path.read_bytes()[-limit:].decode("utf-8", "replace")
        except OSError:
            return ""

    def pids(self) -> list[int]:
        return [self.popen.pid] if self.popen is not None else []

    def stop(self) -> None:
        if self.popen is None:
            return
        # service/cli.py turns SIGTERM into SystemExit and stops the pool; whatever is still
        # alive after the grace period (service, unoserver, soffice.bin) is killed by pid.
        self.force_killed = stop_process(self.popen, signal.SIGTERM, 20)
        self.popen = None


class BareUnoserver:
    """A stock `unoserver.server` with its own temporary profile."""

    def __init__(self, port: int, uno_port: int, home: Path) -> None:
        self.port = port
        self.uno_port = uno_port
        self.home = home
        self.popen: subprocess.Popen[bytes] | None = None
        self.force_killed: list[int] = []

    def spawn(self) -> None:
        profile = self.home / "profile"
        profile.mkdir(parents=True, exist_ok=True)
        argv = [
            sys.executable,
            "-m",
            "unoserver.server",
            "--interface",
            "127.0.0.1",
            "--uno-interface",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--uno-port",
            str(self.uno_port),
            "--user-installation",
            str(profile),
        ]
        with open(self.home / "unoserver.log", "wb") as logfile:
            self.popen = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=logfile,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_ready(self, timeout: float = 60.0) -> None:
        assert self.popen is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.popen.poll() is not None:
                raise RuntimeError(f"bare unoserver exited with {self.popen.returncode}")
            try:
                with xmlrpc.client.ServerProxy(f"http://127.0.0.1:{self.port}") as proxy:
                    proxy.info()
                return
            except Exception:
                time.sleep(0.25)
        raise RuntimeError(f"bare unoserver not ready within {timeout:g} s")

    def pids(self) -> list[int]:
        return [self.popen.pid] if self.popen is not None else []

    def stop(self) -> None:
        if self.popen is None:
            return
        self.force_killed = stop_process(self.popen, signal.SIGTERM, 10)
        self.popen = None


# -- the steps ------------------------------------------------------------------------------


def load_sample(path: str) -> tuple[str, dict[str, Any]]:
    payload = json.loads((ROOT / path).read_text(encoding="utf-8"))
    return str(payload["doc_type"]), payload


def bench_render(service: DocumentService, doc_type: str, payload: dict[str, Any], n: int) -> dict:
    for _ in range(5):
        service.render(doc_type, payload)
    started = time.perf_counter()
    for _ in range(n):
        service.render(doc_type, payload)
    elapsed = time.perf_counter() - started
    return {"n": n, "docs_per_s": round(n / elapsed, 1), "ms_per_doc": round(elapsed / n * 1000, 1)}


def bench_latency(
    svc: ServiceProcess,
    bare: BareUnoserver,
    doc_type: str,
    payload: dict[str, Any],
    docx: bytes,
    n: int,
    warmup: int,
) -> dict:
    """Alternate service and bare requests (ABBA) and time each."""
    from unoserver.client import UnoClient

    url = f"{svc.url}/api/documents/{doc_type}"
    client = UnoClient(port=str(bare.port))

    def via_service() -> bytes:
        response = requests.post(url, json=payload, headers=svc.headers, timeout=120)
        if response.status_code != 200:
            raise RuntimeError(f"service answered {response.status_code}: {response.text[:300]}")
        return response.content

    def via_bare() -> bytes:
        return bytes(client.convert(indata=docx, convert_to="pdf"))

    pages = {}
    for name, call in (("service", via_service), ("bare", via_bare)):
        for _ in range(warmup):
            pdf = call()
        pages[name] = validate_pdf(pdf)
    if pages["service"] != pages["bare"]:
        raise RuntimeError(
            f"the service's PDF has {pages['service']} page(s), the bare unoserver's "
            f"{pages['bare']}: not the same document (were the templates rewritten meanwhile?)"
        )
    times: dict[str, list[float]] = {"service": [], "bare": []}
    calls = {"service": via_service, "bare": via_bare}
    for i in range(n):
        order = ("service", "bare") if i % 2 == 0 else ("bare", "service")
        for name in order:
            started = time.perf_counter()
            pdf = calls[name]()
            times[name].append(time.perf_counter() - started)
            if not pdf.startswith(b"%PDF-"):
                raise RuntimeError(f"{name} returned no PDF")
    service_stats = summary_ms(times["service"])
    bare_stats = summary_ms(times["bare"])
    return {
        "pages": pages,
        "service": service_stats,
        "bare_unoserver": bare_stats,
        "overhead_ratio_p50": round(service_stats["p50_ms"] / bare_stats["p50_ms"], 2),
    }


def run_batch(pool: ConverterPool, docx: bytes, count: int, threads: int) -> float:
    """Convert `count` copies concurrently; return the wall time."""
    with ThreadPoolExecutor(max_workers=threads) as executor:
        started = time.perf_counter()
        results = list(executor.map(lambda _: pool.convert(docx), range(count)))
        elapsed = time.perf_counter() - started
    if not all(r.startswith(b"%PDF-") for r in results):
        raise RuntimeError("a pool conversion returned no PDF")
    return elapsed


def bench_throughput(
    pools: dict[str, ConverterPool], docx: bytes, n: int, threads: int, blocks: int = 2
) -> dict:
    """Convert n documents on each pool, in alternating blocks; documents per second."""
    pages = {}
    for name, pool in pools.items():
        pages[name] = validate_pdf(pool.convert(docx))
        run_batch(pool, docx, 2 * pool.config.size, threads)  # warm every instance
    per_block = [n // blocks + (1 if b < n % blocks else 0) for b in range(blocks)]
    elapsed = dict.fromkeys(pools, 0.0)
    for b, count in enumerate(per_block):
        names = list(pools) if b % 2 == 0 else list(reversed(pools))
        for name in names:
            elapsed[name] += run_batch(pools[name], docx, count, threads)
    return {
        name: {"n": n, "pages": pages[name], "seconds": round(t, 2), "docs_per_s": round(n / t, 2)}
        for name, t in elapsed.items()
    }


def bench_soffice(docx: bytes, n: int, work: Path) -> dict:
    """One fresh `soffice --convert-to pdf` per document, sequentially; profile reused."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        raise RuntimeError("soffice not found on PATH")
    profile = work / "soffice-profile"
    indir, outdir = work / "soffice-in", work / "soffice-out"
    indir.mkdir(parents=True, exist_ok=True)
    outdir.mkdir(parents=True, exist_ok=True)
    source = indir / "document.docx"
    source.write_bytes(docx)
    target = outdir / "document.pdf"
    argv = [
        soffice,
        f"-env:UserInstallation={profile.resolve().as_uri()}",
        "--headless",
        "--convert-to",
        "pdf",
        "--outdir",
        str(outdir),
        str(source),
    ]

    def once() -> float:
        target.unlink(missing_ok=True)
        started = time.perf_counter()
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            proc.wait(120)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)  # its own session: the group is ours
                proc.wait(10)
        elapsed = time.perf_counter() - started
        if proc.returncode != 0 or not target.exists():
            raise RuntimeError(f"soffice failed with {proc.returncode}")
        pages.append(validate_pdf(target.read_bytes()))
        return elapsed

    pages: list[int] = []

    first_run = once()  # creates the profile; not counted
    times = [once() for _ in range(n)]
    mean = statistics.fmean(times)
    return {
        "n": n,
        "first_run_s": round(first_run, 2),
        "s_per_doc": round(mean, 3),
        "p50_s": round(percentile(times, 50), 3),
        "docs_per_s": round(1 / mean, 3),
        "pages": pages[-1],
    }


# -- report -----------------------------------------------------------------------------------


def soffice_pids() -> dict[int, str]:
    out = subprocess.run(["pgrep", "-fa", "soffice"], capture_output=True, text=True).stdout
    found = {}
    for line in out.splitlines():
        pid, _, cmd = line.partition(" ")
        if pid.isdigit() and int(pid) != os.getpid():
            found[int(pid)] = cmd
    return found


def print_table(results: dict) -> None:
    docs = results["documents"]
    names = list(docs)
    n = results["pool_size_n"]
    col = 22
    short = {name: "_".join(Path(name).stem.split("_")[:2]) for name in names}
    heads = [f"{short[name]} ({docs[name]['pages']} p)" for name in names]
    lines = [f"{'':48}" + "".join(f"{h:>{col}}" for h in heads)]

    def row(label: str, values: list[str]) -> None:
        lines.append(f"{label:48}" + "".join(f"{v:>{col}}" for v in values))

    def get(path: str) -> list[str]:
        values = []
        for name in names:
            node: Any = docs[name]
            for key in path.split("."):
                node = node.get(key) if isinstance(node, dict) else None
            values.append("-" if node is None else str(node))
        return values

    row("1. render-only DOCX (docs/s)", get("render.docs_per_s"))
    row("   render-only (ms/doc)", get("render.ms_per_doc"))
    row("2. service JSON->PDF p50 / p95 (ms)", pair(docs, names, "latency.service"))
    row("   bare unoserver DOCX->PDF p50 / p95 (ms)", pair(docs, names, "latency.bare_unoserver"))
    row("   overhead ratio (service p50 / bare p50)", get("latency.overhead_ratio_p50"))
    row("   requests per series (interleaved)", get("latency.service.n"))
    row("3. pool(1) throughput (docs/s)", get("throughput.pool_1.docs_per_s"))
    row(f"   pool({n}) throughput (docs/s)", get(f"throughput.pool_{n}.docs_per_s"))
    row(f"   scaling pool({n})/pool(1) (ideal {n})", get("throughput.scaling"))
    row("   documents per pool", get("throughput.pool_1.n"))
    row("4. soffice per document (s/doc)", get("soffice.s_per_doc"))
    row("   soffice throughput (docs/s)", get("soffice.docs_per_s"))
    row(f"   pool({n}) / soffice-per-doc (target >= 5x)", get("pool_n_vs_soffice"))
    row("   documents via soffice", get("soffice.n"))
    lines.append("")
    lines.append("5. peak RSS, process tree sums (MiB, sampled every 0.2 s):")
    for label, mib in results["peak_rss_mib"].items():
        lines.append(f"   {label:55}{mib:>10.1f}")
    lines.append("")
    lines.append(
        f"mode {results['mode']}, {results['cpus']} CPUs, {results['libreoffice']}, "
        f"unoserver {results['unoserver']}, total {results['total_seconds']:.0f} s"
    )
    load = results["loadavg_1m_start_end"]
    lines.append(
        f"load average (1 min) {load[0]} at start, {load[1]} at end; "
        f"{results['foreign_soffice_at_start']} soffice of others running at start"
    )
    print("\n".join(lines))


def pair(docs: dict, names: list[str], path: str) -> list[str]:
    values = []
    for name in names:
        node: Any = docs[name]
        for key in path.split("."):
            node = node.get(key) if isinstance(node, dict) else None
        values.append("-" if node is None else f"{node['p50_ms']:.0f} / {node['p95_ms']:.0f}")
    return values


# -- main -------------------------------------------------------------------------------------


def same_pages(document: dict[str, Any], step: str, pages: int) -> None:
    """Every step must convert the same document: the page counts must agree."""
    if pages != document["pages"]:
        raise RuntimeError(
            f"{step}: {pages} page(s) where the service gave {document['pages']}; "
            "not the same document (were the templates rewritten during the run?)"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a short run (under ~2 minutes)")
    parser.add_argument("--out", type=Path, help="write the results as JSON to this file")
    parser.add_argument("--base-port", type=int, default=2600, help="first port to use (>= 2600)")
    parser.add_argument("--workers", type=int, default=CPUS, help="N, the larger pool's size")
    parser.add_argument("--sample", default=MAIN_SAMPLE, help="the main document (JSON)")
    parser.add_argument("--extra", default=EXTRA_SAMPLE, help="a second document, '' for none")
    args = parser.parse_args(argv)
    if args.base_port < 2600:
        parser.error("--base-port must be >= 2600 (the test suite uses the ports below)")
    mode = "quick" if args.quick else "full"
    sizes = SIZES[mode]
    n = max(1, args.workers)
    threads = n * 2
    samples = [args.sample] + ([args.extra] if args.extra else [])

    # Ctrl-C and SIGTERM both unwind through the finally blocks below; a second signal is
    # ignored so it cannot cut the clean-up short. SIGINT gets a handler even when the shell
    # started us with it ignored (a background job), so our children do not inherit SIG_IGN.
    def on_signal(signum: int, frame: object) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    started_all = time.perf_counter()
    load_start = os.getloadavg()
    foreign_start = len(soffice_pids())
    tmp = Path(tempfile.mkdtemp(prefix="vb-bench-"))
    documents: dict[str, dict[str, Any]] = {}
    peaks: dict[str, float] = {}
    force_killed: list[int] = []
    try:
        renderer = DocumentService(None)
        inputs = {}
        for name in samples:
            doc_type, payload = load_sample(name)
            inputs[name] = (doc_type, payload, renderer.render(doc_type, payload).docx)
            documents[name] = {"doc_type": doc_type, "docx_bytes": len(inputs[name][2])}

        # 1. render-only
        for i, name in enumerate(samples):
            doc_type, payload, _ = inputs[name]
            count = sizes["render"] if i == 0 else sizes["render_extra"]
            log(f"render-only: {count} x {name}")
            documents[name]["render"] = bench_render(renderer, doc_type, payload, count)

        # Ports: HTTP, the service's pool, the bare unoserver, pool(1), pool(N) upwards.
        pairs = allocate_ports(args.base_port, 4 + n)
        http_port = pairs[0][0]
        svc = ServiceProcess(http_port, pairs[1][0], tmp / "service")
        bare = BareUnoserver(pairs[2][0], pairs[2][1], tmp / "bare")

        # 2. warm-pool latency
        with ExitStack() as stack:
            stack.callback(lambda: force_killed.extend(bare.force_killed))
            stack.callback(bare.stop)
            stack.callback(lambda: force_killed.extend(svc.force_killed))
            stack.callback(svc.stop)
            log(f"starting the service on :{http_port} and a bare unoserver on :{bare.port}")
            bare.spawn()  # both start up at the same time
            svc.start()
            bare.wait_ready()
            sampler = stack.enter_context(MemorySampler())
            sampler.track("service tree, step 2 (pool size 1)", svc.pids)
            sampler.track("bare unoserver tree, step 2", bare.pids)
            for i, name in enumerate(samples):
                doc_type, payload, docx = inputs[name]
                count = sizes["latency"] if i == 0 else sizes["latency_extra"]
                log(f"latency: {count} service + {count} bare requests, {name}")
                result = bench_latency(svc, bare, doc_type, payload, docx, count, sizes["warmup"])
                documents[name]["latency"] = result
                documents[name]["pages"] = result["pages"]["service"]
            sampler.sample()
            peaks.update(sampler.peaks_mib())

        # 3. throughput, pool(1) against pool(N)
        with ExitStack() as stack:
            pools: dict[str, ConverterPool] = {}
            for size, (base, _) in ((1, pairs[3]), (n, pairs[4])):
                if f"pool_{size}" not in pools:  # one pool only when N is 1
                    config = PoolConfig(
                        size=size, base_port=base, work_dir=tmp / f"pool{size}", acquire_timeout=300
                    )
                    pools[f"pool_{size}"] = ConverterPool(config)
                    stack.callback(pools[f"pool_{size}"].close)
            log(f"starting pools: {', '.join(pools)}")
            for pool in pools.values():
                pool.start()
            for name, pool in pools.items():
                if not pool.wait_ready(120):
                    raise RuntimeError(f"{name} not ready: {pool.health()}")
            sampler = stack.enter_context(MemorySampler())
            for pool in pools.values():
                label = f"pool({pool.config.size}) tree, step 3 (unoservers + soffice.bin)"
                sampler.track(label, lambda pool=pool: pool_pids(pool))
            for i, name in enumerate(samples):
                docx = inputs[name][2]
                count = sizes["throughput"] if i == 0 else sizes["throughput_extra"]
                log(f"throughput: {count} docs per pool from {threads} threads, {name}")
                result = bench_throughput(pools, docx, count, threads)
                result["scaling"] = round(
                    result[f"pool_{n}"]["docs_per_s"] / result["pool_1"]["docs_per_s"], 2
                )
                documents[name]["throughput"] = result
                for pool_name in pools:
                    same_pages(documents[name], f"{pool_name}", result[pool_name]["pages"])
            sampler.sample()
            peaks.update(sampler.peaks_mib())

        # 4. soffice per document
        for i, name in enumerate(samples):
            docx = inputs[name][2]
            count = sizes["soffice"] if i == 0 else sizes["soffice_extra"]
            log(f"soffice: {count} documents, one process each, {name}")
            result = bench_soffice(docx, count, tmp / f"soffice-{i}")
            documents[name]["soffice"] = result
            same_pages(documents[name], "soffice", result["pages"])
            pool_rate = documents[name]["throughput"][f"pool_{n}"]["docs_per_s"]
            documents[name]["pool_n_vs_soffice"] = round(pool_rate / result["docs_per_s"], 1)
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        force_killed.extend(sweep(tmp))
        shutil.rmtree(tmp, ignore_errors=True)
        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)

    time.sleep(1)
    # Ours: every profile this run used lives under tmp; others' tests may start soffice meanwhile.
    leftovers = {pid: cmd for pid, cmd in soffice_pids().items() if str(tmp) in cmd}
    for child in psutil.Process().children(recursive=True):
        try:
            leftovers[child.pid] = " ".join(child.cmdline()) or child.name()
        except psutil.Error:
            pass
    others = sorted(pid for pid in soffice_pids() if pid not in leftovers)
    from importlib.metadata import version

    lo_version = subprocess.run(
        [shutil.which("soffice") or "soffice", "--version"], capture_output=True, text=True
    ).stdout.strip()
    results = {
        "mode": mode,
        "sizes": sizes,
        "cpus": CPUS,
        "pool_size_n": n,
        "submit_threads": threads,
        "python": platform.python_version(),
        "libreoffice": " ".join(lo_version.split()[:2]),
        "unoserver": version("unoserver"),
        "documents": documents,
        "peak_rss_mib": peaks,
        "force_killed_pids": force_killed,
        "soffice_left_over": leftovers,
        "soffice_not_ours": others,
        "total_seconds": round(time.perf_counter() - started_all, 1),
        "loadavg_1m_start_end": [round(load_start[0], 2), round(os.getloadavg()[0], 2)],
        "foreign_soffice_at_start": foreign_start,
    }
    print_table(results)
    if force_killed:
        print(f"note: had to SIGKILL pids {force_killed} while stopping")
    if others:
        print(f"note: soffice processes of others (not this run), left alone: {others}")
    if leftovers:
        print(f"ERROR: processes left over by this run: {leftovers}")
    else:
        print("no soffice (or other child) process left over by this run")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
        print(f"results written to {args.out}")
    return 1 if leftovers else 0


if __name__ == "__main__":
    sys.exit(main())
