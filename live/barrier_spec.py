"""The ``barriers`` section of a site file: the car park's gates and pay terminals, and how they talk to the site.

A barrier controller or payment terminal POSTs its events as JSON to ``<path>/<gate id>`` with a bearer token
(the same small webhook server the bay sensors use); the site answers with its decision and sends the open
command to the gate's ``open_url``. The tariff is the ``parking`` section of the site's policy file.

    barriers:
      webhook: {host: 0.0.0.0, port: 9002, path: /gates, token: "…"}
      journal: gates.jsonl                # every event, decision and refused message, one JSON line each
      capacity: 400                       # cars the car park takes (unset: entries are never refused)
      gates:
        entry-1: {direction: entry, open_url: "http://10.0.0.31/api/open"}
        exit-1: {direction: exit, open_url: "http://10.0.0.32/api/open", open_token: "…"}
        paystation: {direction: terminal}
"""

from __future__ import annotations

from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from baytwin.live.sensor_spec import WEBHOOK_ID, WebhookSpec


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BarrierGateSpec(_Strict):
    """One gate (its barrier opens on ``open_url``) or a pay terminal (no barrier of its own)."""

    direction: Literal["entry", "exit", "terminal"]
    open_url: str | None = None
    open_token: SecretStr | None = None  # sent as a bearer token with the open command, if the controller wants one

    @field_validator("open_url")
    @classmethod
    def _url(cls, url: str | None) -> str | None:
        if url is None:
            return None
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("an http:// or https:// URL of the barrier controller")
        if parts.username is not None or parts.password is not None:
            raise ValueError("put a credential in open_token, not in the URL")
        return url

    @model_validator(mode="after")
    def _barrier_needs_url(self) -> "BarrierGateSpec":
        if self.direction != "terminal" and self.open_url is None:
            raise ValueError(f"@open_url@ an {self.direction} gate needs the URL its barrier opens on")
        return self


class BarriersSpec(_Strict):
    webhook: WebhookSpec
    journal: str = Field("gates.jsonl", min_length=1)  # relative to the site file
    capacity: int | None = Field(None, ge=1)
    open_timeout_s: float = Field(5.0, gt=0, le=60)  # how long an open command is retried before it is given up
    gates: dict[str, BarrierGateSpec] = Field(min_length=1)

    @field_validator("gates")
    @classmethod
    def _ids(cls, gates: dict[str, BarrierGateSpec]) -> dict[str, BarrierGateSpec]:
        for gate in gates:
            if not WEBHOOK_ID.match(gate):
                raise ValueError(f"gate id {gate[:70]!r}: 1-64 of A-Z a-z 0-9 . _ ~ - (it ends the webhook's URL)")
        return gates

    @field_validator("journal")
    @classmethod
    def _journal(cls, journal: str) -> str:
        if not journal.isprintable():
            raise ValueError("not a usable file name (it contains control characters)")
        return journal
