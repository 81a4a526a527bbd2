"""A local converter serves its pool only: no UNO port, a secret XML-RPC path, no file paths.

Before, any user of the machine could call an instance's XML-RPC convert(inpath=...) to have
any file the service can read returned as a PDF, or connect to its UNO port and drive
LibreOffice. These tests make those calls as such a user would.
"""

from __future__ import annotations

import io
import os
import secrets
import stat
import xmlrpc.client
from collections.abc import Iterator
from pathlib import Path

import docx
import psutil
import pytest

from service.convert.pool import ConverterPool
from service.convert.rpc_client import SECRET_ENV
from service.convert.slots import port_is_free
from tests.integration.conftest import pool_processes, started_pool

pytestmark = pytest.mark.integration
BASE_PORT = 3120  # this module's converter ports, clear of the other suites'
OLD_CALL = ("/etc/hostname", None, None, "pdf", None, [], True, None, None)  # unoserver's shape


@pytest.fixture(scope="module")
def pool(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConverterPool]:
    with started_pool(tmp_path_factory.mktemp("pool"), base_port=BASE_PORT) as pool:
        yield pool


def small_docx() -> bytes:
    document = docx.Document()
    document.add_paragraph("Ủy ban nhân dân xã Y Tịch")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def port_of(pool: ConverterPool) -> int:
    (instance,) = pool.health()["instances"]
    return int(instance["address"].rpartition(":")[2])


def secret_of(pool: ConverterPool) -> str:
    """The running instance's secret, as the pool holds it (white box: no user can ask)."""
    (instance,) = pool._supervisor.instances
    assert instance.process is not None and instance.process.secret
    return instance.process.secret


def proxy(port: int, path: str) -> xmlrpc.client.ServerProxy:
    return xmlrpc.client.ServerProxy(f"http://127.0.0.1:{port}{path}", allow_none=True)


def soffice_of(pool: ConverterPool) -> psutil.Process:
    (soffice,) = [p for p in pool_processes(pool) if p.name() == "soffice.bin"]
    return soffice


def test_the_pool_converts(pool: ConverterPool) -> None:
    assert pool.convert(small_docx()).startswith(b"%PDF-")


@pytest.mark.parametrize("path", ["/", "/RPC2", "/" + secrets.token_urlsafe(32)])
def test_calls_without_the_secret_get_404(pool: ConverterPool, path: str) -> None:
    server = proxy(port_of(pool), path)
    calls = [
        server.info,
        lambda: server.convert(*OLD_CALL),
        lambda: server.convert(xmlrpc.client.Binary(small_docx()), [], True),
    ]
    for call in calls:
        with pytest.raises(xmlrpc.client.ProtocolError) as refused:
            call()
        assert refused.value.errcode == 404


def test_a_file_path_is_refused_even_with_the_secret(pool: ConverterPool) -> None:
    server = proxy(port_of(pool), "/" + secret_of(pool))
    for shape in (OLD_CALL, ("/etc/hostname", [], True)):
        with pytest.raises(xmlrpc.client.Fault) as refused:
            server.convert(*shape)
        assert "%PDF" not in refused.value.faultString
    assert server.info()["server"] == "vanban"  # refusing did not hurt the instance


def test_nothing_but_the_rpc_port_listens_on_tcp(pool: ConverterPool) -> None:
    port = port_of(pool)
    assert port_is_free(port + 1)  # unoserver's UNO port: nobody there
    listening = {
        conn.laddr.port
        for process in pool_processes(pool)
        for conn in process.net_connections(kind="tcp")
        if conn.status == psutil.CONN_LISTEN
    }
    assert listening == {port}
    soffice = soffice_of(pool)
    assert [c for c in soffice.net_connections(kind="tcp") if c.status == psutil.CONN_LISTEN] == []


def test_libreoffices_pipe_admits_its_owner_only(pool: ConverterPool) -> None:
    (accept,) = [a for a in soffice_of(pool).cmdline() if a.startswith("--accept=pipe,name=")]
    name = accept.removeprefix("--accept=pipe,name=").split(";")[0]
    socket_file = Path(f"/tmp/OSL_PIPE_{os.getuid()}_{name}")
    mode = socket_file.stat().st_mode
    assert stat.S_ISSOCK(mode)
    assert mode & 0o022 == 0, oct(mode)  # connect() needs write permission


def test_the_secret_is_in_no_command_line(pool: ConverterPool) -> None:
    secret = secret_of(pool)
    processes = pool_processes(pool)
    assert len(processes) >= 3  # the server, LibreOffice's launcher and soffice.bin
    for process in processes:
        command_line = " ".join(process.cmdline())
        assert SECRET_ENV not in command_line and secret not in command_line
