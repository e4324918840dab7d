"""The live operations page's pieces that need no Streamlit: the site map and the tables.

The map is drawn from the site file: every camera's bay regions, in that camera's pixels,
coloured by what the running site last reported (free, occupied, charging, in violation).
Plates never appear: the store's status carries none, and violations show only their hash.
"""

from __future__ import annotations

import time
from typing import Any

import altair as alt
import pandas as pd

STATE_COLOURS = {"free": "#4caf50", "occupied": "#9e9e9e", "charging": "#1e88e5", "violation": "#e53935",
                 "unavailable": "#6d4c41"}


def bay_state(bay: str, overview: dict[str, Any]) -> str:
    """One word for a bay's state, worst first: violation, unavailable, charging, occupied, free."""
    if any(v["bay"] == bay for v in overview.get("open_violations", [])):
        return "violation"
    status = overview.get("bays", {}).get(bay, {})
    if status.get("unavailable"):
        return "unavailable"
    if status.get("locked") or any(s["bay"] == bay and s.get("current_a", 0) > 0 for s in overview.get("open_sessions", [])):
        return "charging"
    return "occupied" if status.get("occupied") else "free"


def bay_shapes(cameras: dict[str, dict[str, list[tuple[float, float]]]], overview: dict[str, Any]) -> pd.DataFrame:
    """One row per bay per camera: its polygon (GeoJSON, pixel coordinates), centre and state."""
    rows = []
    for camera, bays in cameras.items():
        for bay, polygon in bays.items():
            ring = [[float(x), float(y)] for x, y in polygon] + [[float(polygon[0][0]), float(polygon[0][1])]]
            rows.append({"camera": camera, "bay": bay, "state": bay_state(bay, overview),
                         "x": sum(p[0] for p in polygon) / len(polygon), "y": sum(p[1] for p in polygon) / len(polygon),
                         "geometry": {"type": "Polygon", "coordinates": [ring]}})
    return pd.DataFrame(rows)


def site_map(shapes: pd.DataFrame, camera: str) -> alt.LayerChart:
    """One camera's bays as coloured regions, each labelled with its name and state in words (colour
    alone fails a reader who cannot tell red from green), as the camera sees them: the identity
    projection keeps image rows growing downwards, so the far edge of the bays is at the top, as in
    the camera's frame beside the map (the browser test checks a bay above another stays above it)."""
    mine = shapes[shapes["camera"] == camera]
    features = [{"type": "Feature", "geometry": row["geometry"], "properties": {"bay": row["bay"], "state": row["state"]}}
                for _, row in mine.iterrows()]
    colour = alt.Color("properties.state:N", title="state",
                       scale=alt.Scale(domain=list(STATE_COLOURS), range=list(STATE_COLOURS.values())))
    regions = (alt.Chart(alt.Data(values=features)).mark_geoshape(stroke="white", strokeWidth=2, opacity=0.8)
               .encode(color=colour, tooltip=[alt.Tooltip("properties.bay:N", title="bay"),
                                              alt.Tooltip("properties.state:N", title="state")])
               .project(type="identity"))  # image rows grow downwards, as the camera sees them
    named = mine[["bay", "state", "x", "y"]].assign(label=mine["bay"] + "\n" + mine["state"])
    labels = (alt.Chart(named).mark_text(fontSize=15, fontWeight="bold", color="black", lineBreak="\n")
              .encode(longitude="x:Q", latitude="y:Q", text="label:N")
              .project(type="identity"))  # image rows grow downwards, as the camera sees them
    return alt.layer(regions, labels).properties(title=f"camera {camera}", height=320)


def sessions_table(overview: dict[str, Any]) -> pd.DataFrame:
    frame = pd.DataFrame(overview.get("open_sessions", []),
                         columns=["session_id", "bay", "state", "started_at", "energy_kwh", "current_a"])
    frame["started_at"] = frame["started_at"].map(_when)
    return frame


def violations_table(overview: dict[str, Any]) -> pd.DataFrame:
    frame = pd.DataFrame(overview.get("open_violations", []),
                         columns=["violation_id", "bay", "rule", "since", "minutes_so_far", "subject"])
    frame["since"] = frame["since"].map(_when)
    return frame.rename(columns={"subject": "plate hash"})


def cameras_table(overview: dict[str, Any]) -> pd.DataFrame:
    rows = [{"camera": name, "connected": h.get("connected"), "fps": h.get("fps"),
             "last frame (s ago)": None if h.get("last_frame_age_s") is None else round(h["last_frame_age_s"], 1),
             "frames": h.get("frames"), "frames read": h.get("frames_read"), "reconnects": h.get("reconnects"),
             "error": h.get("error") or ""} for name, h in overview.get("cameras", {}).items()]
    return pd.DataFrame(rows, columns=["camera", "connected", "fps", "last frame (s ago)", "frames", "frames read",
                                       "reconnects", "error"])


def _when(ts: Any) -> str:
    if ts is None or (isinstance(ts, float) and pd.isna(ts)):
        return "-"
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(float(ts)))


def decodable_png(data: bytes | None) -> bytes | None:
    """``data`` if it is an image Pillow can fully decode, else None (a damaged crop in the store)."""
    if not data:
        return None
    import io

    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
    except Exception:  # noqa: BLE001 - any decoding failure means the same: not shown
        return None
    return data
