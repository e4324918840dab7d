"""Bay sensors over MQTT against a real broker: readings drive occupancy and the rules; a broker that dies
makes its bays unknown, and the site reconnects when it is back."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest
from ocpp.v16 import call as call16
from sqlalchemy import select

from baytwin.core.store import schema

from .broker import Broker, broker  # noqa: F401 - the fixture
from .conftest import T0, charger16, live_site, run, until, write_site

TOPIC = "site/garage/B1/occupied"


def _site(tmp_path: Path, broker: Broker, bays: str = f"B1: {{mqtt_topic: {TOPIC}, payload: {{occupied: '1', free: '0'}}}}") -> Path:  # noqa: F811
    return write_site(tmp_path, extra=f"""
sensors:
  mqtt: {{url: "{broker.url}", reconnect_max_s: 1, unknown_after_s: 5}}
  bays:
    {bays}
""")


def _kinds(live, bay: str = "B1") -> list[str]:  # type: ignore[no-untyped-def]
    with live.log.engine.connect() as conn:
        return list(conn.execute(select(schema.event_log.c.kind).where(schema.event_log.c.bay == bay)
                                 .order_by(schema.event_log.c.seq)).scalars())


def _violation(live):  # type: ignore[no-untyped-def]
    with live.log.engine.connect() as conn:
        return conn.execute(select(schema.violations)).mappings().one_or_none()


async def _connected(live) -> None:  # type: ignore[no-untyped-def]
    await until(lambda: live.runner.sensors.mqtt_state == "connected", timeout=10)


def test_an_occupied_message_starts_a_visit_the_rules_judge_and_a_free_message_ends_it(tmp_path: Path, broker: Broker) -> None:  # noqa: F811
    site = _site(tmp_path, broker)

    async def scenario() -> None:
        async with live_site(site) as live, charger16(live.url()) as cp:
            await cp.call(call16.BootNotification(charge_point_model="M", charge_point_vendor="V"))
            await _connected(live)
            await asyncio.to_thread(broker.publish, TOPIC, "1")
            await until(lambda: live.runner.engine.visit("B1") is not None)
            assert live.runner.occupancy.state("B1").source == "sensor"

            live.clock.set(T0 + 9 * 60)  # inside the 10 minutes' arrival allowance: nothing yet
            await asyncio.sleep(0.2)
            with live.log.engine.connect() as conn:
                assert conn.execute(select(schema.violations)).first() is None
            live.clock.set(T0 + 10 * 60 + 1)
            await until(lambda: "violation_opened" in _kinds(live))
            await until(lambda: _violation(live) is not None)
            violation = _violation(live)
            assert (violation["rule"], violation["bay"], violation["closed_at"]) == ("not_charging", "B1", None)

            live.clock.set(T0 + 20 * 60)
            await asyncio.to_thread(broker.publish, TOPIC, "0")
            await until(lambda: "vehicle_left" in _kinds(live))  # decided at once, stored by the writer thread
            assert live.runner.engine.visit("B1") is None
            await until(lambda: _violation(live)["closed_at"] is not None)
            assert _violation(live)["closed_at"] == T0 + 20 * 60
            kinds = _kinds(live)
            assert kinds.index("vehicle_arrived") < kinds.index("violation_opened") < kinds.index("vehicle_left")

    run(scenario())


def test_a_malformed_payload_or_an_unknown_topic_is_one_log_line_and_changes_nothing(
        tmp_path: Path, broker: Broker, caplog: pytest.LogCaptureFixture) -> None:  # noqa: F811
    site = _site(tmp_path, broker)

    async def scenario() -> None:
        async with live_site(site) as live:
            await _connected(live)
            with caplog.at_level(logging.WARNING, logger="baytwin.live.sensors"):
                for payload in (b"maybe", b"\xff\xfe", b"1" * 5000):
                    await asyncio.to_thread(broker.publish, TOPIC, payload)
                await until(lambda: live.runner.sensors.counts["rejected"] == 3)
            lines = [r.getMessage() for r in caplog.records
                     if r.name == "baytwin.live.sensors" and r.levelno >= logging.WARNING]
            assert len(lines) == 3 and all(line.startswith("bay B1: sensor message ignored") for line in lines)
            assert "'maybe' is neither occupied" in lines[0] and "not UTF-8" in lines[1] and "5000 bytes" in lines[2]
            assert not live.runner.occupancy.state("B1").occupied and "vehicle_arrived" not in _kinds(live)

            await asyncio.to_thread(broker.publish, TOPIC, "1")  # the sensor's next good message still counts
            await until(lambda: live.runner.engine.visit("B1") is not None)

    run(scenario())


def test_json_payloads_are_read_from_the_configured_field(tmp_path: Path, broker: Broker) -> None:  # noqa: F811
    site = _site(tmp_path, broker, bays="B2: {mqtt_topic: lora/up/17, payload: {field: decoded.parked}}")

    async def scenario() -> None:
        async with live_site(site) as live:
            await _connected(live)
            await asyncio.to_thread(broker.publish, "lora/up/17", '{"decoded": {"parked": true, "battery": 3.1}}')
            await until(lambda: live.runner.engine.visit("B2") is not None)
            await asyncio.to_thread(broker.publish, "lora/up/17", '{"decoded": {"parked": false}}')
            await until(lambda: live.runner.engine.visit("B2") is None)

    run(scenario())


def test_a_broker_that_dies_makes_its_bays_unknown_and_the_site_reconnects_when_it_is_back(
        tmp_path: Path, broker: Broker) -> None:  # noqa: F811
    site = _site(tmp_path, broker)

    async def scenario() -> None:
        async with live_site(site) as live:
            await _connected(live)
            await asyncio.to_thread(broker.publish, TOPIC, "1")
            await until(lambda: live.runner.engine.visit("B1") is not None)

            broker.kill()
            await until(lambda: live.runner.sensors.mqtt_state != "connected")
            assert live.runner.occupancy.state("B1").unknown is None  # a blip is not an outage yet
            live.clock.advance(5)
            await until(lambda: live.runner.occupancy.state("B1").unknown is not None)
            assert "broker is unreachable" in (live.runner.occupancy.state("B1").unknown or "")
            await until(lambda: live.runner.engine.visit("B1") is None)  # nobody is charged for what nobody saw
            await until(lambda: _kinds(live)[-2:] == ["vehicle_arrived", "bay_unobserved"])  # once the writer stored it
            assert live.runner.status()["sensors"]["unknown"] == ["B1"]

            broker.start()
            await until(lambda: live.runner.sensors.mqtt_state == "connected", timeout=15)
            await asyncio.to_thread(broker.publish, TOPIC, "1")  # the car still there is a new visit
            await until(lambda: live.runner.engine.visit("B1") is not None)
            assert live.runner.occupancy.state("B1").unknown is None
            assert live.runner.status()["sensors"]["unknown"] == []

    run(scenario())
