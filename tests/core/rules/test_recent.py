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


def test_the_oldest_is_forgotten_first_when_full() -> None:
    recent = RecentEvents(3)
    first, second = SessionActive(1.0, "s", "b", "x", 0.1, 16.0), SessionActive(1.0, "s", "b", "x", 0.2, 16.0)
    for event in (first, second, SessionActive(2.0, "s", "b", "x", 0.3, 16.0), SessionActive(3.0, "s", "b", "x", 0.4, 16.0)):
        assert not recent.seen(event)
    assert recent.seen(second)  # still remembered
    assert not recent.seen(first)  # the oldest, forgotten when the fourth came


@given(st.lists(st.tuples(st.integers(0, 6), st.sampled_from(["b1", "b2"]), st.integers(0, 2)), max_size=80),
       st.integers(1, 12))
def test_it_answers_as_a_plain_list_of_the_last_distinct_events_would(stream: list[tuple[int, str, int]], capacity: int) -> None:
    recent, reference = RecentEvents(capacity), []
    for ts, bay, energy in stream:
        event = SessionActive(float(ts), "s", bay, "x", float(energy), 16.0)
        expected = event in reference
        assert recent.seen(event) == expected
        if not expected:
            reference = (reference + [event])[-capacity:]
    assert len(recent) == len(reference)
