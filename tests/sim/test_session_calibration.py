"""Fitting a scenario to a session export: the twin run with the fit shows the export's figures.

The export is made independently of the fitting code: the bundled workplace garage is run for eight weeks
and its sessions are written out as ACN-Data writes them (RFC 2822 times in GMT). The fit starts from a
different site (the retail car park, with the policy the export's site ran: none), and the fitted
scenario's run must reproduce the headline figures within 10 % relative.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from baytwin.sim.runner import run
from baytwin.sim.scenario import SCENARIO_DIR, load_scenario
from baytwin.sim.scenario_writer import scenario_yaml
from baytwin.sim.session_calibration import calibrate
from baytwin.sim.session_export import SessionExportProblem, read_export
from baytwin.sim.session_figures import export_sessions, figures, run_sessions

DAYS = 56
TOLERANCE = 0.10
ZONE = "America/Los_Angeles"
HEADLINE = ("connection_mean_h", "charging_mean_h", "energy_mean_kwh", "arrival_share_08_to_10", "sessions_per_week")
ACN_HEADER = ["_id", "clusterID", "connectionTime", "disconnectTime", "doneChargingTime", "kWhDelivered",
              "sessionID", "siteID", "spaceID", "stationID", "timezone", "userID"]


def rfc2822(ts: pd.Timestamp) -> str:
    return ts.tz_convert("UTC").strftime("%a, %d %b %Y %H:%M:%S GMT") if pd.notna(ts) else ""


def finished_sessions() -> pd.DataFrame:
    _, result = run(load_scenario("workplace-garage"), seed=5, days=DAYS)
    s = result.sessions
    return s[s.plug_in.notna() & s.unplug.notna()].reset_index(drop=True)


def acn_export(sessions: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "_id": [f"5e23b149f9af8b5fe4b9{i:04x}" for i in range(len(sessions))], "clusterID": "39",
        "connectionTime": sessions.plug_in.map(rfc2822), "disconnectTime": sessions.unplug.map(rfc2822),
        "doneChargingTime": sessions.charging_stopped.map(rfc2822), "kWhDelivered": sessions.energy_kwh.round(3),
        "sessionID": [f"2_39_{i}" for i in range(len(sessions))], "siteID": "2",
        "spaceID": sessions.bay, "stationID": "2-39-" + sessions.bay.astype(str), "timezone": ZONE,
        "userID": sessions.driver_id.astype(str),
    })[ACN_HEADER]


@pytest.fixture(scope="module")
def sessions() -> pd.DataFrame:
    return finished_sessions()


@pytest.fixture(scope="module")
def acn_file(sessions: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("export") / "acn.csv"
    acn_export(sessions).to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def base_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("base") / "retail.yaml"
    path.write_text(f"extends: {SCENARIO_DIR / 'retail-car-park' / 'baseline.yaml'}\n"
                    f"policy: {SCENARIO_DIR / 'policies' / 'no-enforcement.yaml'}\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def compared(acn_file: Path, base_file: Path, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    export = read_export(acn_file)
    fit = calibrate(export, load_scenario(base_file), "fitted")
    written = tmp_path_factory.mktemp("fitted") / "fitted.yaml"
    written.write_text(scenario_yaml(fit.document), encoding="utf-8")
    fitted = load_scenario(written)
    _, result = run(fitted, days=DAYS)
    return (export, fit, fitted, figures(export_sessions(export), export.zone, export.span_days),
            figures(run_sessions(result.sessions), export.zone, DAYS))


@pytest.mark.parametrize("figure", HEADLINE)
def test_fitted_retail_base_reproduces_the_workplace_export(figure: str, compared) -> None:  # type: ignore[no-untyped-def]
    *_, data, fitted = compared
    difference = abs(fitted[figure] - data[figure]) / data[figure]
    assert difference <= TOLERANCE, f"{figure}: export {data[figure]:.3f}, fitted run {fitted[figure]:.3f} ({difference:.1%})"


def test_fit_takes_the_exports_site_and_keeps_the_bases_policy(compared, sessions: pd.DataFrame) -> None:  # type: ignore[no-untyped-def]
    export, fit, fitted, *_ = compared
    assert export.format == "ACN-Data" and export.zone == ZONE and export.rows == len(sessions)
    assert fitted.site.timezone == ZONE and fitted.site.ev_bays == sessions.bay.nunique()
    assert fitted.site.general_bays == 100 and fitted.policy.name == "no-enforcement"
    assert list(fitted.population) == ["visitor"] and fitted.population["visitor"].ev_share == 1.0
    assert str(fitted.start) == export.sessions.plug_in.min().tz_convert(ZONE).date().isoformat()
    assert fitted == fit.scenario  # the file as written loads to the scenario that was fitted


def test_generic_export_in_local_time_reads_as_the_acn_one(sessions: pd.DataFrame, acn_file: Path,
                                                           tmp_path: Path) -> None:
    def local(ts: pd.Timestamp) -> str:
        return ts.tz_convert(ZONE).strftime("%Y-%m-%d %H:%M:%S") if pd.notna(ts) else ""

    path = tmp_path / "generic.csv"
    pd.DataFrame({"arrival": sessions.plug_in.map(local), "departure": sessions.unplug.map(local),
                  "charging_end": sessions.charging_stopped.map(local), "energy_kwh": sessions.energy_kwh.round(3),
                  "station": sessions.bay}).to_csv(path, index=False)
    generic, acn = read_export(path, ZONE), read_export(acn_file)
    assert generic.format == "generic" and len(generic.sessions) == len(acn.sessions)
    # local times without an offset are the site's: the same instants as the export in GMT (to the second)
    assert (generic.sessions.plug_in - acn.sessions.plug_in).abs().max() <= pd.Timedelta(seconds=1)
    assert figures(export_sessions(generic), ZONE, generic.span_days)["arrival_share_08_to_10"] == pytest.approx(
        figures(export_sessions(acn), ZONE, acn.span_days)["arrival_share_08_to_10"])


def test_timezone_option_wins_over_the_exports_column(acn_file: Path) -> None:
    assert read_export(acn_file, "Europe/London").zone == "Europe/London"
    with pytest.raises(SessionExportProblem, match="unknown time zone 'Mars/Olympus'"):
        read_export(acn_file, "Mars/Olympus")


ROW = '"Mon, 06 Jan 2020 16:00:00 GMT","Mon, 06 Jan 2020 20:00:00 GMT","Mon, 06 Jan 2020 18:00:00 GMT",8.5,1,2,1,CA-1,{z},7\n'
HEADER = "connectionTime,disconnectTime,doneChargingTime,kWhDelivered,sessionID,siteID,spaceID,stationID,timezone,userID\n"


def test_rows_with_bad_times_energy_or_negative_durations_are_skipped_and_counted(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    good = ROW.format(z=ZONE)
    path.write_text(HEADER + good + good.replace("Mon, 06 Jan 2020 16", "yesterday at 16")
                    + good.replace("20:00:00", "15:00:00") + good.replace(",8.5,", ",lots,")
                    + good.replace("18:00:00", "21:00:00"), encoding="utf-8")
    export = read_export(path)
    assert len(export.sessions) == 2 and export.rows == 5
    assert export.skipped == {"time": 1, "negative": 1, "energy": 1}
    # a charging end after the unplug is clock skew: charging lasted the whole connection
    assert export.sessions.charging_done.iloc[1] == export.sessions.unplug.iloc[1]


@pytest.mark.parametrize(("content", "problem"), [
    (None, "no such file"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "cannot read"),
    (HEADER.encode() + ROW.format(z="Am\xe9rica").encode("latin-1"), "cannot read"),
    (b"", "empty file"),
    (HEADER.encode(), "no sessions (ACN-Data header, but no rows)"),
    (b"connectionTime,kWhDelivered,stationID\n1,2,3\n",
     "not a known session export (known: ACN-Data, generic); closest is ACN-Data, missing columns: disconnectTime, "
     "doneChargingTime, sessionID, siteID, spaceID, timezone, userID"),
    ((HEADER + ROW.format(z=ZONE).replace("16:00:00", "21:00:00")).encode(),
     "no usable sessions: all 1 rows skipped (1 negative duration)"),
])
def test_an_unusable_export_is_one_problem_naming_the_file(tmp_path: Path, content: bytes | None, problem: str) -> None:
    path = tmp_path / "export.csv"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(SessionExportProblem) as caught:
        read_export(path)
    assert str(caught.value).startswith(f"{path}: ") and problem in str(caught.value)
    assert "\n" not in str(caught.value)
