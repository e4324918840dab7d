"""``sim run --ocpp``: a URL no charger could use, or a central system that refuses the charger, is one line."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from baytwin.core.clock import ManualClock
from baytwin.core.csms.central import CentralSystem
from baytwin.core.csms.config import CsmsConfig
from baytwin.core.csms.server import CsmsServer
from baytwin.sim.ocpp_link import CentralSystemUrlError, WebSocketLink, check_central_system_url

SCENARIO = """
name: tiny
days: 1
site: {id: tiny, ev_bays: 2, chargers: {protocol: ocpp1.6}}
population:
  staff:
    arrivals_per_day: {weekday: 4, weekend: 1}
    stay_h: {dist: uniform, min: 1, max: 3}
"""


@pytest.fixture
def central_system() -> Iterator[int]:
    """A real central system on a loopback port that knows one charger, CP1, and refuses every other."""
    loop = asyncio.new_event_loop()
    config = CsmsConfig(site_id="site", stations={"CP1": {"evses": {1: "B1"}}})
    server = CsmsServer(CentralSystem(config, lambda events: None), ManualClock(1_717_000_000.0))
    port = loop.run_until_complete(server.start("127.0.0.1", 0))
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        yield port
    finally:
        asyncio.run_coroutine_threadsafe(server.stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


@pytest.mark.parametrize(("url", "problem"), [
    ("http://127.0.0.1:9000", "ws:// or wss://, not 'http://'"),
    ("127.0.0.1:9000", "ws:// or wss://"),
    ("ws://[::1", "not a URL"),
    ("ws://host:70000", "not a URL"),
    ("ws:///CP", "no host"),
    ("ws://host/?token=x", "no query or fragment"),
])
def test_a_url_no_charger_could_use_is_refused_before_anything_connects(url: str, problem: str) -> None:
    with pytest.raises(CentralSystemUrlError, match=problem.replace("?", r"\?")):
        check_central_system_url(url)
    with pytest.raises(CentralSystemUrlError):
        WebSocketLink(url)


def test_a_good_url_loses_its_trailing_slash() -> None:
    assert check_central_system_url("wss://csms.example:9443/ocpp/") == "wss://csms.example:9443/ocpp"


def test_a_charger_the_central_system_does_not_know_is_a_connection_error(central_system: int) -> None:
    link = WebSocketLink(f"ws://127.0.0.1:{central_system}", timeout_s=5)
    with pytest.raises(ConnectionError, match=r"refused charger CP9 \(HTTP 404: it does not know this charger\)"):
        link.connect("CP9", "ocpp1.6")
    link.connect("CP1", "ocpp1.6")  # the one it knows is served
    assert link.call("CP1", "Heartbeat", {})["currentTime"]
    link.close()


def test_sim_run_against_a_refusing_central_system_is_one_line(central_system: int, tmp_path: Path) -> None:
    scenario = tmp_path / "tiny.yaml"
    scenario.write_text(SCENARIO)
    result = subprocess.run([sys.executable, "-m", "baytwin", "sim", "run", str(scenario), "--out",
                             str(tmp_path / "out"), "--ocpp", f"ws://127.0.0.1:{central_system}"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "refused charger tiny-CP001 (HTTP 404" in result.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("url", ["http://127.0.0.1:9", "ws://127.0.0.1:9/?a=b"])
def test_sim_run_with_a_wrong_scheme_is_one_line_before_the_run(url: str, tmp_path: Path) -> None:
    scenario = tmp_path / "tiny.yaml"
    scenario.write_text(SCENARIO)
    result = subprocess.run([sys.executable, "-m", "baytwin", "sim", "run", str(scenario), "--out",
                             str(tmp_path / "out"), "--ocpp", url], capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().startswith("error: --ocpp") and len(result.stderr.strip().splitlines()) == 1
