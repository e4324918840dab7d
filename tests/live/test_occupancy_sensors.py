"""A bay sensor in the occupancy tracker: believed over the camera, and a silent one makes its bay unknown."""

from __future__ import annotations

from baytwin.core.events import SENSOR, BayUnobserved, VehicleArrived, VehicleLeft
from baytwin.live.occupancy import Observation, Occupancy


def _tracker() -> Occupancy:
    return Occupancy("garage", arrive_samples=2, leave_after_s=30.0)


def test_a_sensor_takes_over_a_visit_the_camera_started_and_only_the_sensor_ends_it() -> None:
    occupancy = _tracker()
    assert occupancy.camera("B1", Observation(0.0, True)) == []
    assert [type(e) for e in occupancy.camera("B1", Observation(1.0, True))] == [VehicleArrived]
    assert occupancy.sensor("B1", True, 2.0) == []  # the same car: no second arrival
    assert occupancy.camera("B1", Observation(100.0, False)) == []  # unseen long past leave_after_s: still there
    left = occupancy.sensor("B1", False, 120.0)
    assert left == [VehicleLeft(120.0, "garage", "B1", SENSOR)]


def test_in_a_bay_with_a_sensor_the_camera_starts_no_visit() -> None:
    occupancy = _tracker()
    occupancy.sensor("B1", False, 0.0)
    assert occupancy.camera("B1", Observation(1.0, True)) == []
    assert occupancy.camera("B1", Observation(2.0, True)) == []  # a passer-by in view: the sensor says free
    assert not occupancy.state("B1").occupied


def test_a_lost_sensor_ends_its_visit_as_unobserved_and_its_next_report_starts_a_new_one() -> None:
    occupancy = _tracker()
    occupancy.sensor("B1", True, 0.0)
    lost = occupancy.sensor_lost("B1", 900.0, "its sensor has been silent for 900 s")
    assert lost == [BayUnobserved(900.0, "garage", "B1", SENSOR, "its sensor has been silent for 900 s")]
    state = occupancy.state("B1")
    assert state.unknown and not state.occupied
    assert occupancy.sensor_lost("B1", 901.0, "again") == []
    assert [type(e) for e in occupancy.sensor("B1", True, 1000.0)] == [VehicleArrived]
    assert occupancy.state("B1").unknown is None


def test_a_lost_sensor_leaves_a_visit_the_camera_tracks_alone() -> None:
    occupancy = _tracker()
    occupancy.camera("B2", Observation(0.0, True))
    occupancy.camera("B2", Observation(1.0, True))
    assert occupancy.sensor_lost("B2", 5.0, "its sensor's MQTT broker is unreachable") == []
    assert occupancy.state("B2").occupied
