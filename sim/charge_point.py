"""A stand-alone emulated charge point with several EVSEs, for testing any central system.

Its sessions are told through the twin's ``ConnectorVoice`` (one per EVSE),
so it sends exactly the frames the twin's chargers send. What moves it is
different: a person or a script (plug, start, meter, stop …) and the central
system's own commands, which it answers as a real charger does, then acts on:

=========================================  ==========================================================
command                                    answer, then
=========================================  ==========================================================
RemoteStartTransaction / RequestStart…     Accepted (Rejected if the EVSE is unusable or busy); the
                                           transaction starts now if a cable is in, else at the plug
RemoteStopTransaction / RequestStop…       Accepted for an open transaction (Rejected otherwise); stops
                                           it with reason Remote
ChangeAvailability                         Accepted and the status follows; Scheduled while a
                                           transaction runs (it takes effect when that ends)
UnlockConnector                            1.6: stops a running transaction (UnlockCommand), Unlocked;
                                           2.0.1: OngoingAuthorizedTransaction while one runs
Reset                                      Accepted; stops every transaction (reboot) and boots again
TriggerMessage                             Accepted for BootNotification, Heartbeat, StatusNotification,
                                           MeterValues (and 2.0.1 TransactionEvent), then sends it
=========================================  ==========================================================

All state changes happen on one thread (the caller's): the reader of the
websocket only queues the central system's calls, so the answer to a command
is always decided against a charger that is not half-way through a step.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from baytwin.core.clock import Clock
from baytwin.core.events import SessionActive, SessionEnded, SessionFaulted, SessionStarted, SessionSuspended
from baytwin.sim.ocpp_link import OcppLink
from baytwin.sim.ocpp_voice import ConnectorVoice, boot, call, iso

VOLTS = 230.0  # a single phase: current from power, for a meter step given only in kW
FollowUp = Callable[[], None]


class StepProblem(ValueError):
    """A step that cannot be done in the charger's present state (stop with no transaction …): one line."""


@dataclass(slots=True)
class Evse:
    number: int
    voice: ConnectorVoice
    plugged: bool = False
    operative: bool = True
    inoperative_when_free: bool = False  # ChangeAvailability Inoperative scheduled until the transaction ends
    faulted: bool = False
    token: str | None = None  # the id token authorized for the next or running transaction
    remote_start_id: int | None = None
    energy_kwh: float = 0.0  # the running session's energy
    power_kw: float = 0.0
    current_a: float = 0.0
    metered_at: float | None = None
    suspended: bool = False

    @property
    def in_transaction(self) -> bool:
        return self.voice.transaction is not None

    def state(self) -> str:
        if self.faulted:
            return "Faulted"
        if not self.operative:
            return "Unavailable"
        if self.in_transaction:
            return "SuspendedEV" if self.suspended else ("Charging" if self.power_kw > 0 else "Preparing")
        return "Preparing" if self.plugged else "Available"


