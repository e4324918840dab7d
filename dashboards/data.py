"""From files on disk to the DataFrames the pages show.

Two layers. The pure functions (``discover``, ``summary_table``, ``availability_by_hour``,
``scenario_differences``, ``load_sweep``, ``rank_cells``, ``load_ocr_eval``, ...) take paths or
frames and return frames; they need no Streamlit and are tested on their own. The ``read_*``
functions at the bottom are the cached file reads the pages use: keyed by path and modification
time, so a page rerun after a widget change costs nothing, and a file rewritten by a new run is
read again.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import streamlit as st

SUMMARY_FILE, SCENARIO_FILE, TIMESERIES_FILE = "summary.json", "scenario.json", "timeseries.parquet"
SWEEP_FILE, SWEEP_RUNS_FILE, SWEEP_CELLS_FILE = "sweep.json", "runs.parquet", "cells.parquet"
OCR_REPORT_FILE, OCR_CONDITIONS_FILE, OCR_READS_FILE, OCR_CONFUSIONS_FILE = (
    "report.json", "by_condition.csv", "reads.csv", "confusions.csv")
OCR_MISREADS_DIR = "misreads"
PORTFOLIO_FILE = "portfolio.json"

THROUGHPUT_FIGURES = ("served", "blocked", "turnover_per_bay_day", "charging_share_of_bay_time", "energy_kwh")
VIOLATION_FIGURES = ("violations_true", "violations_detected", "precision", "recall", "false_penalties",
                     "time_to_detection_min_mean", "idle_fee_revenue")
ABSENT = "(absent)"
RUN_DESCRIPTORS = frozenset({"days", "ev_bays", "general_bays", "seed", "wall_seconds"})
PREFERRED_METRIC = "mean_occupied_bays"  # the availability figure: what a sweep is usually run to improve


class DataProblem(ValueError):
    """A folder or file the dashboard cannot use; ``str(err)`` is ``file: field: problem``."""


# --- what is there -----------------------------------------------------------------------


@dataclass(frozen=True)
class Found:
    """Everything a dashboard can show under one folder."""

    root: Path
    runs: list[Path] = field(default_factory=list)
    sweeps: list[Path] = field(default_factory=list)
    ocr_evals: list[Path] = field(default_factory=list)
    portfolios: list[Path] = field(default_factory=list)  # portfolio runs: portfolio.json and a folder per site

    def label(self, folder: Path) -> str:
        """A folder's name relative to the root, as the user sees it in the pickers."""
        try:
            relative = folder.relative_to(self.root).as_posix()
        except ValueError:
            return str(folder)
        return relative if relative != "." else folder.name


_SKIPPED_DIRS = {OCR_MISREADS_DIR, "images", "__pycache__"}


def discover(root: Path) -> Found:
    """Every run folder (summary.json and scenario.json), sweep folder (sweep.json) and OCR
    evaluation folder (report.json and by_condition.csv) at any depth under ``root``."""
    found = Found(root)
    if not root.is_dir():
        return found
    for dirpath, dirnames, filenames in os.walk(root):
        names = set(filenames)
        folder = Path(dirpath)
        if {SUMMARY_FILE, SCENARIO_FILE} <= names:
            found.runs.append(folder)
        if SWEEP_FILE in names:
            found.sweeps.append(folder)
        if {OCR_REPORT_FILE, OCR_CONDITIONS_FILE} <= names:
            found.ocr_evals.append(folder)
        if PORTFOLIO_FILE in names:
            found.portfolios.append(folder)
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d not in _SKIPPED_DIRS)
    for folders in (found.runs, found.sweeps, found.ocr_evals, found.portfolios):
        folders.sort()
    return found


# --- runs --------------------------------------------------------------------------------


