"""An operator's estate (a portfolio run: ``portfolio.json`` and a run folder per site) for the pages.

A multi-site operator asks the same question per site and for the estate: what does the change do
here, there, and in total? Each site's folder is an ordinary run, so a site is compared across two
portfolio runs exactly as runs are (``comparison``), and the estate's totals, formed by the rules in
docs/portfolio.md, are compared as one more "site".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from baytwin.dashboards.comparison import Variant, variant_key
from baytwin.dashboards.data import PORTFOLIO_FILE, SCENARIO_FILE, SUMMARY_FILE, DataProblem
from baytwin.dashboards.figures import figure, run_currency, unit_of

ESTATE = "estate (total)"
SITE_FIGURES = ("ev_bays", "arrivals", "blocked", "mean_occupied_bays", "occupied_share", "violations_true",
                "false_penalties", "idle_fee_revenue", "charging_share_of_bay_time", "energy_kwh")


@dataclass(frozen=True)
class Portfolio:
    folder: Path
    document: dict[str, Any]
    sites: dict[str, tuple[dict[str, Any], dict[str, Any]]]  # label: (scenario, summary)

    @property
    def name(self) -> str:
        return str(self.document.get("portfolio") or self.folder.name)

    def currency(self) -> str:
        currencies = {run_currency(scenario) for scenario, _ in self.sites.values()}
        return currencies.pop() if len(currencies) == 1 else "mixed currencies"


def load_portfolio(folder: Path, json_reader: Callable[[Path], Any]) -> Portfolio:
    """The portfolio run in ``folder``, each site's scenario and summary read from its own folder."""
    document = json_reader(folder / PORTFOLIO_FILE)
    if not isinstance(document, dict) or not isinstance(document.get("sites"), list):
        raise DataProblem(f"{folder / PORTFOLIO_FILE}: sites: expected a list of sites")
    sites = {}
    for i, site in enumerate(document["sites"]):
        label = str(site.get("label") or i)
        site_folder = folder / str(site.get("folder") or label)
        sites[label] = (json_reader(site_folder / SCENARIO_FILE), json_reader(site_folder / SUMMARY_FILE))
    return Portfolio(folder, document, sites)


def sites_table(portfolio: Portfolio, names: Iterable[str] = SITE_FIGURES) -> pd.DataFrame:
    """One row per site and one for the estate's totals; one column per figure, its unit in the header."""
    names = [n for n in names if any(n in summary or n in portfolio.document.get("total", {})
                                     for _, summary in portfolio.sites.values())]
    currency = portfolio.currency()
    rows = []
    per_site = {s["label"]: s for s in portfolio.document["sites"]}
    for label, (_, summary) in portfolio.sites.items():
        rows.append({"site": label, **{n: summary.get(n, per_site.get(label, {}).get(n)) for n in names}})
    rows.append({"site": ESTATE, **{n: portfolio.document.get("total", {}).get(n) for n in names}})
    table = pd.DataFrame(rows).set_index("site")
    return table.rename(columns={n: _header(n, currency) for n in names})


def _header(name: str, currency: str) -> str:
    unit, label = unit_of(name, currency), figure(name).label
    return f"{label} ({unit})" if unit and unit not in label else label


def site_variants(portfolio: Portfolio, label: str) -> dict[str, Variant]:
    """Each site as a one-run variant, and the estate's totals as one more, for ``comparison``."""
    out = {}
    for site, (scenario, summary) in portfolio.sites.items():
        out[site] = Variant(variant_key(scenario, summary), site, scenario, summary.get("days"),
                            {int(summary.get("seed", 0) or 0): summary},
                            {int(summary.get("seed", 0) or 0): portfolio.folder / site}, label)
    first = next(iter(portfolio.sites.values()), ({}, {}))[0]
    total = portfolio.document.get("total", {})
    out[ESTATE] = Variant(f"{portfolio.folder}:total", ESTATE, first, portfolio.document.get("days"),
                          {int(portfolio.document.get("seed", 0) or 0): total}, {}, label)
    return out
