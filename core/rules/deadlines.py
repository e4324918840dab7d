"""When each rule's breach begins, given what is believed about a visit.

Every rule is the same shape: a function of the policy and the visit that
returns the moment the breach would begin (or ``None`` if the rule does not
apply to this visit now). The engine keeps one timer per rule and visit and
re-asks these functions whenever the visit changes, so late identification,
resumed charging or a charger fault simply move or cancel the deadline.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from baytwin.core.registry import Registry
from baytwin.core.rules.policy import Policy
from baytwin.core.rules.visit import Visit

NOT_CHARGING = "not_charging"
OVERSTAY = "overstay"
MAX_STAY = "max_stay"
RULES = (NOT_CHARGING, OVERSTAY, MAX_STAY)


@dataclass(frozen=True, slots=True)
class Standing:
    """The visit's identity as the rules see it: group and exemptions."""

    group: str
    exempt: frozenset[str]
    extra_s: float


def standing(policy: Policy, registry: Registry, plate: str | None, id_token: str | None) -> Standing:
    """Group, exempt rules and extra time of whoever holds this plate or charging token."""
    plate = plate or registry.plate_for_token(id_token)
    vehicle = registry.vehicle(plate)
    group = vehicle.group if vehicle else policy.default_group
    exemptions = policy.exemptions
    exempt: set[str] = set()
    if plate and plate in exemptions.whitelist:
        exempt.update(RULES)
    listed = exemptions.exempt_groups.get(group, ())
    exempt.update(RULES if "*" in listed or "all" in listed else listed)
    extra_s = 0.0
    if vehicle and vehicle.permit:
        exempt.update(exemptions.exempt_groups.get("permit", ()))
    if vehicle and vehicle.accessible:
        exempt.update(exemptions.accessibility.exempt_rules)
        extra_s = exemptions.accessibility.extra_min * 60.0
    return Standing(group=group, exempt=frozenset(exempt), extra_s=extra_s)


def _fault_shields(policy: Policy, visit: Visit) -> bool:
    return visit.faulted and not policy.rules.faults.penalise_driver


def not_charging_due(policy: Policy, visit: Visit, who: Standing) -> float | None:
    """No charging session at all after the arrival allowance: ICEing or not plugged in."""
    rule = policy.rules.not_charging
    if not rule.enabled or visit.had_session or _fault_shields(policy, visit) or visit.charger_down:
        return None
    allowance = rule.arrival_allowance_min * 60.0 + who.extra_s
    start = visit.arrived_at if visit.charger_back_at is None else max(visit.arrived_at, visit.charger_back_at)
    if visit.unseen_charge_ended_at is not None:  # perhaps the car that charged: in breach only past its grace too
        return max(start + allowance, visit.unseen_charge_ended_at + policy.rules.overstay.grace_min * 60.0 + who.extra_s)
    return start + allowance


def overstay_due(policy: Policy, visit: Visit, who: Standing) -> float | None:
    """Still in the bay a grace period after charging ended."""
    rule = policy.rules.overstay
    if not rule.enabled or visit.charging_ended_at is None or _fault_shields(policy, visit):
        return None
    grace_end = visit.charging_ended_at + rule.grace_min * 60.0 + who.extra_s
    return max(grace_end, visit.ended_known_at or grace_end)


def max_stay_due(policy: Policy, visit: Visit, who: Standing) -> float | None:
    """Longer in the bay than the user group may stay, charging or not."""
    rule = policy.rules.max_stay
    limit = rule.limit_for(who.group) if rule.enabled else None
    if limit is None:
        return None
    return visit.arrived_at + limit * 60.0 + who.extra_s


DEADLINES: dict[str, Callable[[Policy, Visit, Standing], float | None]] = {
    NOT_CHARGING: not_charging_due,
    OVERSTAY: overstay_due,
    MAX_STAY: max_stay_due,
}


def breach_start(policy: Policy, visit: Visit, who: Standing, rule: str) -> float | None:
    """The deadline of ``rule``, or None if it does not apply or the visit is exempt."""
    if rule in who.exempt:
        return None
    return DEADLINES[rule](policy, visit, who)


def overstay_since(policy: Policy, visit: Visit, who: Standing) -> float:
    """Start of billable overstay: the end of the grace period."""
    assert visit.charging_ended_at is not None
    return visit.charging_ended_at + policy.rules.overstay.grace_min * 60.0 + who.extra_s
