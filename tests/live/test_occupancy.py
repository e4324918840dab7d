"""Bay occupancy from camera samples, charger sessions and sensors; the charging lock of seed 004."""

from __future__ import annotations

import numpy as np

from baytwin.core.events import (
    PlateRead,
    SessionActive,
    SessionEnded,
    SessionStarted,
    VehicleArrived,
    VehicleIdentified,
    VehicleLeft,
)
from baytwin.core.ocr.pipeline import PlateResult
from baytwin.live.occupancy import Observation, Occupancy

CROP = np.full((20, 60, 3), 200, np.uint8)


def _seen(occupancy: Occupancy, ts: float, read: PlateResult | None = None):  # type: ignore[no-untyped-def]
    return occupancy.camera("B1", Observation(ts, True, read))


def _empty(occupancy: Occupancy, ts: float):  # type: ignore[no-untyped-def]
    return occupancy.camera("B1", Observation(ts, False))


def test_a_car_arrives_is_identified_and_leaves() -> None:
    occupancy = Occupancy("s")
    assert _seen(occupancy, 0.0) == []  # one glimpse is not an arrival
    (arrived,) = _seen(occupancy, 1.0)
    assert isinstance(arrived, VehicleArrived) and arrived.ts == 1.0
    review = _seen(occupancy, 2.0, PlateResult("AB12CDE", 0.7, "review", (0, 0, 60, 20), crop=CROP))
    assert [type(e) for e in review] == [PlateRead]  # marginal: stored for a person, not acted on
    read, identified = _seen(occupancy, 3.0, PlateResult("AB12CDE", 0.97, "accepted", (0, 0, 60, 20), crop=CROP))
    assert isinstance(identified, VehicleIdentified) and identified.plate == "AB12CDE"
    assert occupancy.crops[id(read)][:4] == b"\x89PNG" and id(review[0]) in occupancy.crops
    unreadable = _seen(occupancy, 4.0, PlateResult(None, 0.1, "unreadable", None, crop=CROP))
    assert id(unreadable[0]) not in occupancy.crops  # nothing to keep from a read that says nothing
    assert _empty(occupancy, 20.0) == []  # not gone yet
    (left,) = _empty(occupancy, 34.0)
    assert isinstance(left, VehicleLeft) and left.source == "camera"


def test_while_current_flows_passing_traffic_cannot_end_the_visit() -> None:
    occupancy = Occupancy("s")
    _seen(occupancy, 0.0)
    _seen(occupancy, 1.0)
    occupancy.session(SessionStarted(2.0, "s", "B1", "CP1/1"))
    occupancy.session(SessionActive(3.0, "s", "B1", "CP1/1", 0.5, 16.0))
    for ts in (40.0, 100.0, 600.0):  # the plate is hidden (a van in front, a person), the car still charges
        assert _empty(occupancy, ts) == []
    occupancy.session(SessionActive(700.0, "s", "B1", "CP1/1", 9.0, 0.0))  # full: no current, lock released
    (left,) = _empty(occupancy, 710.0)
    assert isinstance(left, VehicleLeft)
    occupancy.session(SessionEnded(720.0, "s", "B1", "CP1/1", 9.0, 0.0))
    assert occupancy.state("B1").session is None


def test_an_occupancy_sensor_is_believed_as_it_reports() -> None:
    occupancy = Occupancy("s")
    (arrived,) = occupancy.sensor("B2", True, 5.0)
    assert arrived.source == "sensor"
    assert occupancy.sensor("B2", True, 6.0) == []
    (left,) = occupancy.sensor("B2", False, 9.0)
    assert isinstance(left, VehicleLeft) and left.source == "sensor"


def _accepted(plate: str) -> PlateResult:
    return PlateResult(plate, 0.97, "accepted", (0, 0, 60, 20), crop=CROP)


