"""``baytwin live``: clear one-line errors, a real process that stops cleanly, reviews and replays from the CLI."""

from __future__ import annotations

import csv
import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pandas as pd
import yaml
from typer.testing import CliRunner

from baytwin.cli import app
from baytwin.core.events import PlateRead, VehicleArrived
from tests.live.conftest import T0, open_log, write_site

runner = CliRunner()


def _cli(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, list(args))


def _one_error_line(result) -> str:  # type: ignore[no-untyped-def]
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.strip().splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), result.output
    return lines[0]


def test_a_broken_site_file_names_file_field_and_problem(tmp_path: Path) -> None:
    site = write_site(tmp_path, extra="gate: {accept_at: 1.5}")
    line = _one_error_line(_cli("live", "status", "--site", str(site)))
    assert "site.yaml" in line and "gate.accept_at" in line


def test_a_missing_key_file_is_a_clear_error(tmp_path: Path) -> None:
    site = write_site(tmp_path)
    (tmp_path / "site.key").unlink()
    line = _one_error_line(_cli("live", "run", "--site", str(site)))
    assert "store.key_file" in line and "does not exist" in line


def test_an_unreachable_camera_is_a_clear_error_without_its_password(tmp_path: Path) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cameras = f"""cameras:
  gate:
    source: "http://admin:secret@127.0.0.1:{port}/video.mjpg"
    bays: {{B1: [[0, 0], [10, 0], [10, 10]]}}"""
    line = _one_error_line(_cli("live", "run", "--site", str(write_site(tmp_path, cameras=cameras))))
    assert "cameras.gate.source" in line and "cannot open" in line and "secret" not in line


def test_a_missing_video_file_is_a_clear_error(tmp_path: Path) -> None:
    cameras = """cameras:
  gate: {source: footage/none.mp4, bays: {B1: [[0, 0], [10, 0], [10, 10]]}}"""
    line = _one_error_line(_cli("live", "run", "--site", str(write_site(tmp_path, cameras=cameras))))
    assert "none.mp4" in line and "does not exist" in line


def test_live_run_serves_chargers_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    site = write_site(tmp_path, extra=f"listen: {{port: {port}}}")
    process = subprocess.Popen([sys.executable, "-m", "baytwin", "live", "run", "--site", str(site), "--log-format", "json"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, "COLUMNS": "200"})
    try:
        import asyncio

        from ocpp.v16 import call as call16

        from tests.live.conftest import charger16

        async def session() -> None:
            for _ in range(100):
                try:
                    async with charger16(f"ws://127.0.0.1:{port}/CP1") as cp:
                        await cp.call(call16.BootNotification(charge_point_model="M", charge_point_vendor="V"))
                        await cp.call(call16.StartTransaction(connector_id=2, id_tag="TAG-X", meter_start=0,
                                                              timestamp="2024-05-29T08:00:00Z"))
                        return
                except OSError:
                    await asyncio.sleep(0.1)
            raise AssertionError("live run never listened")

        asyncio.run(session())
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr
    assert "stopped cleanly" in stderr
    assert "plates read with plate_recognizer.onnx (sha256 " in stderr  # the site's model, named to its operator
    logged = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    assert any("session_started" in entry["message"] for entry in logged)
    result = _cli("live", "status", "--site", str(site), "--json")
    assert result.exit_code == 1, result.output  # stopped: down
    status = json.loads(result.output)
    assert status["running"] is False and status["health"]["status"] == "down"
    assert [s["bay"] for s in status["open_sessions"]] == ["B2"]


