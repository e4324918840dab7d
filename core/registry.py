"""Who is known at a site: registered vehicles, permits and charging id tokens.

The rules engine asks the registry which user group a plate belongs to and
whether it holds a permit; the charger side maps an id token (RFID card, app
account) to the plate it was registered with.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from baytwin.core.lookalikes import LookalikeIndex


@dataclass(frozen=True, slots=True)
class RegisteredVehicle:
    plate: str
    group: str
    permit: bool = False
    accessible: bool = False
    id_tokens: tuple[str, ...] = ()


class Registry:
    def __init__(self, vehicles: Iterable[RegisteredVehicle] = ()) -> None:
        self._by_plate: dict[str, RegisteredVehicle] = {}
        self._plate_by_token: dict[str, str] = {}
        self._lookalikes = LookalikeIndex()
        self.version = 0  # grows with every change, so what was derived from the registry knows when to recompute
        for vehicle in vehicles:
            self.add(vehicle)

    def add(self, vehicle: RegisteredVehicle) -> None:
        self.version += 1
        self._by_plate[vehicle.plate] = vehicle
        self._lookalikes.add(vehicle.plate)
        for token in vehicle.id_tokens:
            self._plate_by_token[token] = vehicle.plate

    def vehicle(self, plate: str | None) -> RegisteredVehicle | None:
        return self._by_plate.get(plate) if plate else None

    def lookalikes(self, plate: str) -> tuple[str, ...]:
        """Registered plates other than ``plate`` that a reader could have misread as it (``core/lookalikes.py``)."""
        return self._lookalikes.others(plate)

    def plate_for_token(self, token: str | None) -> str | None:
        return self._plate_by_token.get(token) if token else None

    def __len__(self) -> int:
        return len(self._by_plate)
