"""The parking policy as data.

A policy file (YAML) says which rules apply, with which allowances, and what
follows a breach. It is validated on load; every field has a unit in its name
(``_min`` minutes, ``_days`` days) and a default, so a minimal policy file is
a short one. docs/scenarios.md lists every field.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from baytwin.core.config import Name, deep_merge, load_yaml, validate

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
PENALTIES = frozenset({"idle_fee", "ticket", "restrict", "ban"})


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


RULE_NAMES = ("not_charging", "overstay", "max_stay")


def _known_rules(rules: tuple[str, ...], allow_all: bool) -> tuple[str, ...]:
    known = RULE_NAMES + (("*", "all") if allow_all else ())
    unknown = [r for r in rules if r not in known]
    if unknown:
        raise ValueError(f"unknown rule {unknown[0]!r} (rules: {', '.join(known)})")
    return rules


class NotChargingRule(_Strict):
    """EV bays are for charging: a vehicle with no charging after the allowance is in breach (ICEing)."""

    enabled: bool = True
    arrival_allowance_min: float = Field(10.0, ge=0)


class OverstayRule(_Strict):
    """After charging ends, the vehicle has a grace period to leave the bay."""

    enabled: bool = True
    grace_min: float = Field(15.0, ge=0)
    suspended_ev_counts_as_ended: bool = True
    zero_current_counts_as_ended_after_min: float | None = Field(30.0, ge=0)


class MaxStayRule(_Strict):
    """A cap on time in the bay per user group, enforced even while charging."""

    enabled: bool = False
    limits_min: dict[str, float | None] = Field(default_factory=dict)
    default_min: float | None = Field(None, ge=0)

    @field_validator("limits_min")
    @classmethod
    def _positive(cls, limits: dict[str, float | None]) -> dict[str, float | None]:
        for group, value in limits.items():
            if value is not None and value <= 0:
                raise ValueError(f"limit for group '{group}' must be > 0 minutes")
        return limits

    def limit_for(self, group: str) -> float | None:
        return self.limits_min.get(group, self.default_min)


class FaultPolicy(_Strict):
    """What a charger fault means for the driver: by default they are not penalised."""

    penalise_driver: bool = False


class Rules(_Strict):
    not_charging: NotChargingRule = NotChargingRule()
    overstay: OverstayRule = OverstayRule()
    max_stay: MaxStayRule = MaxStayRule()
    faults: FaultPolicy = FaultPolicy()


class IdleFee(_Strict):
    """A per-minute fee from the end of the grace period until the bay is freed, capped."""

    enabled: bool = False
    per_min: float = Field(0.40, ge=0)
    cap: float | None = Field(30.0, ge=0)
    currency: str = "GBP"

    def amount(self, minutes: float) -> float:
        fee = max(0.0, minutes) * self.per_min
        if self.cap is not None:
            fee = min(fee, self.cap)
        return round(fee, 2)


class LadderStep(_Strict):
    """From the ``count``-th violation within the window on, take this action."""

    count: int = Field(ge=1)
    action: Literal["warning", "ticket", "restrict", "ban"]
    amount: float = Field(0.0, ge=0)
    days: float | None = Field(None, gt=0)  # for restrict


class Escalation(_Strict):
    window_days: float = Field(90.0, gt=0)
    ladder: tuple[LadderStep, ...] = (
        LadderStep(count=1, action="warning"),
        LadderStep(count=2, action="ticket", amount=35.0),
        LadderStep(count=4, action="restrict", days=14),
        LadderStep(count=6, action="ban"),
    )

    @field_validator("ladder")
    @classmethod
    def _ascending(cls, ladder: tuple[LadderStep, ...]) -> tuple[LadderStep, ...]:
        counts = [step.count for step in ladder]
        if counts != sorted(set(counts)):
            raise ValueError("steps must have strictly increasing counts")
        return ladder

    def step_for(self, count: int) -> LadderStep | None:
        chosen = None
        for step in self.ladder:
            if step.count <= count:
                chosen = step
        return chosen


class Accessibility(_Strict):
    """Holders of an accessibility permit get extra time, or no limit on some rules."""

    extra_min: float = Field(60.0, ge=0)
    exempt_rules: tuple[str, ...] = ("max_stay",)

    @field_validator("exempt_rules")
    @classmethod
    def _rules_exist(cls, rules: tuple[str, ...]) -> tuple[str, ...]:
        return _known_rules(rules, allow_all=False)


class Exemptions(_Strict):
    whitelist: frozenset[str] = frozenset()
    exempt_groups: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    accessibility: Accessibility = Accessibility()

    @field_validator("exempt_groups")
    @classmethod
    def _rules_exist(cls, groups: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        for rules in groups.values():
            _known_rules(rules, allow_all=True)
        return groups

    @field_validator("whitelist", mode="before")
    @classmethod
    def _normalize_plates(cls, plates: Any) -> Any:
        if isinstance(plates, (list, tuple, set, frozenset)):
            return frozenset(re.sub(r"[^0-9A-Za-z]", "", str(p)).upper() for p in plates)
        return plates


class Retention(_Strict):
    """How long personal data is kept, per class, before it is erased (days)."""

    unmatched_reads_days: float = Field(1.0, gt=0)  # plate reads that led to no violation
    presence_days: float = Field(30.0, gt=0)  # arrivals and departures
    sessions_days: float = Field(90.0, gt=0)
    violations_days: float = Field(400.0, gt=0)  # violations, actions, and the reads that decided them
    evidence_days: float = Field(400.0, gt=0)  # plate crops kept as evidence


_HHMM = re.compile(r"^(([01]?\d|2[0-3]):[0-5]\d|24:00)$")


class ActiveWindow(_Strict):
    """Rules apply on these days between start and end (local time); end may pass midnight."""

    days: tuple[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"], ...] = DAYS
    start: str = "00:00"
    end: str = "24:00"

    @field_validator("start", "end")
    @classmethod
    def _hhmm(cls, value: str) -> str:
        if not _HHMM.match(value):
            raise ValueError("must be a time of day as HH:MM")
        return value

    def minutes(self) -> tuple[int, int]:
        (sh, sm), (eh, em) = (map(int, self.start.split(":")), map(int, self.end.split(":")))
        return sh * 60 + sm, eh * 60 + em


class Policy(_Strict):
    """One site's enforcement policy."""

    name: Name = "policy"  # shown in terminals and reports: no control characters
    version: Name = "1"
    rules: Rules = Rules()
    idle_fee: IdleFee = IdleFee()
    escalation: Escalation = Escalation()
    exemptions: Exemptions = Exemptions()
    active_hours: tuple[ActiveWindow, ...] = ()  # empty: always active
    default_group: Name = "visitor"
    retention: Retention = Retention()
    site_overrides: dict[str, dict[str, Any]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _overrides_are_valid(self) -> "Policy":
        for site_id, override in self.site_overrides.items():
            if "site_overrides" in override:
                raise ValueError(f"site_overrides.{site_id} cannot nest site_overrides")
            merged = deep_merge(self.model_dump(exclude={"site_overrides"}), override)
            try:
                Policy.model_validate(merged)
            except ValidationError as err:
                first = err.errors()[0]
                loc = ".".join(str(part) for part in first["loc"])
                raise ValueError(f"@site_overrides.{site_id}.{loc}@ {first['msg']}") from None
        return self

    def for_site(self, site_id: str) -> "Policy":
        """The effective policy at one site: the base with that site's overrides applied."""
        override = self.site_overrides.get(site_id)
        if not override:
            return self
        merged = deep_merge(self.model_dump(exclude={"site_overrides"}), override)
        return Policy.model_validate(merged)

    def is_active(self, weekday: int, minute_of_day: int) -> bool:
        """Whether rules apply at a local weekday (0 = Monday) and minute of the day."""
        if not self.active_hours:
            return True
        day = DAYS[weekday]
        prev_day = DAYS[(weekday - 1) % 7]
        for window in self.active_hours:
            start, end = window.minutes()
            if start <= end:
                if day in window.days and start <= minute_of_day < end:
                    return True
            else:  # window crosses midnight
                if day in window.days and minute_of_day >= start:
                    return True
                if prev_day in window.days and minute_of_day < end:
                    return True
        return False


def load_policy(path: Path, overrides: dict[str, Any] | None = None) -> Policy:
    """Load and validate a policy file; ``overrides`` (already nested) are merged first."""
    data = load_yaml(path)
    if overrides:
        data = deep_merge(data, overrides)
    return validate(Policy, data, path)
