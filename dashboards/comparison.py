"""Runs grouped into the policies (variants) they tried, compared with a baseline: by how much, how sure.

Runs whose scenarios are the same but for the seed are replications of one variant. Two variants
that share seeds met the same drivers at the same times, so their difference is compared seed by
seed (a paired interval); without shared seeds the runs are compared as independent samples; a
single run each gives a difference and no interval, and the sentence says so. The labels are the
scenario names with what they all share cut off, so "workplace-garage-baseline" and
"workplace-garage-enforced" read "baseline" and "enforced".
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from baytwin.dashboards.figures import better, figure, format_percent, format_value, run_currency, unit_of
from baytwin.dashboards.stats import Difference, paired_difference, unpaired_difference


@dataclass
class Variant:
    """One policy or scenario variant: its runs by seed."""

    key: str
    name: str
    scenario: dict[str, Any]
    days: float | None
    summaries: dict[int, dict[str, Any]] = field(default_factory=dict)
    folders: dict[int, Path] = field(default_factory=dict)
    label: str = ""

    @property
    def seeds(self) -> list[int]:
        return sorted(self.summaries)

    @property
    def currency(self) -> str:
        return run_currency(self.scenario)

    def values(self, name: str, seeds: Iterable[int] | None = None) -> list[float]:
        chosen = self.seeds if seeds is None else list(seeds)
        return [_number(self.summaries[s].get(name)) for s in chosen]


def _number(value: Any) -> float:
    if value is None or isinstance(value, bool) or not isinstance(value, (int, float)):
        return math.nan
    return float(value)


def variant_key(scenario: dict[str, Any], summary: dict[str, Any]) -> str:
    """What makes runs replications of each other: the whole scenario but its seed, and the days run."""
    rest = {k: v for k, v in scenario.items() if k != "seed"}
    return json.dumps([rest, summary.get("days")], sort_keys=True, default=str)


def group_runs(runs: dict[str, tuple[Path, dict[str, Any], dict[str, Any]]]) -> list[Variant]:
    """Variants from ``{label: (folder, scenario, summary)}`` (the label is the folder as the user
    sees it), in the order their first runs come, each named by what its folders' labels share and
    labelled short and unambiguous. A seed met twice in one variant (a copied run) counts once."""
    variants: dict[str, Variant] = {}
    labels: dict[str, list[str]] = {}
    for label, (folder, scenario, summary) in runs.items():
        key = variant_key(scenario, summary)
        variant = variants.setdefault(key, Variant(key, "", scenario, summary.get("days")))
        seed = int(summary.get("seed", scenario.get("seed", 0)) or 0)
        if seed not in variant.summaries:
            variant.summaries[seed] = summary
            variant.folders[seed] = folder
            labels.setdefault(key, []).append(label)
    found = list(variants.values())
    for naming in (_folder_name, _word_name, _first_label):
        names = [naming(labels[v.key]) or str(v.scenario.get("name") or "run") for v in found]
        if len(set(names)) == len(names):
            break
    for variant, name in zip(found, names):
        variant.name = name
    for variant, label in zip(found, short_labels([v.name for v in found])):
        variant.label = label
    return found


def _folder_name(labels: list[str]) -> str:
    """The folder all of a variant's runs are in ("runs/enforced" of "runs/enforced/seed-1", ...)."""
    if len(labels) == 1:
        return labels[0]
    shared = "".join(common_parts(labels))
    return shared.rsplit("/", 1)[0] if "/" in shared else ""


def _word_name(labels: list[str]) -> str:
    return common_prefix(labels)


def _first_label(labels: list[str]) -> str:
    return labels[0]


def common_prefix(names: list[str]) -> str:
    """What the names share from their start, cut at a word boundary ("runs/enforced" of
    "runs/enforced/seed-1" and "runs/enforced/seed-2"); the name itself when there is one."""
    return "".join(common_parts(names)).strip("/_- .")


def common_parts(names: list[str]) -> list[str]:
    """The words and separators the names begin with in common."""
    split = [_PARTS.findall(n) for n in names]
    shared: list[str] = []
    for parts in zip(*split):
        if len(set(parts)) > 1:
            break
        shared.append(parts[0])
    return shared


