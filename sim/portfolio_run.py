"""Run a portfolio: every site for the same days, each with its own derived seed, and the estate's files.

Each site's run is exactly a ``sim run`` of its scenario (``sim.runner.run`` and ``write``), written to
a sub-folder named by its label; ``portfolio.json`` and ``portfolio.csv`` at the top hold every site's
headline figures and the estate's totals (sim/portfolio_totals.py says how each total is formed).

Sites run in worker processes, one per site up to ``workers``. The processes are forked where the
platform allows it, so they start with the twin already imported instead of spending seconds importing
it again; a site writes its own tables, and only its summary comes back.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import queue
import sys
import time
from collections.abc import Callable, Mapping
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from baytwin.sim.portfolio import Portfolio, site_seed
from baytwin.sim.portfolio_totals import HEADLINE, headline, how_totals_are_formed, totals
from baytwin.sim.runner import atomic_write
from baytwin.sim.scenario import Scenario

SiteProgress = Callable[[str, float, float], None]  # (label, days done, days total)
POLL_SECONDS = 0.2


@dataclass(frozen=True)
class SiteRun:
    """One site's run: what it simulates, with which seed and days, and where its files go."""

    label: str
    scenario_ref: str
    overrides: dict[str, Any]
    scenario: Scenario
    seed: int
    days: float
    out: Path | None


def plan_sites(portfolio: Portfolio, seed: int | None = None, days: float | None = None,
               out: Path | None = None) -> list[SiteRun]:
    """Every site's run: the run seed (default: the portfolio's) gives each site its seed, and every site
    runs ``days`` (default: the portfolio's)."""
    run_seed = portfolio.seed if seed is None else seed
    length = portfolio.days if days is None else days
    return [SiteRun(m.label, m.scenario_ref, m.overrides, m.scenario, site_seed(run_seed, m.label), length,
                    None if out is None else out / m.label) for m in portfolio.sites]


def run_site(site: SiteRun, progress: SiteProgress | None = None) -> dict[str, Any]:
    """Simulate one site, write its folder as ``sim run`` does (when it has one) and return its summary."""
    from baytwin.sim.runner import run, write

    _model, result = run(site.scenario, seed=site.seed, days=site.days,
                         progress=None if progress is None else lambda done, total: progress(site.label, done, total))
    if site.out is not None:
        write(result, site.out, site.scenario)
    return result.summary


def default_workers(sites: int) -> int:
    """One process per site, up to one per idle core (by the last minute's load average).

    Measured on a two-core machine whose cores other work kept busy, the sites ran no faster in two
    processes than one after another (docs/portfolio.md), so processes are used only where cores are free."""
    cores = os.cpu_count() or 1
    try:
        idle = cores - os.getloadavg()[0]
    except OSError:  # no load average on this platform
        idle = cores
    return max(1, min(sites, round(idle)))


def site_cost(site: SiteRun) -> float:
    """What a site's run costs, roughly: bay-days (as a sweep's batches count them)."""
    return site.days * (site.scenario.site.ev_bays + site.scenario.site.general_bays)


def largest_first(sites: list[SiteRun]) -> list[SiteRun]:
    """The sites in the order to hand them out: the longest runs first, so that no process is left with
    a large site to run alone at the end while the others idle (longest-processing-time-first)."""
    return sorted(sites, key=site_cost, reverse=True)


def run_sites(sites: list[SiteRun], workers: int = 1, progress: SiteProgress | None = None,
              display: AbstractContextManager[Any] | None = None, client: Any = None) -> dict[str, dict[str, Any]]:
    """Every site's summary by label, in portfolio order. ``display`` (a progress bar) is entered once the
    worker processes exist: a bar's drawing thread is not something to fork. With a Dask ``client`` the
    sites run as tasks on its cluster instead of in local processes."""
    display = display or nullcontext()
    if client is not None:
        with display:
            return run_sites_on_cluster(client, sites, progress)
    if workers <= 1 or len(sites) <= 1:
        with display:
            return {site.label: run_site(site, progress) for site in sites}
    context = multiprocessing.get_context("fork" if sys.platform.startswith("linux") else None)
    updates = context.Queue()
    results: dict[str, dict[str, Any]] = {}
    with ProcessPoolExecutor(min(workers, len(sites)), mp_context=context, initializer=_worker_init,
                             initargs=(updates,)) as pool:
        futures = {pool.submit(_worker_run, site): site.label for site in largest_first(sites)}
        with display:
            pending = set(futures)
            while pending:
                done, pending = wait(pending, timeout=POLL_SECONDS, return_when=FIRST_COMPLETED)
                _drain(updates, progress)
                for future in done:
                    results[futures[future]] = future.result()
            _drain(updates, progress)
    return {site.label: results[site.label] for site in sites}


