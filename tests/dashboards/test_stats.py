"""The statistics behind the intervals, against SciPy's own answers and cases a reader can check by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binomtest, t, ttest_ind, ttest_rel

from baytwin.dashboards.comparison import short_labels
from baytwin.dashboards.figures import format_range, format_value, run_currency
from baytwin.dashboards.ranking import pareto_front
from baytwin.dashboards.stats import mean_interval, paired_difference, unpaired_difference, wilson


def test_a_mean_interval_is_students_t() -> None:
    values = np.array([3.0, 5.0, 4.0, 6.5, 5.5])
    got = mean_interval(values)
    half = t.ppf(0.975, 4) * values.std(ddof=1) / math.sqrt(5)
    assert (got.estimate, got.low, got.high, got.n) == (pytest.approx(values.mean()), pytest.approx(values.mean() - half),
                                                        pytest.approx(values.mean() + half), 5)


def test_one_run_has_no_interval_and_identical_runs_a_point() -> None:
    assert not mean_interval([4.0]).known
    same = mean_interval([2.0, 2.0, 2.0])
    assert (same.low, same.high) == (2.0, 2.0)
    assert not same.excludes(2.0) and same.excludes(0.0)


def test_a_paired_difference_sees_what_the_spread_between_seeds_hides() -> None:
    baseline = np.array([10.0, 20.0, 30.0, 40.0, 50.0])
    variant = baseline - np.array([1.0, 1.2, 0.9, 1.1, 1.0])  # a small, steady effect on very different seeds
    paired = paired_difference(baseline, variant)
    low, high = ttest_rel(variant, baseline).confidence_interval(0.95)
    assert (paired.delta.low, paired.delta.high) == (pytest.approx(low), pytest.approx(high))
    assert paired.significant and paired.paired
    unpaired = unpaired_difference(baseline, variant)
    ci = ttest_ind(variant, baseline, equal_var=False).confidence_interval(0.95)
    assert (unpaired.delta.low, unpaired.delta.high) == (pytest.approx(ci.low), pytest.approx(ci.high))
    assert not unpaired.significant  # the same runs, unpaired: lost in the noise
    assert paired.relative.estimate == pytest.approx(-1.04 / 30.0)


def test_a_relative_fall_is_never_more_than_everything() -> None:
    diff = paired_difference([1.0, 1.2, 50.0], [0.0, 0.0, 0.0])
    assert diff.relative.low >= -1.0


def test_wilson_intervals_are_scipys_and_honest_at_zero() -> None:
    none = wilson(0, 400)
    assert none.estimate == 0 and none.low == 0 and none.high == pytest.approx(
        binomtest(0, 400).proportion_ci(0.95, method="wilson").high)
    assert 0.009 < none.high < 0.01  # "0 of 400" still allows nearly one in a hundred
    assert not wilson(0, 0).known


def test_money_is_in_the_sites_currency_then_the_policys_then_pounds() -> None:
    assert run_currency({"site": {"currency": "USD"}, "policy": {"idle_fee": {"currency": "GBP"}}}) == "USD"
    assert run_currency({"site": {}, "policy": {"idle_fee": {"currency": "EUR"}}}) == "EUR"
    assert run_currency({}) == "GBP"
    assert format_value("idle_fee_revenue", 1917.2, "USD") == "USD 1,917.20"
    assert format_range("idle_fee_revenue", 407.37, 517.14, "USD") == "USD 407.37–517.14"
    assert format_value("charging_share_of_bay_time", 0.375) == "37.5 %"
    assert format_range("mean_occupied_bays", 3.17, 3.52) == "3.17–3.52 bays"


def test_labels_lose_what_they_all_share_but_stay_apart() -> None:
    assert short_labels(["runs/demo/workplace-garage-baseline", "runs/demo/workplace-garage-enforced"]) == \
        ["baseline", "enforced"]
    assert short_labels(["seeds/no-fee", "seeds/fee"]) == ["no-fee", "fee"]
    assert short_labels(["a", "a"]) == ["a", "a"]


def test_the_pareto_front_keeps_only_the_unbeaten() -> None:
    cells = pd.DataFrame({"revenue_mean": [10.0, 20.0, 15.0, 5.0], "blocked_mean": [1.0, 3.0, 3.5, 0.5]})
    front = pareto_front(cells, ["revenue", "blocked"], {"revenue": True, "blocked": False})
    assert list(front) == [True, True, False, True]  # cell 2 earns less than cell 1 and blocks more


def test_without_the_runs_behind_them_cells_are_ranked_by_their_means_and_say_so() -> None:
    from baytwin.dashboards.ranking import rank_paired

    cells = pd.DataFrame({"fee": [0.1, 0.5], "revenue_mean": [10.0, 30.0], "n": [3, 3]})
    ranked = cells.sort_values("revenue_mean", ascending=False).reset_index(drop=True)
    ranking = rank_paired(ranked, pd.DataFrame({"fee": [0.1], "seed": [1]}), ["fee"], "revenue", True, 2)
    assert ranking.kind == "best" and ranking.message.startswith("Best by its mean: fee = 0.5")
    assert "no cell is compared with the best seed by seed" in ranking.message
