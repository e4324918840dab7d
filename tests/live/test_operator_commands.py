"""A live site carries out an operator's command asked through the store, and records who asked and what the charger said."""

from __future__ import annotations

import asyncio
from pathlib import Path

from ocpp.v16 import call as call16

from baytwin.core.csms.operator_commands import answer_to, build, request
from baytwin.core.store.audit import audit

from .conftest import T0, charger16, live_site, run, until, write_site


def test_live_run_sends_an_operators_command_and_records_the_chargers_answer(tmp_path: Path) -> None:
    site = write_site(tmp_path)

    async def scenario() -> None:
        async with live_site(site) as live, charger16(live.url()) as cp:
            await cp.call(call16.BootNotification(charge_point_model="M", charge_point_vendor="V"))
            asked = build("garage", "CP1", "availability", "alice", T0, 30.0, evse=2, operative=False)
            seq = await asyncio.to_thread(request, live.log, asked)
            await until(lambda: answer_to(live.log, "garage", seq) is not None, timeout=20)
            answer = answer_to(live.log, "garage", seq)
            assert answer is not None and (answer.status, answer.action, answer.station) == ("Accepted", "availability", "CP1")
            assert cp.received == [("ChangeAvailability", {"connector_id": 2, "type": "Inoperative"})]
            gone = build("garage", "CP9", "reset", "bob", T0, 30.0)
            seq = await asyncio.to_thread(request, live.log, gone)
            await until(lambda: answer_to(live.log, "garage", seq) is not None, timeout=20)
            assert answer_to(live.log, "garage", seq).status == "not connected"  # type: ignore[union-attr]
            late = build("garage", "CP1", "reset", "carol", T0 - 60, 30.0)  # its asker gave up long ago
            seq = await asyncio.to_thread(request, live.log, late)
            await until(lambda: answer_to(live.log, "garage", seq) is not None, timeout=20)
            assert answer_to(live.log, "garage", seq).status == "expired"  # type: ignore[union-attr]
            assert len(cp.received) == 1
        report = audit(live.log.engine)
        assert report.intact, report.problems()

    run(scenario())