def test_reviews_are_listed_with_crops_and_resolved_from_the_cli(tmp_path: Path) -> None:
    from baytwin.live.site import load_site

    site_file = write_site(tmp_path)
    log = open_log(load_site(site_file))
    read = PlateRead(T0 + 1, "garage", "B1", "AB12CDF", 0.7, "review")
    log.append([VehicleArrived(T0, "garage", "B1"), read], {1: b"\x89PNG crop"})
    listed = _cli("live", "review", "list", "--site", str(site_file), "--crops", str(tmp_path / "crops"))
    assert listed.exit_code == 0 and "AB12CDF" in listed.output
    (crop,) = (tmp_path / "crops").glob("read-*.png")
    assert crop.read_bytes() == b"\x89PNG crop"
    seq = crop.stem.split("-")[1]
    both = _cli("live", "review", "resolve", seq, "--site", str(site_file), "--confirm", "--reject", "--by", "op")
    assert _one_error_line(both).endswith("give exactly one of --confirm, --plate PLATE, --reject")
    done = _cli("live", "review", "resolve", seq, "--site", str(site_file), "--plate", "AB12CDE", "--by", "op")
    assert done.exit_code == 0 and "corrected as AB12CDE by op" in done.output
    assert "0 read(s) to review" in _cli("live", "review", "list", "--site", str(site_file)).output


def test_replay_turns_a_recorded_site_into_a_scenario_the_twin_runs(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'site.db'}"
    key = tmp_path / "k.key"
    assert _cli("keys", "generate", "--out", str(key)).exit_code == 0
    recorded = _cli("sim", "run", "workplace-garage/enforced", "--out", str(tmp_path / "recorded"), "--days", "7",
                    "--store", "--db", db, "--key-file", str(key))
    assert recorded.exit_code == 0, recorded.output
    truth = json.loads((tmp_path / "recorded" / "summary.json").read_text())
    replay = _cli("live", "replay", "--db", db, "--out", str(tmp_path / "replay"))
    assert replay.exit_code == 0, replay.output
    visits = pd.read_parquet(tmp_path / "replay" / "visits.parquet")
    assert len(visits) == truth["ev_bay_visits"]
    assert visits["vehicle"].dropna().str.fullmatch(r"[0-9a-f]+").all()  # hashes, never plates
    scenario = yaml.safe_load((tmp_path / "replay" / "scenario.yaml").read_text())
    assert 0.9 * truth["ev_bays"] <= scenario["site"]["ev_bays"] <= truth["ev_bays"]  # bays that saw a car
    assert set(scenario["population"]) <= {"chargers", "non_chargers"}
    # with no rules to respond to, the twin's drivers must stay as long as the recorded ones did
    rerun = _cli("sim", "run", str(tmp_path / "replay" / "scenario.yaml"), "--out", str(tmp_path / "rerun"),
                 "--set", "policy.rules.overstay.enabled=false", "--set", "policy.rules.not_charging.enabled=false")
    assert rerun.exit_code == 0, rerun.output
    twin = json.loads((tmp_path / "rerun" / "summary.json").read_text())
    assert abs(twin["arrivals"] - truth["arrivals"]) <= 0.35 * truth["arrivals"]
    assert abs(twin["mean_dwell_min"] - truth["mean_dwell_min"]) <= 0.15 * truth["mean_dwell_min"]


def test_replay_of_an_unknown_site_is_a_clear_error(tmp_path: Path) -> None:
    line = _one_error_line(_cli("live", "replay", "--db", f"sqlite:///{tmp_path / 'empty.db'}", "--out", str(tmp_path / "o"),
                                "--site-id", "nowhere"))
    assert "nowhere" in line


def test_status_of_a_site_never_run_says_so(tmp_path: Path) -> None:
    site = write_site(tmp_path)
    result = _cli("live", "status", "--site", str(site))
    assert result.exit_code == 1 and "not running" in result.output


