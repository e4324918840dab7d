"""Tests of the synthetic plate imagery."""
