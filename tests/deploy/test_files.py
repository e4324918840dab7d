"""The Dockerfile and compose.yaml name only files, commands, options and variables that exist, so they cannot
rot unnoticed where no container runtime runs the tests."""

from __future__ import annotations

import re
from typing import Any

import pytest
from typer.main import get_command

from baytwin.cli import app
from baytwin.live.site import ListenSpec

from .files import (
    ROOT,
    baytwin_commands,
    compose,
    dockerfile,
    dockerfile_env,
    exec_form,
    healthcheck_command,
    instruction,
)


def _parses(argv: list[str]) -> None:
    """``baytwin argv...`` parses as the real command line would: every subcommand and option exists, nothing
    required is missing (parsed only, never run)."""
    command: Any = get_command(app)  # typer's own click: groups are known by their commands
    rest = argv[1:]
    while hasattr(command, "commands"):
        assert rest and rest[0] in command.commands, f"no command {' '.join(argv[: len(argv) - len(rest) + 1])}"
        command, rest = command.commands[rest[0]], rest[1:]
    try:
        command.make_context(" ".join(argv[:2]), list(rest))
    except Exception as err:  # a usage error: unknown option, bad value, required option missing
        pytest.fail(f"{' '.join(argv)}: {getattr(err, 'format_message', lambda: err)()}")


def _all_commands() -> list[list[str]]:
    found = [exec_form(instruction("CMD")), healthcheck_command()]
    for service in compose()["services"].values():
        if "command" in service:
            found += baytwin_commands(service["command"])
    return found


def test_the_image_is_python_311_slim_and_runs_as_a_user_that_is_not_root() -> None:
    assert instruction("FROM") == "python:3.11-slim"
    assert instruction("USER") not in ("root", "0", "")


def test_every_file_the_dockerfile_copies_is_in_the_repository() -> None:
    for word, rest in dockerfile():
        if word == "COPY":
            *sources, _target = rest.split()
            for source in sources:
                assert (ROOT / source).exists(), f"Dockerfile copies {source}, which does not exist"


def test_the_default_command_runs_the_site_and_the_health_check_asks_it() -> None:
    assert exec_form(instruction("CMD")) == ["baytwin", "live", "run", "--site", "/site/site.yaml"]
    assert healthcheck_command()[:2] == ["baytwin", "health"]
    assert compose()["services"]["live"]["command"] == exec_form(instruction("CMD"))


@pytest.mark.parametrize("argv", _all_commands(), ids=lambda argv: " ".join(argv[1:3]))
def test_every_baytwin_command_line_in_the_deployment_files_parses(argv: list[str]) -> None:
    _parses(argv)


def test_the_services_use_the_image_and_volumes_they_declare() -> None:
    spec = compose()
    services = spec["services"]
    assert {"db", "live", "dashboard"} <= set(services)
    assert services["db"]["image"].startswith("postgres:")
    declared = set(spec.get("volumes") or {})
    for name, service in services.items():
        if service.get("image") == "baytwin:local":
            assert service["build"] in (".", {"context": "."}), name
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if not source.startswith((".", "/", "$")):
                assert source in declared, f"service {name} uses volume {source}, which is not declared"
    assert services["live"]["depends_on"]["db"]["condition"] == "service_healthy"


def test_the_ports_published_are_the_ones_the_image_exposes_and_the_site_listens_on() -> None:
    exposed = set(instruction("EXPOSE").split())
    live_ports = [port.split(":")[-1] for port in compose()["services"]["live"]["ports"]]
    dashboard_ports = [port.split(":")[-1] for port in compose()["services"]["dashboard"]["ports"]]
    assert live_ports == [str(ListenSpec().port)] and set(live_ports + dashboard_ports) <= exposed
    dashboard = compose()["services"]["dashboard"]["command"]
    assert dashboard[dashboard.index("--port") + 1] == dashboard_ports[0]


def test_every_baytwin_variable_the_deployment_sets_is_one_the_code_reads() -> None:
    names = set(dockerfile_env()) | set(compose()["x-baytwin"]["environment"])
    source = "\n".join(path.read_text() for folder in ("baytwin", "core", "live", "dashboards")
                       for path in (ROOT / folder).rglob("*.py"))
    for name in names:
        if name.startswith("BAYTWIN_"):
            assert re.search(rf"\b{name}\b", source), f"{name} is set for the container but nothing reads it"
