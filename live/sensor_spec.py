"""The ``sensors`` section of a site file: occupancy sensors per bay, and how their messages arrive.

A bay's sensor speaks either MQTT (a topic on the site's broker) or an HTTP
webhook (``POST <path>/<webhook_id>``); both carry the same kind of payload,
described per bay, so a site mixing vendors needs no code, only this section:

    sensors:
      mqtt: {url: mqtt://broker:1883, username: baytwin, password: "…"}
      webhook: {port: 9001, path: /sensors, token: "…"}
      silent_after_s: 900
      bays:
        B1: {mqtt_topic: site/garage/B1/occupied, payload: {occupied: "1", free: "0"}}
        B2: {webhook_id: sensor-17, payload: {field: state.occupied}}

Everything is checked on load; secrets (the broker's password, the webhook's
token) are never repeated in an error message.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from baytwin.core.config import Name, no_control_characters

#: What a sensor id may be: one URL path segment a sensor can be configured to call, without escaping.
WEBHOOK_ID = re.compile(r"^[A-Za-z0-9._~-]{1,64}$")
MIN_TOKEN_LENGTH = 16


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _words(value: Any) -> tuple[str, ...]:
    """A payload value (or list of them) as the lower-case words a message is compared with:
    YAML's ``1`` and ``"1"`` are what a sensor sends as ``1``; an unquoted ``on``, ``yes`` or ``true`` any of the three."""
    values = value if isinstance(value, (list, tuple)) else [value]
    words = []
    for item in values:
        if isinstance(item, bool):  # YAML reads an unquoted on/yes/true as true: the sensor may send any of them
            words += ["true", "on", "yes"] if item else ["false", "off", "no"]
        elif isinstance(item, (int, float, str)):
            words.append(str(item).strip().lower())
        else:
            raise ValueError(f"expected text, a number or true/false, got {type(item).__name__}")
    if not words or any(not w for w in words):
        raise ValueError("needs at least one non-empty value")
    return tuple(words)


class PayloadSpec(_Strict):
    """How one sensor says occupied or free: the whole payload as text (``field`` unset), or one field of a
    JSON object (``field: state.occupied`` for nested objects). Compared case-insensitively."""

    field: str | None = Field(None, min_length=1, max_length=200)
    occupied: tuple[str, ...] = ("1", "true", "occupied", "on")
    free: tuple[str, ...] = ("0", "false", "free", "off")

    @field_validator("occupied", "free", mode="before")
    @classmethod
    def _as_words(cls, value: Any) -> tuple[str, ...]:
        return _words(value)

    @model_validator(mode="after")
    def _distinct(self) -> PayloadSpec:
        both = sorted(set(self.occupied) & set(self.free))
        if both:
            raise ValueError(f"@occupied@ {', '.join(repr(w) for w in both)} would mean both occupied and free")
        return self


class SensorBaySpec(_Strict):
    """One bay's sensor: an MQTT topic or a webhook id, never both (one sensor per bay)."""

    mqtt_topic: str | None = Field(None, min_length=1, max_length=65535)
    webhook_id: str | None = None
    payload: PayloadSpec = PayloadSpec()

    @field_validator("mqtt_topic")
    @classmethod
    def _topic(cls, topic: str | None) -> str | None:
        if topic is None:
            return None
        no_control_characters(topic)
        if "+" in topic or "#" in topic:
            raise ValueError("one sensor's own topic, without the wildcards + or #")
        return topic

    @field_validator("webhook_id")
    @classmethod
    def _webhook_id(cls, sensor: str | None) -> str | None:
        if sensor is not None and not WEBHOOK_ID.match(sensor):
            raise ValueError("1-64 of A-Z a-z 0-9 . _ ~ - (it is the last part of the webhook's URL)")
        return sensor

    @model_validator(mode="after")
    def _one_transport(self) -> SensorBaySpec:
        if (self.mqtt_topic is None) == (self.webhook_id is None):
            raise ValueError("give exactly one of mqtt_topic and webhook_id")
        return self