def format_figure(value: Any) -> str:
    """A figure as a person reads it: thousands separated, three decimals, a dash for none."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.3f}" if abs(value) < 1000 else f"{value:,.1f}"
    return str(value)


def summary_table(summaries: dict[str, dict[str, Any]], figures: Iterable[str]) -> pd.DataFrame:
    """One row per figure, one column per run: the raw values from each summary.json."""
    figures = list(figures)
    table = pd.DataFrame({label: [summary.get(f) for f in figures] for label, summary in summaries.items()},
                         index=pd.Index(figures, name="figure"), dtype=object)
    return table


def formatted(table: pd.DataFrame) -> pd.DataFrame:
    """The same table with every value formatted for display."""
    return table.map(format_figure)


def availability_by_hour(timeseries: pd.DataFrame, ev_bays: int, timezone: str) -> pd.DataFrame:
    """Mean free EV bays by hour of the site's local day, from the hourly samples of
    timeseries.parquet (free = EV bays minus occupied ones, whoever occupies them)."""
    if timeseries.empty:
        return pd.DataFrame({"hour": pd.Series(dtype=int), "mean_free_ev_bays": pd.Series(dtype=float),
                             "samples": pd.Series(dtype=int)})
    local = pd.to_datetime(timeseries["ts"], utc=True).dt.tz_convert(timezone)
    free = ev_bays - timeseries["occupied_ev_bays"].astype(float)
    grouped = free.groupby(local.dt.hour.rename("hour"))
    return pd.DataFrame({"mean_free_ev_bays": grouped.mean(), "samples": grouped.size()}).reset_index()


def flatten(tree: Any, prefix: str = "") -> dict[str, Any]:
    """Dotted paths to leaves. Lists of plain values are one leaf (compared whole); lists holding
    mappings are walked by index, ``path[0].field``."""
    if isinstance(tree, dict):
        if not tree:
            return {prefix: {}} if prefix else {}
        out: dict[str, Any] = {}
        for key, value in tree.items():
            out.update(flatten(value, f"{prefix}.{key}" if prefix else str(key)))
        return out
    if isinstance(tree, list) and any(isinstance(item, (dict, list)) for item in tree):
        out = {}
        for i, item in enumerate(tree):
            out.update(flatten(item, f"{prefix}[{i}]"))
        return out
    return {prefix: tree}


def _shown(value: Any) -> str:
    if value is ABSENT:
        return ABSENT
    if isinstance(value, (list, dict)):
        return json.dumps(value)
    return "null" if value is None else str(value)


def scenario_differences(trees: dict[str, dict[str, Any]]) -> pd.DataFrame:
    """The paths whose values differ between the scenarios (a path one of them lacks counts),
    one column per scenario, values as text."""
    flat = {label: flatten(tree) for label, tree in trees.items()}
    paths: list[str] = []
    for leaves in flat.values():
        paths.extend(p for p in leaves if p not in paths)
    rows = []
    for path in paths:
        values = [leaves.get(path, ABSENT) for leaves in flat.values()]
        shown = [_shown(v) for v in values]
        if len(set(shown)) > 1:
            rows.append([path, *shown])
    return pd.DataFrame(rows, columns=["path", *trees.keys()])


def load_runs(found: Found, json_reader: Callable[[Path], Any] | None = None
              ) -> tuple[dict[str, tuple[Path, dict[str, Any], dict[str, Any]]], list[str]]:
    """Every run found, as ``{label: (folder, scenario, summary)}``, and one line per run folder that
    could not be read (the others are still shown). The pages pass the cached reader."""
    reader = json_reader or _json_file
    runs: dict[str, tuple[Path, dict[str, Any], dict[str, Any]]] = {}
    problems: list[str] = []
    for folder in found.runs:
        try:
            scenario, summary = reader(folder / SCENARIO_FILE), reader(folder / SUMMARY_FILE)
        except DataProblem as err:
            problems.append(str(err))
            continue
        if not isinstance(scenario, dict) or not isinstance(summary, dict):
            problems.append(f"{folder / SUMMARY_FILE}: (top level): expected a JSON object")
            continue
        runs[found.label(folder)] = (folder, scenario, summary)
    return runs, problems


# --- sweeps ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sweep:
    """A sweep folder: its spec (sweep.json), one row per run, one row per grid cell."""

    folder: Path
    spec: dict[str, Any]
    runs: pd.DataFrame
    cells: pd.DataFrame

    @property
    def axes(self) -> list[str]:
        return list(self.spec["axes"])

    def axis_path(self, axis: str) -> str:
        return str(self.spec["axes"][axis].get("path", axis))

    def axis_values(self, axis: str) -> list[Any]:
        """The axis's values in the order the sweep declared them, then any others the cells hold."""
        declared = list(self.spec["axes"][axis].get("values") or [])
        present = list(pd.unique(self.cells[axis]))
        ordered = [v for v in declared if any(_same(v, p) for p in present)]
        return ordered + [p for p in present if not any(_same(p, v) for v in ordered)]

    @property
    def currency(self) -> str:
        """The currency of the sweep's money figures, as the sweep recorded it (GBP before it did)."""
        return str(self.spec.get("currency") or "GBP")

    @property
    def metrics(self) -> list[str]:
        """Metrics the cells carry a mean for, the declared ones first; not the figures that only
        describe the run (days, bays), which no policy changes."""
        have = [c.removesuffix("_mean") for c in self.cells.columns
                if c.endswith("_mean") and c.removesuffix("_mean") not in RUN_DESCRIPTORS]
        declared = [m for m in self.spec.get("metrics") or [] if m in have]
        return declared + [m for m in have if m not in declared]


