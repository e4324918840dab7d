"""Run a scenario end to end and write its results as files a user can open."""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path
from typing import Callable

from sim.metrics import RunResult, collect
from sim.model import BayTwinModel
from sim.scenario import Scenario

TABLES = ("sessions", "violations", "actions", "events", "timeseries")
Progress = Callable[[float, float], None]  # (days done, days total)


def run(scenario: Scenario, seed: int | None = None, days: float | None = None,
        progress: Progress | None = None, ocpp_url: str | None = None) -> tuple[BayTwinModel, RunResult]:
    """Simulate; ``progress`` is called once per simulated day. With ``ocpp_url`` the chargers speak
    OCPP over websockets to the central system running there."""
    started = time.perf_counter()
    model = BayTwinModel(scenario, seed=seed, days=days, ocpp_url=ocpp_url)
    total = model.days
    day = 0.0
    while day < total:
        day = min(total, day + 1.0)
        model.run(until_s=day * 86400.0)
        if progress is not None:
            progress(day, total)
    if model.ocpp_link is not None:
        model.ocpp_link.close()
    return model, collect(model, time.perf_counter() - started)


def persist(model: BayTwinModel, log, batch: int = 2000) -> int:  # type: ignore[no-untyped-def]
    """Append what the site observed and decided, in time order, to an event log, with the plate
    crops reads were made from (``images`` fidelity) sealed beside their reads."""
    events = list(model.recorder.observed)
    events.extend(event for event, _ in model.recorder.outputs)
    events.sort(key=lambda e: e.ts)
    crops = model.recorder.crops
    for start in range(0, len(events), batch):
        chunk = events[start:start + batch]
        log.append(chunk, {i: crops[id(e)] for i, e in enumerate(chunk) if id(e) in crops} or None)
    return len(events)


def write(result: RunResult, out: Path, scenario: Scenario) -> list[Path]:
    """Write ``summary.json``, the scenario as run, and one Parquet file per table.

    Each file is written to a temporary name and renamed into place, so a run
    killed mid-write never leaves a half-written file behind.
    """
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name in TABLES:
        frame = getattr(result, name)
        written.append(atomic_write(out / f"{name}.parquet", lambda p, f=frame: f.to_parquet(p, index=False)))
    written.append(atomic_write(out / "scenario.json",
                           lambda p: p.write_text(scenario.model_dump_json(indent=2), encoding="utf-8")))
    written.append(atomic_write(out / "summary.json",
                           lambda p: p.write_text(json.dumps(result.summary, indent=2) + "\n", encoding="utf-8")))
    return written


def atomic_write(target: Path, write_to: Callable[[Path], object]) -> Path:
    """Write ``target`` through ``write_to(temporary path)``, then rename it into place: a process killed
    mid-write leaves the old file or none, never half of one."""
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    os.close(fd)
    try:
        write_to(Path(tmp))
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target
