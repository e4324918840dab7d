"""The benchmarks' table, as text: one row per figure, its value beside its baseline, ratio and target.

Kept apart from the pytest hooks so the same table can be drawn again from a saved ``results.json``:
``python -m tests.benchmarks.report bench/results.json``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

COLUMNS = ("benchmark", "figure", "median", "baseline", "ratio", "target", "met")


def number(value: float | None, unit: str = "") -> str:
    """A figure as a reader wants it: three significant digits or so, thousands separated, its unit."""
    if value is None:
        return "-"
    size = abs(value)
    text = f"{value:,.0f}" if size >= 100 else f"{value:.2f}" if size >= 1 else f"{value:.3g}"
    return f"{text} {unit}".strip()


def rows(entries: list[dict[str, Any]]) -> list[tuple[str, ...]]:
    out = []
    for entry in entries:
        figures = entry["figures"] or [None]
        for figure in figures:
            if figure is None:  # a benchmark that states no figure: its time alone, flagged
                out.append((entry["benchmark"], "time (no baseline stated)", number(entry["median_s"], "s"),
                            "-", "-", "-", "-"))
                continue
            baseline = "-" if figure["baseline"] is None else \
                f"{number(figure['baseline'], figure['unit'])} ({figure['baseline_name']})"
            ratio = "-" if figure["ratio"] is None else f"{figure['ratio']:.2f}x"
            targets = "; ".join(t["text"] for t in figure["targets"]) or "-"
            met = "; ".join({True: "yes", False: "NO", None: "?"}[m] for m in figure["met"]) or "-"
            out.append((entry["benchmark"], figure["name"], number(figure["value"], figure["unit"]),
                        baseline, ratio, targets, met))
    return out


def render_table(entries: list[dict[str, Any]]) -> list[str]:
    """The table's lines, columns padded; the load average each benchmark ran under, beneath it."""
    body = rows(entries)
    widths = [max(len(c), *(len(r[i]) for r in body)) for i, c in enumerate(COLUMNS)]
    line = lambda cells: "  ".join(cell.ljust(w) for cell, w in zip(cells, widths)).rstrip()  # noqa: E731
    lines = [line(COLUMNS), line(tuple("-" * w for w in widths)), *(line(r) for r in body)]
    loads = [e["load_average_after"] for e in entries if e.get("load_average_after") is not None]
    if loads:
        lines.append(f"load average while measuring: {min(loads):.1f}-{max(loads):.1f} "
                     "(figures from a busy machine are lower bounds of what it can do)")
    lines.append("ratio: our cost over the baseline's (time over time; for a rate, the baseline's rate over ours)")
    return lines


def main(argv: list[str]) -> int:
    path = Path(argv[1]) if len(argv) > 1 else Path("bench") / "results.json"
    document = json.loads(path.read_text(encoding="utf-8"))
    print("\n".join(render_table(document["benchmarks"])))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
