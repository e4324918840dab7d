"""Events are made as their dataclass declares them, and stay frozen, whatever builds them."""

from __future__ import annotations

import dataclasses
import inspect
import pickle

import pytest

from baytwin.core.events import EVENT_TYPES, SessionActive, ViolationOpened


@pytest.mark.parametrize("cls", list(EVENT_TYPES.values()), ids=list(EVENT_TYPES))
def test_every_event_type_takes_its_fields_in_order_with_their_declared_defaults(cls: type) -> None:
    declared = dataclasses.fields(cls)
    assert list(inspect.signature(cls).parameters) == [f.name for f in declared]
    event = cls(12.5, "site", "bay")
    for f in declared[3:]:
        assert getattr(event, f.name) == f.default, f.name
    assert (event.ts, event.site, event.bay) == (12.5, "site", "bay")
    by_keyword = cls(**{f.name: getattr(event, f.name) for f in declared})
    assert by_keyword == event and hash(by_keyword) == hash(event)
    assert pickle.loads(pickle.dumps(event)) == event
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.ts = 13.0  # type: ignore[misc]


def test_an_event_is_made_from_what_it_was_given_and_nothing_else() -> None:
    active = SessionActive(1.0, "s", "b1", "s-1", 2.5, 16.0)
    assert (active.session_id, active.energy_kwh, active.current_a) == ("s-1", 2.5, 16.0)
    assert active != SessionActive(1.0, "s", "b1", "s-1", 2.5, 0.0)
    opened = ViolationOpened(5.0, "s", "b1", "v1", "overstay", "AB12CDE", 0.9, None, 4.0, (active,))
    assert opened.evidence == (active,) and opened.since == 4.0
    assert dataclasses.replace(opened, plate=None).plate is None
    with pytest.raises(TypeError):
        SessionActive(1.0, "s", "b1", "s-1", 2.5, 16.0, "extra")  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        SessionActive(1.0, "s")  # type: ignore[call-arg]
