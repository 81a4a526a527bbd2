"""Decree 30/2020/ND-CP document rendering service."""
