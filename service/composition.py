"""The composition root: the one place that builds the service's parts from its settings.

The web app, both command lines and the Celery worker call `build_services`; nothing else
constructs a database, a converter, a DocumentService or a bulk runner.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path

from service.bulk.embedded import EmbeddedRunner
from service.bulk.jobs import BulkJobs, Runner
from service.bulk.work import BulkContext
from service.core.converter import Converter
from service.core.documents import DocumentService
from service.core.outages import disk_full, explain_with
from service.core.preview import PreviewStore
from service.core.signed_upload import load_trust_roots
from service.settings import Settings
from service.store.accounts import ScryptPasswords, SqlAccounts, SqlApiKeys
from service.store.audit import DatabaseAudit, SqlAudit
from service.store.database import Database, database_outage
from service.store.drafts import SqlDrafts
from service.store.jobs import SqlJobStore
from service.store.master_key import MasterKey
from service.store.register import SqlRegister
from service.store.scans import SqlScans
from service.store.signing_keys import SigningKeys
from service.store.units import SqlUnits
from service.usecases.accounts import Accounts, ApiKeys
from service.usecases.admission import Admission
from service.usecases.copying import Copier
from service.usecases.drafting import Drafting
from service.usecases.issuing import Issuer
from service.usecases.register import AuditTrail, RegisterBook
from service.usecases.scans import EntryScans
from service.usecases.services import Services, close_all
from service.usecases.unit_keys import UnitKeys
from service.usecases.units import UnitProfiles
from service.usecases.verification import SignatureChecker


def open_converter(settings: Settings, *, wait: bool = False) -> Converter:
    """Start the converter the settings name: the module service.convert.<VB_CONVERTER>."""
    try:
        module = importlib.import_module(f"service.convert.{settings.converter}")
    except ModuleNotFoundError:
        module = None
    opener = getattr(module, "open_converter", None)
    if opener is None:
        raise ValueError(
            f"VB_CONVERTER names no converter module of service/convert: {settings.converter!r}"
        )
    converter: Converter = opener(settings, wait=wait)
    return converter


def converter_size(converter: Converter | None) -> int:
    """How many documents the converter converts at once (its instances), as it reports."""
    if converter is None:
        return 1
    return max(1, int(converter.health().get("size") or 1))


def bulk_runner(settings: Settings, ctx: BulkContext) -> Runner:
    """The runner of VB_BULK_BACKEND: threads in this process, or Celery tasks on Redis."""
    if settings.bulk_backend == "celery":
        # Imported here: the Celery dispatcher connects to Redis and the embedded path needs none.
        from service.worker.dispatch import CeleryRunner

        return CeleryRunner(settings, ctx)
    if settings.bulk_backend != "embedded":
        raise ValueError(f"VB_BULK_BACKEND is embedded or celery, not {settings.bulk_backend!r}")
    return EmbeddedRunner(ctx, max(settings.bulk_workers, 1), settings.bulk_retries,
                          batch_pages=settings.bulk_batch_pages)


# What an outage of this service looks like: a full disk, or the database away or full.
OUTAGES = explain_with(disk_full, database_outage)


def build_services(
    settings: Settings,
    *,
    converter: Converter | None = None,
    convert: bool = True,
    wait: bool = False,
    jobs_root: Path | None = None,
) -> Services:
    """Open the database, start the converter (unless given, or `convert` is off), wire the rest.

    `jobs_root` writes bulk outputs straight into one folder (the bulk command line) instead of
    a folder per job under the data folder.
    """
    closers: list[Callable[[], None]] = []
    database = Database(settings.resolved_database_url())
    database.upgrade()
    closers.append(database.dispose)
    try:
        if converter is None and convert:
            converter = open_converter(settings, wait=wait)
            closers.append(converter.close)
        documents = DocumentService(converter, audit=DatabaseAudit(database))
        units = UnitProfiles(SqlUnits(database), documents.catalog, documents.schemas)
        keys = SigningKeys(
            settings.data_dir / "signing", MasterKey(settings.resolved_signing_master_key())
        )
        keys.convert_all()  # no passphrase an earlier version kept stays in clear past a start
        register = SqlRegister(database)
        issuer = Issuer(register, documents, units, keys, settings.tsa_url)
        ctx = BulkContext(
            SqlJobStore(database),
            documents,
            jobs_root or settings.data_dir / "jobs",
            flat=jobs_root is not None,
            outage=OUTAGES,
        )
        runner = bulk_runner(settings, ctx)
        closers.append(runner.stop)
        previews = PreviewStore(settings.data_dir / "previews")
        def trust_roots() -> list[bytes]:
            return load_trust_roots(settings.trust_roots)

        drafting = Drafting(
            SqlDrafts(database), documents, SqlAccounts(database), DatabaseAudit(database),
            issuer, trust_roots=trust_roots, require_trusted=settings.require_trusted_signer,
        )
    except BaseException:
        close_all(closers)
        raise
    return Services(
        settings=settings,
        documents=documents,
        issuer=issuer,
        register=RegisterBook(register, converter),
        audit=AuditTrail(SqlAudit(database)),
        units=units,
        bulk=BulkJobs(ctx, runner, settings.bulk_max_rows, previews),
        previews=previews,
        keys=keys,
        unit_keys=UnitKeys(keys, units, DatabaseAudit(database)),
        admission=Admission(converter_size(converter) + settings.queue_length),
        accounts=Accounts(
            SqlAccounts(database),
            units,
            passwords=ScryptPasswords(),
        ),
        api_keys=ApiKeys(SqlApiKeys(database), units),
        copier=Copier(register, documents, units, sealer=issuer.sealer),
        drafting=drafting,
        verifier=SignatureChecker(trust_roots),
        scans=EntryScans(SqlScans(database), register, DatabaseAudit(database)),
        explain_outage=OUTAGES,
        closers=closers,
    )
