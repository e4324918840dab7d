"""The OCR QA page's figures with what stands behind them: how many images, and Wilson intervals.

"glare 4 = 0 %" from four images and "0 dangerous reads" from 400 are not the claims they look
like; QA signs off on the interval, so every rate here carries its count and its 95 % Wilson
interval (which stays honest at 0 and 100 %). A rate is turned back into its count by its
denominator: images for most rates, vehicles voted over for the voted accuracy.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from baytwin.dashboards.stats import wilson

VEHICLE_RATES = frozenset({"voted_accuracy"})
GROUP_FILES = {"font": "by_font.csv", "design": "by_design.csv", "country": "by_country.csv"}
HEADLINE_RATES = (("exact plate", "exact_plate_accuracy"), ("characters", "char_accuracy"),
                  ("dangerous reads", "dangerous_read_rate"))


def denominator(frame: pd.DataFrame, metric: str) -> pd.Series:
    """What a rate of the table is a share of, row by row."""
    column = "voted_vehicles" if metric in VEHICLE_RATES and "voted_vehicles" in frame.columns else "images"
    return pd.to_numeric(frame[column], errors="coerce").fillna(0).astype(int)


def with_intervals(frame: pd.DataFrame, metric: str) -> pd.DataFrame:
    """``frame`` with the metric's count (``n``), its successes and the Wilson interval per row."""
    out = frame.copy()
    rates = pd.to_numeric(frame[metric], errors="coerce")
    n = denominator(frame, metric)
    lows, highs, hits = [], [], []
    for rate, trials in zip(rates, n):
        if trials <= 0 or math.isnan(rate):
            lows.append(math.nan), highs.append(math.nan), hits.append(math.nan)
            continue
        k = int(round(rate * trials))
        interval = wilson(k, trials)
        lows.append(interval.low), highs.append(interval.high), hits.append(k)
    out["value"], out["n"], out["hits"], out["ci_low"], out["ci_high"] = rates, n, hits, lows, highs
    return out


def rate_label(rate: float, low: float, high: float, n: int) -> str:
    """"71 % [55–84] n=30" for a heatmap cell; a dash when nothing was measured."""
    if n <= 0 or math.isnan(rate):
        return "–"
    return f"{rate:.0%}\n[{low * 100:.0f}–{high * 100:.0f}] n={n}"


def rate_with_interval(hits: int, trials: int) -> str:
    """"3 of 400 = 0.8 % (95 % CI 0.3–2.2 %)", or "0 of 400 (95 % CI 0–0.95 %)"."""
    if trials <= 0:
        return "–"
    interval = wilson(hits, trials)
    digits = 2 if interval.high < 0.1 else 1
    return (f"{hits:,} of {trials:,} = {interval.estimate:.{digits}%} (95 % CI {interval.low * 100:.{digits}f}–"
            f"{interval.high * 100:.{digits}f} %)")


def headline_table(reports: dict[str, dict[str, Any]]) -> pd.DataFrame:
    """The evaluations (and the baseline each computed) side by side: each headline rate with its
    count and Wilson interval, one row per evaluation or baseline."""
    rows = []
    for label, report in reports.items():
        images = int(report.get("images") or 0)
        row: dict[str, Any] = {"evaluation": label, "reader": "model", "images": images}
        for name, key in HEADLINE_RATES:
            rate = report.get(key)
            _add(row, name, rate, images)
        rows.append(row)
        baseline = report.get("baseline") or {}
        if baseline:
            row = {"evaluation": label, "reader": f"baseline: {baseline.get('name', '?')}", "images": images}
            for name, key in HEADLINE_RATES:
                _add(row, name, baseline.get(key), images)
            rows.append(row)
    return pd.DataFrame(rows)


def _add(row: dict[str, Any], name: str, rate: Any, images: int) -> None:
    if not isinstance(rate, (int, float)) or images <= 0:
        row[name], row[f"{name} 95% CI low"], row[f"{name} 95% CI high"] = math.nan, math.nan, math.nan
        return
    interval = wilson(int(round(float(rate) * images)), images)
    row[name], row[f"{name} 95% CI low"], row[f"{name} 95% CI high"] = interval.estimate, interval.low, interval.high


def compare_conditions(first: pd.DataFrame, second: pd.DataFrame, metric: str, labels: tuple[str, str]) -> pd.DataFrame:
    """Two evaluations' rate per degradation and severity side by side, each with its count and interval."""
    a = with_intervals(first, metric)[["condition", "severity", "value", "n", "ci_low", "ci_high"]]
    b = with_intervals(second, metric)[["condition", "severity", "value", "n", "ci_low", "ci_high"]]
    merged = a.merge(b, on=["condition", "severity"], how="outer", suffixes=(f" {labels[0]}", f" {labels[1]}"))
    return merged.sort_values(["condition", "severity"], kind="stable").reset_index(drop=True)
