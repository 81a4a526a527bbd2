"""Integration fixtures: converter pools on real LibreOffice, always stopped and checked."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psutil
import pytest

from service.convert.pool import ConverterPool, PoolConfig
from tests.integration.servers import postgres_url  # noqa: F401  (a fixture for every module)

POOL_BASE_PORT = 2300  # session pool; clear of the service default (2100) and other suites
SMALL_POOL_BASE_PORT = 2340


def require_soffice() -> None:
    """Fail, never skip, when LibreOffice is missing: these tests are the proof it works."""
    if shutil.which("soffice") is None:
        pytest.fail("LibreOffice (soffice) is not installed; run .ci/setup", pytrace=False)


def pool_processes(pool: ConverterPool) -> list[psutil.Process]:
    """Every process of the pool's local instances: unoserver, oosplash, soffice.bin."""
    found = []
    for instance in pool.health()["instances"]:
        if instance["kind"] != "local" or not instance["pid"]:
            continue
        try:
            leader = psutil.Process(instance["pid"])
            found += [leader, *leader.children(recursive=True)]
        except psutil.NoSuchProcess:
            continue
    return found


def stop_and_check(pool: ConverterPool) -> None:
    """Stop the pool and assert that none of its processes outlived it."""
    processes = pool_processes(pool)
    pool.close()
    _, alive = psutil.wait_procs(processes, timeout=10)
    alive = [p for p in alive if _running(p)]
    assert not alive, f"pool.close() left processes behind: {alive}"


def _running(process: psutil.Process) -> bool:
    try:
        return bool(process.status() != psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return False


@contextmanager
def started_pool(work_dir: Path, base_port: int, size: int = 1) -> Iterator[ConverterPool]:
    """A started pool of real LibreOffice instances on these ports, stopped and checked after."""
    require_soffice()
    pool = ConverterPool(PoolConfig(size=size, base_port=base_port, work_dir=work_dir))
    try:
        pool.start(wait=True)
        yield pool
    finally:
        stop_and_check(pool)


@pytest.fixture(scope="session")
def converter_pool(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConverterPool]:
    """A two-instance pool on real LibreOffice, shared by the session."""
    require_soffice()
    pool = ConverterPool(
        PoolConfig(
            size=2,
            base_port=POOL_BASE_PORT,
            conversion_timeout=30.0,
            startup_timeout=60.0,
            work_dir=tmp_path_factory.mktemp("pool"),
        )
    )
    try:
        pool.start(wait=True)
        health = pool.health()
        assert health["ready"] == 2, f"pool did not start: {health}"
        yield pool
    finally:
        stop_and_check(pool)


@pytest.fixture
def make_converter_pool(tmp_path: Path) -> Iterator[Callable[..., ConverterPool]]:
    """Build a started pool with PoolConfig overrides (default: one instance); stop it after."""
    require_soffice()
    pools: list[ConverterPool] = []

    def make(**overrides: Any) -> ConverterPool:
        settings: dict[str, Any] = {
            "size": 1,
            "base_port": SMALL_POOL_BASE_PORT,
            "startup_timeout": 60.0,
            "work_dir": tmp_path / f"pool-{len(pools)}",
        }
        settings.update(overrides)
        pool = ConverterPool(PoolConfig(**settings))
        pools.append(pool)
        pool.start(wait=True)
        health = pool.health()
        assert health["ready"] == health["size"], f"pool did not start: {health}"
        return pool

    yield make
    for pool in pools:
        stop_and_check(pool)
