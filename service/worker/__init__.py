"""Bulk rows on Celery, the service side: the Celery app's settings and the task dispatcher."""
