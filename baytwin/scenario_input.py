"""What a user types about a scenario (its name, ``--set``, ``--grid``), checked against what exists.

The loaders name the file a problem is in; but a problem a user typed on the command line is not in
the file, and blaming the file sends them looking in the wrong place. Here a problem that comes from a
``--set`` names that ``--set``, and a name that does not exist (a scenario, a field, a grid axis) comes
with the known name it most resembles.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Any

from baytwin.core.config_error import ConfigError, printable

_GUESS = re.compile(r" \(did you mean ([^?]+)\?\)")


def bundled_names() -> list[str]:
    """Every name ``SCENARIO`` takes besides a path: bundled scenarios (``workplace-garage/baseline``), site
    folders (their baseline) and portfolios (``portfolios/north-estate``)."""
    from baytwin.sim.portfolio import bundled_portfolio_files
    from baytwin.sim.scenario import bundled_scenario_files

    scenarios = bundled_scenario_files()
    names = {f"{p.parent.name}/{p.stem}" for p in scenarios} | {p.parent.name for p in scenarios}
    names |= {f"{p.parent.name}/{p.stem}" for p in bundled_portfolio_files()}
    return sorted(names)


def yaml_files_beside(name: str) -> list[str]:
    """The YAML files in the folder ``name`` points into, written as ``name`` is (``my-site.yml`` ->
    ``my-site.yaml``), or none if that folder does not exist."""
    path = Path(name)
    try:
        found = sorted(path.parent.glob("*.yaml")) + sorted(path.parent.glob("*.yml"))
    except (OSError, ValueError):
        return []
    return [str(path.parent / f.name) if str(path.parent) != "." else f.name for f in found]


def closest(word: str, known: list[str], n: int = 1) -> list[str]:
    """The known names most like ``word`` (none if nothing is close)."""
    return difflib.get_close_matches(word, known, n=n, cutoff=0.6)


def with_scenario_guess(err: ConfigError, name: str) -> ConfigError:
    """``err`` with the bundled name nearest ``name`` when ``name`` was found neither as a file nor as a
    bundled scenario; any other problem unchanged."""
    if err.field or err.source != printable(str(Path(name))) or "not found" not in err.problem:
        return err
    guess = closest(name, bundled_names() + yaml_files_beside(name))
    hint = f"did you mean {guess[0]}?" if guess else "`baytwin sim list` shows the bundled ones"
    return ConfigError(err.source, "", f"{err.problem}; {hint}", more=err.more)


def load_scenario(name: str | Path, overrides: dict[str, Any] | None = None,  # type: ignore[no-untyped-def]
                  given: list[str] | None = None):
    """The scenario ``name`` with ``overrides``, or a ConfigError whose every problem names its true source: the
    ``--set`` at fault, else the scenario or policy file. ``given``: the overrides that are ``--set``s (default:
    all; a sweep adds its axes' values, which it names itself)."""
    from baytwin.sim.scenario import load_scenario as load

    try:
        return load(name, overrides)
    except ConfigError as err:
        keys = list(overrides or {}) if given is None else given
        raise blame_overrides(with_scenario_guess(err, str(name)), keys) from None


def blame_overrides(err: ConfigError, keys: list[str]) -> ConfigError:
    """``err`` with each problem that lies at or under a ``--set`` path reported against that ``--set``."""
    first, *more = [_blamed(problem, keys) for problem in (err, *err.more)]
    return ConfigError(first.source, first.field, first.problem, more=more)


def _blamed(err: ConfigError, keys: list[str]) -> ConfigError:
    for field in (err.field, f"policy.{err.field}") if err.field else ():  # a policy file's problems name the field within the policy
        key = override_at_fault(field, keys)
        if key is not None:
            parent = field.rpartition(".")[0]
            problem = _GUESS.sub(lambda m: f" (did you mean {parent + '.' if parent else ''}{m[1]}?)", err.problem)
            problem = problem.replace(", as overridden by --set)", ")")
            return ConfigError(f"--set {key}", field if len(field) > len(key) else "", problem)
    return ConfigError(err.source, err.field, err.problem)


def override_at_fault(field: str, keys: list[str]) -> str | None:
    """The ``--set`` path that leads to or lies under ``field``; the last such, as a later ``--set`` of one
    path wins."""
    if not field:
        return None
    for key in reversed(keys):
        if key == field or key.startswith(field + ".") or field.startswith(key + "."):
            return key
    return None


def scenario_axes_with_guesses(grid: list[str], base: Any) -> Any:
    """The sweep's axes (sim/sweep/plan.scenario_axes), with the nearest field's name when an axis names
    none: ``--grid grace_mins`` -> did you mean grace_min?"""
    from baytwin.sim.sweep.grid import GridProblem, _names_for, field_paths, parse_grid_item
    from baytwin.sim.sweep.plan import scenario_axes

    try:
        return scenario_axes(grid, base)
    except GridProblem as err:
        tree = base.model_dump(mode="json")
        known = sorted({short for path in field_paths(tree) for short in _names_for(path)})
        for item in grid:
            try:
                name, _ = parse_grid_item(item)
            except GridProblem:
                continue  # a malformed axis: the error already says how to write one
            if str(err).startswith(f"--grid {name}:") and name not in known:
                guesses = closest(name, known)
                if guesses:
                    raise GridProblem(f"{err} (did you mean {guesses[0]}?)") from None
        raise
