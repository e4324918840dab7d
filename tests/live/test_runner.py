"""The live runner with real chargers over websockets and a real store: decisions, actions, restarts, reviews."""

from __future__ import annotations

from datetime import UTC
from pathlib import Path

import pytest
from ocpp.v16 import call as call16
from sqlalchemy import func, select

from baytwin.core.events import PlateRead, VehicleArrived, VehicleIdentified
from baytwin.core.store import schema
from baytwin.live.review import ReviewProblem, pending, resolve
from baytwin.live.status import read_status

from .conftest import T0, charger16, live_site, run, until, write_site


def _iso(ts: float) -> str:
    from datetime import datetime

    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _count(live, table, **where) -> int:  # type: ignore[no-untyped-def]
    query = select(func.count()).select_from(table)
    for column, value in where.items():
        query = query.where(table.c[column] == value)
    with live.log.engine.connect() as conn:
        return int(conn.execute(query).scalar() or 0)


async def _charge_then_idle(cp, minutes_charging: float = 30) -> int:  # type: ignore[no-untyped-def]
    await cp.call(call16.BootNotification(charge_point_model="M", charge_point_vendor="V"))
    start = await cp.call(call16.StartTransaction(connector_id=1, id_tag="TAG-X", meter_start=0, timestamp=_iso(T0)))
    await cp.call(call16.MeterValues(connector_id=1, transaction_id=start.transaction_id, meter_value=[{
        "timestamp": _iso(T0 + 600), "sampledValue": [
            {"value": "3.0", "measurand": "Energy.Active.Import.Register", "unit": "kWh"},
            {"value": "16.0", "measurand": "Current.Import", "unit": "A"}]}]))
    await cp.call(call16.StatusNotification(connector_id=1, error_code="NoError", status="SuspendedEV",
                                            timestamp=_iso(T0 + minutes_charging * 60)))
    return int(start.transaction_id)


def test_an_overstay_is_decided_stored_and_stops_the_charger(tmp_path: Path) -> None:
    site = write_site(tmp_path, csms="  remote_stop_on_overstay: true")

    async def scenario() -> None:
        async with live_site(site) as live, charger16(live.url()) as cp:
            tx = await _charge_then_idle(cp)
            live.clock.set(T0 + 30 * 60 + 14 * 60)  # 14 of the 15 minutes' grace
            await until(lambda: _count(live, schema.sessions) == 1)
            assert _count(live, schema.violations) == 0
            live.clock.set(T0 + 30 * 60 + 15 * 60 + 1)
            await until(lambda: ("RemoteStopTransaction", {"transaction_id": tx}) in cp.received)
            with live.log.engine.connect() as conn:
                violation = conn.execute(select(schema.violations)).mappings().one()
                action = conn.execute(select(schema.actions)).mappings().one()
            assert violation["rule"] == "overstay" and violation["bay"] == "B1"
            assert violation["since"] == T0 + 45 * 60  # charging ended at +30 min, 15 minutes' grace
            assert action["action"] == "warning"

    run(scenario())


def test_a_restart_resumes_from_the_store_without_repeating_anything(tmp_path: Path) -> None:
    site = write_site(tmp_path)

    async def first_run() -> int:
        async with live_site(site) as live, charger16(live.url()) as cp:
            tx = await _charge_then_idle(cp)
            live.clock.set(T0 + 50 * 60)
            await until(lambda: _count(live, schema.violations) == 1)
            return tx

    async def second_run(tx: int) -> None:
        async with live_site(site, start=T0 + 55 * 60) as live:
            assert live.runner.engine.visit("B1") is not None  # the car still plugged in is remembered
            assert [t.transaction_id for t in live.runner.central.open_transactions()] == [str(tx)]
            live.clock.set(T0 + 60 * 60)
            await until(lambda: read_status(live.log, "garage")["updated_at"] >= T0 + 60 * 60)
            assert _count(live, schema.violations) == 1  # not opened a second time
            assert _count(live, schema.actions) == 1
            async with charger16(live.url()) as cp:  # the charger comes back and finishes the session
                await cp.call(call16.StopTransaction(meter_stop=9000, timestamp=_iso(T0 + 61 * 60),
                                                     transaction_id=tx, reason="EVDisconnected"))
            await until(lambda: _count(live, schema.violations, closed_at=T0 + 61 * 60) == 1)
            assert _count(live, schema.sessions) == 1

    tx = run(first_run())
    run(second_run(tx))


