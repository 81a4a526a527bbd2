"""What the service needs from a DOCX-to-PDF converter, whichever one runs behind it."""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

PDF_VERSIONS = (1, 2, 3)  # PDF/A-1b, PDF/A-2b, PDF/A-3b
# Writer's bookmarks as named destinations: where each document of a batch starts
# (service.core.batch_docx, batch_pdf).
DESTINATIONS_OPTION = "ExportBookmarksToPDFDestination=true"
ZIP_SIGNATURE = b"PK\x03\x04"  # every DOCX is a ZIP file


class ConversionError(Exception):
    """A document could not be converted to PDF."""


class ConverterUnavailable(ConversionError):
    """No converter could take the work in time; try again later."""


class ConversionFailed(ConversionError):
    """The converter tried and failed (a pool: twice), or what it returned is not a PDF."""


@runtime_checkable
class Converter(Protocol):
    """What the rest of the service needs from a converter."""

    def convert(
        self, docx: bytes, *, pdf_version: int | None = None, destinations: bool = False
    ) -> bytes:
        """Convert a DOCX to PDF, or to PDF/A-1b/2b/3b with pdf_version 1/2/3.

        With `destinations`, the PDF names a destination after each of the DOCX's bookmarks.
        """
        ...

    def health(self) -> dict[str, Any]:
        """Report whether the converter can take work, without waiting behind that work."""
        ...

    def close(self) -> None:
        """Stop whatever the converter started; safe to call more than once."""
        ...


def check_pdf_version(pdf_version: int | None) -> None:
    """Reject a pdf_version other than None (plain PDF) or 1, 2, 3 (PDF/A part)."""
    if pdf_version is not None and pdf_version not in PDF_VERSIONS:
        raise ValueError(f"pdf_version must be None, 1, 2 or 3, not {pdf_version!r}")


def check_docx(docx: bytes) -> None:
    """Refuse input that is not even a ZIP file before it reaches a converter."""
    if not docx.startswith(ZIP_SIGNATURE):
        # LibreOffice would import any bytes as plain text and "succeed".
        raise ConversionFailed("the input is not a DOCX (no ZIP signature)")


def filter_options(pdf_version: int | None, destinations: bool = False) -> list[str]:
    """Return the PDF export's filter options: PDF/A-1b/2b/3b if asked, destinations if asked."""
    check_pdf_version(pdf_version)
    options = [f"SelectPdfVersion={pdf_version}", "UseTaggedPDF=true"] if pdf_version else []
    return [*options, DESTINATIONS_OPTION] if destinations else options
