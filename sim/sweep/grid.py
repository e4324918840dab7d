"""The axes of a sweep: ``--grid name=v1,v2,...`` parsed, resolved to a field of the scenario, expanded.

An axis is named as the user likes to say it. A full dotted path (``policy.rules.overstay.grace_min``)
is taken exactly as ``--set`` takes it. A short name resolves to the one field of the loaded scenario
(and its policy) it names: its last segment (``grace_min``), or its last segments joined by ``.`` or
``_`` (``overstay.grace_min``, ``idle_fee_per_min``). Two fields of that name are an error listing
both, so a sweep never varies a field the user did not mean.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import yaml

RESERVED_NAMES = {"run_id", "cell", "replication", "n"}  # columns of runs.parquet / cells.parquet


class GridProblem(ValueError):
    """An axis that cannot be parsed or resolved; ``str(err)`` is the one-line message."""


@dataclass(frozen=True)
class Axis:
    """One dimension of the sweep: the name as written, the field it sets, the values it takes."""

    name: str
    path: str
    values: tuple[Any, ...]


@dataclass(frozen=True)
class Cell:
    """One combination of axis values: the scenario a group of replications runs."""

    values: tuple[tuple[str, Any], ...]  # (axis name, value) in axis order

    @property
    def id(self) -> str:
        """Stable and readable, e.g. ``grace_min=5,signage=poor``."""
        return ",".join(f"{name}={render_value(value)}" for name, value in self.values)

    def overrides(self, axes: tuple[Axis, ...]) -> dict[str, Any]:
        """The cell as ``--set`` overrides: full dotted path -> value."""
        paths = {axis.name: axis.path for axis in axes}
        return {paths[name]: value for name, value in self.values}


def render_value(value: Any) -> str:
    """A value as the user would type it: ``5``, ``0.25``, ``poor``, ``[1, 2]``."""
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def parse_grid_item(item: str) -> tuple[str, tuple[Any, ...]]:
    """``name=v1,v2`` -> (name, values). Values are read as YAML, like ``--set``; a value written as a
    YAML list (``name=[[1, 2], [3]]``) gives its elements, for values that contain commas."""
    name, sep, raw = item.partition("=")
    name = name.strip()
    if not sep or not name:
        raise GridProblem(f"--grid {item!r}: expected name=value1,value2,...")
    raw = raw.strip()
    try:
        if raw.startswith("["):
            parsed = yaml.safe_load(raw)
            values = tuple(parsed) if isinstance(parsed, list) else (parsed,)
        else:
            values = tuple(yaml.safe_load(part.strip()) for part in raw.split(",") if part.strip())
    except yaml.YAMLError:
        raise GridProblem(f"--grid {item!r}: a value is not valid YAML") from None
    if not values:
        raise GridProblem(f"--grid {item!r}: no values")
    if len({render_value(v) for v in values}) != len(values):
        raise GridProblem(f"--grid {item!r}: a value is repeated")
    return name, values


def field_paths(tree: Mapping[str, Any], prefix: str = "") -> Iterator[str]:
    """Every field of a scenario document (mappings followed, lists not), as dotted paths."""
    for key, value in tree.items():
        path = f"{prefix}{key}"
        yield path
        if isinstance(value, Mapping):
            yield from field_paths(value, path + ".")


def _names_for(path: str) -> set[str]:
    """The short names a path answers to: its trailing segments joined by ``.`` or ``_``."""
    parts = path.split(".")
    names = set()
    for start in range(len(parts)):
        tail = parts[start:]
        names.add(".".join(tail))
        names.add("_".join(tail))
    return names


def resolve_path(name: str, tree: Mapping[str, Any]) -> str:
    """The full dotted path ``name`` stands for in the scenario ``tree`` (a validated scenario dumped)."""
    paths = list(field_paths(tree))
    if name in paths:
        return name
    matches = sorted(p for p in paths if name in _names_for(p))
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise GridProblem(f"--grid {name}: ambiguous, it could be {', '.join(matches)} (use the full path)")
    if "." in name:  # a full path to a field the scenario leaves empty (e.g. a condition's rates): as --set
        return name
    raise GridProblem(f"--grid {name}: no field of that name in the scenario or its policy")


def resolve_axes(items: list[str], tree: Mapping[str, Any]) -> tuple[Axis, ...]:
    """``--grid`` options -> axes, each naming one distinct field."""
    axes: list[Axis] = []
    for item in items:
        name, values = parse_grid_item(item)
        if name in RESERVED_NAMES:
            raise GridProblem(f"--grid {name}: {name} is a column of the results; name the field by its full path")
        path = resolve_path(name, tree)
        if path == "seed":
            raise GridProblem(f"--grid {name}: seeds are set per run; use --seed and --replications")
        for other in axes:
            if other.name == name or other.path == path:
                raise GridProblem(f"--grid {name}: {path} is already an axis ({other.name})")
        axes.append(Axis(name, path, values))
    if not axes:
        raise GridProblem("--grid: give at least one axis, e.g. --grid grace_min=5,15")
    return tuple(axes)


def expand(axes: tuple[Axis, ...]) -> list[Cell]:
    """Every combination of axis values, the first axis varying slowest."""
    return [Cell(tuple(zip((a.name for a in axes), combo, strict=True)))
            for combo in itertools.product(*(a.values for a in axes))]


def run_id(cell: Cell, seed: int) -> str:
    """A stable id of one run: the same cell values and seed always give the same id."""
    payload = json.dumps([[name, value] for name, value in cell.values] + [["seed", seed]],
                         sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]