def test_live_run_killed_mid_session_and_restarted_loses_and_repeats_nothing(tmp_path: Path) -> None:
    import asyncio

    from ocpp.v16 import call as call16
    from sqlalchemy import select

    from baytwin.core.store import schema
    from baytwin.live.site import load_site
    from tests.live.conftest import charger16

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    site_file = write_site(tmp_path, extra=f"listen: {{port: {port}}}")

    def start() -> subprocess.Popen[str]:
        return subprocess.Popen([sys.executable, "-m", "baytwin", "live", "run", "--site", str(site_file)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)

    async def connected(steps):  # type: ignore[no-untyped-def]
        for _ in range(150):
            try:
                async with charger16(f"ws://127.0.0.1:{port}/CP1") as cp:
                    return await steps(cp)
            except OSError:
                await asyncio.sleep(0.1)
        raise AssertionError("live run never listened")

    async def begin(cp):  # type: ignore[no-untyped-def]
        await cp.call(call16.BootNotification(charge_point_model="M", charge_point_vendor="V"))
        started = await cp.call(call16.StartTransaction(connector_id=1, id_tag="TAG-X", meter_start=0,
                                                        timestamp="2024-05-29T08:00:00Z"))
        await cp.call(call16.MeterValues(connector_id=1, transaction_id=started.transaction_id, meter_value=[{
            "timestamp": "2024-05-29T08:10:00Z", "sampledValue": [
                {"value": "2.0", "measurand": "Energy.Active.Import.Register", "unit": "kWh"}]}]))
        return started.transaction_id

    async def finish(cp, tx):  # type: ignore[no-untyped-def]
        await cp.call(call16.BootNotification(charge_point_model="M", charge_point_vendor="V"))
        request = call16.StopTransaction(meter_stop=5000, timestamp="2024-05-29T09:00:00Z", transaction_id=tx,
                                         reason="EVDisconnected")
        await cp.call(request, unique_id="stop-1")
        await cp.call(request, unique_id="stop-1")  # the answer was lost in the outage: sent again

    first = start()
    try:
        tx = asyncio.run(connected(begin))
    finally:
        first.kill()  # no clean shutdown: SIGKILL
        first.wait(timeout=30)
    second = start()
    try:
        asyncio.run(connected(lambda cp: finish(cp, tx)))
    finally:
        second.send_signal(signal.SIGTERM)
        second.communicate(timeout=30)
    log = open_log(load_site(site_file))
    with log.engine.connect() as conn:
        sessions = conn.execute(select(schema.sessions)).mappings().all()
        kinds = [k for (k,) in conn.execute(select(schema.event_log.c.kind))]
    assert len(sessions) == 1 and sessions[0]["ended_at"] is not None and sessions[0]["energy_kwh"] == 5.0
    assert kinds.count("session_started") == 1 and kinds.count("session_ended") == 1
    assert _cli("audit", "verify", "--db", load_site(site_file).store_url()).exit_code == 0


def test_a_site_recognizer_onnxruntime_cannot_load_is_one_line(tmp_path: Path) -> None:
    import shutil

    from baytwin.core.ocr.recognizer import DEFAULT_CONFIG

    (tmp_path / "broken.onnx").write_bytes(b"not a model")
    shutil.copy(DEFAULT_CONFIG, tmp_path / "broken.yaml")
    line = _one_error_line(_cli("live", "run", "--site", str(write_site(tmp_path, extra="ocr: {model: broken.onnx}"))))
    assert "broken.onnx" in line and "cannot load the model" in line
    (tmp_path / "broken.yaml").unlink()
    line = _one_error_line(_cli("live", "status", "--site", str(write_site(tmp_path, extra="ocr: {model: broken.onnx}"))))
    assert "ocr.model_config" in line and "does not exist" in line


def test_review_export_writes_a_labelled_folder_says_it_is_personal_data_and_needs_the_key(tmp_path: Path) -> None:
    from tests.live.test_review_export import reviewed_site

    site_file = reviewed_site(tmp_path / "site")
    result = subprocess.run([sys.executable, "-m", "baytwin", "live", "review", "export", "--site", str(site_file),
                             "--out", str(tmp_path / "export")], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "2 reviewed crop(s)" in result.stdout and "1 rejected" in result.stdout
    assert result.stderr.strip().count("\n") == 0 and "personal data" in result.stderr
    with (tmp_path / "export" / "labels.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert [r["plate"] for r in rows] == ["AB12CDE", "KX19PLM"]
    evaluated = _cli("ocr", "eval", "--images", str(tmp_path / "export"), "--out", str(tmp_path / "report"))
    assert evaluated.exit_code == 0, evaluated.output
    assert json.loads((tmp_path / "report" / "report.json").read_text())["images"] == 2
    (tmp_path / "site" / "site.key").unlink()
    line = _one_error_line(_cli("live", "review", "export", "--site", str(site_file), "--out", str(tmp_path / "again")))
    assert "store.key_file" in line and not (tmp_path / "again").exists()