_PARTS = re.compile(r"[^/_\- .]+|[/_\- .]")


def short_labels(names: list[str]) -> list[str]:
    """The names with the words they all begin and end with cut off, when what is left still tells
    them apart; the names themselves otherwise (and when there is only one)."""
    if len(names) < 2 or len(set(names)) < len(names):
        return list(names)
    split = [_PARTS.findall(n) for n in names]
    start = 0
    while all(len(s) > start for s in split) and len({s[start] for s in split}) == 1:
        start += 1
    end = 0
    while all(len(s) - start > end for s in split) and len({s[len(s) - 1 - end] for s in split}) == 1:
        end += 1
    for tail in (end, 0):  # without the shared ending, then with it ("no-fee" and "fee" share "fee")
        cut = ["".join(s[start:len(s) - tail]).strip("/_- .") for s in split]
        if all(cut) and len(set(cut)) == len(cut):
            return cut
    return list(names)


@dataclass(frozen=True)
class Comparison:
    """A variant against the baseline on one figure."""

    name: str
    baseline: Variant
    variant: Variant
    difference: Difference
    seeds: int  # runs behind each side (pairs when paired)

    @property
    def verdict(self) -> str:
        """Better, worse, no clear difference (the interval holds zero), or unknown (no interval)."""
        delta = self.difference.delta
        if not delta.known:
            return "one run each: no interval"
        if delta.low == delta.high == 0:
            return "the same in every run"
        if not self.difference.significant:
            return "no clear difference"
        direction = better(self.name)
        if direction is None:
            return "higher" if delta.estimate > 0 else "lower"
        return "better" if (delta.estimate > 0) == (direction == "higher") else "worse"


def compare(baseline: Variant, variant: Variant, name: str) -> Comparison:
    """``variant - baseline`` on one figure: paired over the seeds both ran when there are two or
    more, independent samples when each ran two or more, else one run against one."""
    shared = sorted(set(baseline.seeds) & set(variant.seeds))
    if len(shared) >= 2:
        diff = paired_difference(baseline.values(name, shared), variant.values(name, shared))
        n = len(shared)
    elif len(baseline.seeds) >= 2 and len(variant.seeds) >= 2:
        diff = unpaired_difference(baseline.values(name), variant.values(name))
        n = min(len(baseline.seeds), len(variant.seeds))
    else:
        pick_a, pick_b = (shared, shared) if shared else (baseline.seeds[:1], variant.seeds[:1])
        diff = unpaired_difference(baseline.values(name, pick_a), variant.values(name, pick_b))
        n = 1
    return Comparison(name, baseline, variant, diff, n)


def _interval_text(low: float, high: float, fmt) -> str:  # type: ignore[no-untyped-def]
    return f"95 % CI {fmt(low)} to {fmt(high)}"


def headline(comparison: Comparison) -> str:
    """One sentence a stakeholder can repeat: "enforced: 41 % fewer bay-hours blocked by idle cars
    than baseline (95 % CI 37–45 %), across 10 paired seeds"."""
    c, diff = comparison, comparison.difference
    shown = figure(c.name)
    delta, rel = diff.delta, diff.relative
    if math.isnan(delta.estimate):
        return f"{c.variant.label}: {shown.label} is not defined in these runs."
    support = _support(c)
    if delta.estimate == 0 and (not delta.known or delta.low == delta.high == 0):
        return f"{c.variant.label}: the same {shown.label} as {c.baseline.label} ({support})."
    word = shown.more if delta.estimate > 0 else shown.fewer
    relative_known = not math.isnan(rel.estimate) and figure(c.name).kind != "share"
    if relative_known:
        amount = f"{format_percent(rel.estimate)} {word}"
        bounds = sorted((abs(rel.low), abs(rel.high))) if rel.known else None
        same_side = rel.known and (rel.low > 0) == (rel.high > 0) and rel.low != 0 and rel.high != 0
        interval = (f"95 % CI {format_percent(bounds[0]).removesuffix(' %')}–{format_percent(bounds[1])}" if same_side
                    else _interval_text(rel.low, rel.high, _signed_percent) if rel.known else "")
    else:
        amount = f"{_magnitude(c.name, abs(delta.estimate), c.variant.currency)} {word}"
        interval = _interval_text(delta.low, delta.high, lambda v: _signed(c.name, v, c.variant.currency)
                                  ) if delta.known else ""
    if delta.known and not diff.significant:
        return (f"{c.variant.label}: no clear difference in {shown.label} from {c.baseline.label} "
                f"({amount}, {interval}; {support}).")
    return f"{c.variant.label}: {amount} {shown.label} than {c.baseline.label}" + (
        f" ({interval}), {support}." if interval else f" ({support}).")


