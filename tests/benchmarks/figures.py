"""How a benchmark states its figures: each beside the baseline measured in the same run, and its target.

Machines differ and this one is shared, so an absolute figure means little on its own; the ratio to a
baseline measured minutes apart on the same machine is what can be compared between runs. A benchmark
calls ``record`` once per figure; the figures go into pytest-benchmark's ``extra_info["figures"]``,
from where tests/benchmarks/conftest.py prints the table at the end of ``make bench`` and writes it
as JSON.

The ratio is always *our cost over the baseline's*: time over time, latency over latency, and for a
rate (messages/s, crops/s) the baseline's rate over ours. Above 1 we are slower by that factor.
"""

from __future__ import annotations

import math
import operator
from dataclasses import asdict, dataclass
from typing import Any, Literal

Better = Literal["lower", "higher"]
LIMITS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}


@dataclass(frozen=True)
class Target:
    """A limit a figure must keep, on its value or on its ratio to the baseline, and where it comes from."""

    on: Literal["value", "ratio"]
    op: Literal["<", "<=", ">", ">="]
    limit: float
    source: str = "issue"

    def met(self, value: float, ratio: float | None) -> bool | None:
        subject = value if self.on == "value" else ratio
        if subject is None or math.isnan(subject):
            return None
        return LIMITS[self.op](subject, self.limit)

    def __str__(self) -> str:
        return f"{'ratio' if self.on == 'ratio' else 'value'} {self.op} {self.limit:g} ({self.source})"


@dataclass(frozen=True)
class Figure:
    name: str
    unit: str
    value: float
    baseline_name: str | None
    baseline: float | None
    ratio: float | None
    better: Better
    targets: tuple[Target, ...]
    met: tuple[bool | None, ...]
    note: str

    def as_json(self) -> dict[str, Any]:
        document = asdict(self)
        document["targets"] = [{**asdict(t), "text": str(t)} for t in self.targets]
        document["met"] = list(self.met)
        return document


def cost_ratio(value: float, baseline: float | None, better: Better) -> float | None:
    """Our cost over the baseline's (see the module's docstring); None without a usable baseline."""
    if baseline is None or baseline == 0 or value == 0:
        return None
    return value / baseline if better == "lower" else baseline / value


def record(benchmark: Any, name: str, value: float, unit: str, *, baseline: float | None = None,
           baseline_name: str | None = None, better: Better = "lower", targets: tuple[Target, ...] = (),
           note: str = "") -> Figure:
    """Add one figure to the benchmark's report; returns it (with its ratio) for the test's own printing."""
    ratio = cost_ratio(value, baseline, better)
    figure = Figure(name, unit, value, baseline_name, baseline, ratio, better, targets,
                    tuple(t.met(value, ratio) for t in targets), note)
    benchmark.extra_info.setdefault("figures", []).append(figure.as_json())
    return figure
