"""A finished run as tables and a summary.

Tables (one row each):

* ``sessions``   - one vehicle visit, true and observed side by side;
* ``violations`` - one (visit, rule) breach, whether it was true, detected, or both;
* ``actions``    - one enforcement action, flagged when it penalised the wrong person;
* ``events``     - one event the site observed or the engine emitted;
* ``timeseries`` - the Mesa data collector's samples (bay occupancy over time).

docs/outputs.md describes every column; ``summary.json`` every figure.
"""

from __future__ import annotations

import json
import math
import statistics
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from baytwin.core.events import ActionTaken, ViolationClosed, ViolationOpened
from baytwin.core.rules.engine import is_penalty
from baytwin.sim.event_spool import EventSpool
from baytwin.sim.gates import gate_figures

if TYPE_CHECKING:
    from baytwin.sim.model import BayTwinModel


_TS_COLUMNS = ("arrival", "plug_in", "charging_complete", "charging_stopped", "unplug", "departure")


@dataclass
class RunResult:
    summary: dict[str, Any]
    sessions: pd.DataFrame
    violations: pd.DataFrame
    actions: pd.DataFrame
    event_spool: EventSpool  # the events table, on disk: a site-year's would not fit in memory as a frame
    timeseries: pd.DataFrame

    @property
    def events(self) -> pd.DataFrame:
        """The events table as a frame (read from disk each time: for small runs and notebooks)."""
        return self.event_spool.frame()


def _ratio(num: float, den: float) -> float | None:
    return None if den == 0 else num / den


def _to_datetime(seconds: pd.Series) -> pd.Series:
    return pd.to_datetime(seconds, unit="s", utc=True)


def sessions_table(model: "BayTwinModel") -> pd.DataFrame:
    rows = []
    for v in model.recorder.visits:
        connected = (v.unplug - v.plug_in) / 60.0 if v.plug_in is not None and v.unplug is not None else None
        charging = None
        if v.plug_in is not None and v.charging_stopped is not None:
            charging = (v.charging_stopped - v.plug_in) / 60.0
        rows.append({
            "visit_id": v.visit_id, "site": model.site_id, "bay": v.bay, "bay_kind": v.bay_kind or "blocked",
            "group": v.group, "vehicle": "ev" if v.is_ev else "ice", "driver_id": v.driver_id,
            "plate_true": v.plate_true, "plate_seen": v.plate_seen, "read_confidence": v.read_confidence,
            "identified_correctly": (v.plate_seen == v.plate_true) if v.plate_seen is not None else None,
            **{col: getattr(v, col) for col in _TS_COLUMNS},
            "dwell_min": (v.departure - v.arrival) / 60.0 if v.departure is not None and v.bay else None,
            "connected_min": connected,
            "charging_min": charging,
            "idle_min": (connected - charging) if connected is not None and charging is not None else None,
            "energy_kwh": v.energy_kwh, "faulted": v.faulted, "denied": v.denied,
            "moved_on_completion": v.moved_for_rule, "notified": v.notified,
        })
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    for col in _TS_COLUMNS:
        frame[col] = _to_datetime(frame[col].astype("float64"))
    return frame