def _magnitude(name: str, value: float, currency: str) -> str:
    """A difference's size for a sentence that names the figure after it: the currency for money,
    points for shares, the unit only when the figure's name does not already say it."""
    shown = figure(name)
    if shown.kind in ("money", "share"):
        return format_value(name, value, currency, signed=shown.kind == "share").lstrip("+")
    number = format_value("", value)
    return f"{number} {shown.unit}" if shown.unit and shown.unit not in shown.label else number


def _signed(name: str, value: float, currency: str) -> str:
    """An interval bound with its sign, in the figure's money or points, bare otherwise."""
    shown = figure(name)
    if shown.kind in ("money", "share"):
        return format_value(name, value, currency, signed=True)
    text = format_value("", abs(value))
    return f"+{text}" if value > 0 else f"−{text}" if value < 0 else "0"


def _signed_percent(share: float) -> str:
    return f"{share * 100:+.0f} %".replace("-", "−")


def _support(c: Comparison) -> str:
    if not c.difference.delta.known:
        return "one run each: no interval; run several seeds to know how sure"
    kind = "paired seeds" if c.difference.paired else "seeds each, not paired"
    return f"across {c.seeds} {kind}"


def comparison_table(baseline: Variant, variants: list[Variant], names: Iterable[str]) -> pd.DataFrame:
    """One row per figure and variant: both means, the difference with its interval, the same in
    per cent of the baseline, how many runs are behind it, and the verdict. The unit column names
    the currency for money and "%" for shares (whose differences are in percentage points)."""
    rows = []
    for variant in variants:
        for name in names:
            c = compare(baseline, variant, name)
            d = c.difference
            rows.append({"figure": figure(name).label, "variant": variant.label,
                         "unit": unit_of(name, variant.currency),
                         "baseline": baseline.label, "baseline mean": d.baseline_mean,
                         "variant mean": d.variant_mean, "difference": d.delta.estimate,
                         "difference 95% CI low": d.delta.low, "difference 95% CI high": d.delta.high,
                         "change %": d.relative.estimate * 100, "change % CI low": d.relative.low * 100,
                         "change % CI high": d.relative.high * 100, "runs": c.seeds,
                         "paired": d.paired and d.delta.known, "verdict": c.verdict, "key": name})
    return pd.DataFrame(rows)


def distribution_frame(variants: list[Variant], name: str) -> pd.DataFrame:
    """Every run's value of one figure, for the chart of outcomes across replications."""
    rows = [{"variant": v.label, "seed": seed, "value": value}
            for v in variants for seed, value in zip(v.seeds, v.values(name))]
    return pd.DataFrame(rows, columns=["variant", "seed", "value"])



def means_table(variants: list[Variant], names: Iterable[str]) -> pd.DataFrame:
    """One row per figure: its unit, then each variant's mean over its runs (its value for one run)."""
    names = list(names)
    currency = variants[0].currency if variants else "GBP"
    table = pd.DataFrame({"unit": [unit_of(n, currency) for n in names]}, index=pd.Index(names, name="figure"))
    for variant in variants:
        table[variant.label] = [pd.Series(variant.values(n), dtype=float).mean() for n in names]
    return table


def relabelled(variants: list[Variant]) -> list[Variant]:
    """Copies of the chosen variants labelled short among themselves ("fee" and "no-fee" rather than
    "seeds/fee" and "seeds/no-fee"): the pickers keep the full labels, sentences and tables the short."""
    from dataclasses import replace

    return [replace(v, label=label) for v, label in zip(variants, short_labels([v.label for v in variants]))]
