"""``baytwin charger``: an emulated charge point for any central system, scripted or at a prompt."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional
from urllib.parse import unquote, urlsplit, urlunsplit

import typer

from baytwin.common import console, fail, failing_on
from baytwin.core.config_error import ConfigError

VERSIONS = {"1.6": "ocpp1.6", "2.0.1": "ocpp2.0.1"}


def charger(
    csms: str = typer.Option(..., "--csms", help="The central system and this charger's id: ws://HOST:PORT/ID "
                             "(wss:// for TLS; ws://USER:PASSWORD@HOST:PORT/ID for Basic auth)."),
    ocpp: str = typer.Option("1.6", "--ocpp", help="OCPP version: 1.6 or 2.0.1."),
    evses: int = typer.Option(1, "--evses", min=1, max=32, help="EVSEs (1.6: connectors), numbered from 1."),
    user: Optional[str] = typer.Option(None, "--user", help="Basic-auth user (security profile 1; usually the id)."),
    password: Optional[str] = typer.Option(None, "--password", help="Basic-auth password."),
    script: Optional[Path] = typer.Option(None, "--script", help="YAML file with a list of steps; without it, "
                                          "steps are read from a prompt."),
    timeout: float = typer.Option(30.0, "--timeout", min=1.0, help="Seconds to wait for the central system."),
) -> None:
    """Emulate a charge point: boot, plug, start, meter, stop … and answer the central system's commands."""
    from websockets.headers import build_authorization_basic

    from baytwin.core.clock import WallClock
    from baytwin.sim.charge_point import ChargePoint, StepProblem
    from baytwin.sim.charge_point_link import ChargePointLink
    from baytwin.sim.charge_point_loop import ChargerLoop, Disconnected
    from baytwin.sim.charge_point_steps import load_script
    from baytwin.sim.ocpp_link import CentralSystemUrlError, check_central_system_url

    protocol = VERSIONS.get(ocpp)
    if protocol is None:
        raise fail(f"--ocpp {ocpp!r}: 1.6 or 2.0.1")
    base, station, url_user, url_password = _split(csms)
    with failing_on(CentralSystemUrlError):
        base = check_central_system_url(base, "--csms")
    if not station:
        raise fail(f"--csms {_shown(csms)}: give the charger's id at the end, e.g. ws://127.0.0.1:9000/CP1")
    user, password = user or url_user, password if password is not None else url_password
    if password is not None and not user:
        user = station  # OCPP security profile 1: the user name is the charge point's id
    steps = None
    if script is not None:
        with failing_on(ConfigError):
            steps = load_script(script, evses)
    authorization = build_authorization_basic(user, password or "") if user else None
    link = ChargePointLink(base, timeout, authorization)
    say = lambda line: console.print(line, highlight=False, markup=False)  # noqa: E731
    try:
        link.connect(station, protocol)
    except ConnectionError as err:
        raise fail(str(err), code=1) from None
    cp = ChargePoint(link, station, protocol, evses, WallClock(), say)
    loop = ChargerLoop(cp, link, say)
    say(f"charger {station} connected to {base} ({protocol}, {evses} EVSE(s))")
    try:
        cp.boot()
        if steps is not None:
            loop.run_script(steps)
        else:
            say("type steps ('help' lists them, 'quit' ends)")
            interactive = sys.stdin.isatty()
            loop.run_prompt(sys.stdin, (lambda: console.print("> ", end="")) if interactive else (lambda: None))
    except StepProblem as err:
        raise fail(str(err), code=1) from None
    except (RuntimeError, ConnectionError, Disconnected) as err:
        raise fail(f"charger {station}: {err}", code=1) from None
    except KeyboardInterrupt:
        pass
    finally:
        link.close()
    say("disconnected")


def _split(url: str) -> tuple[str, str, str | None, str | None]:
    """(the central system's URL without credentials or id, the id, user, password) from ``--csms``."""
    try:
        parts = urlsplit(url)
        user, password, host = parts.username, parts.password, parts.hostname
        port = parts.port
    except ValueError:
        return url, "", None, None
    netloc = (f"[{host}]" if host and ":" in host else host or "") + (f":{port}" if port else "")
    path = parts.path.rstrip("/")
    base_path, _, station = path.rpartition("/")
    clean = urlunsplit((parts.scheme, netloc, base_path, parts.query, parts.fragment))
    return clean, unquote(station), unquote(user) if user else None, unquote(password) if password else None


def _shown(url: str) -> str:
    """``url`` with any password hidden, for messages."""
    base, station, user, _ = _split(url)
    return repr(f"{base}/{station}" if station else base) + (f" (user {user})" if user else "")
