"""The emulated charge point's one working thread: steps, the central system's calls, heartbeats.

Everything that changes the charger happens here, in turn: a script's steps
(or lines typed at the prompt, handed over by a reader thread) and the
central system's calls from the link's inbox. A ``wait`` keeps answering the
central system, so a remote start sent during a script's pause is carried
out when it arrives, as on a real charger.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterable
from typing import TextIO

from baytwin.sim.charge_point import ChargePoint, StepProblem
from baytwin.sim.charge_point_link import ChargePointLink, Closed, IncomingCall
from baytwin.sim.charge_point_steps import USAGE, Step, StepSyntaxError, parse_step
from baytwin.sim.ocpp_link import OcppRefused


class Disconnected(Exception):
    """The central system closed the connection (``str(err)`` says how)."""


class ChargerLoop:
    def __init__(self, cp: ChargePoint, link: ChargePointLink, say: Callable[[str], None]) -> None:
        self.cp, self.link, self.say = cp, link, say
        self.inbox: queue.Queue[object] = link.inbox  # type: ignore[assignment]
        self._last_heartbeat = time.monotonic()

    # --- the two ways of driving it -----------------------------------------------------------------

    def run_script(self, steps: Iterable[Step]) -> None:
        """Every step in order; a step that cannot be done stops the script (StepProblem naming it)."""
        for number, step in enumerate(steps, start=1):
            self._serve(0.0)  # what the central system sent meanwhile, first
            if step.action == "quit":
                return
            try:
                self.do(step)
            except (StepProblem, RuntimeError) as err:
                raise StepProblem(f"step {number} ({step.text}): {err}") from None

    def run_prompt(self, stdin: TextIO, prompt: Callable[[], None] = lambda: None) -> None:
        """Read steps from ``stdin`` until ``quit`` or its end; a bad line is one line of error, not the end."""
        def read() -> None:
            for line in stdin:
                self.inbox.put(line.rstrip("\n"))
            self.inbox.put(None)

        threading.Thread(target=read, name="charger-prompt", daemon=True).start()
        prompt()
        while True:
            item = self._next(None)
            if item is None:
                return
            if not isinstance(item, str):
                continue
            if item.strip():
                try:
                    step = parse_step(item, len(self.cp.evses))
                    if step.action == "quit":
                        return
                    self.do(step)
                except (StepSyntaxError, StepProblem, RuntimeError) as err:
                    self.say(f"error: {err}")
            prompt()

    # --- one step -------------------------------------------------------------------------------------------

    def do(self, step: Step) -> None:
        cp, n = self.cp, step.evse or 0
        if step.action == "wait":
            self._serve(step.seconds)
        elif step.action == "boot":
            cp.boot()
        elif step.action == "heartbeat":
            cp.heartbeat()
        elif step.action == "status":
            for line in cp.lines():
                self.say(line)
        elif step.action == "help":
            self.say(USAGE)
        elif step.action == "plug":
            cp.plug(n)
        elif step.action == "authorize":
            cp.authorize(n, step.token or "")
        elif step.action == "start":
            cp.start(n, step.token)
        elif step.action == "meter":
            cp.meter(n, step.power_kw, step.energy_kwh, step.current_a)
        elif step.action == "suspend":
            cp.suspend(n, step.by)
        elif step.action == "stop":
            cp.stop(n)
        elif step.action == "fault":
            cp.fault(n, step.code)
        elif step.action == "unplug":
            cp.unplug(n)

    # --- the central system's side -------------------------------------------------------------------------

    def _serve(self, seconds: float) -> None:
        """Answer the central system for ``seconds`` (0: what is waiting now); lines typed meanwhile wait."""
        deadline = time.monotonic() + seconds
        held: list[object] = []
        try:
            while True:
                left = deadline - time.monotonic()
                try:
                    item = self.inbox.get(timeout=max(0.0, min(left, 1.0))) if left > 0 else self.inbox.get_nowait()
                except queue.Empty:
                    self._heartbeat_if_due()
                    if time.monotonic() >= deadline:
                        return
                    continue
                if isinstance(item, (IncomingCall, Closed)):
                    self._take(item)
                else:
                    held.append(item)
        finally:
            for item in held:
                self.inbox.put(item)

    def _next(self, timeout: float | None) -> object:
        """The next line typed (answering the central system while none comes); None at the end of input."""
        while True:
            try:
                item = self.inbox.get(timeout=1.0)
            except queue.Empty:
                self._heartbeat_if_due()
                continue
            if isinstance(item, (IncomingCall, Closed)):
                self._take(item)
                continue
            return item

    def _take(self, item: IncomingCall | Closed) -> None:
        if isinstance(item, Closed):
            raise Disconnected(item.reason)
        try:
            answer, follow = self.cp.handle(item.action, item.payload)
        except KeyError:
            self.link.refuse(item.unique_id, "NotSupported", f"this emulated charger does not handle {item.action}")
            self.say(f"central system: {item.action} (not handled)")
            return
        self.link.answer(item.unique_id, answer)
        self.say(f"central system: {item.action} {_brief(item.payload)}-> {answer.get('status', 'answered')}")
        if follow is None:
            return
        try:
            follow()
        except (StepProblem, RuntimeError, OcppRefused) as err:
            self.say(f"warning: after {item.action}: {err}")

    def _heartbeat_if_due(self) -> None:
        interval = self.cp.heartbeat_s
        if interval > 0 and time.monotonic() - self._last_heartbeat >= interval:
            self._last_heartbeat = time.monotonic()
            try:
                self.cp.heartbeat()
            except RuntimeError as err:
                self.say(f"warning: heartbeat: {err}")


def _brief(payload: dict[str, object]) -> str:
    shown = " ".join(f"{k}={v}" for k, v in payload.items() if not isinstance(v, (dict, list)))
    return f"({shown}) " if shown else ""
