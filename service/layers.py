"""The service's layers, lowest first: a module imports only its own layer and those below.

- core: the domain. Definitions, schemas, field types, the document object, rendering, PDF
  work, signing, the converter protocol. No Flask, no SQL, no Celery, and no processes of
  its own but the short-lived child that reads an upload within a budget (core.confined).
- usecases: issuing into the register, reading it and the audit trail, unit profiles, bulk
  jobs. Storage only through the protocols they declare (usecases.ports, bulk.ports).
- adapters: the database (store), the converters (convert), HTTP (web), the Celery
  dispatcher (worker.dispatch). Web reaches storage and converters only through use cases.
- root: service.composition, the one place that builds the parts from the settings.
- entry: the command lines and the Celery worker app, which call the root.

tests/unit/test_layers.py reads this table and fails on an import that breaks it.
"""

from __future__ import annotations

LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("core", ("service.core", "service.settings", "service.layers")),
    ("usecases", ("service.usecases", "service.bulk")),
    ("adapters", ("service.store", "service.convert", "service.web", "service.worker")),
    ("root", ("service.composition",)),
    ("entry", ("service.__init__", "service.__main__", "service.cli", "service.bulk_cli",
               "service.access_cli", "service.celery_worker")),
)

# Adapters stay out of each other: each is wired to the others by the root alone.
SEALED_ADAPTERS = ("service.store", "service.convert", "service.web", "service.worker")

# Libraries the lower layers never import: the web framework, the database, the task queue.
FRAMEWORKS = ("flask", "flask_smorest", "werkzeug", "waitress", "sqlalchemy", "alembic", "celery")
FRAMEWORK_FREE = ("core", "usecases")
