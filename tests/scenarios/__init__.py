"""Tests of the bundled scenario and policy files."""
