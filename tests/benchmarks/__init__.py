"""Benchmarks: run with `make bench` (pytest --benchmark-only); skipped by the default test run."""
