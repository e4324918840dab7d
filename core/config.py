"""Loading data files (YAML) into validated models, with errors a person can act on.

Policies, scenarios and sites are data. A mistake in one must come back as one
line naming the file, the field and the problem, e.g.::

    scenarios/policies/strict.yaml: rules.overstay.grace_min: must be >= 0 (got -5)
"""

from __future__ import annotations

import copy
import difflib
import re
import types
import unicodedata
from pathlib import Path
from typing import Annotated, Any, Callable, Mapping, TypeVar, Union, get_args, get_origin

import yaml
from pydantic import AfterValidator, BaseModel, ValidationError

from baytwin.core.config_error import ConfigError, printable  # noqa: F401 - re-exported: every loader's error

M = TypeVar("M", bound=BaseModel)


#: No data file of ours nests deeper than a dozen levels; a deeper one is corrupt or hostile, and merging or
#: validating it would recurse until Python gives up. Refused on load, with the file named.
MAX_DEPTH = 64
#: Values in a file once its aliases are expanded. A few aliases can stand for billions of values
#: ("billion laughs"); validating them would never end.
MAX_VALUES = 1_000_000


def no_control_characters(value: str) -> str:
    """``value`` unchanged, if it holds no control or format characters.

    Ids (a site's, a bay's, a camera's, a scenario's name) are shown in terminals, logs and dashboards and
    written into file names; escape codes or newlines in one would rewrite what an operator sees."""
    for ch in value:
        if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Zl", "Zp"):
            raise ValueError(f"must not contain control characters or line breaks (found {ascii(ch)})")
    return value


Name = Annotated[str, AfterValidator(no_control_characters)]  # an id or name that is shown in a terminal


class _Loader(yaml.SafeLoader):
    """Safe YAML that leaves dates as text, so the models parse them and name the field on error."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_yaml(path: Path) -> dict[str, Any]:
    """Read a YAML mapping, turning every I/O, encoding or syntax problem into a ConfigError.

    Anything can be handed over as a data file: a photo, a file saved as Latin-1, a path with a NUL byte in
    it. Each is one line naming the file, never a traceback."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(path, "", "file not found") from None
    except OSError as err:
        raise ConfigError(path, "", f"cannot read file ({err.strerror or err})") from None
    except ValueError:  # the operating system cannot even be asked: a NUL byte in the path
        raise ConfigError(path, "", "not a usable path (it contains a NUL byte)") from None
    text = _yaml_text(path, raw)
    try:
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "YAML"
        problem = getattr(err, "problem", None) or (str(err).splitlines() or ["unreadable"])[0]
        raise ConfigError(path, where, f"invalid YAML: {problem}") from None
    except RecursionError:
        raise ConfigError(path, "", f"invalid YAML: nested more than {MAX_DEPTH} levels deep") from None
    _check_shape(path, data)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(path, "", f"expected a mapping at the top level, got {type(data).__name__}")
    return data


def _yaml_text(path: Path, raw: bytes) -> str:
    """The file as text, or a ConfigError saying it is binary or not UTF-8 (YAML files are UTF-8 text)."""
    if b"\x00" in raw:
        raise ConfigError(path, "", "a binary file, not YAML text (it contains NUL bytes)")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw.count(b"\n", 0, err.start) + 1
        raise ConfigError(path, "", f"not UTF-8 text (byte 0x{raw[err.start]:02x} on line {line}); "
                                    "save the file as UTF-8") from None