def violations_table(model: "BayTwinModel") -> tuple[pd.DataFrame, dict[str, tuple[int | None, bool]]]:
    """The union of true and detected breaches, matched by (visit, rule)."""
    rec = model.recorder
    truth: dict[tuple[int | None, str], ViolationOpened] = {}
    for event, visit_id in rec.truth:
        truth.setdefault((visit_id, event.rule), event)
    closed = {e.violation_id: e for e, _ in rec.outputs if isinstance(e, ViolationClosed)}
    fees: dict[str, float] = {}
    for e, _ in rec.outputs:
        if isinstance(e, ActionTaken) and e.action == "idle_fee":
            fees[e.violation_id] = fees.get(e.violation_id, 0.0) + e.amount
    plates = {v.visit_id: v.plate_true for v in rec.visits}

    rows: list[dict[str, Any]] = []
    matched_keys: set[tuple[int | None, str]] = set()
    by_violation: dict[str, tuple[int | None, bool]] = {}
    for output, visit_id in rec.outputs:
        if not isinstance(output, ViolationOpened):
            continue
        event = output
        key = (visit_id, event.rule)
        true_event = truth.get(key) if visit_id is not None else None
        is_true = true_event is not None and key not in matched_keys
        if is_true:
            matched_keys.add(key)
        by_violation[event.violation_id] = (visit_id, is_true)
        close = closed.get(event.violation_id)
        rows.append({
            "violation_id": event.violation_id, "site": event.site, "bay": event.bay, "visit_id": visit_id,
            "rule": event.rule, "true": is_true, "detected": True,
            "true_start": true_event.since if true_event else None, "detected_at": event.ts,
            "time_to_detection_min": (event.ts - true_event.ts) / 60.0 if is_true and true_event else None,
            "plate_seen": event.plate, "plate_confidence": event.plate_confidence,
            "plate_true": plates.get(visit_id) if visit_id is not None else None,
            "closed_at": close.ts if close else None, "close_reason": close.reason if close else None,
            "minutes": close.minutes if close else None, "idle_fee": fees.get(event.violation_id, 0.0),
            "evidence": json.dumps([[e.kind, e.ts] for e in event.evidence]),
        })
    for key, event in truth.items():
        if key in matched_keys:
            continue
        visit_id, rule = key
        rows.append({
            "violation_id": None, "site": event.site, "bay": event.bay, "visit_id": visit_id, "rule": rule,
            "true": True, "detected": False, "true_start": event.since, "detected_at": None,
            "time_to_detection_min": None, "plate_seen": None, "plate_confidence": None,
            "plate_true": plates.get(visit_id) if visit_id is not None else None,
            "closed_at": None, "close_reason": None, "minutes": None, "idle_fee": 0.0,
            "evidence": json.dumps([[e.kind, e.ts] for e in event.evidence]),
        })
    frame = pd.DataFrame(rows)
    if not frame.empty:
        for col in ("true_start", "detected_at", "closed_at"):
            frame[col] = _to_datetime(frame[col].astype("float64"))
    return frame, by_violation


def actions_table(model: "BayTwinModel", by_violation: dict[str, tuple[int | None, bool]]) -> pd.DataFrame:
    visits = {v.visit_id: v for v in model.recorder.visits}
    rows = []
    for event, _ in model.recorder.outputs:
        if not isinstance(event, ActionTaken):
            continue
        visit_id, is_true = by_violation.get(event.violation_id, (None, False))
        visit = visits.get(visit_id) if visit_id is not None else None
        right_person = visit is not None and (
            event.plate == visit.plate_true
            or (event.id_token is not None and event.id_token == visit.id_token)
        )
        rows.append({
            "ts": event.ts, "site": event.site, "bay": event.bay, "violation_id": event.violation_id,
            "action": event.action, "plate": event.plate, "id_token": event.id_token, "amount": event.amount,
            "until": event.until, "visit_id": visit_id, "violation_true": is_true,
            "penalty": is_penalty(event), "false_penalty": is_penalty(event) and not (is_true and right_person),
        })
    frame = pd.DataFrame(rows)
    if not frame.empty:
        frame["ts"] = _to_datetime(frame["ts"].astype("float64"))
        frame["until"] = _to_datetime(frame["until"].astype("float64"))
    return frame


