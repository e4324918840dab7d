"""Test suite for baytwin."""
