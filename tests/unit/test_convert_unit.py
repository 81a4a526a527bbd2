"""Unit tests of the conversion pool: ports, output checks, the fake, and supervision.

Supervision runs against a stand-in unoserver (a small XML-RPC script), not LibreOffice: it
converts instantly and crashes, hangs or answers garbage when told to by marker files. The
pools run on shrunk Timings, so a restart or a re-probe takes milliseconds, not seconds.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from itertools import pairwise
from pathlib import Path
from typing import Any

import psutil
import pytest

from service.convert.office_profile import LEAN_SETTINGS, lean_profile
from service.convert.pool import ConverterPool, PoolConfig
from service.convert.process import InstanceState, ProcessFailed, Timings, backoff
from service.convert.slots import GROUP_FILE, claim_slot, port_is_free, reap_leftover
from service.convert.supervisor import Supervisor
from service.core.converter import (
    ConversionError,
    ConversionFailed,
    Converter,
    ConverterUnavailable,
    filter_options,
)
from service.core.pdf_checks import validate_pdf
from service.settings import Settings
from tests.conftest import pdf_pages
from tests.fakes import FakeConverter, blank_pdf

MakePool = Callable[..., ConverterPool]
DOCX = b"PK\x03\x04" + b"\0" * 64  # enough of a DOCX for the stand-in server
# Everything the supervisor waits for, shrunk; what a test measures is set in that test.
FAST = Timings(
    monitor_interval=0.02,
    startup_poll=0.02,
    socket_grace=0.2,
    backoff_step=0.05,
    max_backoff=0.2,
    remote_retry=0.05,
)
STALL = 10  # seconds the stand-in hangs: a pool that failed to give up fails the test, not hangs

# -- ports ------------------------------------------------------------------------------------


def claim(tmp_path: Path, base: int, count: int, **options: Any) -> list[tuple[int, int]]:
    """Claim `count` slots one after the other (each held), as a pool does; their ports."""
    slots = []
    for _ in range(count):
        held = {p for slot in slots for p in (slot.port, slot.uno_port)}
        slots.append(claim_slot(tmp_path, base, reserved=held, **options))
    for slot in slots:
        slot.release()
    return [(slot.port, slot.uno_port) for slot in slots]


def test_slots_take_consecutive_pairs(tmp_path: Path) -> None:
    assert claim(tmp_path, 2100, 3, is_free=lambda p: True) == [
        (2100, 2101),
        (2102, 2103),
        (2104, 2105),
    ]


def test_slots_skip_pairs_with_a_port_in_use(tmp_path: Path) -> None:
    busy = {2102, 2105}
    pairs = claim(tmp_path, 2100, 3, is_free=lambda p: p not in busy)
    assert pairs == [(2100, 2101), (2106, 2107), (2108, 2109)]


def test_slots_skip_reserved_ports(tmp_path: Path) -> None:
    slot = claim_slot(tmp_path, 2100, reserved={2100}, is_free=lambda p: True)
    slot.release()
    assert (slot.port, slot.uno_port) == (2102, 2103)


def test_slots_skip_a_listening_socket(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        taken = sock.getsockname()[1]
        assert not port_is_free(taken)
        slot = claim_slot(tmp_path, taken - 1 if taken % 2 else taken)
        slot.release()
    assert taken not in (slot.port, slot.uno_port)


def test_slots_fail_when_none_left(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="no free port pair"):
        claim(tmp_path, 65530, 4, is_free=lambda p: True, max_port=65535)


def sleeper(*argv: str) -> subprocess.Popen[bytes]:
    """A process in a session of its own whose command line carries argv."""
    code = "import time; time.sleep(60)"
    return subprocess.Popen([sys.executable, "-c", code, *argv], start_new_session=True)


def test_a_killed_pools_servers_are_ended_and_their_ports_reused(tmp_path: Path) -> None:
    home = tmp_path / "unoserver-2100"
    home.mkdir()
    leftover = sleeper("--user-installation", str(home / "profile"))
    stranger = sleeper("unrelated")
    try:
        (home / GROUP_FILE).write_text(f"{leftover.pid}\n", encoding="ascii")
        assert reap_leftover(tmp_path / "unoserver-2102") == []  # nothing recorded there
        slot = claim_slot(tmp_path, 2100, is_free=lambda p: True)
        slot.release()
        assert (slot.port, slot.uno_port) == (2100, 2101)
        leftover.wait(5)  # TimeoutExpired if it were left asleep for its 60 s
        assert not (home / GROUP_FILE).exists()
        # A recorded group whose processes do not name the directory is someone else's.
        (home / GROUP_FILE).write_text(f"{stranger.pid}\n", encoding="ascii")
        assert reap_leftover(home) == []
        assert stranger.poll() is None
    finally:
        for proc in (leftover, stranger):
            proc.kill()
            proc.wait(5)


# -- output checks ----------------------------------------------------------------------------


def test_validate_pdf_accepts_a_pdf() -> None:
    assert validate_pdf(blank_pdf()) == 1


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"\x89PNG\r\n\x1a\n" + b"\0" * 100, id="garbage"),
        pytest.param(
            b"Could not load document <remote file> using the default filter.", id="error"
        ),
        pytest.param(blank_pdf()[: len(blank_pdf()) // 2], id="truncated"),
        pytest.param(blank_pdf()[:-30], id="cut-before-eof"),
        pytest.param(b"%PDF-1.7\nnot really a pdf\n%%EOF\n", id="header-and-eof-only"),
    ],
)
def test_validate_pdf_rejects(data: bytes) -> None:
    with pytest.raises(ValueError):
        validate_pdf(data)


def test_filter_options() -> None:
    assert filter_options(None) == []
    assert filter_options(2) == ["SelectPdfVersion=2", "UseTaggedPDF=true"]
    assert filter_options(None, destinations=True) == ["ExportBookmarksToPDFDestination=true"]
    assert filter_options(1, destinations=True) == [
        "SelectPdfVersion=1", "UseTaggedPDF=true", "ExportBookmarksToPDFDestination=true"]
    with pytest.raises(ValueError):
        filter_options(4)


# -- the fake ---------------------------------------------------------------------------------


def test_fake_converter_returns_a_one_page_pdf_and_records_calls() -> None:
    fake = FakeConverter()
    pdf = fake.convert(b"docx", pdf_version=2)
    assert pdf_pages(pdf) == validate_pdf(pdf) == 1
    fake.convert(b"other")
    assert fake.calls == [(b"docx", 2), (b"other", None)]
    health = fake.health()
    assert health["ok"] and health["ready"] == health["size"] == 1
    assert health["instances"][0]["conversions"] == 2
    assert health["instances"][0]["state"] == "ready"
    fake.close()
    fake.close()
    assert fake.closed


def test_fake_converter_raises_the_error_it_is_given() -> None:
    fake = FakeConverter(error=ConverterUnavailable("all busy"))
    with pytest.raises(ConverterUnavailable):
        fake.convert(b"docx")
    assert len(fake.calls) == 1


def test_fake_and_pool_are_converters() -> None:
    assert isinstance(FakeConverter(), Converter)
    assert isinstance(ConverterPool(PoolConfig(size=1)), Converter)
    assert issubclass(ConverterUnavailable, ConversionError)
    assert issubclass(ConversionFailed, ConversionError)


# -- pool arguments ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "config",
    [
        PoolConfig(size=0),
        PoolConfig(size=-1),
        PoolConfig(size=1, max_conversions=0),
        PoolConfig(size=0, remotes=("no-port",)),
    ],
)
def test_pool_rejects_bad_configs(config: PoolConfig) -> None:
    with pytest.raises(ValueError):
        ConverterPool(config)


def test_pool_config_from_settings(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {"VB_REMOTE_UNOSERVERS": "a:1, b:2", "VB_CONVERSION_TIMEOUT": "7.5"},
        data_dir=tmp_path,
        pool_size=3,
        pool_base_port=2900,
        max_conversions=9,
        acquire_timeout=4.0,
    )
    assert PoolConfig.from_settings(settings) == PoolConfig(
        size=3,
        base_port=2900,
        conversion_timeout=7.5,
        max_conversions=9,
        acquire_timeout=4.0,
        remotes=("a:1", "b:2"),
        work_dir=tmp_path / "pool",
    )


def test_convert_before_start_is_unavailable() -> None:
    with pytest.raises(ConverterUnavailable, match="not been started"):
        ConverterPool(PoolConfig(size=1)).convert(DOCX)


def test_convert_rejects_what_is_not_a_docx() -> None:
    with pytest.raises(ConversionFailed, match="not a DOCX"):
        ConverterPool(PoolConfig(size=1)).convert(b"plain text")


def test_convert_rejects_an_unknown_pdf_version() -> None:
    with pytest.raises(ValueError):
        ConverterPool(PoolConfig(size=1)).convert(DOCX, pdf_version=7)


def test_backoff_starts_at_once_then_doubles_up_to_the_cap() -> None:
    timings = Timings()
    assert [backoff(timings, n) for n in range(0, 8)] == [0, 0, 0.5, 1, 2, 4, 8, 16]
    assert backoff(timings, 50) == timings.max_backoff == 30
    # A failed remote waits at least remote_retry, however few its failures.
    assert [backoff(timings, n, floor=2.0) for n in (1, 2, 3, 4)] == [2.0, 2.0, 2.0, 2.0]
    assert backoff(timings, 5, floor=2.0) == 4


# -- supervision, against a stand-in unoserver ------------------------------------------------

FAKE_SERVER = textwrap.dedent(
    f'''
    """Stand-in for the converter server: marker files in CONTROL make the next call misbehave."""
    # Plain socketserver, not xmlrpc.server (which imports pydoc): a restart costs less.
    import os, socketserver, sys, time
    from pathlib import Path
    from xmlrpc.client import Binary, dumps, loads

    control = Path(sys.argv[1])
    port = int(sys.argv[sys.argv.index("--port") + 1])
    pdf = (control / "pdf").read_bytes()
    # A local instance answers on /<its secret> only; a remote (no secret) on /.
    rpc_path = "/" + os.environ.get("VB_CONVERTER_SECRET", "")

    def take(name):
        try:
            (control / name).unlink()
            return True
        except FileNotFoundError:
            return False

    def info():
        if take("hang-info"):
            time.sleep({STALL})
        return {{"unoserver": "fake", "api": "3", "import_filters": {{}}, "export_filters": {{}}}}

    def convert(*params):
        # A local instance's call: (indata, options, update_index); a remote's: unoserver's 9.
        options = params[1] if len(params) == 3 else params[5]
        with open(control / "calls", "a") as fh:
            fh.write(f"{{os.getpid()}} {{' '.join(options)}}\\n")
        if take("crash"):
            os._exit(3)
        if take("hang"):
            time.sleep({STALL})
        if (control / "garbage").exists():
            return "Error: could not load document"
        deadline = time.monotonic() + {STALL}
        while (control / "hold").exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        return Binary(pdf)

    class XmlRpc(socketserver.StreamRequestHandler):
        def handle(self):
            path = self.rfile.readline().split()[1].decode()  # POST /path HTTP/1.1
            length = 0
            while line := self.rfile.readline().strip():
                name, _, value = line.partition(b":")
                if name.lower() == b"content-length":
                    length = int(value)
            params, method = loads(self.rfile.read(length))
            if path != rpc_path:
                self.wfile.write(b"HTTP/1.0 404 Not Found\\r\\nContent-Length: 0\\r\\n\\r\\n")
                return
            result = {{"info": info, "convert": convert}}[method](*params)
            body = dumps((result,), methodresponse=True, allow_none=True).encode()
            head = f"HTTP/1.0 200 OK\\r\\nContent-Type: text/xml\\r\\nContent-Length: {{len(body)}}"
            self.wfile.write(head.encode() + b"\\r\\n\\r\\n" + body)

    socketserver.TCPServer.allow_reuse_address = True
    socketserver.TCPServer(("127.0.0.1", port), XmlRpc).serve_forever()
    '''
)


@pytest.fixture
def control(tmp_path: Path) -> Path:
    path = tmp_path / "control"
    path.mkdir()
    (path / "pdf").write_bytes(blank_pdf(200, 200))
    return path


@pytest.fixture
def fake_server(tmp_path: Path, control: Path) -> tuple[str, ...]:
    script = tmp_path / "fake_unoserver.py"
    script.write_text(FAKE_SERVER)
    return (sys.executable, "-I", "-S", str(script), str(control))  # stdlib only: starts faster


@pytest.fixture
def make_pool(tmp_path: Path, fake_server: tuple[str, ...]) -> Iterator[MakePool]:
    pools: list[ConverterPool] = []

    def make(**overrides: Any) -> ConverterPool:
        settings: dict[str, Any] = {
            "size": 2,
            "base_port": _free_base(),
            "conversion_timeout": 1.0,
            "acquire_timeout": 5.0,
            "startup_timeout": 10.0,
            "work_dir": tmp_path / f"pool{len(pools)}",
            "server_command": fake_server,
            "timings": FAST,
        }
        settings.update(overrides)
        pool = ConverterPool(PoolConfig(**settings))
        pools.append(pool)
        pool.start(wait=True)
        assert pool.health()["ready"] == pool.health()["size"]
        return pool

    yield make
    for pool in pools:
        pids = [i["pid"] for i in pool.health()["instances"] if i["pid"]]
        pool.close()
        assert not [p for p in pids if psutil.pid_exists(p)], "close() left processes behind"


def _free_base() -> int:
    """Find 8 free consecutive ports in the ephemeral range for a test pool."""
    for _ in range(50):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            base = sock.getsockname()[1] & ~1
        if base + 8 < 65535 and all(port_is_free(p) for p in range(base, base + 8)):
            return base
    raise RuntimeError("no free ports")


def _wait_for(predicate: Callable[[], object], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.01)
    raise AssertionError("condition not reached in time")


def _all_ready(pool: ConverterPool) -> bool:
    health = pool.health()
    return bool(health["ready"] == health["size"])


def test_pool_converts_and_reports(make_pool: MakePool, control: Path) -> None:
    pool = make_pool()
    assert validate_pdf(pool.convert(DOCX)) == 1
    pool.convert(DOCX, pdf_version=2)
    health = pool.health()
    assert health["ok"] and health["size"] == 2 and health["ready"] == 2
    assert sum(i["conversions"] for i in health["instances"]) == 2
    assert {i["state"] for i in health["instances"]} == {"ready"}
    assert all(i["restarts"] == 0 and i["pid"] for i in health["instances"])
    assert json.loads(json.dumps(health))["instances"][0]["state"] == "ready"
    calls = (control / "calls").read_text().splitlines()
    assert calls[1].split(" ", 1)[1] == "SelectPdfVersion=2 UseTaggedPDF=true"
    # Instances take turns, so one leaking LibreOffice does not take all the work.
    assert len({line.split()[0] for line in calls}) == 2


def test_pool_asks_for_destinations(make_pool: MakePool, control: Path) -> None:
    pool = make_pool()
    pool.convert(DOCX, destinations=True)
    pool.convert(DOCX)
    options = [line.split(" ", 1)[1] for line in (control / "calls").read_text().splitlines()]
    assert options == ["ExportBookmarksToPDFDestination=true", ""]


def test_crash_is_retried_on_the_other_instance_and_restarted(
    make_pool: MakePool, control: Path
) -> None:
    pool = make_pool()
    (control / "crash").touch()
    assert validate_pdf(pool.convert(DOCX)) == 1
    _wait_for(lambda: _all_ready(pool))
    instances = pool.health()["instances"]
    assert sorted(i["restarts"] for i in instances) == [0, 1]
    crashed = next(i for i in instances if i["restarts"])
    assert "connection failed" in crashed["last_error"] or "exited" in crashed["last_error"]


def test_hang_times_out_kills_and_retries(make_pool: MakePool, control: Path) -> None:
    pool = make_pool(size=1, conversion_timeout=0.1)
    pid = pool.health()["instances"][0]["pid"]
    (control / "hang").touch()
    started = time.monotonic()
    assert validate_pdf(pool.convert(DOCX)) == 1
    # 0.1 s timeout + 0.2 s grace, a restart, and the retry on the same (only) instance.
    assert time.monotonic() - started < 3
    instance = pool.health()["instances"][0]
    assert instance["restarts"] == 1 and instance["pid"] != pid
    assert not psutil.pid_exists(pid)
    assert instance["last_error"] == "no answer within 0.3 s"


def test_bad_output_fails_after_two_attempts_without_restarts(
    make_pool: MakePool, control: Path
) -> None:
    pool = make_pool()
    (control / "garbage").touch()
    with pytest.raises(ConversionFailed, match="not a PDF"):
        pool.convert(DOCX)
    assert len((control / "calls").read_text().splitlines()) == 2
    health = pool.health()
    assert health["ready"] == 2
    assert all(i["restarts"] == 0 for i in health["instances"])


def test_every_instance_busy_is_unavailable_quickly(make_pool: MakePool, control: Path) -> None:
    pool = make_pool(size=1, acquire_timeout=0.1)
    (control / "hold").touch()  # the first conversion waits until the file is gone
    results: list[bytes] = []
    worker = threading.Thread(target=lambda: results.append(pool.convert(DOCX)))
    worker.start()
    try:
        _wait_for(lambda: pool.health()["busy"] == 1)
        started = time.monotonic()
        with pytest.raises(ConverterUnavailable, match=r"no converter free within 0\.1 s"):
            pool.convert(DOCX)
        assert time.monotonic() - started < 1.0
    finally:
        (control / "hold").unlink()
        worker.join()
    assert validate_pdf(results[0]) == 1


def test_instance_is_recycled_after_max_conversions(make_pool: MakePool) -> None:
    pool = make_pool(size=1, max_conversions=2)
    first_pid = pool.health()["instances"][0]["pid"]
    for _ in range(3):
        pool.convert(DOCX)
    instance = pool.health()["instances"][0]
    assert instance["restarts"] == 1 and instance["conversions"] == 3
    assert instance["pid"] != first_pid and not psutil.pid_exists(first_pid)


def test_instances_due_together_are_recycled_one_at_a_time(make_pool: MakePool) -> None:
    pool = make_pool(size=2, max_conversions=2)
    sup = pool._supervisor
    first, second = sup.instances
    with sup.cond:
        first.since_start = second.since_start = 2
        second.state = InstanceState.STARTING  # the other is being restarted right now
        assert not sup._due_for_recycling_locked(first)  # the pool would have none left
        first.since_start = 4
        assert sup._due_for_recycling_locked(first)  # leaks stay bounded: twice at most
        first.since_start, second.state = 2, InstanceState.READY
        assert sup._due_for_recycling_locked(first)


def test_killed_idle_instance_is_noticed_and_restarted(make_pool: MakePool) -> None:
    pool = make_pool(size=1)
    pid = pool.health()["instances"][0]["pid"]
    psutil.Process(pid).kill()
    _wait_for(lambda: pool.health()["instances"][0]["restarts"] == 1 and _all_ready(pool))
    assert "process exited" in pool.health()["instances"][0]["last_error"]
    assert validate_pdf(pool.convert(DOCX)) == 1


def test_close_is_idempotent_and_refuses_work(make_pool: MakePool) -> None:
    pool = make_pool(size=1)
    pid = pool.health()["instances"][0]["pid"]
    pool.close()
    pool.close()
    assert not psutil.pid_exists(pid)
    assert not pool.health()["ok"]
    assert pool.health()["instances"][0]["state"] == "stopped"
    with pytest.raises(ConverterUnavailable, match="stopped"):
        pool.convert(DOCX)
    with pytest.raises(RuntimeError):
        pool.start()


def test_pools_sharing_a_work_dir_get_their_own_ports_and_profiles(
    make_pool: MakePool, tmp_path: Path
) -> None:
    shared = tmp_path / "shared"
    first = make_pool(size=1, work_dir=shared)
    base = first.config.base_port
    second = make_pool(size=1, work_dir=shared, base_port=base)
    addresses = [p.health()["instances"][0]["address"] for p in (first, second)]
    assert addresses == [f"127.0.0.1:{base}", f"127.0.0.1:{base + 2}"]
    assert sorted(d.name for d in shared.iterdir()) == [
        f"unoserver-{base}",
        f"unoserver-{base + 2}",
    ]
    assert validate_pdf(second.convert(DOCX)) == 1


def test_slot_held_by_another_pool_is_skipped(tmp_path: Path) -> None:
    held = claim_slot(tmp_path, 40000, reserved=())
    try:
        # The held slot's ports are free (nothing listens), but its directory is locked.
        other = claim_slot(tmp_path, 40000)
        assert (other.port, other.uno_port) != (held.port, held.uno_port)
        other.release()
    finally:
        held.release()
    again = claim_slot(tmp_path, held.port)
    assert again.port == held.port
    again.release()


def test_remote_is_used_then_marked_unhealthy_then_probed_back(
    make_pool: MakePool, fake_server: tuple[str, ...]
) -> None:
    port = _free_base()
    remote = subprocess.Popen([*fake_server, "--port", str(port)])
    try:
        _wait_for(lambda: not port_is_free(port))
        pool = make_pool(size=0, remotes=(f"127.0.0.1:{port}",), acquire_timeout=0.1)
        assert validate_pdf(pool.convert(DOCX)) == 1
        remote.kill()
        remote.wait()
        with pytest.raises(ConversionError):
            pool.convert(DOCX)
        instance = pool.health()["instances"][0]
        assert instance["kind"] == "remote" and instance["state"] == "unhealthy"
        assert not pool.health()["ok"]
        remote = subprocess.Popen([*fake_server, "--port", str(port)])
        _wait_for(lambda: _all_ready(pool))
        assert validate_pdf(pool.convert(DOCX)) == 1
        assert pool.health()["instances"][0]["restarts"] == 0
    finally:
        remote.kill()
        remote.wait()


def test_a_server_that_cannot_start_says_why_and_is_retried(tmp_path: Path) -> None:
    failing = (
        sys.executable,
        "-I",
        "-S",
        "-c",
        "import sys; print('no LibreOffice here'); sys.exit(2)",
    )
    config = PoolConfig(
        size=1,
        base_port=_free_base(),
        acquire_timeout=0.05,
        work_dir=tmp_path / "pool",
        server_command=failing,
        timings=replace(FAST, max_backoff=30.0),
    )
    with ConverterPool(config) as pool:
        _wait_for(lambda: pool.health()["instances"][0]["restarts"] >= 2)
        health = pool.health()
        assert not health["ok"] and health["ready"] == 0
        assert "exited with 2" in health["instances"][0]["last_error"]
        assert "no LibreOffice here" in health["instances"][0]["last_error"]
        with pytest.raises(ConverterUnavailable):
            pool.convert(DOCX)


class MemoryProcess:
    """A Process in memory: its starts fail while `broken`, and it dies when `dead` is set."""

    address = "memory"

    def __init__(self, broken: bool = False, starts_wanted: int = 1) -> None:
        self.broken, self.dead = broken, False
        self.pid: int | None = None
        self.starts: list[float] = []
        self.stops: list[float] = []
        self.starts_wanted = starts_wanted
        self.enough = threading.Event()  # set at the start numbered starts_wanted

    def start(self, deadline: float, abort: Callable[[], bool]) -> None:
        self.starts.append(time.monotonic())
        if len(self.starts) >= self.starts_wanted:
            self.enough.set()
        if self.broken:
            raise ProcessFailed("cannot start: broken")
        self.dead, self.pid = False, len(self.starts)

    def stop(self, grace: float = 0.0) -> None:
        self.stops.append(grace)

    def failure(self) -> str | None:
        return "exited (code 1)" if self.dead else None


def supervise(process: MemoryProcess, **limits: Any) -> Supervisor[MemoryProcess]:
    """A started Supervisor over one MemoryProcess (no remotes, probes always answer)."""
    options: dict[str, Any] = {
        "max_tasks": 100,
        "acquire_timeout": 5.0,
        "startup_timeout": 1.0,
        "remote_timeout": 1.0,
        "timings": FAST,
    }
    options.update(limits)
    supervisor = Supervisor([], lambda: [process], lambda proc, timeout: None, **options)
    supervisor.start()
    return supervisor


def test_the_supervisor_restarts_a_failing_start_after_doubling_pauses() -> None:
    process = MemoryProcess(broken=True, starts_wanted=5)
    timings = replace(FAST, backoff_step=0.05, max_backoff=30.0)
    supervisor = supervise(process, timings=timings)
    try:
        assert process.enough.wait(10)
        (inst,) = supervisor.instances
        assert inst.last_error == "cannot start: broken" and inst.state != InstanceState.READY
    finally:
        supervisor.stop()
    # The pauses before starts 2 to 5: none after the first failure, then 0.05, 0.1, 0.2 s.
    gaps = [later - earlier for earlier, later in pairwise(process.starts[:5])]
    expected = [backoff(timings, failures) for failures in (1, 2, 3, 4)]
    assert expected == [0, 0.05, 0.1, 0.2]
    assert all(gap >= pause * 0.95 for gap, pause in zip(gaps, expected, strict=True)), gaps


def test_the_supervisor_recycles_after_max_tasks_and_restarts_a_dead_process() -> None:
    process = MemoryProcess()
    supervisor = supervise(process, max_tasks=2)
    try:
        assert supervisor.wait_ready(5)
        for _ in range(2):
            inst, gen = supervisor.checkout(None)
            supervisor.release(inst, gen, done=True)
        _wait_for(lambda: inst.restarts == 1 and inst.state == InstanceState.READY)
        assert process.stops == [FAST.recycle_grace]  # a healthy one is asked to stop first
        process.dead = True
        _wait_for(lambda: inst.restarts == 2 and inst.state == InstanceState.READY)
        assert inst.last_error == "process exited (code 1)" and inst.conversions == 2
        assert supervisor.report()["instances"][0]["pid"] == 3
    finally:
        supervisor.stop()
    assert process.stops[-1] == FAST.stop_grace
    with pytest.raises(ConverterUnavailable, match="stopped"):
        supervisor.checkout(None)


def test_a_wedged_idle_instance_is_found_by_the_probe_and_restarted(
    make_pool: MakePool, control: Path
) -> None:
    pool = make_pool(size=1, timings=replace(FAST, idle_probe_interval=0.05, probe_timeout=0.2))
    (control / "hang-info").touch()
    _wait_for(lambda: pool.health()["instances"][0]["restarts"] == 1 and _all_ready(pool))
    assert "probe failed" in pool.health()["instances"][0]["last_error"]
    assert validate_pdf(pool.convert(DOCX)) == 1


# -- the lean conversion path -------------------------------------------------------------------


def test_a_fresh_profile_is_made_lean_once(tmp_path: Path) -> None:
    assert lean_profile(tmp_path) is True
    registry = (tmp_path / "user" / "registrymodifications.xcu").read_text(encoding="utf-8")
    assert registry.count("<item ") == len(LEAN_SETTINGS)
    assert '<prop oor:name="IsSpellAuto" oor:op="fuse"><value>false</value>' in registry
    java = (tmp_path / "user" / "config" / "javasettings_Linux_X86_64.xml").read_text()
    assert '<enabled xsi:nil="false">false</enabled>' in java
    assert lean_profile(tmp_path) is False  # every start after the first finds them there


def test_an_older_profile_gets_the_missing_settings_and_keeps_its_own(tmp_path: Path) -> None:
    registry = tmp_path / "user" / "registrymodifications.xcu"
    registry.parent.mkdir(parents=True)
    own = '<item oor:path="/org.openoffice.Setup/L10N"><prop oor:name="ooLocale"><value>vi</value>'
    registry.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<oor:items xmlns:oor="x">\n'
        f"{own}</prop></item>\n</oor:items>\n",
        encoding="utf-8",
    )
    assert lean_profile(tmp_path) is True
    text = registry.read_text(encoding="utf-8")
    assert own in text
    assert text.count("<item ") == len(LEAN_SETTINGS) + 1
    assert text.rstrip().endswith("</oor:items>")


class FakeIndexes:
    def __init__(self, count: int, calls: list[str]) -> None:
        self.count, self.calls = count, calls

    def getCount(self) -> int:  # noqa: N802  (UNO's name)
        return self.count

    def getByIndex(self, i: int) -> Any:  # noqa: N802
        calls = self.calls
        return type("Index", (), {"update": lambda self: calls.append(f"update {i}")})()


class FakeDocument:
    def __init__(self, count: int) -> None:
        self.calls: list[str] = []
        self.indexes = FakeIndexes(count, self.calls)

    def refresh(self) -> None:
        self.calls.append("refresh")

    def getDocumentIndexes(self) -> FakeIndexes:  # noqa: N802
        return self.indexes


def test_a_document_without_indexes_gets_no_refresh() -> None:
    from service.convert.office import update_indexes

    document = FakeDocument(0)
    assert update_indexes(document) == 0
    assert document.calls == []


def test_a_document_with_a_toc_is_refreshed_and_updated_twice() -> None:
    from service.convert.office import update_indexes

    document = FakeDocument(1)
    assert update_indexes(document) == 1
    assert document.calls == ["refresh", "update 0", "refresh", "update 0"]


def test_pdf_a_options_become_typed_filter_data() -> None:
    from service.convert.office import export_properties

    props = {p.Name: p.Value for p in export_properties(filter_options(2))}
    assert props["FilterName"] == "writer_pdf_Export"
    data = {p.Name: p.Value for p in props["FilterData"]}
    assert data == {"SelectPdfVersion": 2, "UseTaggedPDF": True}
    assert "FilterData" not in {p.Name for p in export_properties(filter_options(None))}
    props = {p.Name: p.Value for p in export_properties(filter_options(None, True))}
    assert {p.Name: p.Value for p in props["FilterData"]} == {
        "ExportBookmarksToPDFDestination": True}
