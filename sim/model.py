"""The site twin: a Mesa model whose clock is a SimPy environment.

SimPy drives time (arrivals, charging, patrols, rule timers); Mesa holds the
driver agents, the run's single seeded random generator and the data
collector. Two rules engines watch the same site: one is fed what the site
*observes* (cameras, patrols, chargers), the other the ground truth; the
difference between their verdicts is the enforcement's precision and recall.
"""

from __future__ import annotations

from functools import partial
from datetime import datetime

import mesa
import simpy

from baytwin.core.clock import OffsetClock
from baytwin.core.events import (
    TRUTH,
    ActionTaken,
    Event,
    SessionActive,
    VehicleArrived,
    VehicleIdentified,
    VehicleLeft,
    ViolationOpened,
)
from baytwin.core.plates import generate_plate, load_formats
from baytwin.core.registry import RegisteredVehicle, Registry
from baytwin.core.rules.deadlines import Standing, standing
from baytwin.core.rules.engine import RulesEngine
from baytwin.core.rules.hours import next_active, rules_active
from baytwin.core.site import Bay as CoreBay
from baytwin.core.site import SiteInfo
from baytwin.sim.agents import Driver
from baytwin.core.csms.central import CentralSystem
from baytwin.core.csms.config import CsmsConfig
from baytwin.sim.chargers import EmulatedCharger
from baytwin.sim.ocpp_charger import OcppCharger
from baytwin.sim.ocpp_link import InProcessLink, OcppLink, WebSocketLink
from baytwin.sim.engine_driver import EngineDriver
from baytwin.sim.gates import site_gates
from baytwin.sim.identification import Identifier
from baytwin.sim.ocr_calibration import scenario_identification
from baytwin.sim.observation import make_observer
from baytwin.sim.recorder import RunRecorder
from baytwin.sim.streams import RandomStreams
from baytwin.sim.scenario import Group, Scenario
from baytwin.sim.world import Bay, VisitRecord, World

CONDITIONS = ("clear", "rain", "snow", "fog")