def test_a_car_swapped_faster_than_the_leave_timeout_ends_the_first_visit_and_starts_the_second() -> None:
    occupancy = Occupancy("s", leave_after_s=30.0)
    _seen(occupancy, 0.0), _seen(occupancy, 1.0), _seen(occupancy, 2.0, _accepted("EV11EVV"))
    _seen(occupancy, 95.0)
    assert _empty(occupancy, 100.0) == []  # the EV pulls out ...
    swapped = _seen(occupancy, 110.0, _accepted("IC22ICE"))  # ... and an ICE car is in 10 s later
    left, arrived, identified = [e for e in swapped if not isinstance(e, PlateRead)]
    assert isinstance(left, VehicleLeft) and left.ts == 100.0  # when the bay was last seen empty
    assert isinstance(arrived, VehicleArrived) and arrived.ts == 110.0
    assert isinstance(identified, VehicleIdentified) and identified.plate == "IC22ICE"
    assert [type(e) for e in _seen(occupancy, 120.0, _accepted("IC22ICE"))] == [PlateRead]  # the new car, read again


def test_the_same_plate_read_again_changes_nothing_and_a_charging_car_is_never_swapped_out() -> None:
    occupancy = Occupancy("s")
    _seen(occupancy, 0.0), _seen(occupancy, 1.0), _seen(occupancy, 2.0, _accepted("EV11EVV"))
    assert [type(e) for e in _seen(occupancy, 50.0, _accepted("EV11EVV"))] == [PlateRead]
    occupancy.session(SessionActive(60.0, "s", "B1", "CP1/1", 1.0, 16.0))
    assert [type(e) for e in _seen(occupancy, 70.0, _accepted("ZZ99ZZZ"))] == [PlateRead]  # current holds the bay


def test_a_camera_that_goes_blind_makes_its_bays_unknown_once_and_the_next_sighting_is_a_new_arrival() -> None:
    from baytwin.core.events import BayUnobserved

    occupancy = Occupancy("s")
    _seen(occupancy, 0.0), _seen(occupancy, 1.0), _seen(occupancy, 2.0, _accepted("EV11EVV"))
    (lost,) = occupancy.camera_lost(["B1", "B2"], 30.0, "the camera's stream ended")
    assert isinstance(lost, BayUnobserved) and lost.bay == "B1" and lost.reason == "the camera's stream ended"
    assert occupancy.state("B1").unknown and occupancy.state("B2").unknown  # an empty bay is unknown too
    assert occupancy.camera_lost(["B1", "B2"], 31.0, "still down") == []
    assert _seen(occupancy, 40.0) == [] and occupancy.state("B1").unknown is None
    (arrived,) = _seen(occupancy, 41.0)
    assert isinstance(arrived, VehicleArrived)


def test_every_read_names_the_model_that_made_it_and_the_store_keeps_it(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import json

    from sqlalchemy import select

    from baytwin.core.events import event_from_dict
    from baytwin.core.privacy import Keys, generate_key
    from baytwin.core.store import schema
    from baytwin.core.store.database import connect
    from baytwin.core.store.log import EventLog

    occupancy = Occupancy("s", reader="general_reader_int8.onnx#38a66048acb86ba8")
    _seen(occupancy, 0.0)
    _seen(occupancy, 1.0)
    read, _ = _seen(occupancy, 2.0, PlateResult("AB12CDE", 0.97, "accepted", (0, 0, 60, 20), crop=CROP))
    assert isinstance(read, PlateRead) and read.reader == "general_reader_int8.onnx#38a66048acb86ba8"
    engine = connect(f"sqlite:///{tmp_path / 'store.db'}")
    EventLog(engine, Keys.from_text(generate_key(), "test key")).append([read])
    with engine.connect() as conn:
        (public,) = conn.execute(select(schema.event_log.c.public)).scalars().all()
    assert json.loads(public)["reader"] == read.reader  # in the hash-chained record, beside the sealed plate
    assert event_from_dict({**json.loads(public), "plate": None}).reader == read.reader
    # a read stored before readers were recorded comes back with none named
    assert event_from_dict({"kind": "plate_read", "ts": 1.0, "site": "s", "bay": "B1", "plate": None,
                            "confidence": 0.1, "status": "unreadable"}).reader == ""
