"""Core document logic, independent of the web layer."""
