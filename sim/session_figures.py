"""The headline figures of a set of charging sessions, measured the same way on an export and on a run.

A calibration is judged by whether the twin, run with the fitted scenario, shows the figures the site's
data shows. Both sides are first brought to one small table (plug-in time, hours connected, hours
charging, energy), so that a figure can only differ because the sessions differ, not the arithmetic.
"""

from __future__ import annotations

import pandas as pd

from baytwin.sim.session_export import SessionExport

# figure -> (label, unit); shares are fractions, times hours, energy kWh
FIGURES: dict[str, tuple[str, str]] = {
    "arrival_share_08_to_10": ("plug-ins between 08:00 and 10:00 local", "share"),
    "connection_mean_h": ("connection time, mean", "h"),
    "connection_median_h": ("connection time, median", "h"),
    "charging_mean_h": ("charging time, mean", "h"),
    "charging_median_h": ("charging time, median", "h"),
    "idle_share_of_connected_time": ("idle share of connected time", "share"),
    "sessions_idle_over_15_min": ("sessions idle > 15 min", "share"),
    "sessions_idle_over_1_h": ("sessions idle > 1 h", "share"),
    "sessions_idle_over_4_h": ("sessions idle > 4 h", "share"),
    "energy_mean_kwh": ("energy per session, mean", "kWh"),
    "energy_median_kwh": ("energy per session, median", "kWh"),
    "sessions_per_week": ("sessions per week", "count"),
}


def export_sessions(export: SessionExport) -> pd.DataFrame:
    """An export's sessions as the figures' table (charging time unknown where the export has no end)."""
    s = export.sessions
    return pd.DataFrame({
        "plug_in": s.plug_in,
        "connected_h": (s.unplug - s.plug_in).dt.total_seconds() / 3600.0,
        "charging_h": (s.charging_done - s.plug_in).dt.total_seconds() / 3600.0,
        "energy_kwh": s.energy_kwh,
    })


def run_sessions(sessions: pd.DataFrame) -> pd.DataFrame:
    """A run's sessions table (sim/metrics.py) as the figures' table: the visits that plugged in and
    unplugged within the run, as an export lists only finished sessions."""
    if sessions.empty:
        return pd.DataFrame(columns=["plug_in", "connected_h", "charging_h", "energy_kwh"])
    done = sessions[sessions.plug_in.notna() & sessions.unplug.notna()]
    return pd.DataFrame({
        "plug_in": done.plug_in,
        "connected_h": done.connected_min / 60.0,
        "charging_h": done.charging_min / 60.0,
        "energy_kwh": done.energy_kwh,
    }).reset_index(drop=True)


def figures(sessions: pd.DataFrame, zone: str, days: float) -> dict[str, float | None]:
    """FIGURES of ``sessions`` (the figures' table) seen over ``days`` days at a site in ``zone``.

    Idle is connected minus charging, counted only where the charging time is known."""
    if sessions.empty:
        return {name: None for name in FIGURES}
    hour = sessions.plug_in.dt.tz_convert(zone).dt.hour
    known = sessions[sessions.charging_h.notna()]
    idle_h = known.connected_h - known.charging_h
    connected_known = float(known.connected_h.sum())

    def share(mask: pd.Series) -> float | None:
        return float(mask.mean()) if len(mask) else None

    return {
        "arrival_share_08_to_10": float(((hour >= 8) & (hour < 10)).mean()),
        "connection_mean_h": float(sessions.connected_h.mean()),
        "connection_median_h": float(sessions.connected_h.median()),
        "charging_mean_h": float(known.charging_h.mean()) if len(known) else None,
        "charging_median_h": float(known.charging_h.median()) if len(known) else None,
        "idle_share_of_connected_time": float(idle_h.sum()) / connected_known if connected_known > 0 else None,
        "sessions_idle_over_15_min": share(idle_h > 0.25),
        "sessions_idle_over_1_h": share(idle_h > 1.0),
        "sessions_idle_over_4_h": share(idle_h > 4.0),
        "energy_mean_kwh": float(sessions.energy_kwh.mean()),
        "energy_median_kwh": float(sessions.energy_kwh.median()),
        "sessions_per_week": len(sessions) / days * 7.0,
    }


def relative_difference(fitted: float | None, data: float | None) -> float | None:
    """(fitted − data) / data; None where either is unknown or the data's value is zero."""
    if fitted is None or data is None or data == 0:
        return None
    return (fitted - data) / data
