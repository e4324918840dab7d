"""The central system's own decisions, without a socket: authorization, bay triggers, faults, restarts."""

from __future__ import annotations

from baytwin.core.csms.central import CentralSystem, Command
from baytwin.core.csms.config import CsmsConfig
from baytwin.core.events import Event, SessionFaulted, VehicleLeft

CONFIG = CsmsConfig(site_id="s", stations={"CP1": {"evses": {1: "B1", 2: "B2"}}}, known_tokens=frozenset({"CARD1"}),
                    stop_when_bay_empty=True, remote_stop_on_overstay=True)


class Denying:
    def __init__(self, denied: set[str]) -> None:
        self.denied = denied

    def authorize(self, id_token: str | None, plate: str | None, now: float) -> bool:
        return id_token not in self.denied and plate not in self.denied


def test_authorization_follows_the_rules_and_the_token_list() -> None:
    central = CentralSystem(CONFIG, authorizer=Denying({"CARD2", "BANNED1"}))
    assert central.authorize("CARD1", 0.0) == "Accepted"
    assert central.authorize("CARD2", 0.0) == "Blocked"  # restricted by the rules engine
    assert central.authorize("NOBODY", 0.0) == "Invalid"
    open_site = CentralSystem(CONFIG.model_copy(update={"accept_unknown_tokens": True}))
    assert open_site.authorize("NOBODY", 0.0) == "Accepted"
    assert central.plate_accepted("B1", "BANNED1", "CARD1", 0.0) == []  # a banned plate starts nothing
    assert central.plate_accepted("B1", "AB12CDE", "CARD1", 0.0) == [Command("CP1", "start", evse=1, id_token="CARD1")]


def test_an_empty_bay_stops_its_transaction_when_configured() -> None:
    events: list[Event] = []
    central = CentralSystem(CONFIG, events.extend)
    central.start_transaction("CP1", 2, "CARD1", 0.0, 100.0, "T1")
    commands = central.bay_occupancy("CP1", 2, False, 200.0)
    assert commands == [Command("CP1", "stop", evse=2, transaction_id="T1")]
    assert isinstance(events[-1], VehicleLeft) and events[-1].bay == "B2" and events[-1].source == "sensor"
    assert central.overstay("B2") == [Command("CP1", "stop", evse=2, transaction_id="T1")]
    assert central.overstay("B1") == []


def test_a_fault_during_a_transaction_is_a_faulted_session() -> None:
    events: list[Event] = []
    central = CentralSystem(CONFIG, events.extend)
    central.status("CP1", 1, "Faulted", "GroundFailure", 10.0)  # no transaction: nothing to fault
    central.start_transaction("CP1", 1, "CARD1", 500.0, 20.0)
    central.meter("CP1", 1, None, 2500.0, 16.0, 30.0)
    central.status("CP1", 1, "Faulted", "GroundFailure", 40.0)
    faulted = events[-1]
    assert isinstance(faulted, SessionFaulted) and faulted.fault == "GroundFailure" and faulted.energy_kwh == 2.0


def test_restore_resumes_open_transactions_and_their_numbering() -> None:
    central = CentralSystem(CONFIG)
    assert central.restore([{"session_id": "CP1/41", "bay": "B1", "energy_kwh": 3.5, "started_at": 5.0},
                            {"session_id": "CP9/2", "bay": "X", "energy_kwh": 0.0, "started_at": 5.0}]) == 1
    (tx,) = central.open_transactions()
    assert (tx.transaction_id, tx.evse, tx.energy_kwh) == ("41", 1, 3.5)
    assert central.start_transaction("CP1", 2, "CARD1", 0.0, 10.0).transaction_id == "42"
