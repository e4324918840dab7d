"""A sweep's results folder: one small file per finished run, and the sweep's description.

Each run's record is written (temporary name, then rename) the moment it comes back, so a sweep
that is stopped, or whose machine dies, loses only the runs in flight; rerunning the same command
skips every run that has a record. ``sweep.json`` names the sweep the folder holds, and a different
sweep pointed at the same folder is refused rather than mixed in.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from baytwin.sim.runner import atomic_write
from baytwin.sim.sweep.plan import RunTask, SweepPlan
from baytwin.sim.sweep.task import Metrics

MANIFEST = "sweep.json"
IDENTITY_KEYS = ("scenario", "axes", "base_seed", "days", "fixed_overrides", "base_scenario_digest")


class SweepFolderProblem(ValueError):
    """The folder holds another sweep, or something that is not a sweep."""


@dataclass(frozen=True)
class RunRecord:
    run_id: str
    cell: str
    axes: dict[str, Any]
    replication: int
    seed: int
    metrics: Metrics | None
    error: str | None

    @property
    def ok(self) -> bool:
        return self.error is None


class RunStore:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.runs_dir = folder / "runs"

    def claim(self, plan: SweepPlan) -> None:
        """Make the folder this sweep's, or check that it already is."""
        manifest = self.folder / MANIFEST
        identity = plan.identity()
        if manifest.is_file():
            try:
                existing = json.loads(manifest.read_text(encoding="utf-8"))
            except json.JSONDecodeError as err:
                raise SweepFolderProblem(f"{manifest}: not valid JSON ({err.msg})") from None
            differs = [k for k in IDENTITY_KEYS if _normal(existing.get(k)) != _normal(identity[k])]
            if differs:
                raise SweepFolderProblem(
                    f"{self.folder}: holds a different sweep ({', '.join(differs)} differ); "
                    "use another --out folder, or delete this one to start over")
        elif self.runs_dir.is_dir() and any(self.runs_dir.glob("*.json")):
            raise SweepFolderProblem(f"{self.folder}: has run records but no {MANIFEST}; not a sweep folder to reuse")
        self.runs_dir.mkdir(parents=True, exist_ok=True)
        if not manifest.is_file():  # counts kept current at the end; a reader mid-sweep sees the plan
            self.write_manifest(plan, [], {"total": len(plan.runs), "done": self.finished(plan), "failed": 0})

    def finished(self, plan: SweepPlan) -> int:
        """How many of the plan's runs have a successful record already."""
        return sum(1 for run in plan.runs if (record := self.load(run.run_id)) is not None and record.ok)

    def path(self, run_id: str) -> Path:
        return self.runs_dir / f"{run_id}.json"

    def load(self, run_id: str) -> RunRecord | None:
        path = self.path(run_id)
        if not path.is_file():
            return None
        try:
            return RunRecord(**json.loads(path.read_text(encoding="utf-8")))
        except (json.JSONDecodeError, TypeError):
            return None  # unreadable: run it again

    def save(self, run: RunTask, metrics: Metrics | None, error: str | None) -> RunRecord:
        record = RunRecord(run.run_id, run.cell.id, dict(run.cell.values), run.replication, run.seed, metrics, error)
        atomic_write(self.path(run.run_id),
                     lambda p: p.write_text(json.dumps(record.__dict__, default=str) + "\n", encoding="utf-8"))
        return record

    def write_manifest(self, plan: SweepPlan, metrics: list[str], counts: dict[str, Any],
                       failed: list[RunRecord] = ()) -> Path:  # type: ignore[assignment]
        document = {
            **plan.identity(),
            "scenario_name": plan.scenario_name,
            "currency": plan_currency(plan),
            "replications": plan.replications,
            "cells": len(plan.cells),
            "metrics": metrics,
            "counts": counts,
            "failed": [{"run_id": r.run_id, "cell": r.cell, "replication": r.replication, "seed": r.seed,
                        "error": r.error} for r in failed],
        }
        return atomic_write(self.folder / MANIFEST, lambda p: p.write_text(
            json.dumps(document, indent=2, default=str) + "\n", encoding="utf-8"))


def plan_currency(plan: SweepPlan) -> str | None:
    """The currency of the sweep's money figures (the site's, else its policy's idle fee), so a reader
    of the tables needs no scenario; None for a portfolio, whose sites may bill in different money."""
    scenario = plan.runs[0].scenario if plan.runs else None
    site = getattr(scenario, "site", None)
    policy = getattr(scenario, "policy", None)
    if site is None or policy is None:
        return None
    return getattr(site, "currency", None) or policy.idle_fee.currency


def _normal(value: Any) -> Any:
    """Compare as JSON would store it (tuples are lists, keys are text)."""
    return json.loads(json.dumps(value, default=str, sort_keys=True))