def run_sites_on_cluster(client: Any, sites: list[SiteRun], progress: SiteProgress | None = None) -> dict[str, dict[str, Any]]:
    """Each site one task on a Dask cluster (a local one, or the one at a scheduler address), largest
    first: Dask starts tasks submitted earlier first. A worker writes its site's folder itself and sends
    back only the summary, so the folder must be one the workers can write (a shared filesystem, for a
    cluster of several machines). Progress is per site, as each finishes."""
    from distributed import as_completed

    futures = {client.submit(run_site, site, pure=False, key=f"baytwin-site-{site.label}-{os.urandom(4).hex()}"): site
               for site in largest_first(sites)}
    results: dict[str, dict[str, Any]] = {}
    try:
        for future in as_completed(futures):
            site = futures[future]
            results[site.label] = future.result()
            if progress is not None:
                progress(site.label, site.days, site.days)
    finally:
        for future in futures:  # interrupted: nothing left running on the cluster
            if not future.done():
                future.cancel()
    return {site.label: results[site.label] for site in sites}


_updates: Any = None  # the worker's end of the progress queue


def _worker_init(updates: Any) -> None:
    global _updates
    _updates = updates


def _worker_run(site: SiteRun) -> dict[str, Any]:
    return run_site(site, lambda label, done, total: _updates.put((label, done, total)))


def _drain(updates: Any, progress: SiteProgress | None) -> None:
    while True:
        try:
            label, done, total = updates.get_nowait()
        except queue.Empty:
            return
        if progress is not None:
            progress(label, done, total)


def portfolio_document(portfolio: Portfolio, sites: list[SiteRun], summaries: Mapping[str, Mapping[str, Any]],
                       run_seed: int, wall_seconds: float) -> dict[str, Any]:
    """What ``portfolio.json`` holds: the portfolio as run, each site's headline figures and the totals."""
    return {
        "portfolio": portfolio.name,
        "description": portfolio.description,
        "source": portfolio.source,
        "seed": run_seed,
        "days": sites[0].days if sites else portfolio.days,
        "overrides": portfolio.overrides,
        "sites": [{"label": site.label, "scenario": site.scenario_ref, "scenario_name": site.scenario.name,
                   "seed": site.seed, "folder": site.label, "overrides": site.overrides,
                   **headline(summaries[site.label])} for site in sites],
        "total": totals(summaries),
        "how_totals_are_formed": how_totals_are_formed(),
        "wall_seconds": round(wall_seconds, 3),
    }


def portfolio_frame(document: Mapping[str, Any]) -> pd.DataFrame:
    """One row per site and a last row ``total``: the table of portfolio.csv and of the command line."""
    rows = [{"site": s["label"], "scenario": s["scenario"], "seed": s["seed"], **{k: s[k] for k in HEADLINE}}
            for s in document["sites"]]
    rows.append({"site": "total", "scenario": document["portfolio"], "seed": document["seed"],
                 **document["total"]})
    return pd.DataFrame(rows, columns=["site", "scenario", "seed", *HEADLINE])


def write_portfolio(document: Mapping[str, Any], out: Path) -> list[Path]:
    """Write ``portfolio.json`` and ``portfolio.csv`` (each renamed into place when complete)."""
    out.mkdir(parents=True, exist_ok=True)
    frame = portfolio_frame(document)
    return [
        atomic_write(out / "portfolio.json", lambda p: p.write_text(json.dumps(document, indent=2) + "\n",
                                                                    encoding="utf-8")),
        atomic_write(out / "portfolio.csv", lambda p: frame.to_csv(p, index=False)),
    ]


def run_portfolio(portfolio: Portfolio, out: Path, seed: int | None = None, days: float | None = None,
                  workers: int = 1, progress: SiteProgress | None = None,
                  display: AbstractContextManager[Any] | None = None, client: Any = None) -> dict[str, Any]:
    """Run every site into ``out/<label>/``, write portfolio.json and portfolio.csv, return the document.
    With a Dask ``client`` the sites run on its cluster."""
    started = time.perf_counter()
    sites = plan_sites(portfolio, seed, days, out.resolve() if client is not None else out)
    summaries = run_sites(sites, workers, progress, display, client)
    document = portfolio_document(portfolio, sites, summaries, portfolio.seed if seed is None else seed,
                                  time.perf_counter() - started)
    write_portfolio(document, out)
    return document