def _same(a: Any, b: Any) -> bool:
    try:
        return bool(a == b) or (isinstance(a, (int, float)) and isinstance(b, (int, float)) and float(a) == float(b))
    except (TypeError, ValueError):
        return False


def check_sweep(folder: Path, spec: Any, runs: pd.DataFrame, cells: pd.DataFrame) -> Sweep:
    """The sweep, or a DataProblem naming the file and field that break the sweep contract."""
    spec_file = folder / SWEEP_FILE
    if not isinstance(spec, dict):
        raise DataProblem(f"{spec_file}: (top level): expected a JSON object")
    axes = spec.get("axes")
    if not isinstance(axes, dict) or not axes:
        raise DataProblem(f"{spec_file}: axes: expected a mapping of axis name to {{path, values}}")
    for name, axis in axes.items():
        if not isinstance(axis, dict):
            raise DataProblem(f"{spec_file}: axes.{name}: expected {{path, values}}")
        if name not in cells.columns:
            raise DataProblem(f"{folder / SWEEP_CELLS_FILE}: {name}: axis column missing")
    if not any(c.endswith("_mean") for c in cells.columns):
        raise DataProblem(f"{folder / SWEEP_CELLS_FILE}: <metric>_mean: no metric columns")
    return Sweep(folder, spec, runs, cells)


def load_sweep(folder: Path) -> Sweep:
    """Read a sweep folder without caching (the pages use ``read_sweep``)."""
    return _sweep_from(folder, _json_file, pd.read_parquet)


def _sweep_from(folder: Path, json_reader: Callable[[Path], Any],
                parquet_reader: Callable[[Path], pd.DataFrame]) -> Sweep:
    for name in (SWEEP_FILE, SWEEP_RUNS_FILE, SWEEP_CELLS_FILE):
        if not (folder / name).is_file():
            raise DataProblem(f"{folder / name}: file not found")
    return check_sweep(folder, json_reader(folder / SWEEP_FILE), parquet_reader(folder / SWEEP_RUNS_FILE),
                       parquet_reader(folder / SWEEP_CELLS_FILE))


def select(frame: pd.DataFrame, fixed: dict[str, Any]) -> pd.DataFrame:
    """The rows whose axis columns hold the fixed values."""
    mask = pd.Series(True, index=frame.index)
    for axis, value in fixed.items():
        mask &= frame[axis].map(lambda v, value=value: _same(v, value))
    return frame[mask]


def metric_frame(cells: pd.DataFrame, axes: list[str], metric: str) -> pd.DataFrame:
    """The axis columns with one metric's mean, confidence interval and the cell's run count."""
    columns = {"mean": f"{metric}_mean", "ci_low": f"{metric}_ci_low", "ci_high": f"{metric}_ci_high"}
    out = cells[axes].copy()
    for short, column in columns.items():
        out[short] = cells[column] if column in cells.columns else float("nan")
    out["n"] = cells["n"] if "n" in cells.columns else pd.NA
    return out.reset_index(drop=True)


