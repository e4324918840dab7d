"""The installed package takes one top-level name, ``baytwin``, whatever folders the repository keeps.

The repository holds the design card's folders (core/, sim/, live/, dashboards/, scenarios/) at its
root; pyproject.toml maps them under ``baytwin``. A package folder missing from that list would be
left out of a wheel without any error, so the list is checked against the folders here."""

from __future__ import annotations

import importlib.util
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAPPED = {"baytwin": "baytwin", "core": "baytwin.core", "sim": "baytwin.sim", "live": "baytwin.live",
          "dashboards": "baytwin.dashboards", "scenarios": "baytwin.scenarios"}


def _setuptools_table() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]


def test_every_package_folder_is_installed_under_baytwin() -> None:
    folders = set()
    for top, name in MAPPED.items():
        for init in (ROOT / top).rglob("__init__.py"):
            rel = init.parent.relative_to(ROOT / top).parts
            folders.add(".".join((name, *rel)))
    listed = set(_setuptools_table()["packages"])
    assert folders - listed == set(), "package folders missing from pyproject's packages list"
    assert listed - folders == set(), "pyproject lists packages that have no folder"


def test_no_top_level_name_but_baytwin() -> None:
    table = _setuptools_table()
    assert {name.split(".")[0] for name in table["packages"]} == {"baytwin"}
    assert all(key == "baytwin" or key.startswith("baytwin.") for key in table["package-dir"])
    assert all(key.startswith("baytwin") for key in table["package-data"])


def test_the_folders_import_only_under_the_namespace() -> None:
    """Code imports ``baytwin.core``, never ``core``: a user module named ``core`` must not be shadowed."""
    offenders = []
    for path in ROOT.rglob("*.py"):
        if {".venv", ".git", "build"} & set(path.parts):
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            stripped = line.strip()
            for top in ("core", "sim", "live", "dashboards", "scenarios"):
                if stripped.startswith((f"from {top}.", f"from {top} import", f"import {top}.", f"import {top}\n")) \
                        or stripped == f"import {top}":
                    offenders.append(f"{path.relative_to(ROOT)}:{number}: {stripped}")
    assert offenders == []


def test_the_namespace_resolves_to_the_repository_folders() -> None:
    spec = importlib.util.find_spec("baytwin.core.plates")
    assert spec is not None and Path(spec.origin) == ROOT / "core" / "plates.py"