def summarize(model: "BayTwinModel", sessions: pd.DataFrame, violations: pd.DataFrame,
              actions: pd.DataFrame, wall_seconds: float) -> dict[str, Any]:
    world = model.world
    horizon = min(model.env.now, model.horizon_s) or 1.0
    occupied = sum(b.occupied_seconds + ((model.env.now - b.occupied_since) if b.occupied_since is not None else 0.0)
                   for b in world.ev_bays)
    visits = model.recorder.visits
    arrivals = len(visits)
    blocked = sum(1 for v in visits if v.bay is None)
    ev_bay_done = [v for v in visits if v.bay_kind == "ev" and v.departure is not None]
    dwell = [(v.departure - v.arrival) / 60.0 for v in ev_bay_done]  # type: ignore[operator]
    charging_s = sum((v.charging_stopped - v.plug_in) for v in ev_bay_done
                     if v.plug_in is not None and v.charging_stopped is not None)
    occupied_done_s = sum(d * 60.0 for d in dwell)
    true_count = int(violations["true"].sum()) if not violations.empty else 0
    detected_count = int(violations["detected"].sum()) if not violations.empty else 0
    matched = int((violations["true"] & violations["detected"]).sum()) if not violations.empty else 0
    ttd = violations["time_to_detection_min"].dropna() if not violations.empty else pd.Series(dtype=float)
    fees = actions.loc[actions["action"] == "idle_fee", "amount"].sum() if not actions.empty else 0.0
    days = horizon / 86400.0
    reads = [v for v in visits if v.bay_kind == "ev" and v.read_confidence is not None]  # camera reads at arrival
    identified = [v for v in reads if v.plate_seen is not None]
    right = sum(1 for v in identified if v.plate_seen == v.plate_true)
    summary: dict[str, Any] = {
        "scenario": model.scenario.name,
        "site": model.site_id,
        "seed": model.seed,
        "days": round(days, 6),
        "ev_bays": len(world.ev_bays),
        "general_bays": len(world.general_bays),
        "arrivals": arrivals,
        "blocked": blocked,
        "blocking_probability": _ratio(blocked, arrivals),
        "served": arrivals - blocked,
        "ev_bay_visits": sum(1 for v in visits if v.bay_kind == "ev"),
        "ice_in_ev_bay_visits": sum(1 for v in visits if v.bay_kind == "ev" and not v.is_ev),
        "ev_in_general_bay_visits": sum(1 for v in visits if v.bay_kind == "general" and v.is_ev),
        "denied_authorizations": sum(1 for v in visits if v.denied),
        "mean_occupied_bays": occupied / horizon,
        "mean_dwell_min": statistics.fmean(dwell) if dwell else None,
        "charging_share_of_bay_time": _ratio(charging_s, occupied_done_s),
        "energy_kwh": float(sum(v.energy_kwh for v in visits)),
        "turnover_per_bay_day": _ratio(sum(1 for v in visits if v.bay_kind == "ev"), len(world.ev_bays) * days),
        "violations_true": true_count,
        "violations_detected": detected_count,
        "violations_matched": matched,
        "precision": _ratio(matched, detected_count),
        "recall": _ratio(matched, true_count),
        "false_penalties": int(actions["false_penalty"].sum()) if not actions.empty else 0,
        "penalties_on_drivers_moving": _penalties_on_drivers_moving(visits, actions),
        "penalties": int(actions["penalty"].sum()) if not actions.empty else 0,
        "time_to_detection_min_mean": float(ttd.mean()) if len(ttd) else None,
        "time_to_detection_min_p95": float(ttd.quantile(0.95)) if len(ttd) else None,
        "plate_reads": len(reads),
        "plates_identified_share": _ratio(len(identified), len(reads)),
        "identity_precision": _ratio(right, len(identified)),
        "wrong_identifications": len(identified) - right,
        "idle_fee_revenue": round(float(fees), 2),
        "idle_bay_hours": round(float(sessions["idle_min"].sum()) / 60.0, 3) if "idle_min" in sessions else 0.0,
        "violations_by_rule": _by_rule(violations),
        "actions_by_kind": {str(k): int(n) for k, n in actions["action"].value_counts().items()} if not actions.empty else {},
        "events_processed": model.detection.engine.events_processed + model.truth.engine.events_processed,
        "observed_events": model.recorder.observed_count,
        **gate_figures(model),  # barriers and parking payment (sim/gates.py); none at a site without gates
        "wall_seconds": round(wall_seconds, 3),
    }
    return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in summary.items()}


def _penalties_on_drivers_moving(visits: list, actions: pd.DataFrame) -> int:  # type: ignore[type-arg]
    """Penalties on drivers who set off to move their car when charging ended and were back too late: what a
    short grace period costs the drivers who were trying."""
    if actions.empty:
        return 0
    moving = {v.visit_id for v in visits if v.moved_for_rule}
    return int((actions["penalty"] & actions["visit_id"].isin(moving)).sum())


def _by_rule(violations: pd.DataFrame) -> dict[str, dict[str, int]]:
    if violations.empty:
        return {}
    out: dict[str, dict[str, int]] = {}
    for rule, part in violations.groupby("rule"):
        out[str(rule)] = {"true": int(part["true"].sum()), "detected": int(part["detected"].sum()),
                          "matched": int((part["true"] & part["detected"]).sum())}
    return out


def collect(model: "BayTwinModel", wall_seconds: float) -> RunResult:
    sessions = sessions_table(model)
    violations, by_violation = violations_table(model)
    actions = actions_table(model, by_violation)
    summary = summarize(model, sessions, violations, actions, wall_seconds)
    timeseries = model.datacollector.get_model_vars_dataframe()
    if not timeseries.empty:
        timeseries["ts"] = _to_datetime(timeseries["ts"].astype("float64"))
    return RunResult(summary, sessions, violations, actions, model.recorder.spool, timeseries)
