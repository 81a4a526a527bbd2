"""Every model, imported in one place so migrations and create_all see all tables."""

from service.store.units import Unit

__all__ = ["Unit"]
