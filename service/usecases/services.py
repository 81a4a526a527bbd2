"""The service's parts as the adapters (web, command lines, worker) receive them."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from service.bulk.jobs import BulkJobs
from service.core.converter import Converter
from service.core.documents import DocumentService
from service.core.outages import Explain, disk_full
from service.core.preview import PreviewStore
from service.settings import Settings
from service.usecases.accounts import Accounts, ApiKeys
from service.usecases.admission import Admission
from service.usecases.copying import Copier
from service.usecases.drafting import Drafting
from service.usecases.issuing import Issuer
from service.usecases.ports import KeyStore
from service.usecases.register import AuditTrail, RegisterBook
from service.usecases.scans import EntryScans
from service.usecases.unit_keys import UnitKeys
from service.usecases.units import UnitProfiles
from service.usecases.verification import SignatureChecker

log = logging.getLogger("service")


@dataclass
class Services:
    """Everything the adapters use, built once; `close()` stops what was started."""

    settings: Settings
    documents: DocumentService
    issuer: Issuer
    register: RegisterBook
    audit: AuditTrail
    units: UnitProfiles
    bulk: BulkJobs
    previews: PreviewStore
    keys: KeyStore
    unit_keys: UnitKeys  # the pages' and the command line's way to install and remove keys
    admission: Admission  # web requests that convert; bulk rows wait for the converter instead
    accounts: Accounts
    api_keys: ApiKeys
    copier: Copier
    drafting: Drafting
    verifier: SignatureChecker
    scans: EntryScans
    explain_outage: Explain = disk_full  # the store adds what a database outage looks like
    closers: list[Callable[[], None]] = field(default_factory=list)

    @property
    def converter(self) -> Converter | None:
        """The converter the documents go through (None when only DOCX is made)."""
        return self.documents.converter

    def close(self) -> None:
        """Stop the bulk runner, the converter and the database, last started first; once."""
        close_all(self.closers)


def close_all(closers: list[Callable[[], None]]) -> None:
    """Call and remove each closer, last added first; one failing does not stop the rest."""
    while closers:
        closer = closers.pop()
        try:
            closer()
        except Exception:  # one part failing to stop must not keep the others running
            log.exception("stopping %r failed", closer)
