"""What the camera sees, for the operator: the latest frame with each bay's region drawn on it.

The dashboard opens the camera itself (``live.camera.Camera``, the reader the site uses), keeps only
the newest frame in memory, draws the bays coloured by their state and hands the browser one JPEG.
No frame is written anywhere: only what is shown leaves memory, and only to an operator, who may
see plates (a viewer sees the map, not the picture).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import cv2
import numpy as np

from baytwin.dashboards.live_view import STATE_COLOURS

FILL_OPACITY = 0.25


def _rgb(colour: str) -> tuple[int, int, int]:
    value = colour.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def draw_bays(image: np.ndarray, bays: Mapping[str, Sequence[Sequence[float]]], states: Mapping[str, str]) -> np.ndarray:
    """A copy of the RGB frame with every bay's polygon outlined and lightly filled in its state's
    colour and its name written at its centre; the frame itself is left as it was."""
    drawn = image.copy()
    overlay = image.copy()
    for bay, polygon in bays.items():
        points = np.array([[int(round(x)), int(round(y))] for x, y in polygon], dtype=np.int32)
        colour = _rgb(STATE_COLOURS.get(states.get(bay, "free"), "#9e9e9e"))
        cv2.fillPoly(overlay, [points], colour)
    drawn = cv2.addWeighted(overlay, FILL_OPACITY, drawn, 1 - FILL_OPACITY, 0)
    scale = max(0.6, image.shape[1] / 1600)
    for bay, polygon in bays.items():
        points = np.array([[int(round(x)), int(round(y))] for x, y in polygon], dtype=np.int32)
        colour = _rgb(STATE_COLOURS.get(states.get(bay, "free"), "#9e9e9e"))
        cv2.polylines(drawn, [points], isClosed=True, color=colour, thickness=max(2, int(3 * scale)))
        centre = points.mean(axis=0).astype(int)
        label = f"{bay} {states.get(bay, '')}".strip()
        (width, height), _ = cv2.getTextSize(label, cv2.FONT_HERSHEY_SIMPLEX, scale, 2)
        corner = (int(centre[0] - width / 2), int(centre[1] + height / 2))
        cv2.putText(drawn, label, corner, cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), int(4 * scale) + 1, cv2.LINE_AA)
        cv2.putText(drawn, label, corner, cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), 2, cv2.LINE_AA)
    return drawn


def jpeg(image: np.ndarray, quality: int = 80) -> bytes:
    """An RGB frame as JPEG bytes, in memory."""
    ok, data = cv2.imencode(".jpg", cv2.cvtColor(image, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError("the frame could not be encoded")
    return data.tobytes()
