"""How faithfully the twin's cameras and patrols read plates.

``truth``: every read is right. ``error_model``: reads fail at declared
rates that depend on conditions (night, rain, snow, fog): a *no-read* gives no
plate, a *misread* gives a wrong plate, usually one character swapped for a
look-alike, the kind of mistake a real OCR makes. Reads carry a confidence;
below the identification's confidence gate the read is not acted on (it goes
to review), as the live pipeline does. The rates, and how often right and
wrong reads pass the gate, can be calibrated from an ``ocr eval`` report
(sim.ocr_calibration). ``images``: the plate is rendered under the conditions and
read by the real OCR pipeline (sim.camera_imagery); slow, but nothing is assumed.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Protocol

from baytwin.sim.plate_read import Read
from baytwin.sim.scenario import ConditionRates, Identification

LOOKALIKES = {
    "0": "OD", "O": "0DQ", "D": "0O", "Q": "O0", "1": "IL7", "I": "1L", "L": "1I", "8": "B3", "B": "83",
    "5": "S6", "S": "5", "2": "Z", "Z": "2", "6": "GB5", "G": "6C", "7": "T1", "T": "7", "4": "A", "A": "4",
    "C": "GO", "E": "F", "F": "E", "H": "M", "M": "NH", "N": "MH", "U": "V", "V": "UY", "W": "VV", "K": "X", "X": "K",
}
ALPHABET = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"


class ImageRead(Protocol):
    """What reads a rendered plate for the ``images`` fidelity (sim.camera_imagery.ImageReader)."""

    def read(self, plate: str, plate_format: str, conditions: Mapping[str, int]) -> Read: ...


class Identifier:
    """Reads plates at the fidelity the scenario asks for; the model hands it the image reader that
    fidelity needs, so this module knows nothing of rendering."""

    def __init__(self, spec: Identification, rng: random.Random, images: ImageRead | None = None) -> None:
        self.spec = spec
        self.rng = rng
        self._images = images
        if spec.fidelity == "images" and images is None:
            raise ValueError("the images fidelity needs an image reader")

    def rates(self, conditions: Mapping[str, int] | tuple[str, ...]) -> ConditionRates:
        """The rates under the given conditions: for each, the worst of the base and the declared condition."""
        spec = self.spec
        worst = ConditionRates(misread_rate=spec.misread_rate, noread_rate=spec.noread_rate,
                               correct_accepted=spec.correct_accepted, misread_accepted=spec.misread_accepted)
        for name in conditions:
            rates = self.spec.conditions.get(name)  # type: ignore[call-overload]
            if rates is not None:
                worst = ConditionRates(
                    misread_rate=max(worst.misread_rate, rates.misread_rate),
                    noread_rate=max(worst.noread_rate, rates.noread_rate),
                    correct_accepted=_worst(worst.correct_accepted, rates.correct_accepted, min),
                    misread_accepted=_worst(worst.misread_accepted, rates.misread_accepted, max),
                )
        return worst

    def camera_read(self, plate: str, conditions: Mapping[str, int] | tuple[str, ...], plate_format: str = "uk") -> Read:
        if self.spec.fidelity == "truth":
            return Read(plate, 0.99, True)
        if self._images is not None:
            severities = conditions if isinstance(conditions, Mapping) else {c: 2 for c in conditions}
            return self._images.read(plate, plate_format, severities)
        rates = self.rates(conditions)
        roll = self.rng.random()
        if roll < rates.noread_rate:
            return Read(None, 0.0, False)
        if roll < rates.noread_rate + rates.misread_rate:
            return Read(self.garble(plate), self._confidence(rates.misread_accepted, 0.55, 0.97), False)
        return Read(plate, self._confidence(rates.correct_accepted, 0.86, 0.999), True)

    def _confidence(self, accepted_share: float | None, low: float, high: float) -> float:
        """A read's confidence: from a fixed range, or on the side of the gate a calibrated share says."""
        if accepted_share is None:
            return self.rng.uniform(low, high)
        gate = self.spec.confidence_gate
        if self.rng.random() < accepted_share:
            return self.rng.uniform(gate, 1.0)
        return self.rng.uniform(min(0.5, gate), gate) if gate > 0 else 0.0

    def patrol_read(self, plate: str) -> Read:
        if self.spec.fidelity == "truth" or self.rng.random() >= self.spec.patrol_misread_rate:
            return Read(plate, 1.0, True)
        return Read(self.garble(plate), 1.0, False)

    def garble(self, plate: str) -> str:
        """One character replaced, by a look-alike where one exists."""
        chars = list(plate)
        i = int(self.rng.random() * len(chars))
        options = LOOKALIKES.get(chars[i]) or ALPHABET
        chars[i] = options[int(self.rng.random() * len(options))]
        return "".join(chars)

    def accepted(self, read: Read) -> bool:
        return read.plate is not None and read.confidence >= self.spec.confidence_gate


def _worst(a: float | None, b: float | None, pick) -> float | None:  # type: ignore[no-untyped-def]
    if a is None or b is None:
        return b if a is None else a
    return pick(a, b)
