"""How faithfully the twin's cameras and patrols read plates.

``truth``: every read is right. ``error_model``: reads fail at declared
rates that depend on conditions (night, rain, snow, fog): a *no-read* gives no
plate, a *misread* gives a wrong plate, usually one character swapped for a
look-alike, the kind of mistake a real OCR makes. Reads carry a confidence;
below the identification's confidence gate the read is not acted on (it goes
to review), as the live pipeline does.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from sim.scenario import Identification

LOOKALIKES = {
    "0": "OD", "O": "0DQ", "D": "0O", "Q": "O0", "1": "IL7", "I": "1L", "L": "1I", "8": "B3", "B": "83",
    "5": "S6", "S": "5", "2": "Z", "Z": "2", "6": "GB5", "G": "6C", "7": "T1", "T": "7", "4": "A", "A": "4",
    "C": "GO", "E": "F", "F": "E", "H": "M", "M": "NH", "N": "MH", "U": "V", "V": "UY", "W": "VV", "K": "X", "X": "K",
}
ALPHABET = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"


@dataclass(frozen=True, slots=True)
class Read:
    plate: str | None
    confidence: float
    correct: bool


class Identifier:
    def __init__(self, spec: Identification, rng: random.Random) -> None:
        self.spec = spec
        self.rng = rng

    def rates(self, conditions: tuple[str, ...]) -> tuple[float, float]:
        """(misread, noread) under the given conditions: the worst declared condition wins."""
        misread, noread = self.spec.misread_rate, self.spec.noread_rate
        for name in conditions:
            rates = self.spec.conditions.get(name)  # type: ignore[call-overload]
            if rates is not None:
                misread, noread = max(misread, rates.misread_rate), max(noread, rates.noread_rate)
        return misread, noread

    def camera_read(self, plate: str, conditions: tuple[str, ...]) -> Read:
        if self.spec.fidelity == "truth":
            return Read(plate, 0.99, True)
        misread, noread = self.rates(conditions)
        roll = self.rng.random()
        if roll < noread:
            return Read(None, 0.0, False)
        if roll < noread + misread:
            return Read(self.garble(plate), self.rng.uniform(0.55, 0.97), False)
        return Read(plate, self.rng.uniform(0.86, 0.999), True)

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
