"""The fit report: each headline figure in the export and in a run of the fitted scenario, side by side.

Written twice, as Markdown for a person and as JSON for a script, from one list of rows, so the two can
never disagree. The run's figures come from a simulation of the fitted scenario, not from the fitted
parameters: a good fit is one whose twin behaves like the site.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from baytwin.sim.runner import atomic_write
from baytwin.sim.session_figures import FIGURES, relative_difference


@dataclass(frozen=True)
class FitReport:
    """What was fitted from what, and the figures of the data beside those of the twin."""

    export: dict[str, Any]  # file name, format, time zone, sessions, rows, skipped, span
    base: str
    scenario: str
    simulated_days: float
    seed: int
    data: dict[str, float | None]
    fitted: dict[str, float | None]
    notes: tuple[str, ...]

    def rows(self) -> list[dict[str, Any]]:
        return [{"figure": key, "label": label, "unit": unit, "data": self.data[key], "fitted": self.fitted[key],
                 "relative_difference": relative_difference(self.fitted[key], self.data[key])}
                for key, (label, unit) in FIGURES.items()]

    def as_json(self) -> dict[str, Any]:
        return {"export": self.export, "base": self.base, "scenario": self.scenario,
                "simulated_days": self.simulated_days, "seed": self.seed, "notes": list(self.notes),
                "figures": self.rows()}

    def as_markdown(self) -> str:
        e = self.export
        lines = [
            f"# Fit report: {self.scenario}",
            "",
            f"- export: `{e['file']}` ({e['format']}), {e['sessions']:,} sessions used of {e['rows']:,} rows "
            f"(skipped: {e['skipped_text']}), {e['span_days']:g} days, times in {e['timezone']}",
            f"- base scenario: `{self.base}`",
            f"- fitted scenario simulated for {self.simulated_days:g} days (seed {self.seed})",
            "",
            "| figure | data | fitted (simulated) | difference |",
            "|---|---:|---:|---:|",
        ]
        for row in self.rows():
            diff = row["relative_difference"]
            lines.append(f"| {row['label']} | {format_value(row['data'], row['unit'])} | "
                         f"{format_value(row['fitted'], row['unit'])} | "
                         f"{'-' if diff is None else f'{diff:+.1%}'} |")
        lines += ["", "What the fit assumed:", ""] + [f"- {note}" for note in self.notes]
        return "\n".join(lines) + "\n"

    def write(self, markdown: Path) -> tuple[Path, Path]:
        """``markdown`` and the JSON beside it (same name, ``.json``)."""
        data = markdown.with_suffix(".json")
        atomic_write(markdown, lambda p: p.write_text(self.as_markdown(), encoding="utf-8"))
        atomic_write(data, lambda p: p.write_text(json.dumps(self.as_json(), indent=2) + "\n", encoding="utf-8"))
        return markdown, data


def format_value(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "share":
        return f"{value:.1%}"
    if unit == "count":
        return f"{value:,.1f}"
    return f"{value:.2f} {unit}"