@dataclass(frozen=True)
class Constraint:
    """``metric op bound``; with ``conservative`` the whole confidence interval must meet it."""

    metric: str
    op: Literal["<=", ">="]
    bound: float

    def column(self, conservative: bool) -> str:
        if not conservative:
            return f"{self.metric}_mean"
        return f"{self.metric}_ci_high" if self.op == "<=" else f"{self.metric}_ci_low"

    def holds(self, cells: pd.DataFrame, conservative: bool) -> pd.Series:
        column = self.column(conservative)
        values = pd.to_numeric(cells[column] if column in cells.columns else cells[f"{self.metric}_mean"],
                               errors="coerce")
        return values <= self.bound if self.op == "<=" else values >= self.bound


def rank_cells(cells: pd.DataFrame, axes: list[str], objective: str, maximize: bool,
               constraints: Iterable[Constraint] = (), conservative: bool = False) -> pd.DataFrame:
    """The grid cells (policies) that meet every constraint, best objective mean first, with the
    objective's and the constraints' means and intervals beside the axis values."""
    constraints = list(constraints)
    feasible = pd.Series(True, index=cells.index)
    for constraint in constraints:
        feasible &= constraint.holds(cells, conservative)
    chosen = cells[feasible & cells[f"{objective}_mean"].notna()]
    shown = [objective, *[c.metric for c in constraints if c.metric != objective]]
    columns = list(axes)
    for metric in dict.fromkeys(shown):
        columns += [c for c in (f"{metric}_mean", f"{metric}_ci_low", f"{metric}_ci_high") if c in cells.columns]
    if "n" in cells.columns:
        columns.append("n")
    ranked = chosen.sort_values(f"{objective}_mean", ascending=not maximize, kind="stable")[columns]
    ranked = ranked.reset_index(drop=True)
    ranked.index = ranked.index + 1
    ranked.index.name = "rank"
    return ranked


# --- OCR evaluations ---------------------------------------------------------------------

MISREAD_NAME = re.compile(r"^(?P<n>\d+)_(?P<truth>.+?)_read_(?P<read>.+)_(?P<status>accepted|review|unreadable)\.png$")
OCR_GROUPS = ("font", "design", "country")  # by_<group>.csv: the reader per typeface, plate design, issuing country
OCR_GRID_METRICS = ("exact_plate_accuracy", "char_accuracy", "accepted_share", "dangerous_read_rate",
                    "misread_rate", "noread_rate", "voted_accuracy")


@dataclass(frozen=True)
class Misread:
    """One crop of the gallery; ``dangerous`` when the wrong read passed the confidence gate."""

    path: Path
    truth: str
    read: str | None
    status: str

    @property
    def dangerous(self) -> bool:
        return self.status == "accepted"


def parse_misread(path: Path) -> Misread | None:
    """A gallery crop from its name ``NNN_<truth>_read_<read>_<status>.png`` (read ``none`` = nothing read)."""
    match = MISREAD_NAME.match(path.name)
    if match is None:
        return None
    read = match["read"]
    return Misread(path, match["truth"], None if read == "none" else read, match["status"])


@dataclass(frozen=True)
class OcrEval:
    folder: Path
    report: dict[str, Any]
    by_condition: pd.DataFrame
    reads: pd.DataFrame
    confusions: pd.DataFrame
    misreads: list[Misread]
    groups: dict[str, pd.DataFrame] = field(default_factory=dict)  # by font, design, country: those written


def misreads_in(folder: Path) -> list[Misread]:
    gallery = folder / OCR_MISREADS_DIR
    if not gallery.is_dir():
        return []
    return [m for m in (parse_misread(p) for p in sorted(gallery.glob("*.png"))) if m is not None]


def load_ocr_eval(folder: Path) -> OcrEval:
    """Read an OCR evaluation folder without caching (the pages use ``read_ocr_eval``)."""
    return _ocr_from(folder, _json_file, _csv_file)


