"""Use cases: issuing into the register, unit profiles, the audit trail, bulk jobs (service.bulk).

They sit between the core (no Flask, no SQL) and the adapters (store, web, CLI, Celery): they
speak to storage only through the protocols in `ports`, which the store implements.
"""
