#!/usr/bin/env bash
# Type-check the package as it is installed: the root folders (core/, sim/, live/, dashboards/) are
# baytwin.core, baytwin.sim, ... once installed, which a type checker reading the repository cannot
# know. So they are laid out under a temporary baytwin/ of symbolic links and checked there.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-.venv/bin/python}"
tree="$(mktemp -d)"
trap 'rm -rf "$tree"' EXIT
mkdir "$tree/baytwin"
for entry in baytwin/*; do ln -s "$PWD/$entry" "$tree/baytwin/"; done
for folder in core sim live dashboards scenarios; do ln -s "$PWD/$folder" "$tree/baytwin/$folder"; done
MYPYPATH="$tree" "$PYTHON" -m mypy --cache-dir "$tree/.mypy_cache" -p baytwin
