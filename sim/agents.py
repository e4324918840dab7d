"""Driver agents: who comes, where they park, how long they stay, and how they respond.

A driver's visit is one SimPy process that reads like the story it models:
find a bay, plug in if it is an EV in an EV bay, stay, and leave when the plan
says so, or earlier when charging ends and a rule, a fee or a notification
makes it worth moving the car.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import simpy

from core.events import ActionTaken
from core.rules.engine import is_penalty
from sim.battery import ChargeCurve
from sim.chargers import PluggedVehicle
from sim.scenario import Group
from sim.world import Bay, VisitRecord

if TYPE_CHECKING:
    from sim.model import BayTwinModel

_DENIED_LEAVE_S = 5 * 60.0  # a driver refused at the charger leaves after a few minutes


class Driver(mesa.Agent):
    model: "BayTwinModel"

    def __init__(self, model: "BayTwinModel", group_name: str, group: Group, plate: str,
                 is_ev: bool, accessible: bool, id_token: str | None) -> None:
        super().__init__(model)
        rng = model.random
        self.group_name, self.group, self.plate = group_name, group, plate
        self.is_ev, self.accessible, self.id_token = is_ev, accessible, id_token
        self.battery_kwh = group.battery_kwh.sample(rng)
        self.max_kw = group.vehicle_max_kw.sample(rng)
        self.penalties = 0
        self.visits = 0
        self.current: VisitRecord | None = None
        self._depart_at = float("inf")
        self._process: simpy.Process | None = None

    # --- behaviour -----------------------------------------------------------------------

    def compliance(self) -> float:
        """Probability of following a rule: base propensity x awareness from signs, plus deterrence."""
        behaviour = self.model.scenario.behaviour
        awareness = behaviour.signage_awareness.get(self.model.scenario.site.signage, 1.0)
        return min(0.99, self.group.compliance * awareness + behaviour.deterrence_per_penalty * self.penalties)

    def notify(self, action: ActionTaken) -> None:
        """An enforcement action reached this driver (by plate or account)."""
        if is_penalty(action):
            self.penalties += 1
        visit = self.current
        if visit is None or visit.bay != action.bay or action.action == "idle_fee":
            return
        visit.notified = True
        if self.model.random.random() < self.group.notification_response:
            self.leave_at(self.model.env.now + self._return_delay_s())

    def leave_at(self, sim_time: float) -> None:
        """Bring the departure forward (never later than planned)."""
        if sim_time >= self._depart_at:
            return
        self._depart_at = sim_time
        process = self._process
        if process is not None and process.is_alive and process is not self.model.env.active_process:
            process.interrupt("plan changed")

    def _return_delay_s(self) -> float:
        return self.group.return_delay_min.sample(self.model.random) * 60.0

    # --- the visit ------------------------------------------------------------------------

    def visit(self):  # type: ignore[no-untyped-def]
        model, env, rng = self.model, self.model.env, self.model.random
        self._process = env.active_process
        record = model.new_visit(self)
        self.current, self.visits = record, self.visits + 1
        bay = self._choose_bay()
        if bay is None:
            model.blocked(record)
            self._finish()
            return
        model.occupy(bay, record)
        policy = model.policy
        self._depart_at = env.now + self.group.stay_h.sample(rng) * 3600.0
        complies = rng.random() < self.compliance()
        limit = policy.rules.max_stay.limit_for(self.group_name) if policy.rules.max_stay.enabled else None
        if bay.ev and complies and limit is not None and not self.accessible:
            margin = rng.uniform(2.0, 15.0) * 60.0
            self.leave_at(env.now + max(60.0, limit * 60.0 - margin))

        plugged = False
        if bay.ev and self.is_ev and bay.charger is not None:
            yield env.timeout(model.scenario.site.chargers.plug_in_delay_min.sample(rng) * 60.0)
            if env.now < self._depart_at:
                plugged = self._plug_in(bay, record, complies)

        yield from self._stay()
        if plugged and bay.charger is not None:
            bay.charger.unplug()
            record.unplug = model.clock.now()
        model.vacate(bay, record)
        self._finish()

    def _choose_bay(self) -> Bay | None:
        world, rng = self.model.world, self.model.random
        if self.is_ev:
            return world.take(True, rng) or world.take(False, rng)
        # An ICE driver uses a general bay unless tempted into a free EV bay.
        tempted = rng.random() < self.group.ice_in_ev_bay * (1.0 - self.compliance())
        if tempted or world.free_general == 0:
            if tempted or rng.random() < self.group.ice_in_ev_bay:
                bay = world.take(True, rng)
                if bay is not None:
                    return bay
        return world.take(False, rng)

    def _plug_in(self, bay: Bay, record: VisitRecord, complies: bool) -> bool:
        model, rng = self.model, self.model.random
        assert bay.charger is not None
        need = self.group.energy_need_kwh.sample(rng)
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
        moves_for_rule = complies and policy.rules.overstay.enabled
        moves_for_fee = policy.idle_fee.enabled and policy.idle_fee.per_min > 0 and rng.random() < self.group.fee_response
        delay = self._return_delay_s()
        if moves_for_rule and not moves_for_fee:
            # Someone who means to respect the grace period comes back within it.
            delay = min(delay, 0.8 * policy.rules.overstay.grace_min * 60.0)

        def charging_done(_: simpy.Event) -> None:
            record.charging_complete = model.clock.now()
            if moves_for_rule or moves_for_fee:
                record.moved_for_rule = True
                self.leave_at(model.env.now + delay)

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
        self._depart_at = float("inf")
        self._process = None
        self.model.driver_left(self)
