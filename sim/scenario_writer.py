"""A scenario document written as YAML a person can read and edit.

The loader accepts any YAML; this only decides the layout: mappings one key a line, but short lists
(hourly weights, choice values) and distributions on one line each, as the bundled scenarios write them.
"""

from __future__ import annotations

from typing import Any

import yaml


class _Dumper(yaml.SafeDumper):
    pass


def _is_scalar(value: Any) -> bool:
    return not isinstance(value, (dict, list, tuple))


def _list(dumper: yaml.SafeDumper, data: list) -> yaml.Node:
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=all(map(_is_scalar, data)))


def _dict(dumper: yaml.SafeDumper, data: dict) -> yaml.Node:
    flat = "dist" in data and all(_is_scalar(v) or (isinstance(v, list) and all(map(_is_scalar, v)))
                                  for v in data.values())
    return dumper.represent_mapping("tag:yaml.org,2002:map", data.items(), flow_style=flat)


_Dumper.add_representer(list, _list)
_Dumper.add_representer(dict, _dict)


def scenario_yaml(document: dict[str, Any], header: str = "") -> str:
    """``document`` as YAML, after ``header`` written as comment lines."""
    comments = "".join(f"# {line}\n".replace("# \n", "#\n") for line in header.splitlines())
    body = yaml.dump(document, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=140)
    return comments + body
