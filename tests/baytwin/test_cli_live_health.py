"""``baytwin live status`` exits 0 when the site is ok, 1 when down, 3 when degraded, with or without ``--json``."""

from __future__ import annotations

import json
from pathlib import Path

from ocpp.v16 import call as call16
from typer.testing import CliRunner

from baytwin.cli import app
from baytwin.core.clock import WallClock
from tests.live.conftest import charger16, live_site, run, until, write_site

runner = CliRunner()


def _status(site: Path, *extra: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["live", "status", "--site", str(site), *extra])


def test_status_exits_3_while_a_listed_charger_is_not_connected_and_0_once_it_is(tmp_path: Path) -> None:
    site = write_site(tmp_path)

    async def scenario() -> None:
        async with live_site(site, clock=WallClock()) as live:
            await until(lambda: live.runner.status_writes.ok_at is not None)
            degraded = _status(site, "--json")
            text = _status(site)
            async with charger16(live.url()) as cp:
                await cp.call(call16.BootNotification(charge_point_model="M", charge_point_vendor="V"))
                written = live.runner.status_writes.ok_at
                await until(lambda: live.runner.status_writes.ok_at != written)  # a status written since it connected
                ok = _status(site, "--json")
        assert degraded.exit_code == 3, degraded.output
        assert json.loads(degraded.output)["health"] == {"status": "degraded", "problems": ["charger CP1: not connected"]}
        assert text.exit_code == 3 and "degraded: charger CP1: not connected" in text.output
        assert ok.exit_code == 0, ok.output
        assert json.loads(ok.output)["health"] == {"status": "ok", "problems": []}

    run(scenario())


def test_status_exits_1_once_the_site_has_stopped(tmp_path: Path) -> None:
    site = write_site(tmp_path)

    async def scenario() -> None:
        async with live_site(site, clock=WallClock()) as live:
            await until(lambda: live.runner.status_writes.ok_at is not None)

    run(scenario())
    result = _status(site, "--json")
    assert result.exit_code == 1 and json.loads(result.output)["health"]["status"] == "down"