def test_a_decision_the_killed_process_did_not_write_is_written_once_on_restart(tmp_path: Path) -> None:
    site = write_site(tmp_path)

    async def killed() -> None:
        async with live_site(site) as live, charger16(live.url()) as cp:
            await _charge_then_idle(cp)
            live.runner.engine.advance = lambda now: []  # type: ignore[method-assign]  # dies before the timer fires

    async def restarted() -> None:
        async with live_site(site, start=T0 + 50 * 60) as live:
            await until(lambda: _count(live, schema.violations) == 1)
            assert _count(live, schema.actions) == 1
        async with live_site(site, start=T0 + 51 * 60) as live:
            await until(lambda: read_status(live.log, "garage")["updated_at"] >= T0 + 51 * 60)
            assert _count(live, schema.violations) == 1 and _count(live, schema.actions) == 1

    run(killed())
    run(restarted())


def test_an_accepted_plate_of_a_registered_vehicle_starts_its_bays_charger(tmp_path: Path) -> None:
    site = write_site(tmp_path)

    async def scenario() -> None:
        async with live_site(site) as live, charger16(live.url()) as cp:
            await cp.call(call16.BootNotification(charge_point_model="M", charge_point_vendor="V"))
            live.runner.ingest([VehicleArrived(T0, "garage", "B2"),
                                VehicleIdentified(T0 + 2, "garage", "B2", "AB12CDE", 0.97)])
            await until(lambda: bool(cp.received))
            assert cp.received == [("RemoteStartTransaction", {"id_tag": "TAG-AB", "connector_id": 2})]

    run(scenario())


def test_a_restricted_vehicle_in_a_bay_makes_its_charger_unavailable_until_it_leaves(tmp_path: Path) -> None:
    site = write_site(tmp_path, csms="  unavailable_for_denied: true")

    async def scenario() -> None:
        async with live_site(site) as live, charger16(live.url()) as cp:
            await cp.call(call16.BootNotification(charge_point_model="M", charge_point_vendor="V"))
            from baytwin.core.events import VehicleLeft

            for visit, start in enumerate((T0, T0 + 3600)):  # two ICE visits: warning, then restriction
                live.runner.ingest([VehicleArrived(start, "garage", "B1"),
                                    VehicleIdentified(start + 1, "garage", "B1", "ZZ99ZZZ", 0.97)])
                live.clock.set(start + 11 * 60)
                await until(lambda n=visit: _count(live, schema.actions) == n + 1)
                if visit == 0:
                    live.runner.ingest([VehicleLeft(start + 20 * 60, "garage", "B1")])
            await until(lambda: ("ChangeAvailability", {"connector_id": 1, "type": "Inoperative"}) in cp.received)
            live.runner.ingest([VehicleLeft(T0 + 3600 + 30 * 60, "garage", "B1")])
            await until(lambda: ("ChangeAvailability", {"connector_id": 1, "type": "Operative"}) in cp.received)

    run(scenario())


def test_a_marginal_read_waits_for_review_and_the_decision_identifies_the_vehicle(tmp_path: Path) -> None:
    site = write_site(tmp_path)
    crop = b"\x89PNG fake crop bytes"

    async def scenario() -> None:
        async with live_site(site) as live:
            read = PlateRead(T0 + 1, "garage", "B2", "AB12CDF", 0.71, "review")
            live.runner.ingest([VehicleArrived(T0, "garage", "B2"), read], {id(read): crop})
            (waiting,) = pending(live.log, "garage")
            assert waiting.plate == "AB12CDF" and waiting.crop_png == crop and waiting.bay == "B2"
            assert live.runner.engine.visit("B2").plate is None  # not acted on
            with pytest.raises(ReviewProblem, match="reviewer"):
                resolve(live.log, "garage", waiting.seq, "corrected", "AB12CDE", " ", T0 + 60)
            resolve(live.log, "garage", waiting.seq, "corrected", "ab12 cde", "operator-1", T0 + 60)
            assert pending(live.log, "garage") == []
            with pytest.raises(ReviewProblem, match="no pending review"):
                resolve(live.log, "garage", waiting.seq, "confirmed", None, "operator-2", T0 + 61)
            await until(lambda: live.runner.engine.visit("B2").plate == "AB12CDE")
            assert live.runner.engine.visit("B2").plate == "AB12CDE"

    run(scenario())


