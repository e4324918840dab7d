"""baytwin: digital twin and testbed for EV-charging-bay parking enforcement.

From Python (docs/api.md)::

    import baytwin
    run = baytwin.simulate("workplace-garage/enforced", days=7)

The functions are loaded when first used, not here: ``import baytwin`` is also what the command line
imports, and ``baytwin --help`` must not wait for pandas, SimPy and the plate reader.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

#: name -> the module that defines it, imported on first use
_LAZY = {
    "simulate": "baytwin.api",
    "sweep": "baytwin.api_sweep",
    "read_plates": "baytwin.api_plates",
    "load_scenario": "baytwin.sim.scenario",
    "Results": "baytwin.results",
    "compare": "baytwin.results",
}

__all__ = ["Results", "__version__", "compare", "load_scenario", "read_plates", "simulate", "sweep"]

if TYPE_CHECKING:
    from baytwin.api import simulate
    from baytwin.api_plates import read_plates
    from baytwin.api_sweep import sweep
    from baytwin.results import Results, compare
    from baytwin.sim.scenario import load_scenario


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'baytwin' has no attribute {name!r}")
    value = getattr(importlib.import_module(_LAZY[name]), name)
    globals()[name] = value  # once loaded, an ordinary attribute
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