def _check_shape(path: Path, data: Any) -> None:
    """Refuse a document nested deeper than MAX_DEPTH, holding more than MAX_VALUES values once its aliases are
    expanded, or containing itself through an alias; walked without recursion, each shared node once."""
    done: dict[int, tuple[int, int]] = {}  # id -> (depth, values), for every finished container
    active: set[int] = set()
    stack: list[tuple[Any, bool]] = [(data, False)]
    while stack:
        node, children_done = stack.pop()
        if not isinstance(node, (dict, list)) or id(node) in done:
            continue
        children = list(node.keys()) + list(node.values()) if isinstance(node, dict) else node
        if not children_done:
            if id(node) in active:
                raise ConfigError(path, "", "invalid YAML: an alias refers to a mapping or list that contains it")
            active.add(id(node))
            stack.append((node, True))
            stack.extend((child, False) for child in children)
            continue
        depth, values = 1, len(children)
        for child in children:
            if isinstance(child, (dict, list)):
                if id(child) not in done:  # still open further up: this child contains the node
                    raise ConfigError(path, "", "invalid YAML: an alias refers to a mapping or list that contains it")
                child_depth, child_values = done[id(child)]
                depth, values = max(depth, child_depth + 1), values + child_values
        if depth > MAX_DEPTH:
            raise ConfigError(path, "", f"invalid YAML: nested more than {MAX_DEPTH} levels deep")
        if values > MAX_VALUES:
            raise ConfigError(path, "", f"invalid YAML: more than {MAX_VALUES:,} values once aliases are expanded")
        done[id(node)] = (depth, values)
        active.discard(id(node))


def validate(model: type[M], data: Mapping[str, Any], source: str | Path) -> M:
    """Validate ``data`` as ``model``; every problem becomes one line of a ConfigError (the first is its
    message, the rest ride along in ``more``), so a user fixes the whole file in one go."""
    try:
        return model.model_validate(data)
    except ValidationError as err:
        problems = [_problem(model, error, source) for error in err.errors()]
        raise ConfigError(problems[0].source, problems[0].field, problems[0].problem, more=problems[1:]) from None


def _problem(model: type[BaseModel], error: Any, source: str | Path) -> ConfigError:
    """One pydantic error as ``file: field: problem``, with the value given and, for an unknown field, the
    known field it most resembles."""
    field = ".".join(str(part) for part in error["loc"]) or "(top level)"
    problem = error["msg"].removeprefix("Value error, ")
    nested = re.match(r"^@([^@]+)@ (.*)$", problem)
    if nested:  # a validator that checks a nested document reports its own path
        field, problem = ".".join(filter(None, [field if error["loc"] else "", nested[1]])), nested[2]
    if error["type"] not in ("missing", "extra_forbidden") and "input" in error:
        shown = repr(error["input"])
        if len(shown) <= 60:
            problem += f" (got {shown})"
    if error["type"] == "extra_forbidden":
        problem = "unknown field"
        guess = closest_field(model, tuple(error["loc"]))
        if guess:
            problem += f" (did you mean {guess}?)"
    return ConfigError(source, field, problem)


def closest_field(model: type[BaseModel], loc: tuple[Any, ...]) -> str | None:
    """The known field most like the last part of ``loc``, a field the model does not have; None if no
    field name is close. Follows nested models, mappings, lists and optional sections along ``loc``."""
    *parents, unknown = loc or ("",)
    candidates: list[Any] = [model]
    for part in parents:
        candidates = [child for c in candidates for child in _children(c, part)]
    names = sorted({name for c in candidates if _is_model(c) for name in _field_names(c)})
    found = difflib.get_close_matches(str(unknown), names, n=1, cutoff=0.6)
    return found[0] if found else None


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _field_names(model: type[BaseModel]) -> list[str]:
    return [info.alias or name for name, info in model.model_fields.items()]


def _children(annotation: Any, part: Any) -> list[Any]:
    """What ``annotation`` holds under ``part`` (a field name, a mapping key, a list index): the possible
    types, as a field may be a union of several."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _children(get_args(annotation)[0], part)
    if origin in (Union, types.UnionType):
        return [child for arm in get_args(annotation) for child in _children(arm, part)]
    if _is_model(annotation):
        info = annotation.model_fields.get(str(part)) or next(
            (f for f in annotation.model_fields.values() if f.alias == part), None)
        return [] if info is None else [info.annotation]
    if origin in (dict, Mapping) or origin is not None and getattr(origin, "__name__", "") == "Mapping":
        return [get_args(annotation)[1]] if len(get_args(annotation)) == 2 else []
    if origin in (list, tuple, set, frozenset):
        args = [a for a in get_args(annotation) if a is not Ellipsis]
        if origin is tuple and isinstance(part, int) and len(args) > part and len(args) == len(get_args(annotation)):
            return [args[part]]
        return args[:1]
    return []


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
