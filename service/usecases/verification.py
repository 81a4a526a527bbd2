"""Checking a PDF's digital signatures against the operator's trust roots."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from service.core.signing import SignatureReport, verify


class SignatureChecker:
    """Reports every signature of a PDF; `trusted` means it chains to VB_TRUST_ROOTS."""

    def __init__(self, trust_roots: Callable[[], Iterable[bytes]] = tuple) -> None:
        self.trust_roots = trust_roots

    def check(self, pdf: bytes) -> list[SignatureReport]:
        """Each signature, oldest first; InvalidPdf when the PDF cannot be read."""
        return verify(pdf, trust_roots=self.trust_roots())
