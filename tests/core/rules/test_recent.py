"""The engine's memory of recent events: exact repeats are caught, distinct events never are."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from baytwin.core.events import SessionActive, VehicleArrived, VehicleIdentified
from baytwin.core.rules.recent import RecentEvents


def test_a_repeat_is_seen_and_an_event_at_the_same_time_is_not_taken_for_one() -> None:
    recent = RecentEvents(8)
    arrived = VehicleArrived(100.0, "s", "b1")
    assert not recent.seen(arrived)
    assert recent.seen(VehicleArrived(100.0, "s", "b1"))  # equal, not the same object
    assert not recent.seen(VehicleArrived(100.0, "s", "b2"))  # same time, another bay
    assert not recent.seen(VehicleIdentified(100.0, "s", "b1", "AB12CDE", 0.9))  # same time, another kind
    assert recent.seen(VehicleIdentified(100.0, "s", "b1", "AB12CDE", 0.9))
    assert recent.seen(VehicleArrived(100.0, "s", "b2"))
    assert len(recent) == 3


def test_the_oldest_are_forgotten_a_generation_at_a_time() -> None:
    recent = RecentEvents(2)
    first, second = SessionActive(1.0, "s", "b", "x", 0.1, 16.0), SessionActive(1.0, "s", "b", "x", 0.2, 16.0)
    third, fourth = SessionActive(2.0, "s", "b", "x", 0.3, 16.0), SessionActive(3.0, "s", "b", "x", 0.4, 16.0)
    for event in (first, second, third):
        assert not recent.seen(event)
    assert recent.seen(first) and recent.seen(second) and recent.seen(third)
    assert not recent.seen(fourth)  # fills the newer generation: the first two, now two generations back, are dropped
    assert recent.seen(third) and recent.seen(fourth)
    assert not recent.seen(first)


@given(st.lists(st.tuples(st.integers(0, 6), st.sampled_from(["b1", "b2"]), st.integers(0, 2)), max_size=80),
       st.integers(1, 12))
def test_it_catches_every_repeat_of_the_last_distinct_events_and_never_takes_an_older_one_for_a_repeat(
        stream: list[tuple[int, str, int]], capacity: int) -> None:
    recent, taken = RecentEvents(capacity), []  # taken: the distinct events it let through, in order
    for ts, bay, energy in stream:
        event = SessionActive(float(ts), "s", bay, "x", float(energy), 16.0)
        seen = recent.seen(event)
        if event in taken[-capacity:]:
            assert seen  # a repeat of one of the last ``capacity``: always caught
        if event not in taken[-2 * capacity:]:
            assert not seen  # never a repeat of something it cannot remember, nor a new event
        if not seen:
            taken.append(event)
    assert capacity > len(recent) - min(len(taken), capacity) >= 0
