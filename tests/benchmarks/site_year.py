"""A site-year and its bare SimPy baseline, each in a fresh process, timed and with its peak memory.

A fresh process per measurement, because a process's peak resident memory only ever grows: measured in
the test session it would carry every earlier benchmark's peak. The process is spawned, not forked, so
its peak is what ``baytwin sim run`` in a new process would reach (the interpreter and the twin
imported, then the run), and the time is taken inside it, so start-up is not counted.
"""

from __future__ import annotations

import resource
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from typing import Any, Callable

import simpy

BUNDLED = "workplace-garage/enforced"
BUNDLED_BAYS = 54  # the bundled garage's EV bays, whose population the larger sites scale up
BUNDLED_POPULATION = {"drivers": 400, "weekday": 39, "weekend": 6}


def site_year_overrides(bays: int, scale_population: bool) -> dict[str, Any]:
    """The bundled garage for 365 days with ``bays`` EV bays, plates read as they are (``truth``); with
    ``scale_population`` its staff grows with the bays, so each bay sees the bundled garage's demand."""
    overrides: dict[str, Any] = {"site.ev_bays": bays, "site.identification.fidelity": "truth", "days": 365}
    if scale_population:
        factor = bays / BUNDLED_BAYS
        overrides.update({
            "population.staff.drivers": round(BUNDLED_POPULATION["drivers"] * factor),
            "population.staff.arrivals_per_day.weekday": round(BUNDLED_POPULATION["weekday"] * factor),
            "population.staff.arrivals_per_day.weekend": round(BUNDLED_POPULATION["weekend"] * factor),
        })
    return overrides


def peak_bytes() -> int:
    """This process's peak resident memory so far. On Linux ``VmHWM``: ``ru_maxrss`` of a spawned process
    starts at its parent's resident size when it was started (kept across the exec), here the test
    session's, so it would hide a smaller peak. Elsewhere ``ru_maxrss`` (bytes on macOS)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024  # kB
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


def twin_site_year(overrides: dict[str, Any]) -> dict[str, Any]:
    """In the child: one ``sim.runner.run`` of the scenario, timed, with the memory before and at peak."""
    from baytwin.sim.runner import run
    from baytwin.sim.scenario import load_scenario

    scenario = load_scenario(BUNDLED, overrides)
    ready = peak_bytes()
    started = time.perf_counter()
    model, result = run(scenario)
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "peak_bytes": peak_bytes(), "ready_bytes": ready,
            "simpy_events": next(model.env._eid),  # events scheduled over the run (SimPy's own counter)
            "arrivals": result.summary["arrivals"], "engine_events": result.summary["events_processed"]}


def bare_simpy(n_events: int, processes: int) -> int:
    """A SimPy loop with ``n_events`` timeouts spread over ``processes`` generators, and nothing else."""
    env = simpy.Environment()
    per_process = n_events // processes

    def ticker(env: simpy.Environment):  # type: ignore[no-untyped-def]
        for _ in range(per_process):
            yield env.timeout(1.0)

    for _ in range(processes):
        env.process(ticker(env))
    env.run()
    return per_process * processes


def bare_simpy_timed(n_events: int, processes: int) -> dict[str, Any]:
    """In the child: the bare loop, timed, with its peak memory."""
    started = time.perf_counter()
    done = bare_simpy(n_events, processes)
    return {"seconds": time.perf_counter() - started, "peak_bytes": peak_bytes(), "events": done}


def in_fresh_process(function: Callable[..., dict[str, Any]], *args: Any) -> dict[str, Any]:
    with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
        return pool.submit(function, *args).result()
