"""A job's files: per-row DOCX and PDF keyed by row, the ZIP, the merged PDF and the manifest."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from service.bulk.merged import write_merged_pdf
from service.bulk.table import formula_safe
from service.core import vn
from service.core.files import atomic_target, private_folder, write_atomic

ZIP, MERGED, MANIFEST_CSV, MANIFEST_JSON = "all.zip", "merged.pdf", "manifest.csv", "manifest.json"
ASSEMBLED = (ZIP, MERGED, MANIFEST_CSV, MANIFEST_JSON)
MANIFEST_FIELDS = (
    "row", "commune", "status", "error", "docx", "pdf", "docx_sha256", "pdf_sha256", "pages",
    "attempts",
)
# A row's state (ports.RowState) as clerks read it: the job page, the manifest's CSV.
ROW_STATE_LABELS = {"pending": "đang chờ", "running": "đang chạy", "done": "xong",
                    "failed": "lỗi", "skipped": "bỏ qua"}
# manifest.csv is for clerks: its columns in Vietnamese (manifest.json keeps the keys above).
MANIFEST_HEADERS = {
    "row": "STT", "commune": "Xã/đơn vị", "status": "Trạng thái", "error": "Lý do lỗi",
    "docx": "Tệp DOCX", "pdf": "Tệp PDF", "docx_sha256": "SHA-256 của DOCX",
    "pdf_sha256": "SHA-256 của PDF", "pages": "Số trang", "attempts": "Số lần chạy",
}


@dataclass(frozen=True)
class ManifestRow:
    """One row of the manifest."""

    row: int
    commune: str
    status: str
    error: str | None
    docx: str | None
    pdf: str | None
    docx_sha256: str | None
    pdf_sha256: str | None
    pages: int | None
    attempts: int

    def as_dict(self) -> dict[str, Any]:
        """The row as JSON."""
        return {name: getattr(self, name) for name in MANIFEST_FIELDS}


def row_stem(index: int, commune: str) -> str:
    """The files' stem for a row, keyed by it: `0007-xa-that-khe`."""
    return f"{index:04d}-{vn.ascii_slug(commune)[:80] or 'dong'}"


class JobFiles:
    """The folder of one job's outputs."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def write_row(self, index: int, commune: str, docx: bytes, pdf: bytes) -> tuple[str, str]:
        """Write a row's DOCX and PDF (the same names on a redo); their names."""
        private_folder(self.folder)
        stem = row_stem(index, commune)
        write_atomic(self.folder / f"{stem}.docx", docx)
        write_atomic(self.folder / f"{stem}.pdf", pdf)
        return f"{stem}.docx", f"{stem}.pdf"

    def path(self, name: str) -> Path:
        """A file of the job (name as stored, never from the client unchecked)."""
        return self.folder / Path(name).name

    def assembled(self) -> bool:
        """Whether the ZIP, merged PDF and manifests are all there."""
        return all((self.folder / name).is_file() for name in ASSEMBLED)

    def assemble(self, rows: Iterable[ManifestRow], *, duplex: bool = False) -> None:
        """Write the manifests, the merged PDF of the done rows and the ZIP of everything.

        With `duplex`, each row's document starts on an odd page of the merged PDF.
        """
        rows = list(rows)
        private_folder(self.folder)
        write_atomic(self.folder / MANIFEST_JSON, manifest_json(rows))
        write_atomic(self.folder / MANIFEST_CSV, manifest_csv(rows))
        self._merge([r.pdf for r in rows if r.status == "done" and r.pdf], duplex)
        self._zip(rows)

    def _merge(self, names: list[str], duplex: bool) -> None:
        """One PDF of every done row in table order, for printing."""
        with atomic_target(self.folder / MERGED) as partial, open(partial, "wb") as handle:
            write_merged_pdf((self.path(name) for name in names), handle, duplex=duplex)

    def _zip(self, rows: list[ManifestRow]) -> None:
        """docx/ and pdf/ folders plus both manifests, streamed from disk."""
        with atomic_target(self.folder / ZIP) as partial, zipfile.ZipFile(
            partial, "w", zipfile.ZIP_DEFLATED
        ) as archive:
            for row in rows:
                if row.status != "done":
                    continue
                for name, folder in ((row.docx, "docx"), (row.pdf, "pdf")):
                    if name:
                        # Stored as they are: both are compressed already, and deflating them
                        # again took most of the assembly's time to save 5-7 % of their size.
                        archive.write(self.path(name), f"{folder}/{name}", zipfile.ZIP_STORED)
            archive.write(self.folder / MANIFEST_CSV, MANIFEST_CSV)
            archive.write(self.folder / MANIFEST_JSON, MANIFEST_JSON)


def manifest_json(rows: list[ManifestRow]) -> bytes:
    """The manifest as JSON: {"rows": [...], "done": n, "failed": n, "pages": n}."""
    body = {
        "rows": [r.as_dict() for r in rows],
        "done": sum(r.status == "done" for r in rows),
        "failed": sum(r.status == "failed" for r in rows),
        "pages": sum(r.pages or 0 for r in rows if r.status == "done"),
    }
    return json.dumps(body, ensure_ascii=False, indent=1).encode("utf-8")


def manifest_csv(rows: list[ManifestRow]) -> bytes:
    """The manifest as UTF-8 CSV with a BOM, one line per row, formulas quoted as text."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([MANIFEST_HEADERS[name] for name in MANIFEST_FIELDS])
    for row in rows:
        values = row.as_dict() | {"status": ROW_STATE_LABELS.get(row.status, row.status)}
        writer.writerow(["" if values[k] is None else formula_safe(values[k])
                         for k in MANIFEST_FIELDS])
    return out.getvalue().encode("utf-8-sig")
