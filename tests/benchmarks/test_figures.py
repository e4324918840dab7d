"""The benchmarks' report: ratios read the same way for times and rates, targets judged, the table drawn."""

from __future__ import annotations

from types import SimpleNamespace

from tests.benchmarks.figures import Target, cost_ratio, record
from tests.benchmarks.report import render_table


def test_a_ratio_above_one_means_slower_than_the_baseline_for_times_and_rates_alike() -> None:
    assert cost_ratio(30.0, 10.0, "lower") == 3.0  # 30 s against 10 s
    assert cost_ratio(100.0, 300.0, "higher") == 3.0  # 100 msg/s against 300 msg/s
    assert cost_ratio(1.0, None, "lower") is None and cost_ratio(1.0, 0.0, "lower") is None


def test_targets_are_judged_on_the_value_or_on_the_ratio() -> None:
    bench = SimpleNamespace(extra_info={})
    figure = record(bench, "site-year", 90.0, "s", baseline=10.0, baseline_name="bare SimPy",
                    targets=(Target("value", "<", 60), Target("ratio", "<=", 10)))
    assert figure.ratio == 9.0 and figure.met == (False, True)
    assert bench.extra_info["figures"][0]["met"] == [False, True]
    assert record(bench, "efficiency", 0.9, "", targets=(Target("ratio", ">=", 0.85),)).met == (None,)


def test_the_table_has_a_row_per_figure_and_flags_a_benchmark_without_one() -> None:
    bench = SimpleNamespace(extra_info={})
    record(bench, "site-year", 90.0, "s", baseline=10.0, baseline_name="bare SimPy", targets=(Target("value", "<", 60),))
    entries = [{"benchmark": "test_year", "median_s": 90.0, "figures": bench.extra_info["figures"],
                "load_average_after": 3.5},
               {"benchmark": "test_bare", "median_s": 1.0, "figures": []}]
    lines = render_table(entries)
    year = next(line for line in lines if line.startswith("test_year"))
    assert "90.00 s" in year and "10.00 s (bare SimPy)" in year and "9.00x" in year and "NO" in year
    assert "no baseline stated" in next(line for line in lines if line.startswith("test_bare"))
    assert any("load average while measuring: 3.5-3.5" in line for line in lines)
