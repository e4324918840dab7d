"""Loading data files (YAML) into validated models, with errors a person can act on.

Policies, scenarios and sites are data. A mistake in one must come back as one
line naming the file, the field and the problem, e.g.::

    scenarios/policies/strict.yaml: rules.overstay.grace_min: must be >= 0 (got -5)
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Annotated, Any, Callable, Mapping, TypeVar

import yaml
from pydantic import AfterValidator, BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)


class ConfigError(ValueError):
    """A data file could not be loaded; ``str(err)`` is the one-line message."""

    def __init__(self, source: str | Path, field: str, problem: str) -> None:
        self.source = str(source)
        self.field = field
        self.problem = problem
        where = f"{self.source}: {field}: " if field else f"{self.source}: "
        super().__init__(where + problem)


class _Loader(yaml.SafeLoader):
    """Safe YAML that leaves dates as text, so the models parse them and name the field on error."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_yaml(path: Path) -> dict[str, Any]:
    """Read a YAML mapping, turning every I/O or syntax problem into a ConfigError."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(path, "", "file not found") from None
    except OSError as err:
        raise ConfigError(path, "", f"cannot read file ({err.strerror})") from None
    try:
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "YAML"
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise ConfigError(path, where, f"invalid YAML: {problem}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(path, "", f"expected a mapping at the top level, got {type(data).__name__}")
    return data


def validate(model: type[M], data: Mapping[str, Any], source: str | Path) -> M:
    """Validate ``data`` as ``model``; the first problem becomes a ConfigError."""
    try:
        return model.model_validate(data)
    except ValidationError as err:
        first = err.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "(top level)"
        problem = first["msg"].removeprefix("Value error, ")
        nested = re.match(r"^@([^@]+)@ (.*)$", problem)
        if nested:  # a validator that checks a nested document reports its own path
            field, problem = ".".join(filter(None, [field if first["loc"] else "", nested[1]])), nested[2]
        if first["type"] not in ("missing", "extra_forbidden") and "input" in first:
            shown = repr(first["input"])
            if len(shown) <= 60:
                problem += f" (got {shown})"
        if first["type"] == "extra_forbidden":
            problem = "unknown field"
        raise ConfigError(source, field, problem) from None


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any],
               whole: Callable[[Any], bool] = lambda value: False) -> dict[str, Any]:
    """Return ``base`` with ``override`` merged in, recursively for nested mappings.

    A mapping for which ``whole(value)`` is true replaces its counterpart instead of merging.
    """
    merged = copy.deepcopy(dict(base))
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping) and not whole(value):
            merged[key] = deep_merge(merged[key], value, whole)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def set_path(data: dict[str, Any], dotted: str, value: Any, source: str | Path) -> None:
    """Set ``a.b.c`` in a nested dict in place (the mechanism behind variants and sweeps)."""
    parts = dotted.split(".")
    node: Any = data
    for i, part in enumerate(parts[:-1]):
        child = node.get(part) if isinstance(node, dict) else None
        if child is None:
            child = {}
            node[part] = child
        if not isinstance(child, dict):
            raise ConfigError(source, dotted, f"'{'.'.join(parts[: i + 1])}' is not a mapping")
        node = child
    node[parts[-1]] = copy.deepcopy(value)


def get_path(data: Mapping[str, Any], dotted: str) -> Any:
    """Read ``a.b.c`` from a nested mapping; KeyError if absent."""
    node: Any = data
    for part in dotted.split("."):
        node = node[part]
    return node


def known_time_zone(zone: str) -> str:
    """``zone`` if the IANA database knows it (a site's local time decides active hours and days)."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone '{zone}'") from None
    return zone


TimeZoneName = Annotated[str, AfterValidator(known_time_zone)]  # a config field naming an IANA time zone
