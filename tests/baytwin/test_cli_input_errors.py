"""Mistakes a user types: every problem of a file at once, each named where it really is (the
``--set``, the policy file, the scenario), and the nearest known name for a misspelled one."""

from __future__ import annotations

from pathlib import Path

import pytest

from .test_cli import SMALL_SITE, baytwin, tiny  # noqa: F401 - the fixture


def _errors(result) -> list[str]:  # type: ignore[no-untyped-def]
    assert result.returncode == 2, result.stdout
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert all(line.startswith("error: ") for line in lines), result.stderr
    return [line.removeprefix("error: ") for line in lines]


def test_every_problem_of_a_scenario_file_at_once(tmp_path: Path) -> None:
    broken = (SMALL_SITE.replace("ev_bays: 4", "ev_bays: -1").replace("mode: anpr", "mode: drone")
              .replace("drivers: 30", "drivers: 30\n    colour: blue"))
    (tmp_path / "broken.yaml").write_text(broken)
    lines = _errors(baytwin("sim", "validate", str(tmp_path / "broken.yaml")))
    assert len(lines) == 3
    assert all(line.startswith(f"{tmp_path / 'broken.yaml'}: ") for line in lines)
    assert {line.split(": ")[1] for line in lines} == {"site.ev_bays", "site.enforcement.mode",
                                                       "population.staff.colour"}


def test_an_unknown_field_comes_with_the_known_one_it_resembles(tmp_path: Path) -> None:
    (tmp_path / "typo.yaml").write_text(SMALL_SITE.replace("arrivals_per_day", "arivals_per_day"))
    lines = _errors(baytwin("sim", "validate", str(tmp_path / "typo.yaml")))
    assert f"{tmp_path / 'typo.yaml'}: population.staff.arivals_per_day: unknown field " \
           "(did you mean arrivals_per_day?)" in lines


def test_a_misspelled_scenario_name_gets_the_nearest_bundled_one(tmp_path: Path) -> None:
    (line,) = _errors(baytwin("sim", "run", "workplace-garage/baselin", "--out", str(tmp_path / "o")))
    assert line.endswith("did you mean workplace-garage/baseline?")
    (line,) = _errors(baytwin("sim", "validate", "no-such-place-anywhere"))
    assert line.endswith("`baytwin sim list` shows the bundled ones")


def test_a_set_problem_names_the_set_not_the_file(tmp_path: Path, tiny: Path) -> None:  # noqa: F811
    (line,) = _errors(baytwin("sim", "run", str(tiny), "--out", str(tmp_path / "o"), "--set", "site.ev_bays=-1"))
    assert line.startswith("--set site.ev_bays: Input should be greater than or equal to 1")
    assert "tiny.yaml" not in line
    (line,) = _errors(baytwin("sim", "run", str(tiny), "--out", str(tmp_path / "o"), "--set", "site.ev_bayz=3"))
    assert line == "--set site.ev_bayz: unknown field (did you mean site.ev_bays?)"
    assert not (tmp_path / "o").exists()


def test_a_set_into_a_policy_file_names_the_set(tmp_path: Path) -> None:
    (tmp_path / "policy.yaml").write_text("rules:\n  overstay:\n    grace_min: 10\n")
    (tmp_path / "site.yaml").write_text(SMALL_SITE.replace("policy: {idle_fee: {enabled: true}}", "policy: policy.yaml"))
    (line,) = _errors(baytwin("sim", "run", str(tmp_path / "site.yaml"), "--out", str(tmp_path / "o"),
                              "--set", "policy.rules.overstay.grace_min=-5"))
    assert line.startswith("--set policy.rules.overstay.grace_min: Input should be greater than or equal to 0")
    (tmp_path / "policy.yaml").write_text("rules:\n  overstay:\n    grace_min: -5\n")
    (line,) = _errors(baytwin("sim", "run", str(tmp_path / "site.yaml"), "--out", str(tmp_path / "o")))
    assert line.startswith(f"{tmp_path / 'policy.yaml'}: rules.overstay.grace_min:")


@pytest.mark.parametrize(("grid", "guess"), [("grace_mins=5,15", "grace_min"), ("signag=poor,good", "signage")])
def test_a_misspelled_grid_axis_gets_the_nearest_field(tmp_path: Path, grid: str, guess: str) -> None:
    (line,) = _errors(baytwin("sweep", "workplace-garage/enforced", "--grid", grid, "--out", str(tmp_path / "s")))
    assert line.endswith(f"(did you mean {guess}?)")
    assert not (tmp_path / "s").exists()


def test_a_set_problem_in_a_sweep_names_the_set(tmp_path: Path, tiny: Path) -> None:  # noqa: F811
    (line,) = _errors(baytwin("sweep", str(tiny), "--grid", "site.ev_bays=2,3", "--set", "site.signag=poor",
                              "--out", str(tmp_path / "s")))
    assert line == "--set site.signag: unknown field (did you mean site.signage?)"


def test_sim_list_says_what_each_scenario_is() -> None:
    result = baytwin("sim", "list")
    assert result.returncode == 0, result.stderr
    rows = dict(line.split(None, 1) for line in result.stdout.splitlines())
    assert rows["workplace-garage/enforced"].startswith("Baseline population with ANPR enforcement")
    assert all(text.strip() and "\n" not in text for text in rows.values())
    assert any(name.startswith("portfolios/") for name in rows)


def test_a_misspelled_scenario_file_gets_the_file_beside_it(tmp_path: Path) -> None:
    (tmp_path / "my-site.yaml").write_text(SMALL_SITE)
    (line,) = _errors(baytwin("sim", "validate", str(tmp_path / "my-site.yml")))
    assert line.endswith(f"did you mean {tmp_path / 'my-site.yaml'}?")
