"""The central system's own logic, whatever the OCPP version: stations, transactions, id tokens.

The protocol adapters (``v16``, ``v201``) translate each message into a call
here and the answer back; this class never sees a websocket or a JSON frame,
so it is synchronous, deterministic and testable on its own. What it learns
becomes the core's events (session started/active/suspended/ended/faulted,
vehicle arrived/left from a bay's occupancy sensor), handed to ``emit``, so the
rules engine and the store see one model whether a charger speaks 1.6J or
2.0.1. What it decides that a charger must be told (start a transaction for a
recognized plate, stop one that overstays) comes back as ``Command`` values
for the server to send from its own task, never from inside a handler.

State that must survive a restart (open transactions, the next 1.6
transaction id) is rebuilt from the store at start-up (``restore``): the next
id follows the highest id ever issued at the site, never only the open ones,
so no id is handed out twice. A charger that reconnects and replays queued
messages is reconciled by the idempotency rules below.

``emit`` may store synchronously (return None) or hand back an asyncio future
that settles when the events are durable. State that an event replaces (a
transaction leaving memory at its stop) is kept until that write commits; if
the write fails, the change is undone, so the charger's retry finds the
transaction again instead of being acknowledged with nothing stored.
"""

from __future__ import annotations

import asyncio
import itertools
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Literal, Protocol

from baytwin.core.csms.config import CsmsConfig
from baytwin.core.events import (
    SENSOR,
    ChargerAvailable,
    ChargerUnavailable,
    Event,
    SessionActive,
    SessionEnded,
    SessionFaulted,
    SessionStarted,
    SessionSuspended,
    VehicleArrived,
    VehicleLeft,
)

class InvalidValue(ValueError):
    """A charger sent a number that cannot be a measurement (NaN, infinite, negative energy)."""


AuthStatus = Literal["Accepted", "Blocked", "Invalid"]
ChargingState = Literal["Charging", "EVConnected", "SuspendedEV", "SuspendedEVSE", "Idle"]


class Authorizer(Protocol):
    """Who may charge now (the rules engine answers this: restricted and banned drivers may not)."""

    def authorize(self, id_token: str | None, plate: str | None, now: float) -> bool: ...


class AllowAll:
    def authorize(self, id_token: str | None, plate: str | None, now: float) -> bool:
        return True


@dataclass(frozen=True, slots=True)
class Command:
    """Something the central system wants a charger to do; the server sends it."""

    station: str
    action: Literal["start", "stop", "availability", "unlock", "reset", "trigger"]
    evse: int | None = None
    id_token: str | None = None
    transaction_id: str | None = None
    operative: bool | None = None
    message: str | None = None


@dataclass(slots=True)
class Transaction:
    station: str
    evse: int
    transaction_id: str
    bay: str
    id_token: str | None
    started_at: float
    meter_start_wh: float = 0.0
    energy_wh: float = 0.0
    current_a: float = 0.0
    state: str = "Charging"
    seen_seq: set[int] = field(default_factory=set)

    @property
    def session_id(self) -> str:
        return f"{self.station}/{self.transaction_id}"

    @property
    def energy_kwh(self) -> float:
        return round(max(0.0, self.energy_wh - self.meter_start_wh) / 1000.0, 4)


@dataclass(slots=True)
class StationState:
    station: str
    protocol: str = ""
    vendor: str = ""
    model: str = ""
    booted: bool = False
    connected: bool = False
    last_seen: float = 0.0
    status: dict[int, str] = field(default_factory=dict)  # evse/connector -> last status


