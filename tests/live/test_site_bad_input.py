"""A site file that is binary, not UTF-8, or holds escape codes, NaN ROIs or impossible charger ids: one line each."""

from __future__ import annotations

from pathlib import Path

import pytest

from baytwin.core.config import ConfigError
from baytwin.live.site import load_site

POLICIES = Path(__file__).resolve().parents[2] / "scenarios" / "policies"

SITE = """
site: {id: garage-1}
policy: policy.yaml
cameras:
  east:
    source: footage/east.mp4
    bays:
      B01: [[0, 0], [100, 0], [100, 100]]
csms:
  stations:
    CP1: {evses: {1: B01}}
"""


def _error(tmp_path: Path, body: str | bytes) -> str:
    (tmp_path / "policy.yaml").write_text(next(POLICIES.glob("*.yaml")).read_text())
    site = tmp_path / "site.yaml"
    site.write_bytes(body if isinstance(body, bytes) else body.encode())
    with pytest.raises(ConfigError) as caught:
        load_site(site)
    message = str(caught.value)
    assert "\n" not in message and "\x1b" not in message and "\x07" not in message
    return message


@pytest.mark.parametrize(("body", "problem"), [
    (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01", "a binary file, not YAML text (it contains NUL bytes)"),
    (SITE.replace("garage-1", "garage-\xe9").encode("latin-1"), "not UTF-8 text (byte 0xe9 on line 2); save the file as UTF-8"),
])
def test_a_binary_or_latin1_site_file_is_one_line(tmp_path: Path, body: bytes, problem: str) -> None:
    assert _error(tmp_path, body) == f"{tmp_path / 'site.yaml'}: {problem}"


@pytest.mark.parametrize(("old", "new", "field"), [
    ("id: garage-1", 'id: "garage\\e[2J\\e[H"', "site.id"),
    ("id: garage-1", 'id: "garage\\e]0;pwned\\a"', "site.id"),
    ("id: garage-1", 'id: "gar\\nage"', "site.id"),
    ("  east:", '  "east\\e[31m":', "cameras"),
    ("      B01: [[0", '      "B01\\e[8m": [[0', "cameras.east.bays"),
])
def test_escape_codes_in_ids_are_refused(tmp_path: Path, old: str, new: str, field: str) -> None:
    message = _error(tmp_path, SITE.replace(old, new))
    assert f": {field}" in message and "must not contain control characters" in message


@pytest.mark.parametrize("point", ["[.nan, 0]", "[0, .inf]", "[-.inf, 5]"])
def test_nan_or_infinite_roi_coordinates_are_refused(tmp_path: Path, point: str) -> None:
    message = _error(tmp_path, SITE.replace("[100, 100]", point))
    assert "cameras.east.bays.B01.2" in message and "finite number" in message


@pytest.mark.parametrize("station", ["../etc", "%2e%2e%2fetc%2fpasswd", "<script>", "CP 1", "CP:1", "C" * 49])
def test_a_station_id_no_charger_could_connect_with_is_refused(tmp_path: Path, station: str) -> None:
    message = _error(tmp_path, SITE.replace("    CP1:", f"    {station!r}:".replace("'", '"')))
    assert "csms.stations." in message and "not a valid charge point id" in message


def test_a_nul_byte_in_the_vehicles_path_is_a_config_error(tmp_path: Path) -> None:
    message = _error(tmp_path, SITE + 'vehicles: "cars\\0.csv"\n')
    assert "NUL byte" in message


def test_a_nul_byte_in_the_policy_path_is_a_config_error(tmp_path: Path) -> None:
    assert "NUL byte" in _error(tmp_path, SITE.replace("policy: policy.yaml", 'policy: "pol\\0icy.yaml"'))


def test_escape_codes_in_a_registered_vehicles_group_are_refused(tmp_path: Path) -> None:
    (tmp_path / "cars.csv").write_text("plate,group\nAB12CDE,\"fleet\x1b[2J\"\n")
    message = _error(tmp_path, SITE + "vehicles: cars.csv\n")
    assert "cars.csv: row 2.group: must not contain control characters" in message


def test_a_leave_timeout_as_long_as_a_rules_window_is_refused(tmp_path: Path) -> None:
    from baytwin.live.site import load_site
    from tests.live.conftest import write_site

    site = write_site(tmp_path, leave_after_s=600)  # the policy gives 10 minutes to plug in
    with pytest.raises(ConfigError, match=r"occupancy.leave_after_s.*arrival_allowance_min \(10 min\)"):
        load_site(site)
