"""The font pool: which typefaces the recognizer trains on, and which it must never see.

The pool is data (``font_pool.yaml``). Training fonts are looked up by file
name under the system's font folders, where Debian's font packages put them
(``scripts/training-fonts.sh`` installs the set); held-out fonts ship with the
project, so evaluation finds them on any machine. A training renderer asks
:func:`training_fonts`, which refuses any held-out family or a relative of
one: a figure on held-out fonts is only worth something if no path lets them
into training.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

POOL_FILE = Path(__file__).with_name("font_pool.yaml")
BUNDLED_DIR = Path(__file__).with_name("fonts")
HELD_OUT_DIR = BUNDLED_DIR / "heldout"
#: Where Debian (and most Linux systems) keep installed fonts; BAYTWIN_FONT_DIRS adds more (os.pathsep-separated).
SYSTEM_FONT_DIRS = (Path("/usr/share/fonts"), Path("/usr/share/texmf/fonts"), Path("/usr/local/share/fonts"))


class FontPoolProblem(Exception):
    """The pool cannot be used as asked; the message says what is missing."""


@dataclass(frozen=True, slots=True)
class PoolFont:
    family: str
    file: str
    kind: str
    licence: str
    package: str = "bundled"
    path: Path | None = None  # where it was found; None when not installed


@cache
def _pool() -> dict:
    return yaml.safe_load(POOL_FILE.read_text(encoding="utf-8"))


def held_out_fonts() -> list[PoolFont]:
    """The held-out families, from the copies that ship in ``fonts/heldout``."""
    return [PoolFont(e["family"], e["file"], e["kind"], e["licence"], "bundled", HELD_OUT_DIR / e["file"])
            for e in _pool()["held_out"]]


def held_out_families() -> frozenset[str]:
    pool = _pool()
    return frozenset([e["family"] for e in pool["held_out"]] + list(pool.get("held_out_relatives", [])))


def _font_dirs() -> list[Path]:
    extra = [Path(p) for p in os.environ.get("BAYTWIN_FONT_DIRS", "").split(os.pathsep) if p]
    return [BUNDLED_DIR, *extra, *SYSTEM_FONT_DIRS]


@cache
def _installed() -> dict[str, Path]:
    """Font file name -> first path found (the held-out folder is never searched)."""
    found: dict[str, Path] = {}
    for root in _font_dirs():
        if not root.is_dir():
            continue
        for folder, dirs, files in os.walk(root):
            dirs[:] = sorted(d for d in dirs if Path(folder, d) != HELD_OUT_DIR)
            for name in sorted(files):
                found.setdefault(name, Path(folder, name))
    return found


def training_fonts(require: int = 1) -> list[PoolFont]:
    """The installed training fonts, in pool order; at least ``require`` of them or FontPoolProblem.

    A font missing on this machine is left out (the caller reports how many it
    got); a pool entry naming a held-out family is a mistake in the data and
    refused outright.
    """
    banned = held_out_families()
    installed = _installed()
    fonts = []
    for e in _pool()["training"]:
        if e["family"] in banned:
            raise FontPoolProblem(f"{POOL_FILE.name}: {e['family']} is held out and may not be a training font")
        path = installed.get(e["file"])
        if path is not None:
            fonts.append(PoolFont(e["family"], e["file"], e["kind"], e["licence"], e.get("package", "bundled"), path))
    if len(fonts) < require:
        missing = sorted({e.get("package", "bundled") for e in _pool()["training"]
                          if e["file"] not in installed})
        raise FontPoolProblem(f"only {len(fonts)} of {len(_pool()['training'])} training fonts are installed "
                              f"(missing packages: {' '.join(missing)}); run scripts/training-fonts.sh")
    return fonts


def missing_training_fonts() -> list[str]:
    """Pool entries not installed here, as 'family (package)'."""
    installed = _installed()
    return [f"{e['family']} ({e.get('package', 'bundled')})" for e in _pool()["training"] if e["file"] not in installed]
