"""Persistence: the database (SQLite by default, PostgreSQL by URL), its models and migrations."""
