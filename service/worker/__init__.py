"""Bulk rows on Celery: the dispatcher the service uses and the worker app."""
