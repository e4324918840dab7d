"""The rules engine: a site's events in, violations and actions out.

It is synchronous and deterministic. It never reads a clock of its own: time
moves only with the events it is given and with ``advance(now)``, which the
driver calls at ``next_due`` (SimPy schedules a timeout there; live mode an
asyncio timer). It knows nothing of the mode it runs in.

Typical use::

    engine = RulesEngine(policy, site, registry)
    outputs = engine.handle(event)        # fires timers due before the event, then applies it
    outputs += engine.advance(now)        # fires timers due up to now
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Sequence
from typing import Any
from dataclasses import dataclass, replace

from baytwin.core.events import (
    CONTINUOUS_SOURCES,
    PATROL,
    RFID,
    ActionTaken,
    BayUnobserved,
    ChargerAvailable,
    ChargerUnavailable,
    Event,
    SessionActive,
    SessionEnded,
    SessionEvent,
    SessionFaulted,
    SessionStarted,
    SessionSuspended,
    VehicleArrived,
    VehicleIdentified,
    VehicleLeft,
    ViolationClosed,
    ViolationOpened,
)
from baytwin.core.lookalikes import LookalikeIndex
from baytwin.core.registry import Registry
from baytwin.core.rules.deadlines import (
    NOT_CHARGING,
    OVERSTAY,
    RULES,
    Standing,
    breach_start,
    overstay_since,
    standing,
)
from baytwin.core.rules.hours import next_active, rules_active
from baytwin.core.rules.ledger import OffenderLedger
from baytwin.core.rules.policy import PENALTIES, Policy
from baytwin.core.rules.recent import RecentEvents
from baytwin.core.rules.visit import OpenViolation, Visit
from baytwin.core.site import SiteInfo

_RECENT_EVENTS = 4096  # how many recent events are remembered to drop exact duplicates
#: What ``handle`` returns for an event that changed nothing: a duplicate, or a meter value while charging.
UNCHANGED: tuple[Event, ...] = ()
_STANDINGS_KEPT = 10_000  # standings remembered before starting afresh (a year of plates at a large site)


@dataclass(frozen=True, slots=True)
class _UnclaimedSession:
    """A session that ended with nobody having seen its car: the car found next in the bay may be that car."""

    at: float  # when the visit it belonged to ended
    charging_ended_at: float
    same_round_only: bool  # its visit ended by a sighting of another car: only a car found at that moment may be it


class RulesEngine:
    def __init__(self, policy: Policy, site: SiteInfo, registry: Registry | None = None) -> None:
        self.site = site
        self.policy = policy.for_site(site.id)
        self.registry = registry or Registry()
        self.ledger = OffenderLedger(self.policy.escalation.window_days * 86400.0)
        self._whitelist_lookalikes = LookalikeIndex(self.policy.exemptions.whitelist)
        self._visits: dict[str, Visit] = {}
        self._chargers_down: dict[str, float] = {}  # bay -> since when its charger cannot charge
        self._unseen_stays: dict[str, tuple[str | None, frozenset[str]]] = {}  # bay -> (plate, rules counted) of
        # a visit ended because nobody could see the bay: the same car found there next is the same stay
        self._cables: dict[str, Visit] = {}  # bay -> the visit that ended while its session stayed plugged
        self._unclaimed: dict[str, _UnclaimedSession] = {}  # bay -> a session whose car may be the next one found
        self._timers: list[tuple[float, int, str, int, str]] = []
        self._timer_seq = 0
        self._visit_seq = 0
        self._violation_seq = 0
        self._recent = RecentEvents(_RECENT_EVENTS)
        self._standings: dict[tuple[str | None, str | None], Standing] = {}
        self._standings_version = self.registry.version
        self.now = float("-inf")
        self.events_processed = 0

    # --- the driver's interface ---------------------------------------------------------

    def handle(self, event: Event) -> Sequence[Event]:
        """Apply one input event; returns the violations and actions it (and due timers) caused, or
        :data:`UNCHANGED` when the event changed nothing at all (no output, no timer moved), which a
        driver may take as leave to skip re-arming its timer."""
        if self._recent.seen(event):
            return UNCHANGED
        self.events_processed += 1
        if type(event) is SessionActive and event.current_a > 0 and not (self._timers and self._timers[0][0] < event.ts):
            visit = self._visits.get(event.bay)
            if visit is not None and visit.charging:
                # Most of a site's events: a meter value while the car charges. It only says the car on
                # the cable is still there (as _on_session would record), so it takes the short way.
                if event.ts > self.now:
                    self.now = event.ts
                if visit.on_cable and event.ts > visit.last_seen:
                    visit.last_seen = event.ts
                return UNCHANGED
        out = self._fire_timers(event.ts, inclusive=False)
        self.now = max(self.now, event.ts)
        handler = self._HANDLERS.get(type(event))
        if handler is not None:
            handler(self, event, out)
        return out

    def advance(self, now: float) -> list[Event]:
        """Fire every timer due at or before ``now``."""
        out = self._fire_timers(now, inclusive=True)
        self.now = max(self.now, now)
        return out

    @property
    def next_due(self) -> float | None:
        """When ``advance`` must next be called, or None if nothing is pending."""
        while self._timers and not self._timer_is_live(self._timers[0]):
            heapq.heappop(self._timers)
        return self._timers[0][0] if self._timers else None

    def visit(self, bay: str) -> Visit | None:
        """The open visit at ``bay`` (read it, don't change it), or None when the engine believes it empty."""
        return self._visits.get(bay)

    def authorize(self, id_token: str | None, plate: str | None, now: float) -> bool:
        """Whether a driver may start charging: false while restricted or banned."""
        plate = plate or self.registry.plate_for_token(id_token)
        return not (self.ledger.is_denied(plate, now) or self.ledger.is_denied(id_token, now))

    # --- input handlers -----------------------------------------------------------------

    def _on_arrived(self, event: VehicleArrived, out: list[Event]) -> None:
        visit = self._visits.get(event.bay)
        continuous = event.source in CONTINUOUS_SOURCES
        if visit is not None and continuous and visit.continuous:
            # The watcher missed a departure: the old visit ended when the new one began.
            self._end_visit(visit, event.ts, "replaced", out)
            visit = None
        if visit is None:
            visit = self._start_visit(event.bay, event.ts)
        visit.arrived_at = min(visit.arrived_at, event.ts)
        visit.continuous = visit.continuous or continuous
        visit.sighted = visit.sighted or event.source == PATROL
        visit.evidence.append(event)
        self._reschedule(visit, out)

    def _on_identified(self, event: VehicleIdentified, out: list[Event]) -> None:
        visit = self._visits.get(event.bay) or self._start_visit(event.bay, event.ts)
        visit.last_seen = max(visit.last_seen, event.ts)
        if event.source == PATROL:
            visit.sighted = True
        if visit.plugged:
            visit.on_cable = True  # seen while the cable is in: this is the car on it
        if event.plate is not None and (visit.plate is None or event.confidence >= visit.confidence):
            visit.plate, visit.confidence = event.plate, event.confidence
        unseen = self._unseen_stays.pop(event.bay, None)
        if unseen is not None and unseen[0] is not None and unseen[0] == visit.plate:
            visit.escalated |= unseen[1]  # the car that was there when the picture went: one stay, counted once
        visit.evidence.append(event)
        if visit.awaiting:  # a sighting confirms presence for breaches that were waiting for it
            for rule in sorted(visit.awaiting):
                self._try_open(visit, rule, event.ts, out)
        self._reschedule(visit, out)

    def _on_left(self, event: VehicleLeft, out: list[Event]) -> None:
        self._unseen_stays.pop(event.bay, None)
        visit = self._visits.get(event.bay)
        if visit is not None and event.source == PATROL and visit.plugged and visit.on_cable:
            # The patrol's note is of the car it saw last; the car on the cable (known by its token, or seen
            # on it) cannot have left while plugged in: the car the patrol noted was an earlier one.
            visit.evidence.append(event)
            return
        if visit is not None:
            visit.evidence.append(event)
            self._end_visit(visit, event.ts, "vehicle_left", out)
        else:
            unclaimed = self._unclaimed.pop(event.bay, None)
            if unclaimed is not None and event.source not in CONTINUOUS_SOURCES:
                # A patrol notes that the car it saw last is gone, not that the bay is empty: a car it finds in its
                # place on this same round may be the one that charged unseen. A car found on a later round is not.
                self._unclaimed[event.bay] = replace(unclaimed, at=event.ts, same_round_only=True)

    def _on_session(self, event: SessionEvent, out: list[Event]) -> None:
        visit = self._visits.get(event.bay)
        if isinstance(event, SessionStarted):
            self._cables.pop(event.bay, None)  # a new session: whatever was plugged before is out
            self._unclaimed.pop(event.bay, None)  # and the car plugging in is this session's
            if visit is not None and visit.had_session and not visit.plugged and not visit.continuous:
                # A new session after the last one ended, with no camera to say the car stayed:
                # treat it as the next car, so its breaches are not billed to the previous driver.
                self._end_visit(visit, event.ts, "replaced", out)
                visit = None
        if visit is None:
            if isinstance(event, SessionEnded):
                self._cables.pop(event.bay, None)
                return  # a session end for a bay already known empty
            visit = self._start_visit(event.bay, event.ts)
        if isinstance(event, SessionStarted):
            visit.on_cable = self._same_car(visit, event)
        if visit.on_cable:  # the session speaks for the visit's car only when that car is known to be on it
            visit.last_seen = max(visit.last_seen, event.ts)
        if type(event) is SessionActive and event.current_a > 0 and visit.charging:
            return  # a meter value while charging changes nothing the rules look at
        visit.evidence.append(event)
        visit.session_id = event.session_id or visit.session_id
        rules = self.policy.rules

        if isinstance(event, SessionStarted):
            visit.plugged = True
            visit.had_session = True
            visit.plugged_at = event.ts
            visit.id_token = event.id_token or visit.id_token
            if visit.plate is None:
                token_plate = self.registry.plate_for_token(event.id_token)
                if token_plate:
                    visit.plate, visit.confidence = token_plate, 1.0
                    visit.evidence.append(
                        VehicleIdentified(event.ts, event.site, event.bay, token_plate, 1.0, RFID)
                    )
            self._close(visit, "not_charging", event.ts, "session_started", out)
        elif isinstance(event, SessionActive):
            if not visit.plugged:
                visit.plugged_at = event.ts
            visit.plugged = visit.had_session = True
            if event.current_a > 0:
                if visit.charging_ended_at is not None:
                    self._close(visit, OVERSTAY, event.ts, "charging_resumed", out)
                    visit.done.discard(OVERSTAY)
                visit.resume_charging()
            elif visit.ever_charged and visit.zero_current_since is None:
                visit.zero_current_since = event.ts
                visit.charging = False
                after = rules.overstay.zero_current_counts_as_ended_after_min
                if after is not None:
                    visit.end_charging(event.ts, event.ts + after * 60.0)
        elif isinstance(event, SessionSuspended):
            if not visit.plugged:
                visit.plugged_at = event.ts
            visit.plugged = visit.had_session = True
            visit.charging = False
            if event.by == "ev" and rules.overstay.suspended_ev_counts_as_ended:
                visit.end_charging(event.ts, event.ts)
        elif isinstance(event, SessionFaulted):
            visit.faulted = True
            visit.charging = False
            if rules.faults.penalise_driver:
                visit.end_charging(event.ts, event.ts)
            else:
                for rule in list(visit.open):
                    if rule != "max_stay":
                        self._close(visit, rule, event.ts, "charger_faulted", out)
        elif isinstance(event, SessionEnded):
            visit.plugged = False
            visit.charging = False
            visit.end_charging(event.ts, event.ts)
            if not visit.continuous and not visit.sighted:
                # Only the cable proved presence: unplugging is the departure. A breach it proves happened
                # (charging had ended, as it now turns out, more than a grace period ago) opens and closes here,
                # so an overstay known only at the unplug is not lost.
                self._reschedule(visit, out)
                self._end_visit(visit, event.ts, "session_ended", out)
                return
        self._reschedule(visit, out)

    def _same_car(self, visit: Visit, started: SessionStarted) -> bool:
        """Whether the car plugging in is provably the visit's car: the bay was watched all along, the visit
        began with this session, or the charging token is registered to the plate seen."""
        if visit.continuous or not any(isinstance(e, (VehicleArrived, VehicleIdentified)) for e in visit.evidence):
            return True
        token_plate = self.registry.plate_for_token(started.id_token)
        return token_plate is not None and token_plate == visit.plate

    def _on_unobserved(self, event: BayUnobserved, out: list[Event]) -> None:
        visit = self._visits.get(event.bay)
        if visit is None:
            return
        visit.evidence.append(event)
        if visit.plugged and event.source in CONTINUOUS_SOURCES:
            # the cable still proves presence: unplugging becomes the departure, as without a camera
            visit.continuous = False
            self._reschedule(visit, out)
            return
        self._unseen_stays[event.bay] = (visit.plate, frozenset(visit.escalated))
        self._end_visit(visit, event.ts, "bay_unobserved", out)

    def _on_charger_unavailable(self, event: ChargerUnavailable, out: list[Event]) -> None:
        self._chargers_down.setdefault(event.bay, event.ts)
        visit = self._visits.get(event.bay)
        if visit is None:
            return
        visit.evidence.append(event)
        visit.charger_down = True
        if NOT_CHARGING in visit.open:
            self._close(visit, NOT_CHARGING, event.ts, "charger_unavailable", out)
        visit.done.discard(NOT_CHARGING)  # it may apply again once the charger is back
        self._reschedule(visit, out)

    def _on_charger_available(self, event: ChargerAvailable, out: list[Event]) -> None:
        if self._chargers_down.pop(event.bay, None) is None:
            return
        visit = self._visits.get(event.bay)
        if visit is None:
            return
        visit.evidence.append(event)
        visit.charger_down = False
        visit.charger_back_at = event.ts
        self._reschedule(visit, out)

    _HANDLERS: dict[type[Event], Callable[["RulesEngine", Any, list[Event]], None]] = {
        VehicleArrived: _on_arrived,
        VehicleIdentified: _on_identified,
        VehicleLeft: _on_left,
        SessionStarted: _on_session,
        SessionActive: _on_session,
        SessionSuspended: _on_session,
        SessionEnded: _on_session,
        SessionFaulted: _on_session,
        BayUnobserved: _on_unobserved,
        ChargerUnavailable: _on_charger_unavailable,
        ChargerAvailable: _on_charger_available,
    }

    # --- visits -------------------------------------------------------------------------

    def _start_visit(self, bay: str, ts: float) -> Visit:
        self._visit_seq += 1
        visit = Visit(number=self._visit_seq, bay=bay, arrived_at=ts, last_seen=ts)
        visit.charger_down = bay in self._chargers_down
        cable = self._cables.pop(bay, None)
        if cable is not None:
            visit.take_cable(cable)
        unclaimed = self._unclaimed.pop(bay, None)
        if unclaimed is not None and cable is None and (not unclaimed.same_round_only or unclaimed.at == ts):
            # it may be the car that charged unseen (then overstaying once the grace ran out) or a car that came
            # since and never plugged in; the likelier is the second, and it is judged so only once it would be
            # in breach either way
            visit.unseen_charge_ended_at = unclaimed.charging_ended_at
        self._visits[bay] = visit
        return visit

    def _end_visit(self, visit: Visit, ts: float, reason: str, out: list[Event]) -> None:
        for rule in list(visit.open):
            self._close(visit, rule, ts, reason, out)
        del self._visits[visit.bay]
        if reason == "session_ended":  # only the cable ever showed this car: the next car found may be it
            self._unclaimed[visit.bay] = _UnclaimedSession(ts, visit.charging_ended_at or ts, same_round_only=False)
        elif visit.had_session and not visit.on_cable and not visit.continuous and visit.charging_ended_at is not None:
            # the car seen before the session is gone; the one on it may be the car found in its place this round
            self._unclaimed[visit.bay] = _UnclaimedSession(ts, visit.charging_ended_at, same_round_only=True)
        if visit.plugged:  # the car is gone as far as the engine knows, the session is not: the next car is on it
            self._cables[visit.bay] = visit

    # --- timers -------------------------------------------------------------------------

    def _standing(self, visit: Visit) -> Standing:
        """The visit's standing, remembered per (plate, token) until the registry changes: it is asked
        for on every event of a visit, and the answer depends only on those and the registry."""
        if self._standings_version != self.registry.version or len(self._standings) > _STANDINGS_KEPT:
            self._standings.clear()
            self._standings_version = self.registry.version
        key = (visit.plate, visit.id_token)
        who = self._standings.get(key)
        if who is None:
            who = self._standings[key] = standing(self.policy, self.registry, visit.plate, visit.id_token)
        return who

    def _reschedule(self, visit: Visit, out: list[Event]) -> None:
        """Re-ask every rule for its deadline and keep one timer per rule."""
        who = self._standing(visit)
        for rule in RULES:
            if rule in visit.open or rule in visit.done:
                continue
            due = breach_start(self.policy, visit, who, rule)
            if due is None:
                visit.scheduled.pop(rule, None)
                visit.awaiting.discard(rule)
                continue
            if due <= self.now:
                self._try_open(visit, rule, self.now, out, who)
            elif visit.scheduled.get(rule) != due:
                self._schedule(visit, rule, due)

    def _schedule(self, visit: Visit, rule: str, due: float) -> None:
        visit.scheduled[rule] = due
        self._timer_seq += 1
        heapq.heappush(self._timers, (due, self._timer_seq, visit.bay, visit.number, rule))

    def _timer_is_live(self, timer: tuple[float, int, str, int, str]) -> bool:
        due, _, bay, number, rule = timer
        visit = self._visits.get(bay)
        return visit is not None and visit.number == number and visit.scheduled.get(rule) == due

    def _fire_timers(self, until: float, inclusive: bool) -> list[Event]:
        out: list[Event] = []
        timers = self._timers
        while timers and (timers[0][0] <= until if inclusive else timers[0][0] < until):
            timer = heapq.heappop(timers)
            if not self._timer_is_live(timer):
                continue
            due, _, bay, _, rule = timer
            visit = self._visits[bay]
            del visit.scheduled[rule]
            self.now = max(self.now, due)
            self._try_open(visit, rule, due, out)
        return out

    # --- violations and actions -----------------------------------------------------------

    def _try_open(self, visit: Visit, rule: str, at: float, out: list[Event], who: Standing | None = None) -> None:
        """Open the breach at ``at`` if it still applies, rules are active and presence is proven."""
        who = who or self._standing(visit)  # the caller may already know it (hot path)
        due = breach_start(self.policy, visit, who, rule)
        if due is None or due > at or rule in visit.open or rule in visit.done:
            visit.awaiting.discard(rule)
            return
        if not self._rules_active(at):
            self._schedule(visit, rule, self._next_active(at))
            return
        since = overstay_since(self.policy, visit, who) if rule == OVERSTAY else due
        if not self._rules_active(since):
            since = at  # deferred to the start of active hours: the breach counts from there
        if not (visit.presence_is_proven or visit.last_seen >= max(due, since)):
            # wait for the next sighting: a car last seen before the breach began (or before the rules
            # started to apply) may have left in between
            visit.awaiting.add(rule)
            return
        visit.awaiting.discard(rule)
        self._violation_seq += 1
        violation_id = f"{self.site.id}/{visit.bay}/{self._violation_seq}"
        visit.open[rule] = OpenViolation(violation_id, rule, at, since, visit.plate, visit.id_token)
        visit.done.add(rule)
        out.append(
            ViolationOpened(
                at, self.site.id, visit.bay, violation_id, rule, visit.plate, visit.confidence,
                visit.id_token, since, tuple(visit.evidence),
            )
        )
        if rule not in visit.escalated:  # a breach that reopens in the same visit counts once
            visit.escalated.add(rule)
            self._escalate(visit, violation_id, at, out)

    def _escalate(self, visit: Visit, violation_id: str, at: float, out: list[Event]) -> None:
        key = visit.plate or visit.id_token
        site, bay = self.site.id, visit.bay
        if key is None:
            out.append(ActionTaken(at, site, bay, violation_id, "review"))
            return
        if visit.plate is not None and self._may_be_misread(visit.plate):
            # a plate that is a known one but for look-alike characters is most likely that vehicle,
            # misread: a person decides, and nothing counts against either plate until then
            out.append(ActionTaken(at, site, bay, violation_id, "review", visit.plate, visit.id_token))
            return
        count = self.ledger.record(key, at)
        step = self.policy.escalation.step_for(count)
        if step is None:
            return
        until = None
        if step.action == "restrict":
            until = at + (step.days or 1.0) * 86400.0
            self.ledger.restrict(key, until)
        elif step.action == "ban":
            self.ledger.ban(key)
        out.append(
            ActionTaken(at, site, bay, violation_id, step.action, visit.plate, visit.id_token, step.amount, until)
        )

    def _may_be_misread(self, plate: str) -> bool:
        """Whether ``plate``, unknown itself, differs from a registered or whitelisted plate only in
        characters a reader confuses (``core/lookalikes.py``)."""
        if self.registry.vehicle(plate) is not None or plate in self.policy.exemptions.whitelist:
            return False
        return bool(self.registry.lookalikes(plate) or self._whitelist_lookalikes.others(plate))

    def _close(self, visit: Visit, rule: str, ts: float, reason: str, out: list[Event]) -> None:
        violation = visit.open.pop(rule, None)
        if violation is None:
            return
        minutes = max(0.0, ts - violation.since) / 60.0
        out.append(ViolationClosed(ts, self.site.id, visit.bay, violation.violation_id, rule, reason, minutes))
        fee = self.policy.idle_fee
        if rule == OVERSTAY and fee.enabled:
            amount = fee.amount(minutes)
            if amount > 0:
                out.append(
                    ActionTaken(
                        ts, self.site.id, visit.bay, violation.violation_id, "idle_fee",
                        violation.plate or visit.plate, violation.id_token or visit.id_token, amount,
                    )
                )

    # --- active hours ---------------------------------------------------------------------

    def _rules_active(self, ts: float) -> bool:
        return rules_active(self.policy, self.site, ts)

    def _next_active(self, ts: float) -> float:
        return next_active(self.policy, self.site, ts)


def is_penalty(action: ActionTaken) -> bool:
    """Whether an action costs the driver something (the measure of false penalties)."""
    return action.action in PENALTIES and (action.action != "idle_fee" or action.amount > 0)
