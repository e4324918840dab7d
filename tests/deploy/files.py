"""The deployment files read as the container runtime reads them: Dockerfile instructions and compose services."""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"
COMPOSE = ROOT / "compose.yaml"


def dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, continuation lines joined and comments dropped."""
    instructions: list[tuple[str, str]] = []
    pending = ""
    for line in DOCKERFILE.read_text().splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        pending += stripped[:-1] + " " if stripped.endswith("\\") else stripped
        if not stripped.endswith("\\"):
            word, _, rest = pending.partition(" ")
            instructions.append((word.upper(), rest.strip()))
            pending = ""
    return instructions


def instruction(name: str) -> str:
    """The last ``name`` instruction's arguments (the one that takes effect)."""
    found = [rest for word, rest in dockerfile() if word == name]
    assert found, f"Dockerfile has no {name}"
    return found[-1]


def exec_form(arguments: str) -> list[str]:
    """A JSON-array command (``CMD ["baytwin", ...]``): the form that runs without a shell, signals reaching it."""
    command = json.loads(arguments)
    assert isinstance(command, list) and all(isinstance(part, str) for part in command), arguments
    return command


def healthcheck_command() -> list[str]:
    arguments = instruction("HEALTHCHECK")
    return exec_form(arguments[arguments.index("CMD ") + 4:])


def dockerfile_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for word, rest in dockerfile():
        if word == "ENV":
            env.update(part.split("=", 1) for part in shlex.split(rest))  # type: ignore[arg-type]
    return env


def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text())


def baytwin_commands(command: list[str]) -> list[list[str]]:
    """The ``baytwin ...`` command lines in a command: itself, or each one inside ``sh -c "... || baytwin ..."``."""
    if command[:2] == ["sh", "-c"]:
        words = shlex.split(command[2])
        lines: list[list[str]] = [[]]
        for word in words:
            if word in ("||", "&&", ";"):
                lines.append([])
            else:
                lines[-1].append(word)
        return [line for line in lines if line[:1] == ["baytwin"]]
    return [command] if command[:1] == ["baytwin"] else []
