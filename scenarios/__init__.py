"""Bundled scenario and policy files (data only)."""
