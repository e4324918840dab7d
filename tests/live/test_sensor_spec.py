"""The site file's sensors section: what it accepts, one line naming file, field and problem for each mistake,
and never a secret in that line; payloads read as occupied, free, or a short reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from baytwin.core.config import ConfigError
from baytwin.live.sensor_payload import PayloadProblem, occupied_from
from baytwin.live.sensor_spec import PayloadSpec
from baytwin.live.site import load_site

from .conftest import write_site

TOKEN = "a-long-enough-webhook-token"


def _load(tmp_path: Path, sensors: str):  # type: ignore[no-untyped-def]
    return load_site(write_site(tmp_path, extra="sensors:\n" + sensors))


def test_mqtt_and_webhook_bays_load(tmp_path: Path) -> None:
    site = _load(tmp_path, f"""
  mqtt: {{url: "mqtts://broker.local", username: baytwin, password: pw}}
  webhook: {{host: 0.0.0.0, port: 9100, token: {TOKEN}}}
  silent_after_s: 900
  bays:
    B1: {{mqtt_topic: site/B1, payload: {{occupied: 1, free: [0, "empty"]}}}}
    B9: {{webhook_id: sensor-17}}
""")
    sensors = site.spec.sensors
    assert sensors is not None and sensors.mqtt is not None and sensors.webhook is not None
    assert (sensors.mqtt.host, sensors.mqtt.port, sensors.mqtt.uses_tls) == ("broker.local", 8883, True)
    assert sensors.bays["B1"].payload.free == ("0", "empty")
    assert "B9" in site.bays()  # a bay only a sensor watches is still one of the site's bays


@pytest.mark.parametrize(("sensors", "field", "problem"), [
    ("  bays: {B1: {mqtt_topic: site/B1}}", "sensors.bays.B1.mqtt_topic", "needs the broker in sensors.mqtt"),
    ("  bays: {B1: {webhook_id: s1}}", "sensors.bays.B1.webhook_id", "needs sensors.webhook"),
    ("  mqtt: {url: 'mqtt://b'}\n  bays: {B1: {mqtt_topic: 'site/+/occupied'}}", "sensors.bays.B1.mqtt_topic",
     "without the wildcards"),
    ("  mqtt: {url: 'mqtt://b'}\n  bays: {B1: {mqtt_topic: t, webhook_id: s}}", "sensors.bays.B1",
     "exactly one of mqtt_topic and webhook_id"),
    ("  mqtt: {url: 'mqtt://b'}\n  bays: {B1: {mqtt_topic: t}, B2: {mqtt_topic: t}}", "sensors.bays.B2.mqtt_topic",
     "already the topic of bay 'B1'"),
    ("  mqtt: {url: 'mqtt://user:pw@b'}\n  bays: {B1: {mqtt_topic: t}}", "sensors.mqtt.url", "not in the URL"),
    ("  mqtt: {url: 'http://b'}\n  bays: {B1: {mqtt_topic: t}}", "sensors.mqtt.url", "mqtt://host:port"),
    ("  mqtt: {url: 'http://user:pw@b'}\n  bays: {B1: {mqtt_topic: t}}", "sensors.mqtt.url", "not in the URL"),
    ("  mqtt: {url: 'mqtt://b:99999'}\n  bays: {B1: {mqtt_topic: t}}", "sensors.mqtt.url", "from 0 to 65535"),
    ("  mqtt: {url: 'mqtt://b'}\n  bays: {B1: {mqtt_topic: t, payload: {occupied: [1, busy], free: [busy]}}}",
     "sensors.bays.B1.payload.occupied", "'busy' would mean both occupied and free"),
    (f"  webhook: {{token: {TOKEN}}}\n  bays: {{B1: {{webhook_id: 'a/b'}}}}", "sensors.bays.B1.webhook_id",
     "last part of the webhook's URL"),
    (f"  webhook: {{token: {TOKEN}, path: 'sensors'}}\n  bays: {{B1: {{webhook_id: s}}}}", "sensors.webhook.path",
     "a URL path"),
    ("  webhook: {token: short-secret}\n  bays: {B1: {webhook_id: s}}", "sensors.webhook.token", "too short"),
    ("  mqtt: {url: 'mqtt://b', ca_file: ca.pem}\n  bays: {B1: {mqtt_topic: t}}", "sensors.mqtt.ca_file",
     "does not exist"),
    ("  bays: {}", "sensors.bays", "at least 1"),
])
def test_each_mistake_is_one_line_naming_file_field_and_problem(tmp_path: Path, sensors: str, field: str,
                                                                problem: str) -> None:
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, sensors)
    message = str(caught.value)
    assert message.startswith(f"{tmp_path / 'site.yaml'}: {field}: "), message
    assert problem in message and "\n" not in message
    assert "short-secret" not in message and "pw@" not in message  # secrets are never repeated


@pytest.mark.parametrize(("payload", "spec", "occupied"), [
    (b"1", PayloadSpec(), True),
    (b" OCCUPIED\n", PayloadSpec(), True),
    (b"off", PayloadSpec(), False),
    (b"yes", PayloadSpec.model_validate({"occupied": True, "free": False}), True),  # YAML's unquoted on/yes/true
    (b'{"state": {"parked": true}}', PayloadSpec(field="state.parked"), True),
    (b'{"occupancy": 0}', PayloadSpec(field="occupancy"), False),
    (b'{"status": "Vacant"}', PayloadSpec.model_validate({"field": "status", "occupied": "busy", "free": "vacant"}), False),
])
def test_payloads_read_as_occupied_or_free(payload: bytes, spec: PayloadSpec, occupied: bool) -> None:
    assert occupied_from(payload, spec) is occupied


@pytest.mark.parametrize(("payload", "spec", "reason"), [
    (b"2", PayloadSpec(), "payload '2' is neither occupied"),
    (b"\x00\xff", PayloadSpec(), "not UTF-8"),
    (b"x" * 5000, PayloadSpec(), "more than 4096"),
    (b"occupied", PayloadSpec(field="state"), "not JSON"),
    (b'{"other": 1}', PayloadSpec(field="state"), "no field state"),
    (b'{"state": null}', PayloadSpec(field="state"), "is null"),
    (b'{"state": "\\u001b[2J"}', PayloadSpec(field="state"), "\\x1b"),
])
def test_unusable_payloads_are_one_printable_reason(payload: bytes, spec: PayloadSpec, reason: str) -> None:
    with pytest.raises(PayloadProblem) as caught:
        occupied_from(payload, spec)
    assert reason in str(caught.value) and str(caught.value).isprintable()
