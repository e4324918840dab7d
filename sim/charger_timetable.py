"""An emulated charge point that follows a timetable on a site's clock.

``baytwin charger --script`` waits in wall seconds, which is right for a person trying a central
system. A charger whose story must keep time with something else (rendered footage replayed on an
accelerated clock, the rules engine's timers on the same clock) waits for site times instead. The
steps are the same small language (``plug 1``, ``meter 1 7.4kW`` …), the charger is the same
:class:`~sim.charge_point.ChargePoint`, and between steps it answers the central system's calls as
a real charger does (a RemoteStart that arrives while the cable is in starts the transaction).

A step the charger cannot take yet, typically metering a transaction the site has not started
yet, is tried again for a while (``patience_s`` of site time), because the site's answer may
still be on its way; after that it is reported and skipped, so one late answer does not end the
story.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from baytwin.core.clock import Clock
from baytwin.sim.charge_point import ChargePoint, StepProblem
from baytwin.sim.charge_point_link import ChargePointLink, Closed, IncomingCall
from baytwin.sim.charge_point_loop import ChargerLoop, Disconnected
from baytwin.sim.charge_point_steps import Step, parse_step
from baytwin.sim.ocpp_link import OcppRefused

RETRY_WALL_S = 0.1  # how often a step that cannot be taken yet is tried again


@dataclass
class TimetableResult:
    """What the charger went through: the central system's commands it answered, steps it had to skip."""

    station: str
    commands: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    error: str | None = None


class _RecordingLoop(ChargerLoop):
    """The emulated charger's working loop, also noting each command the central system sent."""

    def __init__(self, cp: ChargePoint, link: ChargePointLink, say: Callable[[str], None], result: TimetableResult) -> None:
        super().__init__(cp, link, say)
        self.result = result

    def _take(self, item: IncomingCall | Closed) -> None:
        if isinstance(item, IncomingCall):
            self.result.commands.append(item.action)
        super()._take(item)


def run_timetable(url: str, station: str, evses: int, steps: Sequence[tuple[float, str]], clock: Clock, speed: float,
                  stop: threading.Event, say: Callable[[str], None] = lambda line: None,
                  protocol: str = "ocpp1.6", patience_s: float = 300.0, timeout_s: float = 30.0) -> TimetableResult:
    """Connect ``station`` to the central system at ``url`` (without the id), boot, take each step at its site
    time (``clock``, running ``speed`` times the wall), then keep answering until ``stop`` is set.

    Runs on the caller's thread (the charger's one working thread); never raises for the story's sake:
    a connection that fails or drops is in the result's ``error``."""
    result = TimetableResult(station)
    parsed = [(at, parse_step(text, evses)) for at, text in steps]  # a typo in a timetable is a bug: raise now
    link = ChargePointLink(url, timeout_s)
    try:
        link.connect(station, protocol)
        cp = ChargePoint(link, station, protocol, evses, clock, say)
        loop = _RecordingLoop(cp, link, say, result)
        cp.boot()
        for at, step in parsed:
            _wait_until(loop, clock, speed, at, stop)
            if stop.is_set():
                break
            _take_step(loop, clock, step, at + patience_s, stop, result)
        while not stop.is_set():
            loop.do(Step("wait", seconds=RETRY_WALL_S))
    except (ConnectionError, RuntimeError, OcppRefused, Disconnected) as err:
        result.error = f"charger {station}: {err}"
    finally:
        link.close()
    return result


def _wait_until(loop: ChargerLoop, clock: Clock, speed: float, ts: float, stop: threading.Event) -> None:
    """Answer the central system until the site clock reads ``ts``."""
    while not stop.is_set():
        left = (ts - clock.now()) / speed
        if left <= 0:
            return
        loop.do(Step("wait", seconds=min(left, 0.5)))


def _take_step(loop: ChargerLoop, clock: Clock, step: Step, give_up_at: float, stop: threading.Event,
               result: TimetableResult) -> None:
    while True:
        try:
            loop.do(step)
            return
        except StepProblem as err:
            if clock.now() >= give_up_at or stop.is_set():
                result.skipped.append(f"{step.text}: {err}")
                loop.say(f"skipped {step.text!r}: {err}")
                return
        loop.do(Step("wait", seconds=RETRY_WALL_S))
