"""The XML-RPC a converter server speaks, and the client the pool calls it with.

A local server (rpc_server) answers on /<secret> only, its convert() taking the document and
the filter options; a remote one is a plain unoserver speaking unoserver's API 3 on /.
"""

from __future__ import annotations

import contextlib
import http.client
import xmlrpc.client
from collections.abc import Iterator, Sequence
from typing import Any

API_VERSION = "3"
# The environment variable that hands a local server its secret: argv shows in every user's ps.
SECRET_ENV = "VB_CONVERTER_SECRET"
# convert()'s update_index for a local server: update tables of contents and other indexes only
# in documents that have some (most have none, and skip the refresh: one layout pass).
INDEXES_IF_ANY = "if-any"


class _TimeoutTransport(xmlrpc.client.Transport):
    """An HTTP transport whose sockets give up after `timeout` seconds."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self._timeout = timeout

    def make_connection(self, host: Any) -> http.client.HTTPConnection:
        conn = super().make_connection(host)
        conn.timeout = self._timeout
        return conn


class UnoserverClient:
    """Speak to one server, one call per connection.

    With a secret, the server is a local uno_server: calls go to /<secret> and convert() takes
    the document only. Without, it is a plain unoserver (a remote): unoserver's API 3 on /.
    """

    def __init__(self, address: str, secret: str | None = None) -> None:
        self.address = address
        self._secret = secret

    def _proxy(self, timeout: float) -> xmlrpc.client.ServerProxy:
        path = "/" + self._secret if self._secret else "/"
        return xmlrpc.client.ServerProxy(
            f"http://{self.address}{path}", transport=_TimeoutTransport(timeout), allow_none=True
        )

    def info(self, timeout: float) -> dict[str, Any]:
        """Return the server's info(); it goes through LibreOffice, so it also proves it answers."""
        with self._proxy(timeout) as proxy, _without_path(self.address):
            info: dict[str, Any] = proxy.info()  # type: ignore[assignment]
        if str(info.get("api")) != API_VERSION:
            raise RuntimeError(
                f"unoserver at {self.address} speaks API {info.get('api')}, we speak {API_VERSION}"
            )
        return info

    def convert(
        self,
        data: bytes,
        filter_options: Sequence[str],
        timeout: float,
        update_index: bool | str = INDEXES_IF_ANY,
    ) -> bytes:
        """Convert one document to PDF and return the bytes the server sent back."""
        # A local server takes update_index as uno_server's convert() does; a remote always
        # gets True (a stock unoserver cannot tell whether a document holds an index).
        document = xmlrpc.client.Binary(data)
        with self._proxy(timeout) as proxy, _without_path(self.address):
            if self._secret:
                result = proxy.convert(document, list(filter_options), update_index)
            else:
                result = proxy.convert(
                    None,  # inpath
                    document,  # indata
                    None,  # outpath: return the data
                    "pdf",  # convert_to
                    None,  # filtername: let LibreOffice pick writer_pdf_Export
                    list(filter_options),
                    True,  # update_index
                    None,  # infiltername
                    None,  # password
                )
        if isinstance(result, xmlrpc.client.Binary):
            return result.data  # bytes already: no copy
        if isinstance(result, bytes):
            return result
        # unoserver has answered with an error text instead of a document (unoserver #109).
        return str(result).encode("utf-8", "replace")


@contextlib.contextmanager
def _without_path(address: str) -> Iterator[None]:
    """Raise HTTP errors naming the address only: their URL holds the server's secret."""
    try:
        yield
    except xmlrpc.client.ProtocolError as exc:
        raise xmlrpc.client.ProtocolError(address, exc.errcode, exc.errmsg, {}) from None
