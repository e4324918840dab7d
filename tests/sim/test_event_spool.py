"""The run's event spool: what goes in comes back, in order, across chunks and reads."""

from __future__ import annotations

import pandas as pd
import pyarrow.parquet as pq

from baytwin.core.events import (
    ActionTaken,
    PlateRead,
    SessionActive,
    SessionStarted,
    VehicleArrived,
    VehicleIdentified,
    ViolationOpened,
)
from baytwin.sim.event_spool import TABLE_SCHEMA, EventSpool


def _inputs(n: int) -> list:
    events = []
    for i in range(n):
        ts = 1_700_000_000.123456789 + i * 61.7
        bay = f"EV{i % 7:03d}"
        events.append([
            VehicleArrived(ts, "s", bay),
            PlateRead(ts, "s", bay, None if i % 5 == 0 else f"AB{i:04d}", 0.5 + (i % 50) / 100, "review"),
            VehicleIdentified(ts, "s", bay, f"AB{i:04d}", 0.97),
            SessionStarted(ts + 1, "s", bay, f"{bay}-{i}", 0.0, 0.0, None if i % 2 else f"tok{i}"),
            SessionActive(ts + 2, "s", bay, f"{bay}-{i}", 1.25 * i, 31.9),
        ][i % 5])
    return events


def test_events_come_back_exactly_across_chunks_and_reads() -> None:
    spool = EventSpool(chunk_rows=7)
    events = _inputs(40)
    for event in events[:25]:
        spool.append(event)
    assert list(spool.events()) == events[:25]  # reading seals what was written ...
    for event in events[25:]:
        spool.append(event)  # ... and writing goes on in a new part
    assert list(spool.events()) == events
    assert len(spool) == 40
    spool.close()


def test_the_events_table_has_utc_times_and_one_schema(tmp_path) -> None:
    spool = EventSpool(chunk_rows=4)
    opened = ViolationOpened(1_700_000_500.5, "s", "EV001", "v1", "overstay", "AB0001", 0.98, None,
                             1_700_000_400.25, (VehicleArrived(1_700_000_000.0, "s", "EV001"),))
    action = ActionTaken(1_700_000_501.0, "s", "EV001", "v1", "ticket", "AB0001", None, 60.0, None)
    for event in [*_inputs(9), opened, action]:
        spool.append(event)
    target = tmp_path / "events.parquet"
    spool.write_table(target)
    assert pq.read_schema(target).equals(TABLE_SCHEMA, check_metadata=False)
    frame = pd.read_parquet(target)
    assert len(frame) == 11
    assert frame["ts"].iloc[0] == pd.to_datetime(1_700_000_000.123456789, unit="s", utc=True)
    last_two = frame.iloc[-2:]
    assert list(last_two["kind"]) == ["violation_opened", "action_taken"]
    assert last_two["since"].iloc[0] == pd.Timestamp(1_700_000_400.25, unit="s", tz="UTC")
    assert last_two["evidence"].iloc[0] == '[["vehicle_arrived", 1700000000.0]]'
    assert last_two["amount"].iloc[1] == 60.0 and pd.isna(last_two["until"].iloc[1])
    assert frame.equals(spool.frame())
    spool.close()


def test_a_run_keeps_its_events_on_disk_not_in_memory() -> None:
    from baytwin.sim.runner import run
    from baytwin.sim.scenario import load_scenario

    model, result = run(load_scenario("workplace-garage/enforced"), days=3)
    spool = model.recorder.spool
    assert len(spool._buffer) < spool.chunk_rows  # what is in memory is at most one chunk
    table = result.events
    assert len(table) == result.summary["observed_events"] + len(model.recorder.outputs)
    assert table["ts"].is_monotonic_increasing
    whole = [event for event, _ in model.recorder.events()]
    assert [e.kind for e in whole] == list(table["kind"])
    outputs = [event for event, _ in model.recorder.outputs]
    assert [e for e in whole if e.kind in {"violation_opened", "violation_closed", "action_taken"}] == outputs
