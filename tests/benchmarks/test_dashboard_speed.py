"""Dashboard page load on a 1,000-run sweep: the sweep explorer rendered by AppTest, against a bare
AppTest of an empty page measured in the same run (the ratio is what the page itself costs).

The sweep is built from 1,000 real runs of a small site (about a minute), once per module."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from tests.benchmarks.figures import record
from tests.dashboards.builders import build_sweep

PAGE = Path(__file__).resolve().parents[2] / "dashboards" / "pages" / "2_Sweep_explorer.py"
SMALL_SITE = """
name: small
days: 1
site: {id: small, ev_bays: 4, enforcement: {mode: anpr}}
policy: {idle_fee: {enabled: true}}
population:
  staff:
    drivers: 30
    arrivals_per_day: {weekday: 12, weekend: 4}
    stay_h: {dist: uniform, min: 1, max: 6}
"""


@pytest.fixture(scope="module")
def sweep_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("bench-runs")
    scenario = root / "small.yaml"
    scenario.write_text(SMALL_SITE)
    build_sweep(root / "sweep", scenario, {"grace_min": ("policy.rules.overstay.grace_min", [0, 5, 10, 15, 30]),
                                           "fee": ("policy.idle_fee.per_min", [0.1, 0.2, 0.4, 0.8])},
                replications=50)
    return root


def best_of(runs: int, load) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        load()
        times.append(time.perf_counter() - started)
    return min(times)


def test_sweep_explorer_on_1000_runs_against_an_empty_page(benchmark, sweep_root: Path,  # type: ignore[no-untyped-def]
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BAYTWIN_DASHBOARD_RUNS", str(sweep_root))
    monkeypatch.setenv("BAYTWIN_DASHBOARD_HOST", "127.0.0.1")

    def empty() -> None:
        AppTest.from_string("import streamlit as st\n", default_timeout=60).run()

    def page() -> None:
        at = AppTest.from_file(str(PAGE), default_timeout=60).run()
        assert not at.exception and "1,000 runs in 20 cells" in at.caption[1].value

    st.cache_data.clear()
    started = time.perf_counter()
    page()  # first load: files read from disk
    cold = time.perf_counter() - started
    bare = best_of(5, empty)
    warm = benchmark.pedantic(page, rounds=5, iterations=1)
    warm = benchmark.stats.stats.min if warm is None else warm
    record(benchmark, "sweep explorer, warm", warm, "s", baseline=bare, baseline_name="empty page")
    record(benchmark, "sweep explorer, cold", cold, "s", baseline=bare, baseline_name="empty page")
    benchmark.extra_info.update({"empty_page_s": round(bare, 4), "cold_load_s": round(cold, 3),
                                 "warm_load_s": round(warm, 3), "warm_vs_empty": round(warm / bare, 1),
                                 "cold_vs_empty": round(cold / bare, 1)})
    print(f"\nsweep explorer, 1,000 runs: cold {cold:.2f} s, warm {warm:.2f} s; empty page {bare * 1000:.0f} ms "
          f"(ratio warm {warm / bare:.1f}x, cold {cold / bare:.1f}x)")
