"""What the fuzz tests share: strategies for documents that are almost right, and a scratch folder."""

from __future__ import annotations

import os
from typing import Any

import yaml
from hypothesis import strategies as st

#: Fast enough to run with every test session (a few seconds per test); BAYTWIN_FUZZ_EXAMPLES=5000 for a long hunt.
EXAMPLES = int(os.environ.get("BAYTWIN_FUZZ_EXAMPLES", "120"))

SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-10**6, 10**6), st.integers(), st.floats(allow_nan=True),
    st.text(max_size=12), st.sampled_from(["", "EV1", "../x", "a\x00b", "\x1b[31m", "nan", "1e999", "-1", "0"]),
)
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                     st.dictionaries(st.text(max_size=8), inner, max_size=4)),
                      max_leaves=12)

# YAML's own punctuation, so random text reaches the parser's corners, not only its first error
YAML_PIECES = st.lists(st.one_of(
    st.sampled_from(["\n", ": ", "- ", "[", "]", "{", "}", ",", "&a ", "*a", "!!", "? ", "|", ">", "#", "'", '"',
                     "<<: ", "---", "...", "%YAML 1.1\n", "!!binary ", "!!set ", "!!omap ", "!!python/object ",
                     "site", "policy", "extends", "name", "id", "bays", "  ", "\t", "\ufeff", "\x00", "\x85"]),
    st.text(max_size=6)), max_size=40).map("".join)


def mutated(document: dict[str, Any], data: st.DataObject) -> dict[str, Any]:
    """``document`` with a few values replaced, removed or given a wrong type, at random paths."""
    import copy

    doc = copy.deepcopy(document)
    for _ in range(data.draw(st.integers(1, 3))):
        node: Any = doc
        while isinstance(node, dict) and node and data.draw(st.booleans()):
            key = data.draw(st.sampled_from(sorted(node, key=str)))
            if not isinstance(node[key], dict):
                break
            node = node[key]
        if not isinstance(node, dict) or not node:
            continue
        key = data.draw(st.sampled_from(sorted(node, key=str)))
        if data.draw(st.integers(0, 4)) == 0:
            del node[key]
        else:
            node[key] = data.draw(VALUES)
    return doc


def dump(document: Any) -> str:
    return yaml.safe_dump(document, allow_unicode=True, sort_keys=False)
