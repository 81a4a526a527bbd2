"""Unit tests of the private converter's order of work: the PDF goes back, then the close.

LibreOffice is replaced by a stand-in desktop whose documents record what is done to them; the
real one is exercised by tests/integration/test_private_converter.py and test_pool.py.
"""

from __future__ import annotations

import builtins
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import pytest

_import = builtins.__import__
from service.convert.office import PipeConverter  # noqa: E402
from service.convert.rpc_server import Functions  # noqa: E402

# Importing uno replaces __import__ with a hook that turns a missing module into an error other
# modules' `except ImportError` fallbacks do not expect; the tests after this one import without.
builtins.__import__ = _import


class StandInDocument:
    """A loaded document: storeToURL writes a PDF, close() is recorded."""

    def __init__(self, source: Path, log: list[str]) -> None:
        self.source = source
        self.log = log
        self.closed = False

    def getDocumentIndexes(self) -> Any:  # noqa: N802  (UNO's name)
        raise AttributeError("no indexes")

    def storeToURL(self, url: str, props: Any) -> None:  # noqa: N802
        Path(unquote(urlparse(url).path)).write_bytes(b"%PDF-1.7 " + self.source.read_bytes())
        self.log.append("store")

    def close(self, deliver: bool) -> None:
        self.closed = True
        self.log.append("close")


class StandInDesktop:
    """Loads every URL it is given as a StandInDocument."""

    def __init__(self) -> None:
        self.log: list[str] = []
        self.documents: list[StandInDocument] = []

    def loadComponentFromURL(self, url: str, *args: Any) -> StandInDocument:  # noqa: N802
        document = StandInDocument(Path(unquote(urlparse(url).path)), self.log)
        self.documents.append(document)
        self.log.append("load")
        return document


def converter(tmp_path: Path) -> tuple[PipeConverter, StandInDesktop]:
    """A PipeConverter on a stand-in desktop, its temporary files under tmp_path."""
    made = PipeConverter.__new__(PipeConverter)  # __init__ would reach for LibreOffice
    desktop = StandInDesktop()
    made.desktop = desktop
    made.temp_dir = str(tmp_path)
    made._last = None
    made._finishing = threading.Lock()
    return made, desktop


def test_the_pdf_comes_back_before_the_document_is_closed(tmp_path: Path) -> None:
    made, desktop = converter(tmp_path)
    assert made.convert_lean(b"DOCX", [], update_index=True) == b"%PDF-1.7 DOCX"
    assert desktop.log == ["load", "store"]
    assert len(list(tmp_path.iterdir())) == 1  # the document's folder, kept while it is open
    made.finish_last()
    assert desktop.log == ["load", "store", "close"]
    assert list(tmp_path.iterdir()) == []
    made.finish_last()  # nothing left to close
    assert desktop.log == ["load", "store", "close"]


def test_the_next_conversion_closes_the_last_document_first(tmp_path: Path) -> None:
    made, desktop = converter(tmp_path)
    made.convert_lean(b"one", [], update_index=False)
    assert made.convert_lean(b"two", [], update_index=False) == b"%PDF-1.7 two"
    assert desktop.log == ["load", "store", "close", "load", "store"]
    assert [d.closed for d in desktop.documents] == [True, False]


def test_a_failed_export_still_closes_the_document(tmp_path: Path) -> None:
    made, desktop = converter(tmp_path)

    def refuse(url: str, props: Any) -> None:
        raise RuntimeError("export failed")

    desktop.loadComponentFromURL = _patched(desktop, refuse)  # type: ignore[method-assign]
    with pytest.raises(RuntimeError, match="^export failed$"):
        made.convert_lean(b"DOCX", [], update_index=False)
    made.finish_last()
    assert desktop.log == ["load", "close"]
    assert list(tmp_path.iterdir()) == []


def _patched(desktop: StandInDesktop, store: Any) -> Any:
    load = desktop.loadComponentFromURL

    def loading(url: str, *args: Any) -> StandInDocument:
        document = load(url, *args)
        document.storeToURL = store  # type: ignore[method-assign]
        return document

    return loading


def test_guarded_answers_before_its_follow_up_ends() -> None:
    functions = Functions.__new__(Functions)  # __init__ would ask for LibreOffice's parts
    functions.timeout = 5.0
    release, finished = threading.Event(), threading.Event()

    def follow_up() -> None:
        release.wait(5)
        finished.set()

    started = time.monotonic()
    assert functions._guarded(lambda: "pdf", then=follow_up) == "pdf"
    assert time.monotonic() - started < 1.0
    assert not finished.is_set()
    release.set()
    assert finished.wait(5)