def test_status_names_bays_chargers_and_counts_but_no_plates(tmp_path: Path) -> None:
    site = write_site(tmp_path)

    async def scenario() -> None:
        async with live_site(site) as live, charger16(live.url()) as cp:
            await cp.call(call16.BootNotification(charge_point_model="M", charge_point_vendor="V"))
            live.runner.ingest([VehicleArrived(T0, "garage", "B1"), VehicleIdentified(T0 + 1, "garage", "B1", "QQ11QQQ", 0.95)])
            await until(lambda: (read_status(live.log, "garage") or {}).get("chargers") == ["CP1"])
            status = read_status(live.log, "garage")
            assert status["running"] is True and set(status["bays"]) == {"B1", "B2"}
            assert "QQ11QQQ" not in str(status)
        assert read_status(live.log, "garage")["running"] is False

    run(scenario())



def test_a_running_site_erases_personal_data_whose_retention_has_ended(tmp_path: Path) -> None:
    site = write_site(tmp_path)

    async def scenario() -> None:
        async with live_site(site) as live:
            old = T0 - 500 * 86400.0  # past every retention period, the violation's (400 days) included
            live.runner.ingest([VehicleArrived(old, "garage", "B1"), PlateRead(old + 1, "garage", "B1", "OLD1PLT", 0.97, "accepted")])
        async with live_site(site) as live:  # the purge runs when the site starts, then every six hours
            await until(lambda: _count(live, schema.event_log, kind="retention_purged") >= 1)
            with live.log.engine.connect() as conn:
                subjects = conn.execute(select(schema.plate_reads.c.subject)).scalars().all()
                sealed = conn.execute(select(schema.event_log.c.personal).where(
                    schema.event_log.c.kind == "plate_read")).scalars().all()
            # the plate is gone (a read that decided nothing loses its row, one kept as evidence its plate);
            # the chain still verifies
            assert subjects in ([], [None]) and sealed == [None]

    run(scenario())


def test_a_live_site_anchors_its_log_in_signed_checkpoints_and_needs_its_signing_key_for_that(tmp_path: Path) -> None:
    from baytwin.core.store.checkpoint import load
    from baytwin.core.store.signing import Signer, SigningProblem, signing_paths
    from baytwin.live.runner import LiveRunner
    from baytwin.live.site import load_site

    from .conftest import open_log

    site_file = write_site(tmp_path)
    site_file.write_text(site_file.read_text().replace("key_file: site.key}", "key_file: site.key, checkpoints: anchors}"))
    with pytest.raises(SigningProblem):  # asked for checkpoints, no signing key: found before anything starts
        LiveRunner(load_site(site_file), open_log(load_site(site_file)))
    signer = Signer.generate()
    signer.save(*signing_paths(tmp_path / "site.key"))

    async def scenario() -> None:
        async with live_site(site_file) as live:
            live.runner.ingest([VehicleArrived(T0, "garage", "B1")])
            await until(lambda: any((tmp_path / "anchors").glob("*.json")))

    run(scenario())
    checkpoints, problems = load(tmp_path / "anchors", signer.public)
    assert checkpoints and not problems and checkpoints[0].site == "garage"


def test_a_marginal_read_leaves_the_queue_when_its_car_is_identified_or_gone(tmp_path: Path) -> None:
    from baytwin.core.events import VehicleLeft

    site = write_site(tmp_path)

    async def scenario() -> None:
        async with live_site(site) as live:
            live.runner.ingest([VehicleArrived(T0, "garage", "B1"), PlateRead(T0 + 1, "garage", "B1", "AB12CDF", 0.7, "review"),
                                VehicleArrived(T0, "garage", "B2"), PlateRead(T0 + 1, "garage", "B2", "ZZ12ZZF", 0.6, "review")])
            assert {r.bay for r in pending(live.log, "garage")} == {"B1", "B2"}
            live.runner.ingest([VehicleIdentified(T0 + 5, "garage", "B1", "AB12CDE", 0.97)])  # a clear read after all
            live.runner.ingest([VehicleLeft(T0 + 60, "garage", "B2")])  # gone before anyone decided
            assert pending(live.log, "garage") == []
            (later,) = [PlateRead(T0 + 90, "garage", "B2", "QQ12QQF", 0.6, "review")]
            live.runner.ingest([VehicleArrived(T0 + 89, "garage", "B2"), later])
            assert [r.plate for r in pending(live.log, "garage")] == ["QQ12QQF"]  # the next car's read waits

    run(scenario())
