"""A charging station's identity follows OCPP's identifierString rules; path tricks and markup never pass."""

from __future__ import annotations

import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from baytwin.core.csms.identity import MAX_LENGTH, valid_station_id


@pytest.mark.parametrize("station", [
    "CP1", "workplace-garage-CP001", "CP.01", "a", "A" * MAX_LENGTH, "site_7=bay+2|north@garage", "*",
])
def test_ordinary_identities_pass(station: str) -> None:
    assert valid_station_id(station)


@pytest.mark.parametrize("station", [
    "", "A" * (MAX_LENGTH + 1), ".", "..", "../etc/passwd", "CP..1", "a/b", "%2e%2e%2fetc%2fpasswd", "%2F",
    "<script>alert(1)</script>", "CP 1", "CP1\n", "CP\x001", "CP\x1b[31m", "CP:1", "Zürich", "CP1?x=1",
    "CP#1", "'CP1'", '"CP1"', "CP\\1", "CP\t1", "ＣＰ1",
])
def test_path_tricks_markup_and_non_ascii_are_refused(station: str) -> None:
    assert not valid_station_id(station)


@pytest.mark.parametrize("value", [None, 1, b"CP1", ["CP1"]])
def test_anything_but_a_string_is_refused(value: object) -> None:
    assert not valid_station_id(value)


SAFE = set(string.ascii_letters + string.digits + "*-_=+|@.")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_an_accepted_identity_is_short_url_safe_and_no_path_step(station: str) -> None:
    if valid_station_id(station):
        assert 1 <= len(station) <= MAX_LENGTH
        assert set(station) <= SAFE
        assert ".." not in station and station != "."
