"""What ``live run`` and ``csms serve`` share as services: --cert/--tls-key for wss://, --log-level, --log-format,
and /health on their port. Real processes, a real certificate, real HTTP."""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from ocpp.v16 import call as call16

from tests.core.csms.conftest import charger
from tests.core.csms.test_bad_input import _self_signed
from tests.live.conftest import write_site

BAYTWIN = str(Path(sys.executable).parent / "baytwin")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str, context: ssl.SSLContext | None = None) -> tuple[int, dict[str, Any]]:
    try:
        with urllib.request.urlopen(url, timeout=5, context=context) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as refused:
        return refused.code, json.loads(refused.read())


def _until_listening(process: subprocess.Popen[str], port: int, log: Path) -> None:
    deadline = time.time() + 120  # a loaded machine starts Python slowly
    while time.time() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        if process.poll() is not None:
            raise AssertionError(log.read_text())
        time.sleep(0.1)
    process.kill()
    raise AssertionError("never listened")


def _stop(process: subprocess.Popen[str], log: Path) -> str:
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=30)
    output = log.read_text()
    assert process.returncode == 0, output
    return output


def test_live_run_serves_wss_and_health_over_tls_and_logs_only_warnings_when_asked(tmp_path: Path) -> None:
    cert, key = _self_signed(tmp_path)
    port = _free_port()
    site = write_site(tmp_path / "site", extra=f"listen: {{port: {port}}}")
    log = tmp_path / "live.log"
    process = subprocess.Popen([BAYTWIN, "live", "run", "--site", str(site), "--cert", str(cert), "--tls-key", str(key),
                                "--log-level", "warning", "--log-format", "json"],
                               stdout=log.open("w"), stderr=subprocess.STDOUT, text=True)
    try:
        _until_listening(process, port, log)
        trusted = ssl.create_default_context(cafile=str(cert))

        async def session() -> None:
            async with charger(f"wss://127.0.0.1:{port}/CP1", ssl=trusted) as cp:
                await cp.call(call16.StartTransaction(connector_id=1, id_tag="TAG-X", meter_start=0,
                                                      timestamp="2024-05-29T08:00:00Z"))
                code, body = await asyncio.to_thread(_get, f"https://127.0.0.1:{port}/health", trusted)
                assert (code, body["status"], body["open_sessions"]) == (200, "ok", 1)

        asyncio.run(asyncio.wait_for(session(), 60))
    finally:
        output = _stop(process, log)
    assert "wss://" in output
    logged = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    assert logged == [] or all(entry["level"] in ("WARNING", "ERROR") for entry in logged), output
    assert "session_started" not in output  # an INFO line


def test_csms_serve_logs_no_migration_lines_by_default_and_json_lines_when_asked(tmp_path: Path) -> None:
    assert subprocess.run([BAYTWIN, "keys", "generate", "--out", str(tmp_path / "site.key")],
                          capture_output=True).returncode == 0
    outputs = []
    for options in ([], ["--log-format", "json"]):
        port = _free_port()
        log = tmp_path / "csms.log"
        process = subprocess.Popen([BAYTWIN, "csms", "serve", "--port", str(port), "--db",
                                    f"sqlite:///{tmp_path / 'store.db'}", "--key-file", str(tmp_path / "site.key"),
                                    *options], stdout=log.open("w"), stderr=subprocess.STDOUT, text=True)
        try:
            _until_listening(process, port, log)

            async def session() -> None:
                async with charger(f"ws://127.0.0.1:{port}/CP9") as cp:
                    await cp.call(call16.BootNotification(charge_point_model="M", charge_point_vendor="V"))
                    code, body = await asyncio.to_thread(_get, f"http://127.0.0.1:{port}/ready")
                    assert (code, body["status"], body["chargers"]["connected"]) == (200, "ok", ["CP9"])
                    assert body["store"]["failing"] is False

            asyncio.run(asyncio.wait_for(session(), 60))
        finally:
            outputs.append(_stop(process, log))
    plain, as_json = outputs
    assert "alembic" not in plain and "Context impl" not in plain, plain
    assert "CP9 connected" in plain
    entries = [json.loads(line) for line in as_json.splitlines() if line.startswith("{")]
    assert any(entry["message"].startswith("CP9 connected") for entry in entries), as_json


def test_a_certificate_without_its_key_is_one_line_for_both_services(tmp_path: Path) -> None:
    cert, _ = _self_signed(tmp_path)
    site = write_site(tmp_path / "site")
    for command in (["live", "run", "--site", str(site)], ["csms", "serve", "--no-store"]):
        result = subprocess.run([BAYTWIN, *command, "--cert", str(cert)], capture_output=True, text=True, timeout=120)
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert result.returncode == 2 and lines == ["error: --cert and --tls-key go together"], result.stderr
