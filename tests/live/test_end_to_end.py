"""A whole live site: a rendered bay-camera video through the real camera adapter, a real OCPP charger
over websockets, the real reader, rules engine and store, and the exact violations, actions and evidence.

The footage is replayed four times faster than it was rendered and the site's clock runs 240 times
faster than the wall, so one second of video is one minute of site time: the policy's minutes
(12 minutes to plug in, 15 minutes' grace after charging) fit in a test of about 20 seconds.

    video s   EV1                                   EV2                          neighbour (right)
      2-5     AB12CDE reverses in                   KX19PLM reverses in          CD34EFG parked all along
      ~9      read -> registered -> RemoteStart                                  (its plate must never count)
      7                                             RFID start, 16 A
     12                                             SuspendedEV (full)
     20       charging stops
     24-27    AB12CDE drives out (in time)
     27                                             overstay: 15 min after SuspendedEV
     32-35    GH68RTY (ICE) reverses in, never plugs
    ~47       not charging: 12 min after arrival
     50                                             unplugs; 53-56 drives out
     55-58    GH68RTY drives out
"""

from __future__ import annotations

import asyncio
import zipfile
from pathlib import Path

import cv2
import pytest
import yaml
from ocpp.v16 import call as call16
from sqlalchemy import select

from baytwin.core.clock import AcceleratedClock
from baytwin.core.store import schema
from baytwin.core.store.evidence import export_pack, verify_pack
from baytwin.core.store.signing import Signer
from baytwin.sim.imagery.video import read_video, render_video
from baytwin.sim.imagery.video_script import VideoScript

from .conftest import POLICY, T0, charger16, live_site, run, until, write_site

RENDER_FPS, PLAY_FPS = 5.0, 20.0
SITE_SECONDS_PER_VIDEO_SECOND = 60.0
SPEED = SITE_SECONDS_PER_VIDEO_SECOND * PLAY_FPS / RENDER_FPS  # site seconds per wall second

SCRIPT = {
    "bays": ["EV1", "EV2"], "neighbour": "right", "duration_s": 61,
    "visits": [
        {"bay": "EV1", "plate": "AB12 CDE", "format": "uk", "arrive_s": 2, "leave_s": 27},
        {"bay": "EV2", "plate": "KX19 PLM", "format": "uk", "arrive_s": 2, "leave_s": 56},
        {"bay": "EV1", "plate": "GH68 RTY", "format": "uk", "arrive_s": 32, "leave_s": 58},
        {"bay": "neighbour", "plate": "CD34 EFG", "format": "uk", "arrive_s": -10, "leave_s": 200},
    ],
}


def _footage(folder: Path) -> tuple[Path, dict]:  # type: ignore[type-arg]
    """Render the script, then rewrite it at PLAY_FPS so the camera replays it faster than real time."""
    rendered, sidecar = render_video(VideoScript.model_validate(SCRIPT), folder / "render", fps=RENDER_FPS, seed=0)
    info = yaml.safe_load(sidecar.read_text())
    fast = folder / "bay-camera-fast.mp4"
    writer = cv2.VideoWriter(str(fast), cv2.VideoWriter_fourcc(*"mp4v"), PLAY_FPS, tuple(info["size"]))
    for frame in read_video(rendered):
        writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    writer.release()
    return fast, info


