"""Real servers started by the tests themselves, always stopped afterwards."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psutil
import pytest
import requests

from tests.integration import calls

ROOT = Path(__file__).resolve().parents[2]
# The tests' own virtualenv: a worktree of the project may share another checkout's .venv.
VENV_BIN = Path(sys.executable).parent


def free_port() -> int:
    """A free TCP port chosen by the kernel."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _free(port: int) -> bool:
    """Whether nothing listens on this loopback port."""
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


# PostgreSQL ------------------------------------------------------------------------------------

POSTGRES_BIN = Path("/usr/lib/postgresql/15/bin")
POSTGRES_PORTS = range(5433, 5440)
POSTGRES_USER = "postgres"  # the server refuses to run as root, so it runs as this user


def _as_postgres(*command: str) -> None:
    """Run a PostgreSQL tool as the postgres user; fail the test with its output if it fails."""
    prefix = ["runuser", "-u", POSTGRES_USER, "--"] if shutil.which("runuser") else []
    result = subprocess.run([*prefix, *command], capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        pytest.fail(f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}", pytrace=False)


@contextmanager
def postgres_server() -> Iterator[str]:
    """A private PostgreSQL 15 cluster in a temporary folder; yields a SQLAlchemy URL."""
    if not (POSTGRES_BIN / "initdb").exists():
        pytest.fail("PostgreSQL 15 is not installed; run .ci/setup test", pytrace=False)
    port = next((p for p in POSTGRES_PORTS if _free(p)), None)
    if port is None:
        pytest.fail(f"no free port for PostgreSQL in {POSTGRES_PORTS}", pytrace=False)
    # Under /tmp, not pytest's root-only tmp_path: the postgres user must reach it.
    root = Path(tempfile.mkdtemp(prefix="vb-postgres-"))
    shutil.chown(root, POSTGRES_USER, POSTGRES_USER)
    data, log = root / "data", root / "server.log"
    try:
        _as_postgres(
            str(POSTGRES_BIN / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
            "-E", "UTF8", "--locale=C.UTF-8",
        )
        options = f"-p {port} -k {root} -c listen_addresses='' -c max_connections=60 -c fsync=off"
        _as_postgres(
            str(POSTGRES_BIN / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options,
            "-w", "-t", "60", "start",
        )
        try:
            _as_postgres(str(POSTGRES_BIN / "createdb"), "-h", str(root), "-p", str(port),
                         "-U", "postgres", "vanban")
            yield f"postgresql+psycopg://postgres@/vanban?host={root}&port={port}"
        finally:
            _as_postgres(str(POSTGRES_BIN / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop")
    finally:
        shutil.rmtree(root, ignore_errors=True)


@contextmanager
def postgres_stopped(url: str) -> Iterator[None]:
    """Stop the private server `url` names for the block (fast shutdown), then start it again."""
    query = dict(part.split("=", 1) for part in url.split("?", 1)[1].split("&"))
    root, port = Path(query["host"]), query["port"]
    data, log = root / "data", root / "server.log"
    _as_postgres(str(POSTGRES_BIN / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop")
    try:
        yield
    finally:
        options = f"-p {port} -k {root} -c listen_addresses='' -c max_connections=60 -c fsync=off"
        _as_postgres(
            str(POSTGRES_BIN / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options,
            "-w", "-t", "60", "start",
        )


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """The URL of a private PostgreSQL server for the session."""
    with postgres_server() as url:
        yield url


def new_postgres_database(server_url: str, name: str) -> str:
    """Create an empty database on the server; its URL."""
    from sqlalchemy import create_engine, text

    engine = create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()
    return server_url.replace("/vanban?", f"/{name}?")


# Redis, Celery workers and the service ------------------------------------------------------

REDIS_PORTS = range(6390, 6400)


@contextmanager
def redis_server() -> Iterator[str]:
    """Debian's redis-server on a port in 6390-6399 with a temporary folder; yields its URL."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("redis-server is not installed; run .ci/setup test", pytrace=False)
    port = next((p for p in REDIS_PORTS if _free(p)), None)
    if port is None:
        pytest.fail(f"no free port for Redis in {REDIS_PORTS}", pytrace=False)
    folder = Path(tempfile.mkdtemp(prefix="vb-redis-"))
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(folder),
         "--save", "", "--appendonly", "no", "--protected-mode", "yes"],
        stdout=open(folder / "redis.log", "wb"),
        stderr=subprocess.STDOUT,
    )
    try:
        import redis

        client = redis.Redis(port=port)
        deadline = time.monotonic() + 20
        while True:
            try:
                if client.ping():
                    break
            except redis.ConnectionError:
                if time.monotonic() > deadline or process.poll() is not None:
                    pytest.fail(f"redis-server did not start: {(folder / 'redis.log').read_text()}")
                time.sleep(0.1)
        yield f"redis://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(10)
        shutil.rmtree(folder, ignore_errors=True)


class Proc:
    """A started process (a Celery worker or the service), its log, and how to end it."""

    url = ""  # the service's base URL

    def __init__(self, command: list[str], env: dict[str, str], log: Path) -> None:
        self.log = log
        self.env = env
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=open(log, "ab"), stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def pid(self) -> int:
        """The process id."""
        return self.process.pid

    def tree(self) -> list[psutil.Process]:
        """The process and every descendant (its unoservers and LibreOffices)."""
        try:
            leader = psutil.Process(self.pid)
            return [leader, *leader.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def soffices(self) -> list[psutil.Process]:
        """The LibreOffice processes under this process."""
        return [p for p in self.tree()[1:] if _name(p) == "soffice.bin"]

    def kill_hard(self) -> None:
        """SIGKILL the process and all it started, as a machine losing power would."""
        victims = self.tree()
        for proc in victims:
            try:
                proc.kill()
            except psutil.NoSuchProcess:
                pass
        psutil.wait_procs(victims, timeout=15)

    def stop(self) -> list[psutil.Process]:
        """SIGTERM, wait; kill and return whatever of its tree outlived that (should be none)."""
        victims = self.tree()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(40)
            except subprocess.TimeoutExpired:
                pass
        _, alive = psutil.wait_procs(victims, timeout=15)
        for proc in alive:
            try:
                proc.kill()
            except psutil.NoSuchProcess:
                pass
        return alive

    def log_tail(self, size: int = 3000) -> str:
        """The end of its log, for failure messages."""
        return self.log.read_text(errors="replace")[-size:]


def _name(process: psutil.Process) -> str:
    try:
        return process.name()
    except psutil.NoSuchProcess:
        return ""


def bulk_env(data_dir: Path, **settings: Any) -> dict[str, str]:
    """The environment of a service or worker process: VB_* settings over ours."""
    env = {**os.environ, "VB_DATA_DIR": str(data_dir), "PYTHONUNBUFFERED": "1"}
    env.update({f"VB_{k.upper()}": str(v) for k, v in settings.items()})
    return env


def start_worker(data_dir: Path, name: str, concurrency: int = 2, **settings: Any) -> Proc:
    """A Celery worker process (a thread per concurrent row) with its own unoserver pool."""
    command = [
        str(VENV_BIN / "celery"), "-A", "service.celery_worker", "worker",
        "--pool", "threads", "--concurrency", str(concurrency), "-n", f"{name}@%h",
        "--loglevel", "INFO",
        "-Q", "vanban-bulk", "--without-gossip", "--without-mingle",
    ]
    return Proc(command, bulk_env(data_dir, **settings), data_dir / f"worker-{name}.log")


def start_service(data_dir: Path, port: int, **settings: Any) -> Proc:
    """`python -m service serve` on the port; waits until /health answers 200 (fails if not)."""
    if shutil.which("soffice") is None:
        pytest.fail("LibreOffice (soffice) is not installed; run .ci/setup", pytrace=False)
    command = [str(VENV_BIN / "python"), "-m", "service", "serve"]
    env = bulk_env(data_dir, port=port, **settings)
    proc = Proc(command, env, data_dir / "service.log")
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                proc.url = f"http://127.0.0.1:{port}"
                calls.grant(proc.url, env)
                return proc
        except requests.ConnectionError:
            pass
        if proc.process.poll() is not None:
            pytest.fail(f"the service exited during start-up:\n{proc.log_tail()}")
        time.sleep(0.5)
    proc.stop()
    pytest.fail(f"the service did not become healthy in 180 s:\n{proc.log_tail()}")
