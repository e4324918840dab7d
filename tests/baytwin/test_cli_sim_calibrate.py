"""``baytwin sim calibrate`` as a user meets it: a scenario and a fit report from an export, and one error
line (never a traceback) for an export it cannot use."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from baytwin.sim.runner import run
from baytwin.sim.scenario import load_scenario
from tests.baytwin.test_cli_bad_input import baytwin, one_error_line


def generic_export(path: Path) -> int:
    """A week of the workplace garage as a generic export (local times, no offset); its session count."""
    _, result = run(load_scenario("workplace-garage"), seed=2, days=7)
    s = result.sessions
    s = s[s.plug_in.notna() & s.unplug.notna()]

    def local(ts: pd.Timestamp) -> str:
        return ts.tz_convert("America/Los_Angeles").strftime("%Y-%m-%dT%H:%M:%S") if pd.notna(ts) else ""

    pd.DataFrame({"arrival": s.plug_in.map(local), "departure": s.unplug.map(local),
                  "charging_end": s.charging_stopped.map(local), "energy_kwh": s.energy_kwh.round(3),
                  "station": s.bay}).to_csv(path, index=False)
    return len(s)


@pytest.mark.slow  # three commands, one of them a fit and a week's run
def test_calibrate_writes_a_scenario_sim_accepts_and_a_report(tmp_path: Path) -> None:
    export = tmp_path / "export.csv"
    count = generic_export(export)
    out = tmp_path / "site.yaml"
    done = baytwin("sim", "calibrate", "--sessions", str(export), "--out", str(out),
                   "--timezone", "America/Los_Angeles", "--report", str(tmp_path / "fit.md"))
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    report = json.loads((tmp_path / "fit.json").read_text(encoding="utf-8"))
    assert report["export"]["format"] == "generic" and report["export"]["sessions"] == count
    assert report["simulated_days"] == report["export"]["span_days"]
    rows = {row["figure"]: row for row in report["figures"]}
    assert rows["sessions_per_week"]["data"] > 0 and rows["connection_mean_h"]["fitted"] > 0
    assert "| connection time, mean |" in (tmp_path / "fit.md").read_text(encoding="utf-8")
    fitted = load_scenario(out)
    assert fitted.name == "site" and fitted.site.timezone == "America/Los_Angeles"
    assert baytwin("sim", "validate", str(out)).returncode == 0


def test_calibrate_from_a_missing_or_unknown_export_is_one_line(tmp_path: Path) -> None:
    missing = one_error_line(baytwin("sim", "calibrate", "--sessions", str(tmp_path / "none.csv"),
                                     "--out", str(tmp_path / "s.yaml")))
    assert "none.csv: no such file" in missing
    other = tmp_path / "other.csv"
    other.write_text("start,stop,kwh\n1,2,3\n", encoding="utf-8")
    unknown = one_error_line(baytwin("sim", "calibrate", "--sessions", str(other), "--out", str(tmp_path / "s.yaml")))
    assert "other.csv: not a known session export" in unknown and "missing columns" in unknown
    assert not (tmp_path / "s.yaml").exists()
