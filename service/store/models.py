"""Every model, imported in one place so migrations and create_all see all tables."""

from service.store.accounts import Account, ApiKey
from service.store.audit import AuditEvent
from service.store.drafts import Draft, DraftFileRow, DraftVersionRow
from service.store.jobs import BulkJob, BulkRow
from service.store.register import RegisterCounter, RegisterEntry
from service.store.scans import EntryScan
from service.store.units import Unit

__all__ = [
    "Account", "ApiKey", "AuditEvent", "BulkJob", "BulkRow", "Draft", "DraftFileRow",
    "DraftVersionRow", "EntryScan", "RegisterCounter", "RegisterEntry", "Unit",
]
