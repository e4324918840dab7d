"""What the model hands its agents and observers: the parts of the site each may read and the calls each may make.

Driver agents and observers are built by the model and act on the site it
assembled; they depend on these narrow interfaces, not on the model module,
so nothing below the model imports it back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import simpy

    from baytwin.core.clock import Clock
    from baytwin.core.rules.deadlines import Standing
    from baytwin.core.rules.policy import Policy
    from baytwin.core.site import SiteInfo
    from baytwin.sim.recorder import RunRecorder
    from baytwin.sim.scenario import Scenario
    from baytwin.sim.streams import RandomStreams
    from baytwin.sim.world import Bay, VisitRecord, World


class DriverSite(Protocol):
    """A driver's view of its site: time, the rules as posted, the bays, and the doors in and out.

    ``driver`` is the calling agent (typed loosely so that this interface does not import the agents back)."""

    env: "simpy.Environment"
    clock: "Clock"
    scenario: "Scenario"
    policy: "Policy"
    streams: "RandomStreams"
    world: "World"
    site_info: "SiteInfo"

    def standing_of(self, driver: Any) -> "Standing": ...

    def new_visit(self, driver: Any) -> "VisitRecord": ...

    def blocked(self, record: "VisitRecord") -> None: ...

    def occupy(self, bay: "Bay", record: "VisitRecord") -> None: ...

    def vacate(self, bay: "Bay", record: "VisitRecord") -> None: ...

    def driver_left(self, driver: Any) -> None: ...

    def sim_time_rules_apply(self) -> float: ...


class ObservedSite(Protocol):
    """An observer's view of its site: time, the bays it watches, the weather, and where crops are kept."""

    env: "simpy.Environment"
    clock: "Clock"
    scenario: "Scenario"
    site_id: str
    world: "World"
    recorder: "RunRecorder"

    def condition_severities(self, ts: float) -> dict[str, int]: ...