class BayTwinModel(mesa.Model):
    def __init__(self, scenario: Scenario, seed: int | None = None, days: float | None = None,
                 ocpp_url: str | None = None) -> None:
        self.seed = scenario.seed if seed is None else seed
        super().__init__(rng=self.seed)
        self.streams = RandomStreams(self.seed)
        self.scenario = scenario
        self.policy = scenario.policy.for_site(scenario.site.id)
        self.days = scenario.days if days is None else days
        self.horizon_s = self.days * 86400.0
        self.site_id = scenario.site.id
        self.env = simpy.Environment()
        self.site_info = SiteInfo(scenario.site.id, scenario.site.timezone)
        start = datetime(scenario.start.year, scenario.start.month, scenario.start.day, tzinfo=self.site_info.tz)
        self.clock = OffsetClock(start.timestamp(), partial(simpy.Environment.now.fget, self.env))  # type: ignore[attr-defined]
        self.recorder = RunRecorder()

        self.registry = Registry()
        self._drivers_by_plate: dict[str, Driver] = {}
        self._drivers_by_token: dict[str, Driver] = {}
        self._idle_drivers: dict[str, list[Driver]] = {}
        self._visit_seq = 0
        self._driver_seq = 0
        self._blocked = 0
        self._weather = self._draw_weather()

        self.ocpp_url = ocpp_url
        self.ocpp_link: OcppLink | None = None
        self.world = self._build_world()
        self.site_info = SiteInfo(scenario.site.id, scenario.site.timezone,
                                  tuple(CoreBay(b.id, b.ev) for b in self.world.ev_bays + self.world.general_bays))
        self._create_population()
        self.detection = EngineDriver(self.env, self.clock, RulesEngine(self.policy, self.site_info, self.registry),
                                      self._on_detected)
        self.truth = EngineDriver(self.env, self.clock, RulesEngine(self.policy, self.site_info, self.registry),
                                  self._on_truth)
        self.identifier = self._identifier()
        self.observer = make_observer(self, self.identifier, self.observe)
        self.gates = site_gates(self)  # barriers and pay-on-exit, if the site has them (sim/gates.py)

        self.datacollector = mesa.DataCollector(model_reporters={
            "ts": lambda m: m.clock.now(),
            "occupied_ev_bays": lambda m: m.world.occupied_ev(),
            "charging": lambda m: sum(1 for b in m.world.ev_bays if b.charger is not None and b.charger.is_charging),
            "ice_in_ev_bays": lambda m: sum(1 for b in m.world.ev_bays if b.occupant is not None and not b.occupant.is_ev),
            "occupied_general_bays": lambda m: len(m.world.general_bays) - m.world.free_general,
            "open_violations": lambda m: m.recorder.open_detected,
            "blocked_total": lambda m: m._blocked,
        })
        for name, group in scenario.population.items():
            self.env.process(self._arrivals(name, group))
        self.env.process(self._collect())

    # --- building the site ------------------------------------------------------------------

    def _identifier(self) -> Identifier:
        """The plate reader of the scenario's fidelity, its rates calibrated, with the renderer ``images`` needs."""
        spec = scenario_identification(self.scenario)
        rng = self.streams.identification
        if spec.fidelity != "images":
            return Identifier(spec, rng)
        from baytwin.sim.camera_imagery import ImageReader  # OpenCV and the OCR models only for the images fidelity

        return Identifier(spec, rng, ImageReader(spec, rng.getrandbits(63)))

    def _build_world(self) -> World:
        site = self.scenario.site
        protocol = site.chargers.protocol
        if self.ocpp_url and protocol == "direct":
            protocol = "ocpp1.6"
        bays = [Bay(id=f"EV{i + 1:03d}", ev=True) for i in range(site.ev_bays)]
        stations = {f"{site.id}-CP{i + 1:03d}": bay for i, bay in enumerate(bays)}
        if protocol != "direct":
            self.ocpp_link = self._open_ocpp_link(stations)
        for i, (station, bay) in enumerate(stations.items()):
            make = partial(EmulatedCharger, self.env, self.clock, site.id, bay.id, site.chargers, self.streams.chargers)
            if self.ocpp_link is None:
                bay.charger = make(emit=self.feed_both, authorize=self._authorize)
            else:
                version = protocol if protocol != "mixed" else ("ocpp1.6", "ocpp2.0.1")[i % 2]
                bay.charger = OcppCharger(make, self.ocpp_link, station, version, truth=lambda e: self.truth.feed(e),
                                          observed=self.observe if self.ocpp_url else None)
        general = [Bay(id=f"G{i + 1:03d}", ev=False) for i in range(site.general_bays)]
        return World(bays, general)

    def _open_ocpp_link(self, stations: dict[str, Bay]) -> OcppLink:
        """The chargers' way to a central system: a running one at ``ocpp_url``, else the same code in process,
        whose session events are what the site observes."""
        if self.ocpp_url:
            return WebSocketLink(self.ocpp_url)
        config = CsmsConfig(site_id=self.site_id, stations={s: {"evses": {1: b.id}} for s, b in stations.items()},
                            accept_unknown_tokens=True)
        central = CentralSystem(config, self._observe_all, _ModelAuthorizer(self))
        return InProcessLink(central, self.clock)

    def _create_population(self) -> None:
        for name, group in self.scenario.population.items():
            self._idle_drivers[name] = [self._new_driver(name, group) for _ in range(group.drivers or 0)]

    def _new_driver(self, name: str, group: Group) -> Driver:
        fmt = load_formats()[group.plate_format]
        rng = self.streams.population
        plate = generate_plate(fmt, rng)
        while plate in self._drivers_by_plate:
            plate = generate_plate(fmt, rng)
        is_ev = rng.random() < group.ev_share
        accessible = rng.random() < group.accessible_share
        self._driver_seq += 1
        token = f"{name}-{self._driver_seq}" if is_ev else None
        driver = Driver(self, name, group, plate, is_ev, accessible, token)
        self._drivers_by_plate[plate] = driver
        if token:
            self._drivers_by_token[token] = driver
        if group.registered:
            self.registry.add(RegisteredVehicle(plate, name, group.permit, accessible, (token,) if token else ()))
        return driver

    def _draw_weather(self) -> list[str]:
        w = self.scenario.weather
        weights = [w.clear, w.rain, w.snow, w.fog]
        return [self.streams.weather.choices(CONDITIONS, weights)[0] for _ in range(int(self.days) + 2)]

    def conditions(self, ts: float) -> tuple[str, ...]:
        """Conditions a camera faces at ``ts``: the weather, and night by the local hour."""
        return tuple(self.condition_severities(ts))

    def condition_severities(self, ts: float) -> dict[str, int]:
        """Each condition at ``ts`` with its severity (1-4): the timeline's span if one covers ``ts``,
        else the day's drawn weather; night by the local hour."""
        weather = self.scenario.weather
        hours = (ts - self.clock.epoch) / 3600.0
        span = next((s for s in weather.timeline if s.start_h <= hours < s.end_h), None)
        if span is not None:
            condition, severity = str(span.condition), span.severity
        else:
            day = min(int((ts - self.clock.epoch) // 86400), len(self._weather) - 1)
            condition, severity = self._weather[day], None
        found: dict[str, int] = {}
        if condition != "clear":
            found[condition] = severity or weather.severity[condition]  # type: ignore[index]  # a weather condition
        local = self.site_info.local(ts)
        dark_from, dark_until = weather.night_hours
        if dark_from > dark_until:  # across midnight, the usual case
            night = local.hour >= dark_from or local.hour < dark_until
        else:
            night = dark_from <= local.hour < dark_until
        if night:
            found["night"] = weather.severity["night"]
        return found

    # --- processes --------------------------------------------------------------------------

    def _arrivals(self, name: str, group: Group):  # type: ignore[no-untyped-def]
        """Poisson arrivals with a piecewise-constant rate per local hour (exact by memorylessness)."""
        env, rng = self.env, self.streams.arrivals
        weekday_total = sum(group.hourly_profile.weekday)
        weekend_total = sum(group.hourly_profile.weekend)
        hour_start = 0.0
        while hour_start < self.horizon_s:
            local = self.site_info.local(self.clock.epoch + hour_start)
            if local.weekday() >= 5:
                per_day, profile, total = group.arrivals_per_day.weekend, group.hourly_profile.weekend, weekend_total
            else:
                per_day, profile, total = group.arrivals_per_day.weekday, group.hourly_profile.weekday, weekday_total
            rate = per_day * profile[local.hour] / total / 3600.0
            hour_end = min(hour_start + 3600.0, self.horizon_s)
            t = hour_start
            while rate > 0:
                t += rng.expovariate(rate)
                if t >= hour_end:
                    break
                yield env.timeout(t - env.now)
                self._arrive(name, group)
            hour_start = hour_end
            if env.now < hour_start:
                yield env.timeout(hour_start - env.now)

    def _arrive(self, name: str, group: Group) -> None:
        idle = self._idle_drivers[name]
        if group.drivers is None:
            driver = self._new_driver(name, group)
        elif idle:
            i = int(self.streams.arrivals.random() * len(idle))
            idle[i], idle[-1] = idle[-1], idle[i]
            driver = idle.pop()
        else:
            self.recorder.no_driver_available += 1
            return
        self.env.process(driver.visit())

    def driver_left(self, driver: Driver) -> None:
        if driver.group.drivers is None:
            del self._drivers_by_plate[driver.plate]
            if driver.id_token:
                del self._drivers_by_token[driver.id_token]
            driver.remove()
        else:
            self._idle_drivers[driver.group_name].append(driver)

    def _collect(self):  # type: ignore[no-untyped-def]
        every = self.scenario.outputs.collect_every_min * 60.0
        while True:
            self.step()
            yield self.env.timeout(every)

    def step(self) -> None:
        self.datacollector.collect(self)

    def run(self, until_s: float | None = None) -> None:
        """Run to ``until_s`` seconds of sim time (default: the scenario horizon)."""
        self.env.run(until=self.horizon_s if until_s is None else until_s)

    # --- the world's happenings ----------------------------------------------------------------

    def new_visit(self, driver: Driver) -> VisitRecord:
        self._visit_seq += 1
        record = VisitRecord(self._visit_seq, driver.unique_id, driver.group_name, driver.is_ev, driver.plate,
                             self.clock.now(), id_token=driver.id_token)
        self.recorder.visits.append(record)
        return record

    def blocked(self, record: VisitRecord) -> None:
        self._blocked += 1

    def occupy(self, bay: Bay, record: VisitRecord) -> None:
        record.bay, record.bay_kind = bay.id, "ev" if bay.ev else "general"
        bay.occupant = record
        bay.occupied_since = self.env.now
        if self.gates is not None:
            self.gates.entered(record)
        if not bay.ev:
            return
        ts = self.clock.now()
        self.truth.feed(VehicleArrived(ts, self.site_id, bay.id, TRUTH))
        self.truth.feed(VehicleIdentified(ts, self.site_id, bay.id, record.plate_true, 1.0, TRUTH))
        self.observer.arrived(bay, record)

    def vacate(self, bay: Bay, record: VisitRecord) -> None:
        record.departure = self.clock.now()
        session = record.session
        if session is not None:
            record.energy_kwh = session.energy_kwh
            record.faulted = session.faulted
            record.charging_stopped = session.charging_stopped_at
        if bay.occupied_since is not None:
            bay.occupied_seconds += self.env.now - bay.occupied_since
        bay.occupant, bay.occupied_since = None, None
        if bay.ev:
            self.observer.left(bay, record)
            self.truth.feed(VehicleLeft(record.departure, self.site_id, bay.id, TRUTH))
        self.world.release(bay)
        if self.gates is not None:
            self.gates.left(record)

    # --- the rules as drivers know them -------------------------------------------------------

    def standing_of(self, driver: Driver) -> Standing:
        """Group, exemptions and extra time the rules give this driver (with a correct read)."""
        return standing(self.policy, self.registry, driver.plate, driver.id_token)

    def sim_time_rules_apply(self) -> float:
        """Now, or the start of the rules' next active hours, in sim seconds."""
        now = self.clock.now()
        if rules_active(self.policy, self.site_info, now):
            return self.env.now
        return next_active(self.policy, self.site_info, now) - self.clock.epoch

    # --- event feeds ---------------------------------------------------------------------------

    def observe(self, event: Event) -> None:
        """What the site's systems see: recorded, and judged by the detection engine."""
        self.recorder.observe(event)
        self.detection.feed(event)

    def _observe_all(self, events: list[Event]) -> None:
        for event in events:
            self.observe(event)

    def feed_both(self, event: Event) -> None:
        """Charger reports are both observed and true. A meter value while current flows is not handed
        to the truth engine when it already knows the car is charging: it would change nothing there
        (the truth engine sees every car continuously), and most of a site's events are such values."""
        self.observe(event)
        if type(event) is SessionActive and event.current_a > 0:
            visit = self.truth.engine.visit(event.bay)
            if visit is not None and visit.charging and visit.continuous:
                return
        self.truth.feed(event)

    def _authorize(self, id_token: str | None, plate: str | None, now: float) -> bool:
        return self.detection.engine.authorize(id_token, None, now)

    def _on_detected(self, event: Event) -> None:
        self.recorder.detected(event, self._bay_visit(event.bay))
        if isinstance(event, ActionTaken):
            # Fees go to the charging account; other actions to the plate's keeper, else the account.
            by_token = self._drivers_by_token.get(event.id_token or "")
            by_plate = self._drivers_by_plate.get(event.plate or "")
            driver = (by_token or by_plate) if event.action == "idle_fee" else (by_plate or by_token)
            if driver is not None:
                driver.notify(event)

    def _on_truth(self, event: Event) -> None:
        if isinstance(event, ViolationOpened):
            self.recorder.true_violation(event, self._bay_visit(event.bay))

    def _bay_visit(self, bay_id: str) -> VisitRecord | None:
        bay = self.world.by_id.get(bay_id)
        return bay.occupant if bay is not None else None


class _ModelAuthorizer:
    """The in-process central system asks the site's rules engine, as the live one does."""

    def __init__(self, model: BayTwinModel) -> None:
        self.model = model

    def authorize(self, id_token: str | None, plate: str | None, now: float) -> bool:
        return self.model._authorize(id_token, plate, now)
