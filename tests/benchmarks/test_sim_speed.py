"""How fast and how big the twin runs, against bare baselines measured in the same run.

Figures are stated beside their baselines (tests/benchmarks/figures.py) because these machines are noisy:
* a 50-bay site-year (the bundled garage's population) and a 1,000-bay site-year (its population scaled
  with the bays), each against a bare SimPy loop processing the same number of events, each in a fresh
  process so its peak memory is its own (tests/benchmarks/site_year.py);
* the rules engine alone, events per second, replaying a real run's observed events, against a bare
  loop handing each event to a handler that does nothing.

The pytest-benchmark time of a site-year includes starting its process; the figures do not.
"""

from __future__ import annotations

import time

import pytest

from baytwin.core.rules.engine import RulesEngine
from baytwin.sim.runner import run
from baytwin.sim.scenario import load_scenario
from tests.benchmarks.figures import Target, record
from tests.benchmarks.site_year import (
    BUNDLED,
    bare_simpy_timed,
    in_fresh_process,
    site_year_overrides,
    twin_site_year,
)

GB = 1e9
#: A site-year's twin and its bare loop are each timed this often and the medians compared: on a shared
#: machine one timing of the bare loop was seen to vary by half between runs, and a ratio carries that.
REPEATS = {50: 3, 1000: 1}
BARE_REPEATS = 3
SITES = {  # bays -> (population scaled with the bays, targets on the time, the memory, the ratio to SimPy)
    50: (False, (), (), (Target("ratio", "<=", 8),)),
    1000: (True, (Target("value", "<", 60),), (Target("value", "<", 1.0),), (Target("ratio", "<=", 10),)),
}


@pytest.mark.parametrize("bays", sorted(SITES))
def test_site_year_against_bare_simpy(benchmark, bays: int) -> None:
    scaled, time_targets, memory_targets, ratio_targets = SITES[bays]
    overrides = site_year_overrides(bays, scaled)
    twins: list[dict] = []  # type: ignore[type-arg]
    benchmark.pedantic(lambda: twins.append(in_fresh_process(twin_site_year, overrides)), rounds=REPEATS[bays], iterations=1)
    twin = _median_run(twins)
    bare = _median_run([in_fresh_process(bare_simpy_timed, twin["simpy_events"], bays) for _ in range(BARE_REPEATS)])
    record(benchmark, "site-year time", twin["seconds"], "s", targets=time_targets,
           note=f"{bays} bays, 365 days, {twin['arrivals']} arrivals, {twin['simpy_events']} SimPy events")
    ratio = record(benchmark, "site-year vs bare SimPy", twin["seconds"], "s", baseline=bare["seconds"],
                   baseline_name=f"bare SimPy, {bare['events']} events", targets=ratio_targets)
    memory = record(benchmark, "site-year peak memory", twin["peak_bytes"] / GB, "GB",
                    baseline=twin["ready_bytes"] / GB, baseline_name="same process, twin imported",
                    targets=memory_targets, note=f"bare SimPy's process peaked at {bare['peak_bytes'] / GB:.3f} GB")
    benchmark.extra_info.update({"simulated_days": 365, "ev_bays": bays, "population_scaled": scaled, **twin,
                                 "bare_simpy_seconds": bare["seconds"], "bare_simpy_peak_bytes": bare["peak_bytes"]})
    print(f"\n{bays}-bay site-year: {twin['seconds']:.1f} s, peak {memory.value:.2f} GB; bare SimPy with "
          f"{twin['simpy_events']} events {bare['seconds']:.2f} s, ratio {ratio.ratio:.1f}x")
    assert twin["arrivals"] > 5000


def _median_run(runs: list[dict]) -> dict:  # type: ignore[type-arg]
    """The run of median time (its own figures kept together: its memory, its event count)."""
    return sorted(runs, key=lambda r: r["seconds"])[len(runs) // 2]


def bare_dispatch(events: list) -> int:  # type: ignore[type-arg]
    """Each event handed to a do-nothing handler chosen by its type: the floor under any engine's loop."""
    handlers = {type(e): (lambda event: None) for e in events}
    for event in events:
        handlers[type(event)](event)
    return len(events)


def test_rules_engine_throughput(benchmark) -> None:
    model, _ = run(load_scenario(BUNDLED, site_year_overrides(50, False)), days=60)
    events = list(model.recorder.observed())
    policy, site, registry = model.policy, model.site_info, model.registry

    def replay() -> int:
        engine = RulesEngine(policy, site, registry)
        for event in events:
            engine.handle(event)
        return engine.events_processed

    processed = benchmark(replay)
    rate = processed / benchmark.stats.stats.median
    timings = []
    for _ in range(5):
        started = time.perf_counter()
        bare_dispatch(events)
        timings.append(time.perf_counter() - started)
    bare_rate = len(events) / sorted(timings)[len(timings) // 2]
    figure = record(benchmark, "rules engine", rate, "events/s", baseline=bare_rate, better="higher",
                    baseline_name="bare dispatch to no-op handlers", note=f"{processed} events of a 60-day run")
    benchmark.extra_info.update({"events": processed, "events_per_second": round(rate)})
    print(f"\nrules engine: {rate:,.0f} events/s over {processed} events ({figure.ratio:.1f}x a bare dispatch)")
    assert processed == len(events)
