"""The ``images`` identification fidelity: the twin's camera renders the plate and the real reader reads it.

Each arrival is captured as a few frames of that vehicle's plate under the
site's conditions at that moment (the weather's severity, night as 850 nm IR,
plus whatever the scenario declares always present, such as JPEG or sensor
noise), and the live OCR pipeline, unchanged, reads and votes them. Nothing
about the reader is assumed, so a better model or a worse camera shows up in
the twin's violation figures directly. Rendering costs milliseconds per
crop (tens of milliseconds per whole frame), so this fidelity is for
studies of identification itself; sweeps use an ``error_model`` calibrated
from ``baytwin ocr eval`` instead.
"""

from __future__ import annotations

from collections.abc import Mapping

import cv2
import numpy as np

from baytwin.core.ocr.gate import ConfidenceGate
from baytwin.core.ocr.pipeline import PlateReader
from baytwin.core.ocr.recognizer import FORMAT_CONFIG, FORMAT_MODEL, Recognizer
from baytwin.core.ocr.roi import Roi
from baytwin.sim.ocr_calibration import CONDITION_DEGRADATION
from baytwin.sim.plate_read import Read
from baytwin.sim.imagery.degrade import apply_degradations
from baytwin.sim.imagery.plates import render_plate
from baytwin.sim.imagery.scenes import render_scene
from baytwin.sim.scenario import Identification


class ImageReader:
    def __init__(self, spec: Identification, seed: int, reader: PlateReader | None = None) -> None:
        self.spec = spec.images
        gate = spec.confidence_gate
        if reader is None:  # the scenario's accept threshold, the model's own review floor
            reader = PlateReader(recognizer=Recognizer(FORMAT_MODEL, FORMAT_CONFIG))  # it reads the plates the twin draws
            reader.gate = ConfidenceGate(accept_at=gate, review_from=min(reader.gate.review_from, gate))
        self.reader = reader
        self.rng = np.random.default_rng(seed)

    def severities(self, conditions: Mapping[str, int]) -> dict[str, int]:
        """The degradations a frame gets: the always-present ones, raised by the conditions of the moment."""
        found = dict(self.spec.degradations)
        for condition, severity in conditions.items():
            name = CONDITION_DEGRADATION[condition]
            found[name] = max(found.get(name, 0), int(severity))
        return found

    def read(self, plate: str, plate_format: str, conditions: Mapping[str, int]) -> Read:
        severities = self.severities(conditions)
        if self.spec.render == "crop":
            crops = []
            for _ in range(self.spec.frames):
                rendered = render_plate(plate, plate_format, self.rng)
                crops.append(apply_degradations(rendered.image, severities, self.rng, rendered.corners).image)
            result = self.reader.read_vehicle_crops(crops)
        else:
            frames, roi = [], None
            for _ in range(self.spec.frames):
                scene = render_scene(self.rng, size=self.spec.scene_size, fmt=plate_format, text=plate)
                degraded = apply_degradations(scene.image, severities, self.rng, scene.plate.corners, scene.roi)
                frames.append(degraded.image)
                roi = roi or Roi(tuple((float(x), float(y)) for x, y in degraded.points))  # type: ignore[union-attr]
            result = self.reader.read_vehicle(frames, roi)
        png = None
        if result.crop is not None and result.crop.size:
            ok, encoded = cv2.imencode(".png", cv2.cvtColor(result.crop, cv2.COLOR_RGB2BGR))
            png = encoded.tobytes() if ok else None
        return Read(result.plate, result.confidence, result.plate == plate, png)
