"""baytwin from Python as a notebook meets it: the same runs as the command, in the site's own time."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import baytwin
from baytwin.core.config import ConfigError

SCENARIO = "workplace-garage/enforced"  # America/Los_Angeles: eight hours from UTC, so a slip shows
TABLES = ("sessions", "violations", "actions", "timeseries")

TINY = """
name: tiny
days: 2
site: {id: tiny, timezone: Asia/Tokyo, ev_bays: 4, enforcement: {mode: anpr}}
policy: {idle_fee: {enabled: true}}
population:
  staff:
    drivers: 30
    arrivals_per_day: {weekday: 14, weekend: 6}
    stay_h: {dist: uniform, min: 1, max: 6}
"""


@pytest.fixture(scope="module")
def enforced() -> baytwin.Results:
    return baytwin.simulate(SCENARIO, days=3, seed=4)


@pytest.fixture(scope="module")
def by_runner():  # type: ignore[no-untyped-def]
    from baytwin.sim.runner import run
    from baytwin.sim.scenario import load_scenario

    return run(load_scenario(SCENARIO), seed=4, days=3)[1]


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY)
    return path


def _without_wall_time(summary: dict) -> dict:  # type: ignore[type-arg]
    return {k: v for k, v in summary.items() if k != "wall_seconds"}


# --- import ------------------------------------------------------------------------------------------


def test_import_baytwin_loads_neither_pandas_nor_the_twin() -> None:
    code = ("import sys, baytwin; heavy = [m for m in ('pandas', 'simpy', 'numpy', 'cv2', 'baytwin.sim') "
            "if m in sys.modules]; print(heavy); print(callable(baytwin.simulate), 'pandas' in sys.modules)")
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert shown.splitlines() == ["[]", "True True"]


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'simulat'"):
        baytwin.simulat  # noqa: B018
    assert {"simulate", "sweep", "read_plates", "Results", "load_scenario"} <= set(dir(baytwin))


# --- simulate -----------------------------------------------------------------------------------------


def test_the_same_seed_gives_the_runners_summary(enforced: baytwin.Results, by_runner) -> None:  # type: ignore[no-untyped-def]
    assert _without_wall_time(enforced.summary) == _without_wall_time(by_runner.summary)
    assert enforced.summary["seed"] == 4 and enforced.summary["days"] == 3
    assert enforced.scenario.name == "workplace-garage-enforced"


def test_every_time_is_in_site_time_and_the_same_instant(enforced: baytwin.Results, by_runner) -> None:  # type: ignore[no-untyped-def]
    assert enforced.timezone == "America/Los_Angeles"
    converted = 0
    for name in TABLES:
        local, utc = getattr(enforced, name), getattr(by_runner, name)
        assert len(local) > 0 and list(local.columns) == list(utc.columns), name
        for column in utc.columns:
            if isinstance(utc[column].dtype, pd.DatetimeTZDtype):
                assert str(local[column].dt.tz) == "America/Los_Angeles", f"{name}.{column}"
                pd.testing.assert_series_equal(local[column].dt.tz_convert("UTC"), utc[column])
                converted += 1
            else:
                pd.testing.assert_series_equal(local[column], utc[column])
    assert converted >= 10  # sessions' six, violations' three, actions' two, the samples' one
    first = enforced.sessions["arrival"].iloc[0]
    assert first.hour == (by_runner.sessions["arrival"].iloc[0].hour - 8) % 24  # PST in January


def test_events_are_read_on_demand_in_site_time(enforced: baytwin.Results, by_runner) -> None:  # type: ignore[no-untyped-def]
    events = enforced.events
    assert len(events) == len(by_runner.event_spool) > 0
    assert str(events["ts"].dt.tz) == "America/Los_Angeles"
    assert events["ts"].is_monotonic_increasing
    assert enforced.events is events  # read once


def test_overrides_take_effect_by_name_and_on_a_scenario_in_hand(enforced: baytwin.Results) -> None:
    strict = baytwin.simulate(SCENARIO, days=3, seed=4, overrides={"policy.rules.overstay.grace_min": 0})
    lenient = baytwin.simulate(enforced.scenario, days=3, seed=4, overrides={"policy.rules.overstay.grace_min": 120})
    assert strict.scenario.policy.rules.overstay.grace_min == 0
    assert lenient.scenario.policy.rules.overstay.grace_min == 120
    assert enforced.scenario.policy.rules.overstay.grace_min == 15  # the scenario in hand is not changed
    assert strict.summary["violations_true"] > enforced.summary["violations_true"]
    assert lenient.summary["violations_true"] < enforced.summary["violations_true"]


def test_a_scenario_file_runs_with_its_own_days_and_seed(tiny: Path) -> None:
    run = baytwin.simulate(tiny)
    assert run.summary["days"] == 2 and run.summary["seed"] == 1 and run.timezone == "Asia/Tokyo"
    assert str(run.sessions["arrival"].dt.tz) == "Asia/Tokyo"


@pytest.mark.parametrize(("scenario", "overrides", "message"), [
    ("no-such-site/baseline", None, "no-such-site/baseline: file not found (neither a path nor a bundled"),
    (SCENARIO, {"policy.rules.overstay.grace_min": -5},
     "rules.overstay.grace_min: Input should be greater than or equal to 0 (got -5)"),
    (SCENARIO, {"site.signage": "awful"}, "site.signage: Input should be 'good', 'poor' or 'none' (got 'awful')"),
    (SCENARIO, {"site.nonsense": 1}, "site.nonsense: unknown field"),
    ("portfolios/north-estate", None, "a portfolio of sites, not one scenario"),
])
def test_a_bad_scenario_or_override_is_the_one_line_config_error(scenario: str, overrides: dict | None,  # type: ignore[type-arg]
                                                                 message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        baytwin.simulate(scenario, days=1, overrides=overrides)
    assert message in str(raised.value) and "\n" not in str(raised.value)


def test_a_bad_override_on_a_scenario_in_hand_names_the_path(enforced: baytwin.Results) -> None:
    with pytest.raises(ConfigError, match=r"policy\.rules\.overstay\.grace_min: Input should be greater"):
        baytwin.simulate(enforced.scenario, days=1, overrides={"policy.rules.overstay.grace_min": -1})


@pytest.mark.parametrize("days", [0, -1, float("nan"), "7"])
def test_days_must_be_a_number_above_zero(days: object) -> None:
    with pytest.raises(ValueError, match="days: must be a number of days above 0"):
        baytwin.simulate(SCENARIO, days=days)  # type: ignore[arg-type]


def test_a_seed_is_a_whole_number() -> None:
    assert baytwin.simulate(SCENARIO, days=1, seed=np.int64(2)).summary["seed"] == 2
    with pytest.raises(ValueError, match=r"seed: must be a whole number \(got 1.5\)"):
        baytwin.simulate(SCENARIO, days=1, seed=1.5)  # type: ignore[arg-type]


def test_write_and_out_give_the_files_sim_run_writes(enforced: baytwin.Results, by_runner, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from baytwin.sim.runner import write

    written = {p.name for p in enforced.write(tmp_path / "notebook")}
    command = {p.name for p in write(by_runner, tmp_path / "command", enforced.scenario)}
    assert written == command == {"summary.json", "scenario.json", *(f"{t}.parquet" for t in (*TABLES, "events"))}
    for name in (*TABLES, "events"):
        pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "notebook" / f"{name}.parquet"),
                                      pd.read_parquet(tmp_path / "command" / f"{name}.parquet"))
    saved = json.loads((tmp_path / "notebook" / "summary.json").read_text())
    assert _without_wall_time(saved) == _without_wall_time(by_runner.summary)

    (tmp_path / "a-file").write_text("")
    with pytest.raises(ValueError, match="a-file: is a file, not a folder"):
        baytwin.simulate(SCENARIO, days=1, out=tmp_path / "a-file")
    again = baytwin.simulate(SCENARIO, days=1, out=tmp_path / "out")
    assert json.loads((tmp_path / "out" / "summary.json").read_text()) == again.summary
    assert (tmp_path / "out" / "events.parquet").is_file()


def test_compare_has_one_row_per_figure_and_one_column_per_run(enforced: baytwin.Results, tmp_path: Path) -> None:
    from baytwin.common import SUMMARY_ROWS

    baseline = baytwin.simulate("workplace-garage/baseline", days=3, seed=4)
    baseline.write(tmp_path / "no-rules")
    table = enforced.compare(baseline, tmp_path / "no-rules", baseline.summary)
    assert list(table.columns) == ["workplace-garage-enforced", "workplace-garage", "no-rules", "workplace-garage (2)"]
    assert table["no-rules"].equals(table["workplace-garage"])
    assert list(table.index) == list(SUMMARY_ROWS) and table.index.name == "metric"
    assert table.loc["violations_detected", "workplace-garage-enforced"] == enforced.summary["violations_detected"]
    assert table.loc["arrivals", "workplace-garage"] == baseline.summary["arrivals"]
    assert isinstance(table.loc["arrivals", "workplace-garage"], int)

    chosen = baytwin.compare(enforced, baseline, labels=["grace 15", "no rules"],
                             figures=["idle_fee_revenue", "violations_by_rule.overstay.true"])
    assert chosen.shape == (2, 2) and list(chosen.columns) == ["grace 15", "no rules"]
    assert chosen.loc["violations_by_rule.overstay.true", "grace 15"] == \
        enforced.summary["violations_by_rule"]["overstay"]["true"]
    with pytest.raises(ValueError, match="labels: 1 given for 2 runs"):
        enforced.compare(baseline, labels=["one"])
    with pytest.raises(ValueError, match="no such file"):
        enforced.compare(tmp_path / "nowhere")


def test_a_run_shows_its_headline_figures(enforced: baytwin.Results) -> None:
    shown = repr(enforced)
    assert shown.startswith("Results(scenario='workplace-garage-enforced'") and "timezone='America/Los_Angeles'" in shown
    assert f"violations_detected={enforced.summary['violations_detected']}" in shown
    page = enforced._repr_html_()
    assert "<table>" in page and "violations_detected" in page and "America/Los_Angeles" in page
    assert f"sessions ({len(enforced.sessions):,} rows)" in page


# --- sweep --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cluster():  # type: ignore[no-untyped-def]
    from distributed import LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=2, processes=False, protocol="tcp://",
                      host="127.0.0.1", dashboard_address=None) as running:
        yield running.scheduler_address


def test_a_sweep_returns_one_row_per_cell_with_intervals(tiny: Path, cluster: str, tmp_path: Path) -> None:
    cells = baytwin.sweep(tiny, {"grace_min": [0, 60], "site.signage": ["poor", "good"]}, replications=2,
                          days=1, base_seed=3, scheduler=cluster, out=tmp_path / "sweep")
    assert len(cells) == 4 and list(cells["n"]) == [2, 2, 2, 2]
    assert list(cells["cell"]) == ["grace_min=0,site.signage=poor", "grace_min=0,site.signage=good",
                                   "grace_min=60,site.signage=poor", "grace_min=60,site.signage=good"]
    assert list(cells["grace_min"]) == [0, 0, 60, 60]
    for figure in ("violations_true", "arrivals", "idle_fee_revenue"):
        low, mean, high = (cells[f"{figure}_{part}"] for part in ("ci_low", "mean", "ci_high"))
        assert ((low <= mean) & (mean <= high)).all(), figure
    pd.testing.assert_frame_equal(cells, pd.read_parquet(tmp_path / "sweep" / "cells.parquet"))
    runs = pd.read_parquet(tmp_path / "sweep" / "runs.parquet")
    assert sorted(set(runs["seed"])) == [3, 4]
    assert cells.attrs["axes"] == {"grace_min": "policy.rules.overstay.grace_min", "site.signage": "site.signage"}

    as_typed = baytwin.sweep(tiny, ["grace_min=0,60", "site.signage=poor,good"], replications=2, days=1,
                             base_seed=3, scheduler=cluster)
    walls = [c for c in cells.columns if c.startswith("wall_seconds")]
    pd.testing.assert_frame_equal(as_typed.drop(columns=walls), cells.drop(columns=walls))


def test_a_sweep_of_a_scenario_in_hand_with_overrides(tiny: Path, cluster: str) -> None:
    loaded = baytwin.load_scenario(tiny)
    cells = baytwin.sweep(loaded, {"idle_fee_per_min": [0.1, 0.5]}, replications=1, days=1,
                          overrides={"site.ev_bays": 3}, scheduler=cluster)
    assert len(cells) == 2 and list(cells["idle_fee_per_min"]) == [0.1, 0.5]
    assert (cells["ev_bays_mean"] == 3).all()  # the fixed override, in every cell
    assert cells.attrs["scenario"] == "tiny" and cells.attrs["folder"] is None


def test_a_grid_dict_is_written_as_the_commands_axes() -> None:
    from baytwin.api_sweep import grid_items

    assert grid_items({"grace_min": np.arange(0, 20, 10), "site.signage": "poor", "fee": [0.1, "a,b"]}) == \
        ["grace_min=[0, 10]", 'site.signage=["poor"]', 'fee=[0.1, "a,b"]']
    from baytwin.sim.sweep.grid import parse_grid_item

    assert parse_grid_item('fee=[0.1, "a,b"]') == ("fee", (0.1, "a,b"))  # a comma inside a value stays inside


@pytest.mark.parametrize(("grid", "error", "message"), [
    ({"grace_minutes": [5, 10]}, ValueError, "--grid grace_minutes: no field of that name"),
    ({"site.signage": ["poor", "awful"]}, ConfigError, "site.signage: Input should be 'good', 'poor' or 'none'"),
    (["grace_min"], ValueError, "expected name=value1,value2"),
    ({"grace_min": []}, ValueError, "grid grace_min: no values"),
    ({"seed": [1, 2]}, ValueError, "seeds are set per run"),
])
def test_a_bad_axis_is_one_line_before_anything_runs(tiny: Path, tmp_path: Path, grid, error, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error) as raised:
        baytwin.sweep(tiny, grid, replications=1, days=1, out=tmp_path / "sweep")
    assert message in str(raised.value) and "\n" not in str(raised.value)
    assert not (tmp_path / "sweep").exists()


def test_a_sweep_on_its_own_local_cluster(tiny: Path) -> None:
    with pytest.warns(UserWarning, match=r"axis idle_fee_per_min \(policy.idle_fee.per_min\) changed no figure"):
        cells = baytwin.sweep(tiny, {"idle_fee_per_min": [0.1, 0.5]}, replications=1, days=1, workers=1,
                              overrides={"policy.idle_fee.enabled": False})
    assert len(cells) == 2 and list(cells["n"]) == [1, 1]


# --- read_plates ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from baytwin.sim.imagery.dataset import generate

    folder = tmp_path_factory.mktemp("plates")
    generate(folder / "crops", 4, seed=2)
    generate(folder / "frames", 1, scenes=True, seed=2)
    return folder


def _labels(folder: Path) -> dict[str, str]:
    with (folder / "labels.csv").open(encoding="utf-8") as f:
        return {str(folder / row["file"]): row["plate"] for row in csv.DictReader(f)}


def test_read_plates_reads_rendered_crops_and_names_a_broken_file(rendered: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG not really")
    reads = baytwin.read_plates([rendered / "crops" / "images", broken, tmp_path / "missing.jpg"])
    assert list(reads.columns) == ["file", "bay", "kind", "plate", "confidence", "status", "bbox", "why",
                                   "plates", "error"]
    crops = reads[reads["kind"] == "crop"]
    truth = _labels(rendered / "crops")
    assert len(crops) == 4 and set(crops["file"]) == set(truth)
    accepted = crops[crops["status"] == "accepted"]
    assert len(accepted) >= 3
    assert all(row.plate == truth[row.file] for row in accepted.itertuples())
    failed = reads[reads["error"].notna()].set_index("file")["error"].to_dict()
    assert failed == {str(broken): "not a readable image", str(tmp_path / "missing.jpg"): "no such file"}


def test_read_plates_reads_an_array_as_its_file(rendered: Path) -> None:
    import cv2

    path = sorted((rendered / "crops" / "images").iterdir())[0]
    pixels = cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)
    reads = baytwin.read_plates([pixels, path, pixels.astype(np.float32)])
    assert list(reads["file"]) == ["array[0]", str(path), "array[2]"]
    assert reads.loc[0, ["plate", "confidence", "status"]].tolist() == reads.loc[1, ["plate", "confidence", "status"]].tolist()
    assert reads.loc[2, "error"] == "expected uint8 pixels, got float32"


def test_a_frame_lists_every_plate_and_its_roi_reads_one(rendered: Path) -> None:
    frame = sorted((rendered / "frames" / "images").iterdir())[0]
    listed = baytwin.read_plates(frame)
    assert len(listed) == 1 and listed.loc[0, "kind"] == "scene" and listed.loc[0, "status"] != "accepted"
    plates = listed.loc[0, "plates"]
    assert plates and all(p["status"] != "accepted" and len(p["bbox"]) == 4 for p in plates)
    wanted = plates[-1]
    x1, y1, x2, y2 = wanted["bbox"]
    one = baytwin.read_plates(frame, roi=[(x1 - 20, y1 - 20), (x2 + 20, y1 - 20), (x2 + 20, y2 + 20),
                                          (x1 - 20, y2 + 20)])
    assert one.loc[0, "plate"] == wanted["plate"] and one.loc[0, "bbox"] == wanted["bbox"]
    with pytest.raises(ValueError, match="roi '1,2,3': needs at least 3 points"):
        baytwin.read_plates(frame, roi="1,2,3")


def test_a_missing_model_is_one_line(rendered: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"^model .*nothing\.onnx: no such file$"):
        baytwin.read_plates(rendered / "crops", model=tmp_path / "nothing.onnx")


def test_a_missing_optional_part_is_named_with_how_to_install_it(rendered: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "cv2", None)  # as in an install without the "ocr" extra
    with pytest.raises(ModuleNotFoundError, match=r"^baytwin.read_plates needs the \"ocr\" extra: "
                                                  r"pip install 'baytwin\[ocr\]'$"):
        baytwin.read_plates(rendered / "crops")


def test_with_a_site_each_bay_of_its_camera_is_a_row(tmp_path: Path) -> None:
    from baytwin.sim.imagery.scenes import render_scene
    from tests.core.ocr.images import write_rgb
    from tests.live.conftest import write_site

    scene = render_scene(np.random.default_rng(3), neighbour=True)
    assert scene.neighbour is not None
    write_rgb(tmp_path / "frame.png", scene.image)
    (x1, y1), (x2, y2) = scene.neighbour.corners.min(axis=0) - 30, scene.neighbour.corners.max(axis=0) + 30
    bays = {"B1": [[float(x), float(y)] for x, y in scene.roi],
            "B2": [[float(x1), float(y1)], [float(x2), float(y1)], [float(x2), float(y2)], [float(x1), float(y2)]]}
    site = write_site(tmp_path / "site", cameras=f"cameras:\n  pole:\n    source: clip.mp4\n    bays: {json.dumps(bays)}")
    reads = baytwin.read_plates(tmp_path / "frame.png", site=site).set_index("bay")
    assert reads.loc["B1", "plate"] == scene.plate.text and reads.loc["B2", "plate"] == scene.neighbour.text
    with pytest.raises(ValueError, match=r"camera 'gate': not a camera of .* \(it has: pole\)"):
        baytwin.read_plates(tmp_path / "frame.png", site=site, camera="gate")


def test_simulate_needs_no_extra(tmp_path: Path) -> None:
    """A planner who only simulates installs no image, dashboard or cluster stack: with every extra's modules
    unimportable, ``simulate`` runs and writes its files, and ``sweep`` says which extra it needs."""
    blocked = ["cv2", "onnxruntime", "PIL", "matplotlib", "streamlit", "altair", "dask", "distributed",
               "psycopg", "paho", "torch", "onnx"]
    program = (f"import sys\nfor name in {blocked!r}:\n    sys.modules[name] = None\n"
               "import baytwin\n"
               f"run = baytwin.simulate('workplace-garage/anpr', days=1, out={str(tmp_path / 'run')!r})\n"
               "print(run.summary['days'], str(run.sessions['arrival'].dt.tz))\n"
               "try:\n    baytwin.sweep('workplace-garage/anpr', {'grace_min': [5, 15]}, replications=1, days=1)\n"
               "except ModuleNotFoundError as err:\n    print(err)\n")
    finished = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=300)
    assert finished.returncode == 0, finished.stderr[-2000:]
    assert finished.stdout.splitlines() == [
        "1.0 America/Los_Angeles",
        "baytwin.sweep needs the \"sweep\" extra: pip install 'baytwin[sweep]'"]
    assert (tmp_path / "run" / "events.parquet").is_file()
