"""Durable storage: an append-only, hash-chained event log and the tables derived from it."""
