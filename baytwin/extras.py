"""Which optional part of the install (an "extra") a command needs, and the one line that says so.

The base install simulates and analyses; reading plates, running a live site, the dashboards, sweeps
on Dask, PostgreSQL and training each need an extra. A command that meets a missing module of one
says which extra to install instead of showing the import's traceback.
"""

from __future__ import annotations

import importlib.util

#: extra -> the top-level modules it brings (as imported, not as named on the package index)
EXTRAS: dict[str, tuple[str, ...]] = {
    "ocr": ("cv2", "onnxruntime", "PIL"),
    "live": ("cv2", "onnxruntime", "PIL", "paho"),
    "dashboards": ("streamlit", "altair", "matplotlib"),
    "sweep": ("dask", "distributed"),
    "postgres": ("psycopg",),
    "train": ("torch", "onnx"),
}


def extra_for(module: str | None, command: str = "") -> str | None:
    """The extra that brings ``module`` (or a module inside it), None for one the base install has. A module
    of several extras is named by the one the command is named after (``live run``: live), else the smallest."""
    if not module:
        return None
    top = module.split(".")[0]
    holding = sorted((extra for extra, modules in EXTRAS.items() if top in modules), key=lambda e: len(EXTRAS[e]))
    words = {word.rstrip("s") for word in command.split()}
    return next((extra for extra in holding if extra.rstrip("s") in words), holding[0] if holding else None)


def message(command: str, extra: str) -> str:
    """The one line: what needs which extra and how to install it."""
    return f"{command} needs the \"{extra}\" extra: pip install 'baytwin[{extra}]'"


def missing_modules(extra: str) -> list[str]:
    """The modules of ``extra`` that cannot be imported here (without importing them)."""
    missing = []
    for module in EXTRAS[extra]:
        try:
            found = importlib.util.find_spec(module)
        except (ImportError, ValueError):  # ValueError: a module set to None in sys.modules
            found = None
        if found is None:
            missing.append(module)
    return missing
