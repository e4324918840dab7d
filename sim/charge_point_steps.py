"""The emulated charge point's steps: one small language for its scripts and its prompt.

A step is a line such as ``plug 1``, ``start 1 04A1B2C3D4``, ``meter 1 7.4kW``
or ``wait 5``. The prompt reads them from a person; a script file lists them
under ``steps`` (a line, or a one-key mapping such as ``meter: 1 7.4kW``), so
what someone typed at the prompt can be pasted into a script unchanged. A
script is checked whole before the charger connects: every problem is one
line naming the file, the step and what is wrong with it.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from baytwin.core.config import ConfigError, load_yaml

USAGE = """steps (EVSE numbers start at 1):
  boot                      BootNotification (also sent once on connecting)
  plug N                    a cable is plugged into EVSE N
  authorize N TOKEN         present an id token (starts charging if a cable is in)
  start N [TOKEN]           plug in if need be, authorize, start the transaction
  meter N VALUE...          a meter reading: 7.4kW (power), 12.5kWh or 800Wh (session energy), 16A (current)
  suspend N [ev|evse]       charging paused by the car (default) or by the charger
  stop N                    the driver stops the transaction (cable still in)
  fault N [CODE]            the EVSE faults (default GroundFailure)
  unplug N                  the cable is pulled out (stops a running transaction)
  heartbeat                 send a Heartbeat
  wait SECONDS              pause (the central system's commands are still answered)
  status                    print every EVSE's state
  quit                      disconnect and end"""

ACTIONS = {"boot": (0, 0), "plug": (1, 1), "authorize": (2, 2), "start": (1, 2), "meter": (2, 4), "suspend": (1, 2),
           "stop": (1, 1), "fault": (1, 2), "unplug": (1, 1), "heartbeat": (0, 0), "wait": (1, 1), "status": (0, 0),
           "quit": (0, 0), "help": (0, 0)}
_QUANTITY = re.compile(r"^([0-9]*\.?[0-9]+)(kW|kWh|Wh|A)$", re.IGNORECASE)


class StepSyntaxError(ValueError):
    """A step that does not read: ``str(err)`` says what is wrong."""


@dataclass(frozen=True, slots=True)
class Step:
    action: str
    evse: int | None = None
    token: str | None = None
    power_kw: float | None = None
    energy_kwh: float | None = None
    current_a: float | None = None
    seconds: float = 0.0
    by: str = "ev"
    code: str = "GroundFailure"
    text: str = ""


def parse_step(line: str, evses: int) -> Step:
    """One step from its text; StepSyntaxError naming the problem."""
    words = line.split()
    if not words:
        raise StepSyntaxError("empty step")
    action, args = words[0].lower(), words[1:]
    if action not in ACTIONS:
        raise StepSyntaxError(f"unknown step {words[0]!r} (one of {', '.join(sorted(ACTIONS))})")
    fewest, most = ACTIONS[action]
    if not fewest <= len(args) <= most:
        wanted = f"{fewest}" if fewest == most else f"{fewest} to {most}"
        raise StepSyntaxError(f"{action} takes {wanted} argument(s), got {len(args)}")
    if action == "wait":
        seconds = _number(args[0], "wait: seconds")
        return Step("wait", seconds=seconds, text=line)
    if fewest == 0:
        return Step(action, text=line)
    evse = _evse(args[0], evses)
    rest = args[1:]
    if action in ("authorize", "start"):
        token = rest[0] if rest else None
        if token is not None and len(token) > 20:
            raise StepSyntaxError(f"id token {token!r} is longer than 20 characters (OCPP 1.6 idTag)")
        return Step(action, evse, token=token, text=line)
    if action == "meter":
        return _meter(evse, rest, line)
    if action == "suspend":
        by = (rest[0] if rest else "ev").lower()
        if by not in ("ev", "evse"):
            raise StepSyntaxError(f"suspend: by 'ev' or 'evse', not {rest[0]!r}")
        return Step(action, evse, by=by, text=line)
    if action == "fault":
        from baytwin.sim.ocpp_voice import ERROR_CODES_16

        code = rest[0] if rest else "GroundFailure"
        if code not in ERROR_CODES_16 or code == "NoError":
            raise StepSyntaxError(f"fault: {code!r} is not an OCPP error code (e.g. GroundFailure, OverCurrentFailure)")
        return Step(action, evse, code=code, text=line)
    return Step(action, evse, text=line)


def load_script(path: Path, evses: int) -> list[Step]:
    """A script file's steps, all checked before anything is sent; ConfigError (file, step, problem)."""
    data = load_yaml(path)
    unknown = sorted(set(data) - {"steps"})
    if unknown:
        raise ConfigError(path, unknown[0], "unknown field (a script has only 'steps')")
    steps = data.get("steps")
    if not isinstance(steps, list) or not steps:
        raise ConfigError(path, "steps", "a list of steps is required, e.g. ['plug 1', 'start 1 TAG', 'wait 5']")
    out = []
    for i, item in enumerate(steps):
        where = f"steps.{i}"
        text = _step_text(item)
        if text is None:
            raise ConfigError(path, where, f"a step is a line such as 'plug 1' or a mapping such as "
                                           f"{{meter: '1 7.4kW'}}, not {item!r}")
        try:
            step = parse_step(text, evses)
        except StepSyntaxError as err:
            raise ConfigError(path, where, str(err)) from None
        if step.action in ("help",):
            raise ConfigError(path, where, "'help' is for the prompt, not a script")
        out.append(step)
    return out


def _step_text(item: Any) -> str | None:
    if isinstance(item, str):
        return item
    if isinstance(item, dict) and len(item) == 1:
        (key, value), = item.items()
        if isinstance(key, str) and (value is None or isinstance(value, (str, int, float)) and not isinstance(value, bool)):
            return key if value is None else f"{key} {value}"
    return None


def _evse(word: str, evses: int) -> int:
    if not word.isdigit() or not 1 <= int(word) <= evses:
        raise StepSyntaxError(f"EVSE {word!r}: give a number from 1 to {evses}")
    return int(word)


def _number(word: str, what: str) -> float:
    try:
        value = float(word)
    except ValueError:
        raise StepSyntaxError(f"{what} {word!r} is not a number") from None
    if not math.isfinite(value) or value < 0:
        raise StepSyntaxError(f"{what} {word!r} must be a finite number, not negative")
    return value


def _meter(evse: int, words: list[str], line: str) -> Step:
    found: dict[str, float] = {}
    for word in words:
        match = _QUANTITY.match(word)
        if match is None:
            raise StepSyntaxError(f"meter: {word!r} is not a power (7.4kW), an energy (12.5kWh, 800Wh) or a current (16A)")
        value, unit = float(match[1]), match[2].lower()
        name = {"kw": "power_kw", "kwh": "energy_kwh", "wh": "energy_kwh", "a": "current_a"}[unit]
        if name in found:
            raise StepSyntaxError(f"meter: two values for {name.split('_')[0]}")
        found[name] = value / 1000.0 if unit == "wh" else value
    return Step("meter", evse, text=line, **found)
