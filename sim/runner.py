"""Run a scenario end to end and write its results as files a user can open."""

from __future__ import annotations

import gc
import hashlib
import json
import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any, Callable

from sqlalchemy import Connection, select
from sqlalchemy.dialects import postgresql, sqlite

from baytwin.core.events import Event
from baytwin.core.store import schema
from baytwin.sim.metrics import RunResult, collect
from baytwin.sim.model import BayTwinModel
from baytwin.sim.scenario import Scenario

TABLES = ("sessions", "violations", "actions", "events", "timeseries")
Progress = Callable[[float, float], None]  # (days done, days total)


def run(scenario: Scenario, seed: int | None = None, days: float | None = None,
        progress: Progress | None = None, ocpp_url: str | None = None) -> tuple[BayTwinModel, RunResult]:
    """Simulate; ``progress`` is called once per simulated day. With ``ocpp_url`` the chargers speak
    OCPP over websockets to the central system running there."""
    started = time.perf_counter()
    with _patient_garbage_collector():
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


@contextmanager
def _patient_garbage_collector(young: int = 50_000) -> Iterator[None]:
    """Collect cycles less often while a run goes. A run keeps a growing set of live objects (its visits,
    the engines' state), and Python's collector walks them over and over as events are made and dropped:
    a fifth of a large site's run time at the default thresholds (700, 10, 10). At (50,000, 50, 100) the
    collector still runs, several times a simulated day, and the older generations far less often."""
    before = gc.get_threshold()
    gc.freeze()  # what existed before the run (in a forked worker: all it inherited) is not walked again
    gc.set_threshold(young, 50, 100)
    try:
        yield
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()


def run_identity(scenario: Scenario, seed: int, days: float) -> str:
    """What makes two runs the same run: the scenario as run, the seed and the length (same seed, same
    events), as a digest. A store remembers how much of each run it holds under this name."""
    document = json.dumps({"scenario": scenario.model_dump(mode="json"), "seed": seed, "days": days},
                          sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(document.encode("utf-8")).hexdigest()[:32]


def persist(model: BayTwinModel, log, batch: int = 2000) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """Append what the site observed and decided, in time order, to an event log, with the plate
    crops reads were made from (``images`` fidelity) sealed beside their reads.

    Idempotent per run: each chunk commits together with the count of the run's events stored so
    far (``store_meta``), so a rerun after a kill appends only what is missing and a rerun of a
    finished run appends nothing. Returns (events appended now, events of the run).
    """
    run_id = run_identity(model.scenario, model.seed, model.days)
    total = len(model.recorder.spool)
    done = min(stored_so_far(log, run_id), total)
    appended = 0
    chunk: list[tuple[Event, bytes | None]] = []
    position = 0
    for event, crop in model.recorder.events():
        position += 1
        if position <= done:
            continue
        chunk.append((event, crop))
        if len(chunk) == batch or position == total:
            _append_chunk(log, chunk, run_id, position, total)
            appended += len(chunk)
            chunk = []
    return appended, total


def _append_chunk(log, chunk: list[tuple[Event, bytes | None]], run_id: str, stored: int,  # type: ignore[no-untyped-def]
                  total: int) -> None:
    by_site: dict[str, list[tuple[Event, bytes | None]]] = {}
    for event, crop in chunk:
        by_site.setdefault(event.site, []).append((event, crop))
    with log.engine.begin() as conn:
        log.append_in(conn, by_site)
        _record_progress(conn, run_id, stored, total)


def stored_so_far(log, run_id: str) -> int:  # type: ignore[no-untyped-def]
    """How many of the run's events the store already holds (0 for a run it has never seen)."""
    meta = schema.store_meta
    with log.engine.connect() as conn:
        found = conn.execute(select(meta.c.value).where(meta.c.name == f"run:{run_id}")).scalar()
    return int(json.loads(found)["stored"]) if found else 0


def _record_progress(conn: Connection, run_id: str, stored: int, total: int) -> None:
    meta = schema.store_meta
    value = json.dumps({"stored": stored, "events": total})
    maker = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    statement = maker(meta).values(name=f"run:{run_id}", value=value)
    conn.execute(statement.on_conflict_do_update(index_elements=[meta.c.name], set_={"value": value}))


def write(result: RunResult, out: Path, scenario: Scenario) -> list[Path]:
    """Write ``summary.json``, the scenario as run, and one Parquet file per table.

    Each file is written to a temporary name and renamed into place, so a run
    killed mid-write never leaves a half-written file behind.
    """
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name in TABLES:
        if name == "events":  # streamed from the run's spool, never whole in memory
            written.append(atomic_write(out / "events.parquet", result.event_spool.write_table))
            continue
        frame = getattr(result, name)
        written.append(atomic_write(out / f"{name}.parquet", partial(_write_frame, frame)))
    written.append(atomic_write(out / "scenario.json",
                           lambda p: p.write_text(scenario.model_dump_json(indent=2), encoding="utf-8")))
    written.append(atomic_write(out / "summary.json",
                           lambda p: p.write_text(json.dumps(result.summary, indent=2) + "\n", encoding="utf-8")))
    return written


def _write_frame(frame: Any, path: Path) -> None:
    frame.to_parquet(path, index=False)


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
