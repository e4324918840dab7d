"""How fast the twin and the rules engine run, against bare baselines measured in the same run.

Figures are reported as ratios (``extra_info``) because these machines are noisy:
* the 50-bay site-year against a bare SimPy loop processing the same number of events;
* the rules engine alone, events per second, replaying a real run's observed events.
"""

from __future__ import annotations

import time

import pytest
import simpy

from core.rules.engine import RulesEngine
from sim.model import BayTwinModel
from sim.runner import run
from sim.scenario import load_scenario

SITE_YEAR = {"site.ev_bays": 50, "site.identification.fidelity": "truth", "days": 365}


def bare_simpy(n_events: int, processes: int = 50) -> int:
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


def simpy_events(model: BayTwinModel) -> int:
    return next(model.env._eid)  # events scheduled over the run (SimPy's own counter)


@pytest.fixture(scope="module")
def site_year_scenario():
    return load_scenario("workplace-garage/enforced", SITE_YEAR)


def test_site_year_against_bare_simpy(benchmark, site_year_scenario) -> None:
    model, result = benchmark.pedantic(lambda: run(site_year_scenario), rounds=1, iterations=1)
    sim_seconds = benchmark.stats.stats.mean
    n = simpy_events(model)
    started = time.perf_counter()
    bare_simpy(n)
    bare_seconds = time.perf_counter() - started
    benchmark.extra_info.update({
        "simulated_days": 365, "ev_bays": 50, "arrivals": result.summary["arrivals"],
        "simpy_events": n, "engine_events": result.summary["events_processed"],
        "sim_seconds": round(sim_seconds, 3), "bare_simpy_seconds": round(bare_seconds, 3),
        "ratio_to_bare_simpy": round(sim_seconds / bare_seconds, 2),
    })
    print(f"\nsite-year: {sim_seconds:.2f} s, bare SimPy with {n} events: {bare_seconds:.2f} s, "
          f"ratio {sim_seconds / bare_seconds:.1f}x")
    assert result.summary["arrivals"] > 5000


def test_rules_engine_throughput(benchmark, site_year_scenario) -> None:
    model, _ = run(site_year_scenario, days=60)
    events = model.recorder.observed
    policy, site, registry = model.policy, model.site_info, model.registry

    def replay() -> int:
        engine = RulesEngine(policy, site, registry)
        for event in events:
            engine.handle(event)
        return engine.events_processed

    processed = benchmark(replay)
    rate = processed / benchmark.stats.stats.mean
    benchmark.extra_info.update({"events": processed, "events_per_second": round(rate)})
    print(f"\nrules engine: {rate:,.0f} events/s over {processed} events")
    assert processed == len(events)
