"""Driver agents: who comes, where they park, how long they stay, and how they respond.

A driver's visit is one SimPy process that reads like the story it models:
find a bay, plug in if it is an EV in an EV bay, stay, and leave when the plan
says so, or earlier when charging ends and a rule, a fee or a notification
makes it worth moving the car.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import TYPE_CHECKING

import mesa
import simpy

from baytwin.core.events import ActionTaken
from baytwin.core.rules.engine import is_penalty
from baytwin.sim.battery import ChargeCurve
from baytwin.sim.chargers import PluggedVehicle
from baytwin.sim.scenario import Group
from baytwin.sim.world import Bay, VisitRecord

if TYPE_CHECKING:
    from baytwin.sim.distributions import Distribution
    from baytwin.sim.site_context import DriverSite

_DENIED_LEAVE_S = 5 * 60.0  # a driver refused at the charger leaves after a few minutes


@dataclass(frozen=True, slots=True)
class Intent:
    """One visit's intentions, drawn up front in a fixed number of draws.

    Drawing them all at once from the visit stream keeps runs of one seed
    aligned across policies: the same driver wants the same stay, the same
    energy and has the same temper, whatever the policy then makes of it.
    """

    stay_s: float
    energy_need_kwh: float
    plug_delay_s: float
    return_delay_s: float
    notified_return_delay_s: float
    limit_margin_s: float
    u_comply: float
    u_fee: float
    u_notify: float
    u_tempted: float
    walk_back_s: float
    u_plug: float

    @classmethod
    def draw(cls, group: Group, plug_delay: "Distribution", rng: random.Random, local_hour: int) -> "Intent":
        return cls(
            stay_s=group.stay_for(local_hour).sample(rng) * 3600.0,
            energy_need_kwh=group.energy_need_kwh.sample(rng),
            plug_delay_s=plug_delay.sample(rng) * 60.0,
            return_delay_s=group.return_delay_min.sample(rng) * 60.0,
            notified_return_delay_s=group.return_delay_min.sample(rng) * 60.0,
            limit_margin_s=rng.uniform(2.0, 15.0) * 60.0,
            u_comply=rng.random(), u_fee=rng.random(), u_notify=rng.random(),
            u_tempted=rng.random(),
            walk_back_s=group.walk_back_min.sample(rng) * 60.0, u_plug=rng.random(),
        )


class Driver(mesa.Agent):
    model: "DriverSite"

    def __init__(self, model: "DriverSite", group_name: str, group: Group, plate: str,
                 is_ev: bool, accessible: bool, id_token: str | None) -> None:
        super().__init__(model)
        rng = model.streams.population
        self.group_name, self.group, self.plate = group_name, group, plate
        self.is_ev, self.accessible, self.id_token = is_ev, accessible, id_token
        self.battery_kwh = group.battery_kwh.sample(rng)
        self.max_kw = group.vehicle_max_kw.sample(rng)
        self.penalties = 0
        self.visits = 0
        self.current: VisitRecord | None = None
        self.intent: Intent | None = None
        self._depart_at = float("inf")
        self._process: simpy.Process | None = None

    # --- behaviour -----------------------------------------------------------------------

    def compliance(self) -> float:
        """Probability of following a rule: base propensity x awareness from signs, plus deterrence."""
        behaviour = self.model.scenario.behaviour
        awareness = behaviour.signage_awareness.get(self.model.scenario.site.signage, 1.0)
        return min(0.99, self.group.compliance * awareness + behaviour.deterrence_per_penalty * self.penalties)

    def fee_response(self) -> float:
        """Probability of moving the car for the idle fee: the group's responsiveness, scaled by the fee's size.

        The response saturates: at ``fee_half_response_per_min`` half the responsive drivers move, and a fee
        many times that moves nearly all of them.
        """
        fee = self.model.policy.idle_fee
        if not fee.enabled or fee.per_min <= 0:
            return 0.0
        half = self.model.scenario.behaviour.fee_half_response_per_min
        return self.group.fee_response * fee.per_min / (fee.per_min + half)

    def notify(self, action: ActionTaken) -> None:
        """An enforcement action reached this driver (by plate or account)."""
        if is_penalty(action):
            self.penalties += 1
        visit = self.current
        if visit is None or visit.bay != action.bay or action.action == "idle_fee":
            return
        visit.notified = True
        if self.intent is not None and self.intent.u_notify < self.group.notification_response:
            self.leave_at(self.model.env.now + self.intent.notified_return_delay_s)

    def leave_at(self, sim_time: float) -> None:
        """Bring the departure forward (never later than planned)."""
        if sim_time >= self._depart_at:
            return
        self._depart_at = sim_time
        process = self._process
        if process is not None and process.is_alive and process is not self.model.env.active_process:
            process.interrupt("plan changed")

    # --- the visit ------------------------------------------------------------------------

    def visit(self):  # type: ignore[no-untyped-def]
        model, env = self.model, self.model.env
        self._process = env.active_process
        local_hour = model.site_info.local(model.clock.now()).hour
        intent = self.intent = Intent.draw(self.group, model.scenario.site.chargers.plug_in_delay_min, model.streams.intent,
                                           local_hour)
        record = model.new_visit(self)
        self.current, self.visits = record, self.visits + 1
        bay = self._choose_bay()
        if bay is None:
            model.blocked(record)
            self._finish()
            return
        model.occupy(bay, record)
        policy = model.policy
        self._depart_at = env.now + intent.stay_s
        complies = intent.u_comply < self.compliance()
        who = model.standing_of(self)  # the rules as they apply to this driver, as the engine sees them
        max_stay = policy.rules.max_stay
        limit = max_stay.limit_for(who.group) if max_stay.enabled and "max_stay" not in who.exempt else None
        if bay.ev and complies and limit is not None:
            self.leave_at(env.now + max(60.0, limit * 60.0 + who.extra_s - intent.limit_margin_s))

        plugged = False
        if bay.ev and self.is_ev and bay.charger is not None and intent.u_plug < self.group.plug_in_share:
            yield env.timeout(intent.plug_delay_s)
            if env.now < self._depart_at:
                plugged = self._plug_in(bay, record, complies)

        yield from self._stay()
        if plugged and bay.charger is not None:
            bay.charger.unplug()
            record.unplug = model.clock.now()
        model.vacate(bay, record)
        self._finish()

    def _choose_bay(self) -> Bay | None:
        world, rng, intent = self.model.world, self.model.streams.world, self.intent
        assert intent is not None
        if self.is_ev:
            return world.take(True, rng) or world.take(False, rng)
        # An ICE driver uses a general bay unless tempted into a free EV bay; a full car park
        # (no general bay free) doubles the temptation.
        temptation = self.group.ice_in_ev_bay * (1.0 - self.compliance())
        if world.free_general == 0:
            temptation *= 2.0
        if intent.u_tempted < temptation:
            bay = world.take(True, rng)
            if bay is not None:
                return bay
        return world.take(False, rng)

    def _plug_in(self, bay: Bay, record: VisitRecord, complies: bool) -> bool:
        model, intent = self.model, self.intent
        assert bay.charger is not None and intent is not None
        need = intent.energy_need_kwh
        target = self.group.target_soc
        soc = max(0.05, target - need / self.battery_kwh)
        vehicle = PluggedVehicle(self.id_token, self.plate, ChargeCurve(self.battery_kwh, self.max_kw), soc, target)
        outcome = bay.charger.plug_in(vehicle)
        if outcome is None:
            record.denied = True
            self.leave_at(model.env.now + _DENIED_LEAVE_S)
            return False
        record.plug_in = outcome.plugged_at
        record.session = outcome
        policy = model.policy
        who = model.standing_of(self)
        overstay_applies = policy.rules.overstay.enabled and "overstay" not in who.exempt
        moves_for_rule = complies and overstay_applies
        moves_for_fee = overstay_applies and intent.u_fee < self.fee_response()
        delay = intent.return_delay_s
        if moves_for_rule or moves_for_fee:
            # Someone who means to beat the grace period plans to be back within it, but cannot be back sooner
            # than the walk to the car: a short grace catches drivers who were trying.
            aim = model.scenario.behaviour.grace_aim_share * (policy.rules.overstay.grace_min * 60.0 + who.extra_s)
            delay = max(intent.walk_back_s, min(delay, aim))

        def charging_done(_: simpy.Event) -> None:
            record.charging_complete = model.clock.now()
            if moves_for_rule or moves_for_fee:
                record.moved_for_rule = True
                # Outside the rules' active hours there is nothing to move for until they start.
                self.leave_at(model.sim_time_rules_apply() + delay)

        bay.charger.charging_done.callbacks.append(charging_done)
        return True

    def _stay(self):  # type: ignore[no-untyped-def]
        env = self.model.env
        while self._depart_at > env.now:
            try:
                yield env.timeout(self._depart_at - env.now)
            except simpy.Interrupt:
                continue

    def _finish(self) -> None:
        self.current = None
        self.intent = None
        self._depart_at = float("inf")
        self._process = None
        self.model.driver_left(self)