class CentralSystem:
    def __init__(self, config: CsmsConfig, emit: Callable[[list[Event]], object] | None = None,
                 authorizer: Authorizer | None = None) -> None:
        self.config = config
        self.emit = emit or (lambda events: None)
        self.authorizer = authorizer or AllowAll()
        self.stations: dict[str, StationState] = {}
        self.transactions: dict[tuple[str, str], Transaction] = {}  # (station, transaction id) -> open transaction
        self._ended: set[tuple[str, str]] = set()
        self._next_v16_id = itertools.count(1)
        self._issued = 0  # highest 1.6 transaction id handed out (or found in the store)
        self._pending: dict[str, list[asyncio.Future[object]]] = {}  # station -> writes its answer waits for
        self._unconfirmed_ends: dict[str, Transaction] = {}  # session id -> transaction whose stop is being written
        self._down: dict[str, str] = {}  # bay -> why its charger cannot charge (offline, faulted, unavailable)

    # --- restart ---------------------------------------------------------------------------------

    def restore(self, open_sessions: Iterable[dict[str, object]], issued_ids: Iterable[str] = ()) -> int:
        """Rebuild open transactions from the store's session rows (``session_id`` is ``station/transaction``).

        ``issued_ids``: every session id the site's log has ever started; 1.6 numbering continues
        after the highest of them, so a restart after closed transactions never reuses an id.
        """
        highest = 0
        for session_id in issued_ids:
            tx = str(session_id).partition("/")[2]
            if tx.isdigit():
                highest = max(highest, int(tx))
        restored = 0
        for row in open_sessions:
            station, _, tx = str(row["session_id"]).partition("/")
            evse = self.config.evse_of(station, str(row["bay"]))
            if evse is None or not tx:
                continue
            energy_wh = float(row.get("energy_kwh") or 0.0) * 1000.0  # type: ignore[arg-type]
            self.transactions[(station, tx)] = Transaction(station, evse, tx, str(row["bay"]), None,
                                                           float(row.get("started_at") or 0.0), 0.0, energy_wh)  # type: ignore[arg-type]
            restored += 1
            if tx.isdigit():
                highest = max(highest, int(tx))
        self._issued = max(self._issued, highest)
        self._next_v16_id = itertools.count(self._issued + 1)
        return restored

    # --- connection and station status ---------------------------------------------------------------

    def connected(self, station: str, protocol: str, now: float) -> StationState:
        state = self.stations.setdefault(station, StationState(station))
        state.protocol, state.connected, state.last_seen = protocol, True, now
        for bay in self._bays_of(station):
            if self._down.get(bay) in ("offline", "not_connected"):
                self._set_available(station, bay, now)
        return state

    def disconnected(self, station: str, now: float) -> None:
        if station in self.stations:
            self.stations[station].connected = False
            self.stations[station].last_seen = now
        for bay in self._bays_of(station):
            self._set_unavailable(station, bay, "offline", now)

    def not_yet_connected(self, now: float) -> None:
        """At start-up: every configured charger that has not connected cannot charge yet, so its bays'
        not-charging rules wait for it (a site restarting must not blame drivers for its own outage)."""
        for station in self.config.stations:
            if not (station in self.stations and self.stations[station].connected):
                for bay in self._bays_of(station):
                    self._set_unavailable(station, bay, "not_connected", now)

    def unavailable_bays(self) -> dict[str, str]:
        """Bays whose charger cannot charge now, with the reason."""
        return dict(self._down)

    def _bays_of(self, station: str) -> list[str]:
        spec = self.config.stations.get(station)
        return list(spec.evses.values()) if spec is not None else []

    def _set_unavailable(self, station: str, bay: str, reason: str, now: float) -> None:
        if self._down.get(bay) == reason:
            return
        self._down[bay] = reason
        self._emit(station, ChargerUnavailable(now, self.config.site_id, bay, reason=reason))

    def _set_available(self, station: str, bay: str, now: float) -> None:
        if self._down.pop(bay, None) is not None:
            self._emit(station, ChargerAvailable(now, self.config.site_id, bay))

    def boot(self, station: str, vendor: str, model: str, now: float) -> bool:
        state = self.stations.setdefault(station, StationState(station))
        state.vendor, state.model, state.booted, state.last_seen = vendor, model, True, now
        return self.config.knows(station)

    def heartbeat(self, station: str, now: float) -> None:
        if station in self.stations:
            self.stations[station].last_seen = now

    def status(self, station: str, evse: int, status: str, error: str | None, now: float) -> None:
        """A connector's status. For 1.6 this is where charging, suspension and faults are told."""
        state = self.stations.setdefault(station, StationState(station))
        state.status[evse] = status
        if station in self.config.stations and evse in self.config.stations[station].evses:
            bay = self.config.bay_of(station, evse)
            if status in ("Faulted", "Unavailable"):
                self._set_unavailable(station, bay, status.lower(), now)
            elif self._down.get(bay) in ("faulted", "unavailable", "offline", "not_connected"):
                self._set_available(station, bay, now)
        tx = self._open_on(station, evse)
        if tx is None:
            return
        if status == "Faulted":
            self._emit(station, SessionFaulted(now, self.config.site_id, tx.bay, tx.session_id, tx.energy_kwh, 0.0,
                                      fault=(error or "other")))
        elif status in ("Charging", "SuspendedEV", "SuspendedEVSE"):
            self.charging_state(station, evse, tx.transaction_id, status, now)

    # --- authorization ------------------------------------------------------------------------------------

    def authorize(self, id_token: str | None, now: float, plate: str | None = None) -> AuthStatus:
        """Blocked while the rules engine restricts or bans the driver; Invalid for an unknown token
        unless the site accepts any; Accepted otherwise (RFID and QR tokens are always a valid way in)."""
        if not self.authorizer.authorize(id_token, plate, now):
            return "Blocked"
        if id_token and not self.config.accepts_token(id_token):
            return "Invalid"
        return "Accepted"

    # --- transactions ---------------------------------------------------------------------------------------

    def start_transaction(self, station: str, evse: int, id_token: str | None, meter_wh: float, now: float,
                          transaction_id: str | None = None) -> Transaction:
        """Open a transaction (1.6 lets the central system number it; 2.0.1 brings its own id).

        A replay of a start already open on that connector for the same token is the same
        transaction, not a second one.
        """
        if transaction_id is not None and (station, transaction_id) in self.transactions:
            return self.transactions[(station, transaction_id)]
        existing = self._open_on(station, evse)
        if existing is not None and transaction_id is None and existing.id_token == id_token \
                and existing.meter_start_wh == meter_wh:
            return existing
        _check_reading(meter_wh, "meterStart")
        if existing is not None:  # the charger lost the old one: it ended when this began
            self.end_transaction(station, existing.transaction_id, existing.energy_wh, now, "superseded")
        tx_id = transaction_id if transaction_id is not None else self._new_v16_id()
        bay = self.config.bay_of(station, evse)
        tx = Transaction(station, evse, tx_id, bay, id_token, now, meter_wh, meter_wh)
        self.transactions[(station, tx_id)] = tx
        self._emit(station, SessionStarted(now, self.config.site_id, bay, tx.session_id, 0.0, 0.0, id_token=id_token))
        return tx

    def _new_v16_id(self) -> str:
        self._issued += 1
        self._next_v16_id = itertools.count(self._issued + 1)
        return str(self._issued)

    def meter(self, station: str, evse: int, transaction_id: str | None, energy_wh: float | None,
              current_a: float | None, now: float) -> None:
        tx = self.transactions.get((station, transaction_id)) if transaction_id else self._open_on(station, evse)
        _check_reading(energy_wh, "energy")
        _check_reading(current_a, "current")
        if tx is None:
            return
        if energy_wh is not None:
            tx.energy_wh = max(tx.energy_wh, energy_wh)
        if current_a is not None:
            tx.current_a = current_a
        if tx.state == "Charging":
            self._emit(station, SessionActive(now, self.config.site_id, tx.bay, tx.session_id, tx.energy_kwh, tx.current_a))

    def charging_state(self, station: str, evse: int, transaction_id: str | None, state: str, now: float) -> None:
        """2.0.1's chargingState (1.6's connector status): charging, suspended by the EV or the EVSE, idle."""
        tx = self.transactions.get((station, transaction_id)) if transaction_id else self._open_on(station, evse)
        if tx is None or tx.state == state:
            return
        tx.state = state
        site = self.config.site_id
        if state == "Charging":
            self._emit(station, SessionActive(now, site, tx.bay, tx.session_id, tx.energy_kwh, tx.current_a))
        elif state in ("SuspendedEV", "EVConnected", "Idle"):
            self._emit(station, SessionSuspended(now, site, tx.bay, tx.session_id, tx.energy_kwh, 0.0, by="ev"))
        elif state == "SuspendedEVSE":
            self._emit(station, SessionSuspended(now, site, tx.bay, tx.session_id, tx.energy_kwh, 0.0, by="evse"))

    def end_transaction(self, station: str, transaction_id: str, meter_wh: float | None, now: float,
                        reason: str | None) -> Transaction | None:
        """Close a transaction; a second stop of the same one is ignored (replays after an outage)."""
        _check_reading(meter_wh, "meterStop")
        tx = self.transactions.pop((station, transaction_id), None)
        if tx is None:
            return None
        if meter_wh is not None:
            tx.energy_wh = max(tx.energy_wh, meter_wh)
        self._ended.add((station, transaction_id))
        self._unconfirmed_ends[tx.session_id] = tx
        self._emit(station, SessionEnded(now, self.config.site_id, tx.bay, tx.session_id, tx.energy_kwh, 0.0,
                                         reason=_reason(reason)))
        return tx

    def seen_sequence(self, station: str, transaction_id: str, seq_no: int | None) -> bool:
        """Whether this 2.0.1 TransactionEvent (by seqNo) was handled already; records it if not."""
        if seq_no is None:
            return False
        if (station, transaction_id) in self._ended:
            return True
        tx = self.transactions.get((station, transaction_id))
        if tx is None:
            return False
        if seq_no in tx.seen_seq:
            return True
        tx.seen_seq.add(seq_no)
        return False

    # --- bay occupancy (2.0.1 EVDetected / EVDeparted, ParkingBayOccupancy) --------------------------------

    def bay_occupancy(self, station: str, evse: int, occupied: bool, now: float) -> list[Command]:
        bay = self.config.bay_of(station, evse)
        site = self.config.site_id
        self._emit(station, VehicleArrived(now, site, bay, SENSOR) if occupied else VehicleLeft(now, site, bay, SENSOR))
        if not occupied and self.config.stop_when_bay_empty:
            tx = self._open_on(station, evse)
            if tx is not None:
                return [Command(station, "stop", evse=evse, transaction_id=tx.transaction_id)]
        return []

    # --- the ANPR authentication proxy and rule actions -----------------------------------------------------

    def plate_accepted(self, bay: str, plate: str, id_token: str | None, now: float) -> list[Command]:
        """A plate read accepted at ``bay``: a registered, authorized vehicle gets its charger started."""
        if id_token is None or self.authorize(id_token, now, plate) != "Accepted":
            return []
        where = self.config.evse_for_bay(bay)
        if where is None:
            return []
        station, evse = where
        if self._open_on(station, evse) is not None:
            return []
        return [Command(station, "start", evse=evse, id_token=id_token)]

    def overstay(self, bay: str) -> list[Command]:
        """The rules found an overstay at ``bay``: stop its transaction if the site asks for that."""
        where = self.config.evse_for_bay(bay)
        if not self.config.remote_stop_on_overstay or where is None:
            return []
        tx = self._open_on(*where)
        return [Command(where[0], "stop", evse=where[1], transaction_id=tx.transaction_id)] if tx else []

    # --- helpers -------------------------------------------------------------------------------------------------

    def open_transactions(self) -> list[Transaction]:
        return list(self.transactions.values())

    def _open_on(self, station: str, evse: int) -> Transaction | None:
        return next((t for t in self.transactions.values() if t.station == station and t.evse == evse), None)

    def _emit(self, station: str, event: Event) -> None:
        """Hand ``event`` to the store; a failed write undoes what the event replaced."""
        try:
            written = self.emit([event])
        except Exception:
            self._settle(event, failed=True)
            raise
        if isinstance(written, asyncio.Future):
            self._pending.setdefault(station, []).append(written)
            written.add_done_callback(lambda done: self._settle(event, failed=done.cancelled() or done.exception() is not None))
        else:
            self._settle(event, failed=False)

    def _settle(self, event: Event, failed: bool) -> None:
        session_id = getattr(event, "session_id", None)
        if session_id is None:
            return
        station, _, tx_id = str(session_id).partition("/")
        if isinstance(event, SessionEnded):
            tx = self._unconfirmed_ends.pop(session_id, None)
            if failed and tx is not None:  # the stop is not stored: the transaction is still open
                self._ended.discard((station, tx_id))
                self.transactions.setdefault((station, tx_id), tx)
        elif isinstance(event, SessionStarted) and failed:  # the start is not stored: it did not happen
            self.transactions.pop((station, tx_id), None)

    async def durable(self, station: str) -> bool:
        """Wait for every write made on behalf of ``station``'s current message; False if one failed
        (its answer must then be an error, so the charger retries)."""
        pending = self._pending.pop(station, [])
        if not pending:
            return True
        results = await asyncio.gather(*pending, return_exceptions=True)
        return not any(isinstance(r, BaseException) for r in results)


def _check_reading(value: float | None, what: str) -> None:
    """A measurement must be a finite number; energy registers never go below zero."""
    if value is None:
        return
    if not math.isfinite(value) or (what != "current" and value < 0):
        raise InvalidValue(f"{what} {value!r} is not a valid reading (a finite number, not negative)")


def _reason(reason: str | None) -> str:
    """OCPP stop reasons as the core's session-end reasons."""
    table = {"EVDisconnected": "ev_disconnected", "Local": "local", "Remote": "remote",
             "ParkingBayUnoccupied": "bay_unoccupied", "EVDeparted": "bay_unoccupied", "DeAuthorized": "deauthorized",
             "PowerLoss": "power_loss", "Reboot": "reboot", "EmergencyStop": "emergency_stop"}
    return table.get(reason or "", (reason or "ev_disconnected").lower())