class ChargePoint:
    """The charger: ``evses`` EVSEs (1.6 connectors) of station ``station``, speaking ``protocol`` over ``link``."""

    def __init__(self, link: OcppLink, station: str, protocol: str, evses: int, clock: Clock,
                 say: Callable[[str], None] = lambda line: None) -> None:
        self.link, self.station, self.protocol, self.clock, self.say = link, station, protocol, clock, say
        self.evses = {n: Evse(n, ConnectorVoice(link, station, protocol, n)) for n in range(1, evses + 1)}
        self.heartbeat_s = 0.0
        self.booted = False

    # --- steps (script or prompt) ---------------------------------------------------------------------

    def boot(self) -> None:
        answer = boot(self.link, self.station, self.protocol)
        self.heartbeat_s = float(answer.get("interval") or 0)
        self.booted = True
        for evse in self.evses.values():
            self._status(evse, evse.state())
        self.say(f"booted: {answer.get('status')} (heartbeat every {self.heartbeat_s:g} s)")

    def heartbeat(self) -> None:
        call(self.link, self.station, "Heartbeat", {})

    def plug(self, n: int) -> None:
        evse = self.evse(n)
        if evse.plugged:
            raise StepProblem(f"EVSE {n}: a cable is already plugged in")
        evse.plugged = True
        if not evse.faulted and evse.operative:
            self._status(evse, "Preparing")
        if evse.token is not None and self._usable(evse):  # authorized before the cable came (remote start)
            self._start(evse, "RemoteStart" if evse.remote_start_id is not None else "Authorized")

    def authorize(self, n: int, token: str) -> bool:
        evse = self.evse(n)
        accepted = evse.voice.authorize(token)
        self.say(f"EVSE {n}: id token {token} {'accepted' if accepted else 'refused'}")
        if accepted:
            evse.token, evse.remote_start_id = token, None
            if evse.plugged and not evse.in_transaction and self._usable(evse):
                self._start(evse, "Authorized")
        return accepted

    def start(self, n: int, token: str | None) -> None:
        """Plug in if need be, present ``token`` (or use the one authorized remotely) and start charging."""
        evse = self.evse(n)
        if evse.in_transaction:
            raise StepProblem(f"EVSE {n}: a transaction is already running")
        if not self._usable(evse):
            raise StepProblem(f"EVSE {n} is {evse.state()}: it cannot start a transaction")
        if token is None and evse.token is None:
            raise StepProblem(f"EVSE {n}: give an id token (nothing was authorized)")
        if token is not None and not self.authorize(n, token):
            return
        if not evse.plugged:
            self.plug(n)  # starts the authorized transaction
        elif not evse.in_transaction:
            self._start(evse, "Authorized")

    def meter(self, n: int, power_kw: float | None = None, energy_kwh: float | None = None,
              current_a: float | None = None) -> None:
        """A meter reading; with ``power_kw`` the energy grows by the time since the last reading at the old power."""
        evse = self._running(n)
        now = self.clock.now()
        self.meter_to_now(evse)
        if energy_kwh is not None:
            if energy_kwh < evse.energy_kwh - 1e-9:
                raise StepProblem(f"EVSE {n}: energy {energy_kwh:g} kWh is below the {evse.energy_kwh:.3f} kWh "
                                  "already delivered (a register never goes back)")
            evse.energy_kwh = energy_kwh
        if power_kw is not None:
            evse.power_kw = power_kw
            evse.current_a = current_a if current_a is not None else round(power_kw * 1000.0 / VOLTS, 2)
        elif current_a is not None:
            evse.current_a, evse.power_kw = current_a, current_a * VOLTS / 1000.0
        evse.metered_at, evse.suspended = now, False
        evse.voice.report(SessionActive(now, self.station, str(n), evse.voice.transaction or "",
                                        round(evse.energy_kwh, 4), evse.current_a))

    def suspend(self, n: int, by: str = "ev") -> None:
        evse = self._running(n)
        self.meter_to_now(evse)
        evse.suspended, evse.current_a = True, 0.0
        evse.voice.report(SessionSuspended(self.clock.now(), self.station, str(n), evse.voice.transaction or "",
                                           round(evse.energy_kwh, 4), 0.0, by=by))

    def stop(self, n: int, reason: str = "local") -> None:
        self._stop(self._running(n), reason)

    def fault(self, n: int, code: str = "GroundFailure") -> None:
        evse = self.evse(n)
        evse.faulted = True
        if evse.in_transaction:
            self.meter_to_now(evse)
            evse.power_kw = evse.current_a = 0.0
            evse.voice.report(SessionFaulted(self.clock.now(), self.station, str(n), evse.voice.transaction or "",
                                             round(evse.energy_kwh, 4), 0.0, fault=code))
        else:
            self._status(evse, "Faulted", code)

    def unplug(self, n: int) -> None:
        evse = self.evse(n)
        if not evse.plugged:
            raise StepProblem(f"EVSE {n}: no cable is plugged in")
        evse.plugged = False
        if evse.in_transaction:
            self._stop(evse, "ev_disconnected")  # a 1.6 connector reads Available after this stop
            evse.faulted = False
            if self.protocol != "ocpp1.6":
                self._status(evse, evse.state())
        else:
            evse.faulted = False
            self._status(evse, evse.state())
        evse.token = evse.remote_start_id = None

    def lines(self) -> list[str]:
        """One line per EVSE: what ``status`` prints."""
        out = []
        for evse in self.evses.values():
            line = f"EVSE {evse.number}: {evse.state()}"
            if evse.in_transaction:
                self.meter_to_now(evse)
                line += (f", transaction {evse.voice.transaction} ({evse.token}), {evse.energy_kwh:.3f} kWh, "
                         f"{evse.power_kw:g} kW")
            elif evse.token:
                line += f", {evse.token} authorized, waiting for the cable"
            out.append(line)
        return out

    def evse(self, n: int) -> Evse:
        if n not in self.evses:
            raise StepProblem(f"no EVSE {n} (this charger has {len(self.evses)})")
        return self.evses[n]

    # --- the central system's commands ---------------------------------------------------------------------

    def handle(self, action: str, payload: dict[str, Any]) -> tuple[dict[str, Any], FollowUp | None]:
        """The answer to a CALL from the central system, and what to do once it is sent (or None).
        KeyError for an action this charger does not handle."""
        handler = _HANDLERS[self.protocol][action]
        return handler(self, payload)

    def _remote_start(self, evse_id: int | None, token: str, remote_start_id: int | None) -> tuple[dict[str, Any], FollowUp | None]:
        candidates = [self.evses[evse_id]] if evse_id in self.evses else ([] if evse_id else list(self.evses.values()))
        evse = next((e for e in candidates if self._usable(e) and not e.in_transaction), None)
        if evse is None:
            return {"status": "Rejected"}, None

        def go() -> None:
            evse.token, evse.remote_start_id = token, remote_start_id
            self.say(f"EVSE {evse.number}: remote start for {token}"
                     + ("" if evse.plugged else ", waiting for the cable"))
            if evse.plugged:
                self._start(evse, "RemoteStart")
        return {"status": "Accepted"}, go

    def _remote_stop(self, transaction_id: str) -> tuple[dict[str, Any], FollowUp | None]:
        evse = next((e for e in self.evses.values() if e.voice.transaction == transaction_id), None)
        if evse is None:
            return {"status": "Rejected"}, None
        return {"status": "Accepted"}, lambda: (self.say(f"EVSE {evse.number}: remote stop"), self._stop(evse, "remote"))

    def _availability(self, evse_id: int, operative: bool) -> tuple[dict[str, Any], FollowUp | None]:
        targets = list(self.evses.values()) if not evse_id else ([self.evses[evse_id]] if evse_id in self.evses else [])
        if not targets:
            return {"status": "Rejected"}, None
        busy = not operative and any(e.in_transaction for e in targets)

        def go() -> None:
            for evse in targets:
                if not operative and evse.in_transaction:
                    evse.inoperative_when_free = True
                    continue
                evse.operative, evse.inoperative_when_free = operative, False
                self._status(evse, evse.state())
            self.say(f"{'EVSE ' + str(evse_id) if evse_id else 'charger'} made "
                     f"{'operative' if operative else 'inoperative'}" + (" once its transaction ends" if busy else ""))
        return {"status": "Scheduled" if busy else "Accepted"}, go

    def _unlock(self, evse_id: int) -> tuple[dict[str, Any], FollowUp | None]:
        if evse_id not in self.evses:
            return {"status": "NotSupported" if self.protocol == "ocpp1.6" else "UnknownConnector"}, None
        evse = self.evses[evse_id]
        if evse.in_transaction and self.protocol != "ocpp1.6":
            return {"status": "OngoingAuthorizedTransaction"}, None
        follow = (lambda: self._stop(evse, "unlock")) if evse.in_transaction else None
        return {"status": "Unlocked"}, follow

    def _reset(self, kind: str) -> tuple[dict[str, Any], FollowUp | None]:
        def go() -> None:
            self.say(f"reset ({kind}): stopping transactions and booting again")
            for evse in self.evses.values():
                if evse.in_transaction:
                    self._stop(evse, "hard_reset" if kind in ("Hard", "Immediate") else "soft_reset")
            self.boot()
        return {"status": "Accepted"}, go

    def _trigger(self, message: str, evse_id: int | None) -> tuple[dict[str, Any], FollowUp | None]:
        targets = [self.evses[evse_id]] if evse_id in self.evses else list(self.evses.values())
        now = lambda: iso(self.clock.now())  # noqa: E731
        if message == "BootNotification":
            go: FollowUp = self.boot
        elif message == "Heartbeat":
            go = self.heartbeat
        elif message == "StatusNotification":
            go = lambda: [self._status(e, e.state()) for e in targets]  # type: ignore[func-returns-value]  # noqa: E731
        elif message in ("MeterValues", "TransactionEvent"):
            go = lambda: [e.voice.meter_values(e.current_a, now()) for e in targets  # type: ignore[func-returns-value]  # noqa: E731
                          if message == "MeterValues" or e.in_transaction]
        else:
            return {"status": "NotImplemented"}, None
        return {"status": "Accepted"}, go

    # --- helpers -------------------------------------------------------------------------------------------------

    def _usable(self, evse: Evse) -> bool:
        return evse.operative and not evse.faulted

    def _running(self, n: int) -> Evse:
        evse = self.evse(n)
        if not evse.in_transaction:
            raise StepProblem(f"EVSE {n}: no transaction is running")
        return evse

    def _start(self, evse: Evse, trigger: str) -> None:
        now = self.clock.now()
        evse.energy_kwh, evse.power_kw, evse.current_a, evse.metered_at, evse.suspended = 0.0, 0.0, 0.0, now, False
        transaction = uuid.uuid4().hex[:20]  # 2.0.1: the charger numbers its own (1.6: the central system does)
        evse.voice.report(SessionStarted(now, self.station, str(evse.number), transaction, 0.0, 0.0, evse.token),
                          trigger=trigger, remote_start_id=evse.remote_start_id)
        self.say(f"EVSE {evse.number}: transaction {evse.voice.transaction} started for {evse.token}")

    def _stop(self, evse: Evse, reason: str) -> None:
        self.meter_to_now(evse)
        transaction = evse.voice.transaction
        evse.voice.report(SessionEnded(self.clock.now(), self.station, str(evse.number), transaction or "",
                                       round(evse.energy_kwh, 4), 0.0, reason=reason))
        self.say(f"EVSE {evse.number}: transaction {transaction} stopped ({reason}), {evse.energy_kwh:.3f} kWh")
        evse.power_kw = evse.current_a = 0.0
        evse.metered_at, evse.suspended = None, False
        if reason != "ev_disconnected":
            evse.token = evse.remote_start_id = None
        if evse.inoperative_when_free:
            evse.operative, evse.inoperative_when_free = False, False
            self._status(evse, "Unavailable")

    def meter_to_now(self, evse: Evse) -> None:
        """Bring the session's energy up to now at its present power (a real meter keeps counting)."""
        now = self.clock.now()
        if evse.metered_at is not None and evse.power_kw > 0 and not evse.suspended:
            evse.energy_kwh += evse.power_kw * max(0.0, now - evse.metered_at) / 3600.0
        evse.metered_at = now

    def _status(self, evse: Evse, status: str, error: str = "NoError") -> None:
        evse.voice.status(status, iso(self.clock.now()), error)


