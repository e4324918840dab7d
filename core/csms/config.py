"""Which chargers a site has, which bay each EVSE serves, and how the central system treats them.

Loaded from the ``csms`` section of a site file (YAML, validated with the
same ``file: field: problem`` errors as every other config). Station
passwords are stored only as salted PBKDF2 hashes (``baytwin csms hash-password``
makes one); a charger's Basic-auth password is checked against it.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from baytwin.core.config import load_yaml, validate

_ITERATIONS = 120_000


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Station(_Strict):
    """One charge point: its EVSEs (2.0.1 evseId, or 1.6 connectorId) and the bay each serves."""

    evses: dict[int, str] = Field(min_length=1)  # evse/connector id -> bay id
    password_hash: str | None = None  # pbkdf2_sha256$iterations$salt$hash; None: no Basic auth required
    relaxed_validation: bool = False  # a real charger known to send slightly non-compliant payloads


class CsmsConfig(_Strict):
    site_id: str = Field(min_length=1)
    stations: dict[str, Station] = Field(default_factory=dict)
    auto_register: bool = False  # accept charge points not listed (their EVSE n serves bay "<id>-<n>")
    accept_unknown_tokens: bool = False  # id tokens not in known_tokens (and not denied) are Accepted
    known_tokens: frozenset[str] = frozenset()  # RFID / QR / app tokens of registered drivers
    stop_when_bay_empty: bool = False  # 2.0.1: stop the transaction when the bay sensor says the car left
    remote_stop_on_overstay: bool = False
    unavailable_for_denied: bool = False  # a restricted or banned vehicle in a bay makes its EVSE inoperative until it leaves
    heartbeat_interval_s: int = Field(300, ge=10)
    max_frame_bytes: int = Field(1 << 20, ge=1024)
    require_auth: bool = False  # every station must present Basic-auth credentials (security profile 1/2)

    @model_validator(mode="after")
    def _one_bay_one_evse(self) -> "CsmsConfig":
        seen: dict[str, str] = {}
        for station, spec in self.stations.items():
            for evse, bay in spec.evses.items():
                if bay in seen:
                    raise ValueError(f"@stations.{station}.evses.{evse}@ bay '{bay}' is already served by {seen[bay]}")
                seen[bay] = f"{station} EVSE {evse}"
        return self

    # --- lookups ---------------------------------------------------------------------------------------

    def knows(self, station: str) -> bool:
        return station in self.stations or self.auto_register

    def bay_of(self, station: str, evse: int) -> str:
        spec = self.stations.get(station)
        if spec is not None and evse in spec.evses:
            return spec.evses[evse]
        return f"{station}-{evse}"

    def evse_of(self, station: str, bay: str) -> int | None:
        spec = self.stations.get(station)
        if spec is not None:
            return next((e for e, b in spec.evses.items() if b == bay), None)
        prefix = f"{station}-"
        return int(bay[len(prefix):]) if bay.startswith(prefix) and bay[len(prefix):].isdigit() else None

    def evse_for_bay(self, bay: str) -> tuple[str, int] | None:
        for station, spec in self.stations.items():
            for evse, served in spec.evses.items():
                if served == bay:
                    return station, evse
        return None

    def accepts_token(self, token: str) -> bool:
        return self.accept_unknown_tokens or token in self.known_tokens

    def relaxed(self, station: str) -> bool:
        spec = self.stations.get(station)
        return bool(spec and spec.relaxed_validation)

    def check_password(self, station: str, password: str | None) -> bool:
        """Whether ``password`` opens ``station`` (no stored hash: only when auth is not required)."""
        spec = self.stations.get(station)
        stored = spec.password_hash if spec else None
        if stored is None:
            return not self.require_auth
        return password is not None and verify_password(password, stored)


def hash_password(password: str, salt: bytes | None = None, iterations: int = _ITERATIONS) -> str:
    salt = salt or os.urandom(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, iterations)
    return f"pbkdf2_sha256${iterations}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, iterations, salt, expected = stored.split("$")
        if scheme != "pbkdf2_sha256":
            return False
        digest = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), bytes.fromhex(salt), int(iterations))
    except ValueError:
        return False
    return hmac.compare_digest(digest.hex(), expected)


def load_csms_config(path: Path) -> CsmsConfig:
    """The ``csms`` section of a site file (or a file that is only that section)."""
    data = load_yaml(path)
    section = data.get("csms", data) if isinstance(data, dict) else data
    if isinstance(section, dict) and "site_id" not in section and isinstance(data, dict):
        site = data.get("site")
        if isinstance(site, dict) and "id" in site:
            section = {**section, "site_id": site["id"]}
    return validate(CsmsConfig, section, str(path))