def _ocr_from(folder: Path, json_reader: Callable[[Path], Any], csv_reader: Callable[[Path], pd.DataFrame]) -> OcrEval:
    if not (folder / OCR_REPORT_FILE).is_file():
        raise DataProblem(f"{folder / OCR_REPORT_FILE}: file not found")
    report = json_reader(folder / OCR_REPORT_FILE)
    if not isinstance(report, dict):
        raise DataProblem(f"{folder / OCR_REPORT_FILE}: (top level): expected a JSON object")

    def table(name: str, columns: list[str]) -> pd.DataFrame:
        path = folder / name
        return csv_reader(path) if path.is_file() else pd.DataFrame(columns=columns)

    groups = {group: csv_reader(folder / f"by_{group}.csv") for group in OCR_GROUPS
              if (folder / f"by_{group}.csv").is_file()}
    return OcrEval(folder, report,
                   table(OCR_CONDITIONS_FILE, ["condition", "severity", "images", *OCR_GRID_METRICS]),
                   table(OCR_READS_FILE, ["file", "truth", "read", "confidence", "status", "correct", "conditions"]),
                   table(OCR_CONFUSIONS_FILE, ["truth", "read", "count"]),
                   misreads_in(folder), {g: t for g, t in groups.items() if not t.empty})


def dangerous_reads(reads: pd.DataFrame) -> pd.DataFrame:
    """Reads that were wrong and still accepted: the ones that would bill the wrong driver."""
    if reads.empty:
        return reads
    correct = reads["correct"].astype(str).str.lower() == "true"
    failed = reads["error"].astype("string").fillna("") != "" if "error" in reads.columns else False
    return reads[(reads["status"] == "accepted") & ~correct & ~failed].reset_index(drop=True)


def confusion_pairs(confusions: pd.DataFrame) -> pd.DataFrame:
    """Confusions as ``truth → read`` pairs, most frequent first (an empty side: missed or extra)."""
    out = confusions.copy()
    for side in ("truth", "read"):
        out[side] = out[side].fillna("").astype(str)
    out["pair"] = out["truth"].replace("", "∅") + " → " + out["read"].replace("", "∅")
    return out.sort_values("count", ascending=False, kind="stable").reset_index(drop=True)


# --- cached reads (the pages' only way to the disk) --------------------------------------


def _json_file(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise DataProblem(f"{path}: line {err.lineno}: invalid JSON: {err.msg}") from None


def _csv_file(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, keep_default_na=True, dtype={"truth": str, "read": str, "raw": str})


def _stamp(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except FileNotFoundError:
        raise DataProblem(f"{path}: file not found") from None


@st.cache_data(show_spinner=False, max_entries=512)
def _cached_json(path: str, stamp: int) -> Any:
    """``stamp`` (the file's modification time) is there only to be part of the cache key."""
    return _json_file(Path(path))


@st.cache_data(show_spinner=False, max_entries=256)
def _cached_parquet(path: str, stamp: int, columns: tuple[str, ...] | None) -> pd.DataFrame:
    return pd.read_parquet(path, columns=list(columns) if columns else None)


@st.cache_data(show_spinner=False, max_entries=128)
def _cached_csv(path: str, stamp: int) -> pd.DataFrame:
    return _csv_file(Path(path))


def read_json(path: Path) -> Any:
    return _cached_json(str(path), _stamp(path))


def read_parquet(path: Path, columns: Iterable[str] | None = None) -> pd.DataFrame:
    return _cached_parquet(str(path), _stamp(path), tuple(columns) if columns else None)


def read_csv(path: Path) -> pd.DataFrame:
    return _cached_csv(str(path), _stamp(path))


@st.cache_data(show_spinner=False, ttl=15)
def read_found(root: str) -> Found:
    """What is under the runs folder, looked at again at most every 15 seconds."""
    return discover(Path(root))


def read_sweep(folder: Path) -> Sweep:
    return _sweep_from(folder, read_json, read_parquet)


def read_ocr_eval(folder: Path) -> OcrEval:
    return _ocr_from(folder, read_json, read_csv)