@pytest.fixture(scope="module")
def footage(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:  # type: ignore[type-arg]
    return _footage(tmp_path_factory.mktemp("footage"))


def test_a_recorded_afternoon_gives_exactly_the_expected_violations_actions_and_evidence(tmp_path: Path, footage) -> None:  # type: ignore[no-untyped-def]
    video, info = footage
    rois = {bay: [list(p) for p in polygon] for bay, polygon in info["bays"].items()}
    cameras = yaml.safe_dump({"cameras": {"pole": {"source": str(video), "sample_fps": 5, "frames_per_vehicle": 3,
                                                   "bays": rois}}}, default_flow_style=None)
    site = write_site(tmp_path, cameras=cameras, stations="CP1: {evses: {1: EV1, 2: EV2}}", leave_after_s=120)
    (tmp_path / "policy.yaml").write_text(POLICY.replace("arrival_allowance_min: 10", "arrival_allowance_min: 12"))
    (tmp_path / "vehicles.csv").write_text("plate,group,id_tokens\nAB12CDE,staff,TAG-AB\nKX19PLM,staff,TAG-KX\n")
    clock = AcceleratedClock(T0, SPEED)

    def at_video(seconds: float) -> float:
        return T0 + seconds * SITE_SECONDS_PER_VIDEO_SECOND

    async def wait_video(seconds: float) -> None:
        while clock.now() < at_video(seconds):
            await asyncio.sleep(0.02)

    def iso() -> str:
        from datetime import datetime, timezone

        return datetime.fromtimestamp(clock.now(), timezone.utc).isoformat()

    async def scenario() -> dict:  # type: ignore[type-arg]
        async with live_site(site, clock=clock) as live, charger16(live.url()) as cp:
            await cp.call(call16.BootNotification(charge_point_model="M", charge_point_vendor="V"))
            await wait_video(7)
            ev2 = await cp.call(call16.StartTransaction(connector_id=2, id_tag="TAG-KX", meter_start=0, timestamp=iso()))
            await cp.call(call16.MeterValues(connector_id=2, transaction_id=ev2.transaction_id, meter_value=[{
                "timestamp": iso(), "sampledValue": [{"value": "16", "measurand": "Current.Import", "unit": "A"}]}]))
            await until(lambda: any(name == "RemoteStartTransaction" for name, _ in cp.received), timeout=15)
            (_, remote), = [r for r in cp.received if r[0] == "RemoteStartTransaction"]
            ev1 = await cp.call(call16.StartTransaction(connector_id=remote["connector_id"], id_tag=remote["id_tag"],
                                                        meter_start=0, timestamp=iso()))
            await cp.call(call16.MeterValues(connector_id=1, transaction_id=ev1.transaction_id, meter_value=[{
                "timestamp": iso(), "sampledValue": [{"value": "11", "measurand": "Current.Import", "unit": "A"}]}]))
            await wait_video(12)
            suspended_at = clock.now()  # the test's loop may wake late when the reader is busy: the grace runs from here
            await cp.call(call16.StatusNotification(connector_id=2, error_code="NoError", status="SuspendedEV",
                                                    timestamp=iso()))
            await wait_video(20)
            await cp.call(call16.StopTransaction(meter_stop=8000, timestamp=iso(), transaction_id=ev1.transaction_id,
                                                 reason="Local"))
            await wait_video(50)
            await cp.call(call16.StopTransaction(meter_stop=20000, timestamp=iso(), transaction_id=ev2.transaction_id,
                                                 reason="EVDisconnected"))
            await until(lambda: live.runner.cameras["pole"].health().ended, timeout=30)
            await wait_video(61)
            live.runner._advance()
            return {"remote": remote, "log": live.log, "ev1": ev1.transaction_id, "ev2": ev2.transaction_id,
                    "suspended_at": suspended_at}

    result = run(scenario())
    log = result["log"]
    keys = log.keys
    assert result["remote"] == {"id_tag": "TAG-AB", "connector_id": 1}  # the plate started its own bay's charger

    with log.engine.connect() as conn:
        violations = conn.execute(select(schema.violations).order_by(schema.violations.c.opened_at)).mappings().all()
        actions = conn.execute(select(schema.actions).order_by(schema.actions.c.ts)).mappings().all()
        sessions = conn.execute(select(schema.sessions)).mappings().all()
        reads = conn.execute(select(schema.plate_reads)).mappings().all()
        kinds = [r.kind for r in conn.execute(select(schema.event_log.c.kind, schema.event_log.c.bay))]
    subject = {plate: keys.subject("garage", plate) for plate in ("AB12CDE", "KX19PLM", "GH68RTY", "CD34EFG")}

    assert [(v["bay"], v["rule"], v["subject"]) for v in violations] == [
        ("EV2", "overstay", subject["KX19PLM"]),
        ("EV1", "not_charging", subject["GH68RTY"]),
    ]
    overstay, iced = violations
    assert abs(overstay["since"] - (result["suspended_at"] + 15 * 60)) < 90  # SuspendedEV + 15 minutes' grace
    assert overstay["closed_at"] is not None and iced["closed_at"] is not None  # both drove out in the end
    assert [(a["action"], a["subject"]) for a in actions] == [("warning", subject["KX19PLM"]), ("warning", subject["GH68RTY"])]
    assert {s["bay"] for s in sessions} == {"EV1", "EV2"} and all(s["ended_at"] is not None for s in sessions)
    identified = {r["subject"] for r in reads if r["status"] == "accepted"}
    assert identified == {subject["AB12CDE"], subject["KX19PLM"], subject["GH68RTY"]}
    assert subject["CD34EFG"] not in {r["subject"] for r in reads}  # the neighbour's car never counted
    assert kinds.count("vehicle_arrived") == 3 and kinds.count("vehicle_left") == 3  # no phantom visits

    pack = tmp_path / "overstay.zip"
    signer = Signer.generate()
    export_pack(log, overstay["violation_id"], pack, T0 + 7200, signer)
    verify_pack(pack, signer.public)  # raises, naming the problem, if the pack does not check out on its own
    with zipfile.ZipFile(pack) as z:
        crops = [name for name in z.namelist() if name.startswith("crops/") and name.endswith(".png")]
    assert crops, "the overstay's evidence carries the plate crop it was decided on"
