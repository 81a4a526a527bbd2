"""Bulk generation: one base document and a table of per-commune overrides (no Flask here)."""
