"""Bay sensors over the HTTP webhook, over real HTTP: readings drive occupancy; wrong tokens, unknown ids and
malformed payloads are refused with one log line; a sensor that falls silent makes its bay unknown."""

from __future__ import annotations

import asyncio
import logging
import socket
from pathlib import Path

import pytest

from .conftest import T0, live_site, post_webhook, run, until, write_site

TOKEN = "s3cret-token-for-the-tests"


def _site(tmp_path: Path, silent: str = "") -> Path:
    return write_site(tmp_path, extra=f"""
sensors:
  webhook: {{port: 0, path: /sensors, token: "{TOKEN}"}}
  {silent}
  bays:
    B1: {{webhook_id: sensor-17}}
    B2: {{webhook_id: sensor-18, payload: {{field: state, occupied: parked, free: empty}}}}
""")


def _post(port: int, sensor: str, body: bytes, token: str | None = TOKEN, method: str = "POST") -> tuple[int, str]:
    return post_webhook(port, f"sensors/{sensor}", body if method == "POST" else None, token, method)


def test_readings_over_the_webhook_start_and_end_a_visit_once_stored(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with live_site(_site(tmp_path)) as live:
            port = live.runner.sensors.webhook.port
            assert await asyncio.to_thread(_post, port, "sensor-17", b"1") == (204, "")
            assert live.runner.engine.visit("B1") is not None  # decided and stored before the answer
            assert await asyncio.to_thread(_post, port, "sensor-18", b'{"state": "PARKED"}') == (204, "")
            assert live.runner.engine.visit("B2") is not None
            live.clock.advance(60)
            assert (await asyncio.to_thread(_post, port, "sensor-17", b"0"))[0] == 204
            assert live.runner.engine.visit("B1") is None and live.runner.engine.visit("B2") is not None

    run(scenario())


def test_wrong_tokens_unknown_ids_and_malformed_payloads_are_refused_with_one_log_line_each(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    async def scenario() -> None:
        async with live_site(_site(tmp_path)) as live:
            port = live.runner.sensors.webhook.port
            with caplog.at_level(logging.WARNING, logger="baytwin.live.sensors"):
                answers = [
                    await asyncio.to_thread(_post, port, "sensor-17", b"1", token=None),
                    await asyncio.to_thread(_post, port, "sensor-17", b"1", token=TOKEN[:-1] + "X"),
                    await asyncio.to_thread(_post, port, "sensor-99", b"1"),
                    await asyncio.to_thread(_post, port, "sensor-17", b"perhaps"),
                    await asyncio.to_thread(_post, port, "sensor-18", b'{"state": 3.5}'),
                    await asyncio.to_thread(_post, port, "sensor-17", b"", method="GET"),
                    await asyncio.to_thread(_post, port, "sensor-17", b"1" * 5000),
                ]
            assert [code for code, _ in answers] == [401, 401, 404, 400, 400, 405, 413]
            assert "unknown sensor id 'sensor-99'" in answers[2][1]
            lines = [r.getMessage() for r in caplog.records
                     if r.name == "baytwin.live.sensors" and r.levelno >= logging.WARNING]
            assert len(lines) == len(answers) and all(line.startswith("sensor webhook: 4") for line in lines)
            assert not any(TOKEN in line for line in lines)
            assert live.runner.engine.visit("B1") is None and live.runner.engine.visit("B2") is None

            # garbage on the socket: an answer, and the webhook still serves the next sensor
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"NONSENSE\r\n\r\n")
            assert (await reader.read()).startswith(b"HTTP/1.1 400 ")
            writer.close()
            assert (await asyncio.to_thread(_post, port, "sensor-17", b"1"))[0] == 204

    run(scenario())


def test_a_silent_sensor_makes_its_bay_unknown_until_it_reports_again(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with live_site(_site(tmp_path, silent="silent_after_s: 600")) as live:
            port = live.runner.sensors.webhook.port
            await asyncio.to_thread(_post, port, "sensor-17", b"1")
            live.clock.set(T0 + 300)
            await asyncio.to_thread(_post, port, "sensor-18", b'{"state": "empty"}')  # B2's sensor keeps talking
            live.clock.set(T0 + 601)
            await until(lambda: live.runner.occupancy.state("B1").unknown is not None)
            assert "silent for 600 s" in (live.runner.occupancy.state("B1").unknown or "")
            assert live.runner.engine.visit("B1") is None  # the visit ended where the sensor fell silent
            assert live.runner.occupancy.state("B2").unknown is None
            assert live.runner.status()["bays"]["B1"]["unknown"]

            await asyncio.to_thread(_post, port, "sensor-17", b"1")
            assert live.runner.occupancy.state("B1").unknown is None and live.runner.engine.visit("B1") is not None

    run(scenario())


def test_a_request_that_is_never_finished_does_not_hold_the_webhook(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with live_site(_site(tmp_path)) as live:
            port = live.runner.sensors.webhook.port
            stalled = socket.create_connection(("127.0.0.1", port))
            stalled.sendall(b"POST /sensors/sensor-17 HTTP/1.1\r\n")  # and nothing more
            try:
                assert (await asyncio.to_thread(_post, port, "sensor-17", b"1"))[0] == 204
            finally:
                stalled.close()

    run(scenario())