def url_problem(url: str) -> str | None:
    """What is wrong with a broker URL, without repeating it (it may hold a password), or None."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        return "not a URL such as mqtt://host:1883 (a port from 0 to 65535)"
    if parts.username is not None or parts.password is not None:
        return "put the credentials in username and password, not in the URL"
    if parts.scheme not in ("mqtt", "mqtts"):
        return "use mqtt://host:port or mqtts://host:port"
    if not parts.hostname:
        return "names no host"
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        return "mqtt://host:port, nothing after the port"
    return None


class MqttSpec(_Strict):
    """The site's MQTT broker. Credentials go in their own fields, never in the URL, so the URL can be logged.
    The URL is checked by :func:`url_problem` where an error cannot repeat it (the schema's errors show values)."""

    url: str = Field(min_length=1)
    username: str | None = Field(None, min_length=1)
    password: SecretStr | None = None
    tls: bool = False  # also implied by mqtts://
    ca_file: str | None = Field(None, min_length=1)  # the broker's CA (relative to the site file); default: the system's
    client_id: str | None = Field(None, min_length=1, max_length=128)  # default: baytwin-<site id>
    keepalive_s: int = Field(30, ge=5, le=3600)
    reconnect_max_s: int = Field(30, ge=1, le=600)  # backoff from 1 s doubling up to this
    unknown_after_s: float = Field(10.0, ge=0)  # broker unreachable this long: its bays are unknown

    @property
    def host(self) -> str:
        return urlsplit(self.url).hostname or ""

    @property
    def port(self) -> int:
        parts = urlsplit(self.url)
        return parts.port or (8883 if self.uses_tls else 1883)

    @property
    def uses_tls(self) -> bool:
        return self.tls or urlsplit(self.url).scheme == "mqtts"


class WebhookSpec(_Strict):
    """Sensors (or their vendor's cloud) POST to ``http://host:port<path>/<webhook_id>`` with the token as
    ``Authorization: Bearer <token>``. Its own port: the chargers' websocket port only takes GET requests."""

    host: str = "127.0.0.1"  # 0.0.0.0 to take sensors from the site network
    port: int = Field(9001, ge=0, le=65535)
    path: str = "/sensors"
    token: SecretStr  # at least 16 characters, checked without repeating it

    @field_validator("path")
    @classmethod
    def _path(cls, path: str) -> str:
        if not re.match(r"^(/[A-Za-z0-9._~-]+)+$", path):
            raise ValueError("a URL path such as /sensors (segments of A-Z a-z 0-9 . _ ~ -)")
        return path


class SensorsSpec(_Strict):
    mqtt: MqttSpec | None = None
    webhook: WebhookSpec | None = None
    # a sensor not heard from this long makes its bay unknown; unset: sensors that only report changes
    silent_after_s: float | None = Field(None, gt=0)
    bays: dict[Name, SensorBaySpec] = Field(min_length=1)

    @model_validator(mode="after")
    def _transports_and_ids(self) -> SensorsSpec:
        topics: dict[str, str] = {}
        ids: dict[str, str] = {}
        for bay, spec in self.bays.items():
            if spec.mqtt_topic is not None:
                if self.mqtt is None:
                    raise ValueError(f"@bays.{bay}.mqtt_topic@ needs the broker in sensors.mqtt")
                if spec.mqtt_topic in topics:
                    raise ValueError(f"@bays.{bay}.mqtt_topic@ already the topic of bay '{topics[spec.mqtt_topic]}'")
                topics[spec.mqtt_topic] = bay
            if spec.webhook_id is not None:
                if self.webhook is None:
                    raise ValueError(f"@bays.{bay}.webhook_id@ needs sensors.webhook")
                if spec.webhook_id in ids:
                    raise ValueError(f"@bays.{bay}.webhook_id@ already the id of bay '{ids[spec.webhook_id]}'")
                ids[spec.webhook_id] = bay
        return self
