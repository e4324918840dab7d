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


def _third_party_imports() -> dict[str, set[str]]:
    """Top-level modules imported anywhere in the installed folders, with the files importing them."""
    import ast
    import sys

    found: dict[str, set[str]] = {}
    for top in MAPPED:
        for path in (ROOT / top).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    first = name.split(".")[0]
                    if first not in sys.stdlib_module_names and first != "baytwin":
                        found.setdefault(first, set()).add(str(path.relative_to(ROOT)))
    return found


def _declared_distributions() -> set[str]:
    import re

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = list(project["dependencies"])
    for name, extra in project["optional-dependencies"].items():
        if name not in ("dev", "train"):
            requirements += extra
    requirements += ["torch", "onnx"]  # the training extra: imported only by the training scripts
    return {re.split(r"[\[<>=!~ ;]", r, maxsplit=1)[0].lower().replace("_", "-") for r in requirements}


def test_every_imported_package_is_declared() -> None:
    """A module the code imports comes from a distribution that pyproject.toml asks for (in the base
    install or an extra), not from whatever else happens to be installed beside it."""
    from importlib.metadata import packages_distributions

    by_module = packages_distributions()
    declared = _declared_distributions()
    undeclared = {}
    for module, files in _third_party_imports().items():
        distributions = {d.lower().replace("_", "-") for d in by_module.get(module, [module])}
        if not distributions & declared:
            undeclared[module] = sorted(files)[:3]
    assert undeclared == {}


def test_the_base_install_simulates_without_any_extra(tmp_path: Path) -> None:
    """With every extra's modules unimportable, ``baytwin sim run`` of an ANPR scenario still runs: a
    planner who only simulates needs no image, dashboard, cluster or PostgreSQL stack."""
    import subprocess
    import sys

    blocked = ["cv2", "onnxruntime", "PIL", "matplotlib", "streamlit", "altair", "dask", "distributed",
               "psycopg", "paho", "torch", "onnx"]
    out = tmp_path / "run"
    program = (f"import sys\nfor name in {blocked!r}:\n    sys.modules[name] = None\n"
               "from baytwin.cli import main\n"
               f"sys.argv = ['baytwin', 'sim', 'run', 'workplace-garage/anpr', '--days', '1', '--out', {str(out)!r}]\n"
               "main()\n")
    finished = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=300)
    assert finished.returncode == 0, finished.stderr[-2000:]
    assert (out / "summary.json").is_file() and (out / "events.parquet").is_file()