def _int(value: Any) -> int | None:
    return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


_HANDLERS: dict[str, dict[str, Callable[[ChargePoint, dict[str, Any]], tuple[dict[str, Any], FollowUp | None]]]] = {
    "ocpp1.6": {
        "RemoteStartTransaction": lambda cp, p: cp._remote_start(_int(p.get("connectorId")), str(p.get("idTag", "")), None),
        "RemoteStopTransaction": lambda cp, p: cp._remote_stop(str(p.get("transactionId"))),
        "ChangeAvailability": lambda cp, p: cp._availability(_int(p.get("connectorId")) or 0, p.get("type") == "Operative"),
        "UnlockConnector": lambda cp, p: cp._unlock(_int(p.get("connectorId")) or 0),
        "Reset": lambda cp, p: cp._reset(str(p.get("type", "Soft"))),
        "TriggerMessage": lambda cp, p: cp._trigger(str(p.get("requestedMessage")), _int(p.get("connectorId"))),
        "GetConfiguration": lambda cp, p: ({"configurationKey": [
            {"key": "HeartbeatInterval", "readonly": False, "value": f"{cp.heartbeat_s:g}"},
            {"key": "NumberOfConnectors", "readonly": True, "value": str(len(cp.evses))}]}, None),
        "ChangeConfiguration": lambda cp, p: ({"status": "NotSupported"}, None),
    },
    "ocpp2.0.1": {
        "RequestStartTransaction": lambda cp, p: cp._remote_start(_int(p.get("evseId")),
                                                                 str((p.get("idToken") or {}).get("idToken", "")),
                                                                 _int(p.get("remoteStartId"))),
        "RequestStopTransaction": lambda cp, p: cp._remote_stop(str(p.get("transactionId"))),
        "ChangeAvailability": lambda cp, p: cp._availability(_int((p.get("evse") or {}).get("id")) or 0,
                                                            p.get("operationalStatus") == "Operative"),
        "UnlockConnector": lambda cp, p: cp._unlock(_int(p.get("evseId")) or 0),
        "Reset": lambda cp, p: cp._reset(str(p.get("type", "OnIdle"))),
        "TriggerMessage": lambda cp, p: cp._trigger(str(p.get("requestedMessage")),
                                                    _int((p.get("evse") or {}).get("id"))),
        "GetVariables": lambda cp, p: ({"getVariableResult": [
            {"attributeStatus": "UnknownVariable", "component": item.get("component", {}),
             "variable": item.get("variable", {})} for item in p.get("getVariableData", [])]}, None),
        "SetVariables": lambda cp, p: ({"setVariableResult": [
            {"attributeStatus": "Rejected", "component": item.get("component", {}),
             "variable": item.get("variable", {})} for item in p.get("setVariableData", [])]}, None),
    },
}
