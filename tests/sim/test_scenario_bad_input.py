"""A scenario, its parent and its policy can be any file at all: each bad one is one ConfigError line."""

from __future__ import annotations

from pathlib import Path

import pytest

from baytwin.core.config import ConfigError
from baytwin.sim.scenario import load_scenario

SCENARIO = """
name: tiny
site: {id: tiny, ev_bays: 2}
population:
  staff:
    arrivals_per_day: {weekday: 5, weekend: 1}
    stay_h: {dist: uniform, min: 1, max: 3}
"""


def _error(path: Path) -> str:
    with pytest.raises(ConfigError) as caught:
        load_scenario(path)
    message = str(caught.value)
    assert "\n" not in message and "\x1b" not in message
    return message


@pytest.mark.parametrize("field", ["extends", "policy"])
def test_a_nul_byte_in_a_referenced_path_names_the_field(tmp_path: Path, field: str) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(SCENARIO + f'{field}: "base\\0.yaml"\n')
    assert _error(path) == f"{path}: {field}: not a usable path (it contains a NUL byte)"


def test_control_characters_in_a_referenced_path_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(SCENARIO + 'extends: "base\\e[2J.yaml"\n')
    assert "extends: not a usable path (it contains control characters" in _error(path)


def test_a_binary_parent_scenario_names_the_parent(tmp_path: Path) -> None:
    (tmp_path / "base.yaml").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00")
    path = tmp_path / "s.yaml"
    path.write_text(SCENARIO + "extends: base.yaml\n")
    assert _error(path) == f"{tmp_path / 'base.yaml'}: a binary file, not YAML text (it contains NUL bytes)"


def test_a_latin1_policy_file_names_the_policy(tmp_path: Path) -> None:
    (tmp_path / "policy.yaml").write_bytes("name: Café strict\n".encode("latin-1"))
    path = tmp_path / "s.yaml"
    path.write_text(SCENARIO + "policy: policy.yaml\n")
    message = _error(path)
    assert "policy.yaml: not UTF-8 text (byte 0xe9 on line 1)" in message


def test_a_symbolic_link_loop_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").symlink_to(tmp_path / "b.yaml")
    (tmp_path / "b.yaml").symlink_to(tmp_path / "a.yaml")
    path = tmp_path / "s.yaml"
    path.write_text(SCENARIO + "extends: a.yaml\n")
    assert "cannot resolve the path" in _error(path)


@pytest.mark.parametrize(("line", "field"), [
    ('name: "tiny\\e[31m"', "name"),
    ('site: {id: "garage\\e]0;owned\\a", ev_bays: 2}', "site.id"),
])
def test_terminal_escape_codes_in_names_are_refused(tmp_path: Path, line: str, field: str) -> None:
    path = tmp_path / "s.yaml"
    key = line.split(":", 1)[0]
    kept = "\n".join(x for x in SCENARIO.splitlines() if not x.startswith(key + ":"))
    path.write_text(kept + "\n" + line + "\n")
    message = _error(path)
    assert f": {field}: must not contain control characters" in message


def test_escape_codes_in_a_population_group_name_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(SCENARIO.replace("  staff:", '  "staff\\e[2J":'))
    assert "must not contain control characters" in _error(path)


def test_escape_codes_in_a_policy_name_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(SCENARIO + 'policy: {name: "strict\\e[8m"}\n')
    assert "policy.name: must not contain control characters" in _error(path)


def test_every_problem_of_a_policy_file_is_reported_at_once(tmp_path: Path) -> None:
    (tmp_path / "policy.yaml").write_text("name: strict\nrules:\n  overstay: {grace_min: -5}\n  max_stay: {hourz: 2}\n")
    path = tmp_path / "s.yaml"
    path.write_text(SCENARIO + "policy: policy.yaml\n")
    with pytest.raises(ConfigError) as caught:
        load_scenario(str(path))
    lines = caught.value.lines()
    assert len(lines) == 2 and all("policy.yaml" in line and "(policy of " in line for line in lines)
    assert any("grace_min" in line for line in lines) and any("hourz" in line for line in lines)
