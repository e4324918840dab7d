"""The statistics behind every interval the dashboards and the report show.

A stakeholder asks "by how much, and how sure?". The answers here are the standard ones, computed by
SciPy rather than by hand: Student's t interval for a mean, the paired t interval for a difference
when two policies met the same drivers (the same seeds), Welch's interval when they did not, and
Wilson's interval for a proportion (which, unlike the textbook one, stays honest at 0 of 400).
Nothing here needs Streamlit.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

CONFIDENCE = 0.95


@dataclass(frozen=True)
class Interval:
    """An estimate and its 95 % interval; NaN bounds when the data cannot give one (a single run)."""

    estimate: float
    low: float
    high: float
    n: int

    @property
    def known(self) -> bool:
        return not (math.isnan(self.low) or math.isnan(self.high))

    def excludes(self, value: float) -> bool:
        """True when the whole interval lies on one side of ``value``: a difference from zero that
        the runs show, not noise."""
        return self.known and (self.low > value or self.high < value)


@dataclass(frozen=True)
class Difference:
    """``variant - baseline``: the mean difference, its interval, and the same relative to the
    baseline's mean (NaN when that mean is zero). ``paired`` says whether runs were matched by seed."""

    baseline_mean: float
    variant_mean: float
    delta: Interval
    relative: Interval
    paired: bool

    @property
    def significant(self) -> bool:
        return self.delta.excludes(0.0)


def _clean(values: Sequence[float] | np.ndarray) -> np.ndarray:
    array = np.asarray(values, dtype=float)
    return array[~np.isnan(array)]


def _quiet_ci(result: object) -> tuple[float, float]:
    with warnings.catch_warnings():  # identical values: SciPy warns of precision loss; handled by the caller
        warnings.simplefilter("ignore", RuntimeWarning)
        ci = result.confidence_interval(CONFIDENCE)  # type: ignore[attr-defined]
    return float(ci.low), float(ci.high)


def mean_interval(values: Sequence[float] | np.ndarray) -> Interval:
    """The mean and its Student's t interval. With identical values the interval is the value itself
    (the runs agree exactly); with one value the bounds are unknown."""
    from scipy.stats import ttest_1samp

    clean = _clean(values)
    n = len(clean)
    if n == 0:
        return Interval(math.nan, math.nan, math.nan, 0)
    mean = float(clean.mean())
    if n == 1:
        return Interval(mean, math.nan, math.nan, 1)
    if float(np.ptp(clean)) == 0.0:
        return Interval(mean, mean, mean, n)
    low, high = _quiet_ci(ttest_1samp(clean, 0.0))
    return Interval(mean, low, high, n)


def _relative(delta: Interval, baseline_mean: float) -> Interval:
    """The difference as a share of the baseline's mean. The baseline mean is taken as fixed, so the
    relative interval is the difference's interval scaled: a close approximation when the baseline's
    own uncertainty is small beside its size, and the one a reader can check by hand."""
    if baseline_mean == 0 or math.isnan(baseline_mean):
        return Interval(math.nan, math.nan, math.nan, delta.n)
    scale = abs(baseline_mean)
    floor = -1.0 if baseline_mean > 0 else -math.inf  # what cannot go below zero cannot fall by more than all of it
    return Interval(delta.estimate / scale, max(delta.low / scale, floor), delta.high / scale, delta.n)


def paired_difference(baseline: Sequence[float], variant: Sequence[float]) -> Difference:
    """``variant - baseline`` from runs matched one to one (the same seed: the same drivers at the
    same times), so the drivers' randomness cancels and only the policy's effect is left."""
    a, b = np.asarray(baseline, dtype=float), np.asarray(variant, dtype=float)
    if a.shape != b.shape:
        raise ValueError("paired runs must come in pairs")
    keep = ~(np.isnan(a) | np.isnan(b))
    a, b = a[keep], b[keep]
    delta = mean_interval(b - a)
    base_mean = float(a.mean()) if len(a) else math.nan
    return Difference(base_mean, float(b.mean()) if len(b) else math.nan, delta, _relative(delta, base_mean), True)


def unpaired_difference(baseline: Sequence[float], variant: Sequence[float]) -> Difference:
    """``variant - baseline`` from independent runs: Welch's interval (no equal spread assumed)."""
    from scipy.stats import ttest_ind

    a, b = _clean(baseline), _clean(variant)
    base_mean = float(a.mean()) if len(a) else math.nan
    var_mean = float(b.mean()) if len(b) else math.nan
    estimate = var_mean - base_mean
    n = min(len(a), len(b))
    if len(a) < 2 or len(b) < 2:
        delta = Interval(estimate, math.nan, math.nan, n)
    elif float(np.ptp(a)) == 0.0 and float(np.ptp(b)) == 0.0:
        delta = Interval(estimate, estimate, estimate, n)
    else:
        low, high = _quiet_ci(ttest_ind(b, a, equal_var=False))
        delta = Interval(estimate, low, high, n)
    return Difference(base_mean, var_mean, delta, _relative(delta, base_mean), False)


def wilson(successes: int, trials: int) -> Interval:
    """A proportion and its Wilson score interval: 0 dangerous reads of 400 is "at most about
    0.95 %", not "0 %"."""
    from scipy.stats import binomtest

    if trials <= 0:
        return Interval(math.nan, math.nan, math.nan, 0)
    ci = binomtest(int(successes), int(trials)).proportion_ci(confidence_level=CONFIDENCE, method="wilson")
    return Interval(successes / trials, float(ci.low), float(ci.high), int(trials))
