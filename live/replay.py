"""A recorded live site turned into a twin scenario: test a new policy on the site's own history.

Visits are rebuilt from the stored events (arrival, departure, the charging
session in between); identities are the store's keyed hashes, never plates,
so no key is needed and none leaves the site. From the visits come the
scenario's population: one group of drivers who charged and one who did not
(ICE cars or EVs parked without charging), each with its arrivals per
weekday and weekend day, its hourly profile, and its observed stays and
energy as empirical distributions. ``baytwin sim run`` takes the written
``scenario.yaml`` as it is; ``visits.parquet`` holds the rows it came from.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
import yaml
from sqlalchemy import Engine, select

from baytwin.core.store import schema


@dataclass
class Visit:
    bay: str
    arrived_at: float
    left_at: float | None = None
    vehicle: str | None = None  # keyed hash of the plate (or id token); None when never identified
    charged: bool = False
    energy_kwh: float = 0.0
    violations: int = 0

    @property
    def dwell_h(self) -> float | None:
        return None if self.left_at is None else (self.left_at - self.arrived_at) / 3600.0


def sites_in(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return sorted(conn.execute(select(schema.chain_heads.c.site)).scalars())


def visits_of(engine: Engine, site: str) -> list[Visit]:
    """Every visit of every bay at ``site``, in time order, from the stored events."""
    t = schema.event_log
    with engine.connect() as conn:
        rows = conn.execute(select(t.c.ts, t.c.kind, t.c.bay, t.c.public, t.c.subject)
                            .where(t.c.site == site).order_by(t.c.seq)).mappings().all()
    open_visit: dict[str, Visit] = {}
    visits: list[Visit] = []
    for row in rows:
        kind, bay, ts = row["kind"], row["bay"], float(row["ts"])
        visit = open_visit.get(bay)
        if kind == "vehicle_arrived" or (kind == "session_started" and visit is None):
            if visit is None:
                visit = open_visit[bay] = Visit(bay, ts)
                visits.append(visit)
        if visit is None:
            continue
        if kind == "vehicle_identified" and visit.vehicle is None:
            visit.vehicle = row["subject"]
        elif kind.startswith("session_"):
            visit.charged = True
            visit.energy_kwh = max(visit.energy_kwh, float(json.loads(row["public"]).get("energy_kwh", 0.0)))
            if kind == "session_started" and visit.vehicle is None:
                visit.vehicle = row["subject"]
        elif kind == "violation_opened":
            visit.violations += 1
        elif kind == "vehicle_left":
            visit.left_at = ts
            del open_visit[bay]
    return visits


def scenario_from_visits(site: str, visits: list[Visit], timezone_name: str = "UTC",
                         policy: dict[str, Any] | None = None, bays: list[str] | None = None) -> dict[str, Any]:
    """A twin scenario whose population reproduces the recorded arrivals, stays and energy.

    ``bays``: the site's bays (from its site file); without it, the bays that saw a car."""
    zone = ZoneInfo(timezone_name)
    finished = [v for v in visits if v.left_at is not None]
    if not finished:
        raise ValueError(f"site {site!r} has no complete visit (arrival and departure) to learn from")
    days = _days(finished, zone)
    bays = bays or sorted({v.bay for v in visits})
    first = datetime.fromtimestamp(min(v.arrived_at for v in finished), zone).date()
    population = {}
    for name, chargers in (("chargers", True), ("non_chargers", False)):
        group = [v for v in finished if v.charged == chargers]
        if group:
            population[name] = _group(group, days, zone, chargers)
    scenario: dict[str, Any] = {
        "name": f"{site}-replay",
        "description": f"Arrivals, stays and energy recorded at live site {site} over {days['weekday'] + days['weekend']} day(s).",
        "start": first.isoformat(),
        "days": max(1, days["weekday"] + days["weekend"]),
        "seed": 1,
        "site": {"id": site, "timezone": timezone_name, "ev_bays": len(bays), "general_bays": 0,
                 "enforcement": {"mode": "anpr"}},
        "population": population,
    }
    if policy is not None:
        scenario["policy"] = policy
    return scenario


def write_replay(engine: Engine, site: str, out: Path, timezone_name: str = "UTC",
                 policy: dict[str, Any] | None = None, bays: list[str] | None = None) -> dict[str, Any]:
    visits = visits_of(engine, site)
    scenario = scenario_from_visits(site, visits, timezone_name, policy, bays)
    out.mkdir(parents=True, exist_ok=True)
    frame = pd.DataFrame([{**asdict(v), "dwell_h": v.dwell_h} for v in visits])
    for column in ("arrived_at", "left_at"):
        frame[column] = pd.to_datetime(frame[column], unit="s", utc=True)
    frame.to_parquet(out / "visits.parquet", index=False)
    frame.to_csv(out / "visits.csv", index=False)
    (out / "scenario.yaml").write_text(
        f"# Recorded at live site {site}; written {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC by baytwin live replay.\n"
        + yaml.safe_dump(scenario, sort_keys=False), encoding="utf-8")
    return {"visits": len(visits), "complete": sum(v.left_at is not None for v in visits),
            "identified": sum(v.vehicle is not None for v in visits), "scenario": scenario}


def _days(visits: list[Visit], zone: ZoneInfo) -> dict[str, int]:
    dates = {datetime.fromtimestamp(v.arrived_at, zone).date() for v in visits}
    weekend = sum(d.weekday() >= 5 for d in dates)
    return {"weekday": len(dates) - weekend, "weekend": weekend}


def _group(visits: list[Visit], days: dict[str, int], zone: ZoneInfo, chargers: bool) -> dict[str, Any]:
    hours: dict[str, Counter[int]] = defaultdict(Counter)
    for v in visits:
        local = datetime.fromtimestamp(v.arrived_at, zone)
        hours["weekend" if local.weekday() >= 5 else "weekday"][local.hour] += 1
    per_day = {kind: round(sum(hours[kind].values()) / days[kind], 3) if days[kind] else 0.0
               for kind in ("weekday", "weekend")}
    profile = {kind: [round(hours[kind][h] + 0.05, 3) for h in range(24)] for kind in ("weekday", "weekend")}
    stays = sorted(round(max(v.dwell_h or 0.0, 1 / 60), 4) for v in visits)
    vehicles = {v.vehicle for v in visits if v.vehicle}
    group: dict[str, Any] = {
        "drivers": len(vehicles) or None,  # distinct vehicles seen (repeat visitors); None: all unknown
        "ev_share": 1.0 if chargers else 0.0,
        "arrivals_per_day": per_day,
        "hourly_profile": profile,
        "stay_h": {"dist": "choice", "values": stays},
        # the recorded stays already hold how these drivers respond to the site's signs and rules; the
        # twin must not shorten them a second time (fees and notifications of a new policy still act)
        "compliance": 0.0,
    }
    if chargers:
        energies = sorted(round(max(v.energy_kwh, 0.1), 3) for v in visits)
        group["energy_need_kwh"] = {"dist": "choice", "values": energies}
    else:
        group["ice_in_ev_bay"] = 1.0
    return group
