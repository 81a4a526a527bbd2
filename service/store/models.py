"""Every model, imported in one place so migrations and create_all see all tables."""

from service.store.audit import AuditEvent
from service.store.register import RegisterCounter, RegisterEntry
from service.store.units import Unit

__all__ = ["AuditEvent", "RegisterCounter", "RegisterEntry", "Unit"]
