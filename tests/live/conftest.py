"""A live site on disk (site file, policy, vehicles, store, key), and real OCPP charge points for it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ocpp.routing import on
from ocpp.v16 import ChargePoint as Client16
from ocpp.v16 import call_result as result16

from baytwin.core.clock import ManualClock
from baytwin.core.privacy import Keys, generate_key
from baytwin.core.store.database import connect
from baytwin.core.store.log import EventLog
from baytwin.live.runner import LiveRunner
from baytwin.live.site import Site, load_site
from tests.core.csms.conftest import charger

T0 = 1_717_000_000.0  # 2024-05-29 16:26:40 UTC

POLICY = """
name: live-test
version: "1"
rules:
  not_charging: {enabled: true, arrival_allowance_min: 10}
  overstay: {enabled: true, grace_min: 15, suspended_ev_counts_as_ended: true}
  max_stay: {enabled: false}
idle_fee: {enabled: false}
escalation:
  window_days: 90
  ladder:
    - {count: 1, action: warning}
    - {count: 2, action: restrict, days: 14}
default_group: visitor
"""


def write_site(folder: Path, cameras: str = "", csms: str = "", extra: str = "",
               stations: str = "CP1: {evses: {1: B1, 2: B2}}", leave_after_s: float = 5,
               format_reader: bool = True) -> Path:
    """A site file; unless ``extra`` has an ``ocr`` section, it reads with the format reader (the footage here is
    the twin's, of the declared formats), or with ``format_reader=False`` with the bundled default."""
    from baytwin.core.ocr.recognizer import FORMAT_MODEL

    if format_reader and "ocr:" not in extra:
        extra = f'ocr: {{model: "{FORMAT_MODEL}"}}\n' + extra
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "policy.yaml").write_text(POLICY)
    (folder / "vehicles.csv").write_text("plate,group,id_tokens\nAB12CDE,staff,TAG-AB\n")
    (folder / "site.key").write_text(generate_key() + "\n")
    site = folder / "site.yaml"
    site.write_text(f"""
site: {{id: garage, timezone: Europe/London}}
policy: policy.yaml
vehicles: vehicles.csv
store: {{url: "sqlite:///{folder / 'store.db'}", key_file: site.key}}
occupancy: {{arrive_samples: 2, leave_after_s: {leave_after_s}}}
{cameras}
csms:
  accept_unknown_tokens: true
  stations:
    {stations}
{csms}
{extra}
""")
    return site


def open_log(site: Site) -> EventLog:
    keys = Keys.from_file(site.resolve(site.spec.store.key_file or "site.key"))
    return EventLog(connect(site.store_url()), keys, site.policy)


@dataclass
class Live:
    runner: LiveRunner
    clock: Any  # ManualClock unless the test brings its own
    log: EventLog

    def url(self, station: str = "CP1") -> str:
        return f"ws://127.0.0.1:{self.runner.port}/{station}"


@contextlib.asynccontextmanager
async def live_site(path: Path, start: float = T0, clock: Any = None) -> AsyncIterator[Live]:
    site = load_site(path)
    clock = clock or ManualClock(start)
    log = open_log(site)
    runner = LiveRunner(site, log, clock, poll_s=0.02, status_every_s=0.1)
    await runner.start("127.0.0.1", 0)
    try:
        yield Live(runner, clock, log)
    finally:
        await runner.stop()


class Charger16(Client16):
    """A 1.6 charge point that accepts the central system's commands and remembers them."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.received: list[tuple[str, dict[str, Any]]] = []

    @on("RemoteStartTransaction")
    def remote_start(self, id_tag: str, **rest: Any):  # type: ignore[no-untyped-def]
        self.received.append(("RemoteStartTransaction", {"id_tag": id_tag, **rest}))
        return result16.RemoteStartTransaction(status="Accepted")

    @on("RemoteStopTransaction")
    def remote_stop(self, transaction_id: int, **rest: Any):  # type: ignore[no-untyped-def]
        self.received.append(("RemoteStopTransaction", {"transaction_id": transaction_id}))
        return result16.RemoteStopTransaction(status="Accepted")

    @on("ChangeAvailability")
    def change_availability(self, connector_id: int, type: str, **rest: Any):  # type: ignore[no-untyped-def]
        self.received.append(("ChangeAvailability", {"connector_id": connector_id, "type": type}))
        return result16.ChangeAvailability(status="Accepted")


def charger16(url: str):  # type: ignore[no-untyped-def]
    """A connected 1.6 charge point that accepts and remembers the central system's commands."""
    return charger(url, "1.6", cls=Charger16)


async def until(condition, timeout: float = 5.0) -> None:  # type: ignore[no-untyped-def]
    """Wait (really) for something the runner's tasks do."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("timed out waiting for the live site")
        await asyncio.sleep(0.02)


def run(coro: Any) -> Any:
    return asyncio.run(asyncio.wait_for(coro, 60))


def post_webhook(port: int, path: str, body: bytes | None, token: str | None, method: str = "POST") -> tuple[int, str]:
    """Send one request to the site's webhook server as a sensor or gate controller would; (status, answer)."""
    import urllib.error
    import urllib.request

    request = urllib.request.Request(f"http://127.0.0.1:{port}/{path}", data=body, method=method)
    if token is not None:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as refused:
        return refused.code, refused.read().decode()
